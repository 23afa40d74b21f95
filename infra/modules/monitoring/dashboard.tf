# The bqcost dashboard: system overview, per-function latency and errors, Pub/Sub backlog and
# dead letters, business metrics. Tiles are laid out two per row.
locals {
  chart = {
    requests = {
      title  = "Requests by function"
      filter = "resource.type = \"cloud_run_revision\" AND metric.type = \"run.googleapis.com/request_count\" AND resource.labels.service_name = one_of(${local.services_filter})"
      align  = "ALIGN_RATE", reduce = "REDUCE_SUM", group = ["resource.labels.service_name"]
    }
    errors = {
      title  = "5xx by function"
      filter = "resource.type = \"cloud_run_revision\" AND metric.type = \"run.googleapis.com/request_count\" AND metric.labels.response_code_class = \"5xx\" AND resource.labels.service_name = one_of(${local.services_filter})"
      align  = "ALIGN_RATE", reduce = "REDUCE_SUM", group = ["resource.labels.service_name"]
    }
    processed = {
      title  = "Messages processed / failed by component"
      filter = "metric.type = one_of(\"logging.googleapis.com/user/bqcost/processed\", \"logging.googleapis.com/user/bqcost/failed\")"
      align  = "ALIGN_RATE", reduce = "REDUCE_SUM", group = ["metric.type", "metric.labels.component"]
    }
    backlog = {
      title  = "Push subscription backlog"
      filter = "resource.type = \"pubsub_subscription\" AND metric.type = \"pubsub.googleapis.com/subscription/num_undelivered_messages\" AND resource.labels.subscription_id = one_of(${local.push_filter})"
      align  = "ALIGN_MAX", reduce = "REDUCE_MAX", group = ["resource.labels.subscription_id"]
    }
    oldest = {
      title  = "Oldest unacked message age"
      filter = "resource.type = \"pubsub_subscription\" AND metric.type = \"pubsub.googleapis.com/subscription/oldest_unacked_message_age\" AND resource.labels.subscription_id = one_of(${local.push_filter})"
      align  = "ALIGN_MAX", reduce = "REDUCE_MAX", group = ["resource.labels.subscription_id"]
    }
    dead_letters = {
      title  = "Dead-lettered messages waiting"
      filter = "resource.type = \"pubsub_subscription\" AND metric.type = \"pubsub.googleapis.com/subscription/num_undelivered_messages\" AND resource.labels.subscription_id = one_of(${local.dlq_filter})"
      align  = "ALIGN_MAX", reduce = "REDUCE_MAX", group = ["resource.labels.subscription_id"]
    }
    slack_limits = {
      title  = "Slack rate limits and escalations"
      filter = "metric.type = one_of(\"logging.googleapis.com/user/bqcost/slack_rate_limited\", \"logging.googleapis.com/user/bqcost/escalated\")"
      align  = "ALIGN_RATE", reduce = "REDUCE_SUM", group = ["metric.type"]
    }
    recommendations = {
      title  = "Recommendations opened / accepted"
      filter = "metric.type = one_of(\"logging.googleapis.com/user/bqcost/recommendation_opened\", \"logging.googleapis.com/user/bqcost/recommendation_accepted\")"
      align  = "ALIGN_SUM", reduce = "REDUCE_SUM", group = ["metric.type"]
    }
    savings = {
      title  = "Realized savings per verified recommendation (USD per month, distribution)"
      filter = "metric.type = \"logging.googleapis.com/user/bqcost/realized_savings_usd\""
      align  = "ALIGN_DELTA", reduce = "REDUCE_NONE", group = []
    }
  }

  latency_charts = [
    for service in local.services : {
      title  = "Latency p99: ${service}"
      filter = "resource.type = \"cloud_run_revision\" AND metric.type = \"run.googleapis.com/request_latencies\" AND resource.labels.service_name = \"${service}\""
      align  = "ALIGN_PERCENTILE_99", reduce = "REDUCE_MAX", group = ["resource.labels.service_name"]
    }
  ]

  ordered_charts = concat(
    [local.chart.requests, local.chart.errors, local.chart.processed, local.chart.slack_limits],
    local.latency_charts,
    [local.chart.backlog, local.chart.oldest, local.chart.dead_letters],
    [local.chart.recommendations, local.chart.savings],
  )

  dashboard = {
    displayName = "bqcost ${var.environment}"
    mosaicLayout = {
      columns = 48
      tiles = [
        for i, c in local.ordered_charts : {
          xPos   = (i % 2) * 24
          yPos   = floor(i / 2) * 16
          width  = 24
          height = 16
          widget = {
            title = c.title
            xyChart = {
              dataSets = [{
                plotType = "LINE"
                timeSeriesQuery = {
                  timeSeriesFilter = {
                    filter = c.filter
                    aggregation = {
                      alignmentPeriod    = "60s"
                      perSeriesAligner   = c.align
                      crossSeriesReducer = c.reduce
                      groupByFields      = c.group
                    }
                  }
                }
              }]
            }
          }
        }
      ]
    }
  }
}
