# Dashboard, alert policies (each with a runbook in docs/runbooks/<name>.md), notification
# channels, log-based metrics over the logger's `metric` field (src/logger.ts) and a log sink
# to BigQuery. Log lines carry `logging.googleapis.com/labels` {component, topic}, which Cloud
# Logging turns into LogEntry labels: the metrics extract them as metric labels.
locals {
  services        = values(var.functions)
  services_filter = join(", ", [for s in local.services : "\"${s}\""])
  dlq_filter      = join(", ", [for s in var.dead_letter_subscriptions : "\"${s}\""])
  push_filter     = join(", ", [for s in var.push_subscriptions : "\"${s}\""])
  channels = concat(
    [for c in google_monitoring_notification_channel.email : c.id],
    [for c in google_monitoring_notification_channel.pagerduty : c.id],
  )

  # Counters the logger emits (src/logger.ts `Metric`).
  ops_metrics = toset(["processed", "failed", "dead_lettered", "escalated", "slack_rate_limited"])
  # Business counters (one log line per event, same `metric` field).
  business_metrics = toset(["recommendation_opened", "recommendation_accepted"])
}

resource "google_monitoring_notification_channel" "email" {
  for_each = toset(var.notification_emails)

  project      = var.project_id
  display_name = "bqcost ${var.environment} email ${each.value}"
  type         = "email"
  labels = {
    email_address = each.value
  }
}

# The integration key is a sensitive variable supplied by the deploy workflow from a GitHub
# environment secret (TF_VAR_pagerduty_service_key); it is never written in code.
resource "google_monitoring_notification_channel" "pagerduty" {
  count = var.enable_pagerduty ? 1 : 0

  project      = var.project_id
  display_name = "bqcost ${var.environment} PagerDuty"
  type         = "pagerduty"

  sensitive_labels {
    service_key = var.pagerduty_service_key
  }
}

resource "google_logging_metric" "ops" {
  for_each = local.ops_metrics

  project = var.project_id
  name    = "bqcost/${each.value}"
  filter  = "resource.type=\"cloud_run_revision\" AND jsonPayload.metric=\"${each.value}\""

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "bqcost ${each.value}"

    labels {
      key         = "component"
      value_type  = "STRING"
      description = "Logger label `component` (function or worker)."
    }
    labels {
      key         = "topic"
      value_type  = "STRING"
      description = "Logger label `topic` (Pub/Sub topic, when any)."
    }
  }

  label_extractors = {
    component = "EXTRACT(labels.component)"
    topic     = "EXTRACT(labels.topic)"
  }
}

resource "google_logging_metric" "business" {
  for_each = local.business_metrics

  project = var.project_id
  name    = "bqcost/${each.value}"
  filter  = "resource.type=\"cloud_run_revision\" AND jsonPayload.metric=\"${each.value}\""

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "bqcost ${each.value}"
  }
}

resource "google_logging_metric" "realized_savings" {
  project         = var.project_id
  name            = "bqcost/realized_savings_usd"
  filter          = "resource.type=\"cloud_run_revision\" AND jsonPayload.metric=\"savings_realized\""
  value_extractor = "EXTRACT(jsonPayload.usdPerMonth)"

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "DISTRIBUTION"
    unit         = "USD"
    display_name = "bqcost realized savings (USD per month)"
  }

  bucket_options {
    exponential_buckets {
      num_finite_buckets = 20
      growth_factor      = 2
      scale              = 1
    }
  }
}

resource "google_monitoring_alert_policy" "function_errors" {
  project      = var.project_id
  display_name = "bqcost ${var.environment}: function errors"
  combiner     = "OR"
  severity     = "ERROR"

  conditions {
    display_name = "5xx responses"
    condition_threshold {
      filter          = "resource.type = \"cloud_run_revision\" AND metric.type = \"run.googleapis.com/request_count\" AND metric.labels.response_code_class = \"5xx\" AND resource.labels.service_name = one_of(${local.services_filter})"
      comparison      = "COMPARISON_GT"
      threshold_value = var.error_threshold
      duration        = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["resource.labels.service_name"]
      }
    }
  }

  conditions {
    display_name = "failed operations logged"
    condition_threshold {
      filter          = "resource.type = \"cloud_run_revision\" AND metric.type = \"logging.googleapis.com/user/${google_logging_metric.ops["failed"].name}\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.error_threshold
      duration        = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["metric.labels.component"]
      }
    }
  }

  notification_channels = local.channels
  documentation {
    mime_type = "text/markdown"
    content   = "Functions are failing. Runbook: ${var.runbook_base_url}/function-errors.md"
  }
}

resource "google_monitoring_alert_policy" "dead_lettered_messages" {
  project      = var.project_id
  display_name = "bqcost ${var.environment}: dead-lettered messages"
  combiner     = "OR"
  severity     = "ERROR"

  conditions {
    display_name = "messages waiting in a dead-letter subscription"
    condition_threshold {
      filter          = "resource.type = \"pubsub_subscription\" AND metric.type = \"pubsub.googleapis.com/subscription/num_undelivered_messages\" AND resource.labels.subscription_id = one_of(${local.dlq_filter})"
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "300s"
      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_MAX"
      }
    }
  }

  notification_channels = local.channels
  documentation {
    mime_type = "text/markdown"
    content   = "A message exhausted its delivery attempts. Runbook: ${var.runbook_base_url}/dead-lettered-messages.md"
  }
}

resource "google_monitoring_alert_policy" "ack_latency" {
  project      = var.project_id
  display_name = "bqcost ${var.environment}: Slack ack latency"
  combiner     = "OR"
  severity     = "WARNING"

  conditions {
    display_name = "p99 latency of the Slack receiver near Slack's 3 s limit"
    condition_threshold {
      filter          = "resource.type = \"cloud_run_revision\" AND metric.type = \"run.googleapis.com/request_latencies\" AND resource.labels.service_name = \"${var.slack_service}\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.ack_latency_threshold_ms
      duration        = "300s"
      aggregations {
        alignment_period     = "60s"
        per_series_aligner   = "ALIGN_PERCENTILE_99"
        cross_series_reducer = "REDUCE_MAX"
        group_by_fields      = ["resource.labels.service_name"]
      }
    }
  }

  notification_channels = local.channels
  documentation {
    mime_type = "text/markdown"
    content   = "Slack may be showing 'operation_timeout' to users. Runbook: ${var.runbook_base_url}/ack-latency.md"
  }
}

resource "google_monitoring_alert_policy" "push_backlog" {
  project      = var.project_id
  display_name = "bqcost ${var.environment}: Pub/Sub backlog ageing"
  combiner     = "OR"
  severity     = "WARNING"

  conditions {
    display_name = "oldest unacked message on a push subscription"
    condition_threshold {
      filter          = "resource.type = \"pubsub_subscription\" AND metric.type = \"pubsub.googleapis.com/subscription/oldest_unacked_message_age\" AND resource.labels.subscription_id = one_of(${local.push_filter})"
      comparison      = "COMPARISON_GT"
      threshold_value = var.backlog_age_threshold_seconds
      duration        = "300s"
      aggregations {
        alignment_period   = "60s"
        per_series_aligner = "ALIGN_MAX"
      }
    }
  }

  notification_channels = local.channels
  documentation {
    mime_type = "text/markdown"
    content   = "Messages are not being acknowledged in time. Runbook: ${var.runbook_base_url}/push-backlog.md"
  }
}

resource "google_monitoring_alert_policy" "analyzer_failures" {
  project      = var.project_id
  display_name = "bqcost ${var.environment}: analysis failures"
  combiner     = "OR"
  severity     = "ERROR"

  conditions {
    display_name = "analysis worker logged a failed run"
    condition_threshold {
      filter          = "resource.type = \"cloud_run_revision\" AND metric.type = \"logging.googleapis.com/user/${google_logging_metric.ops["failed"].name}\" AND metric.labels.component = \"${var.analysis_component}\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period   = "600s"
        per_series_aligner = "ALIGN_SUM"
      }
    }
  }

  notification_channels = local.channels
  documentation {
    mime_type = "text/markdown"
    content   = "The daily analysis did not complete; recommendations and anomalies are stale. Runbook: ${var.runbook_base_url}/analyzer-failures.md"
  }
}

resource "google_monitoring_alert_policy" "backup_failures" {
  project      = var.project_id
  display_name = "bqcost ${var.environment}: backup export failed"
  combiner     = "OR"
  severity     = "WARNING"

  conditions {
    display_name = "scheduled export run logged an error"
    condition_matched_log {
      filter = "resource.type = \"bigquery_dts_config\" AND severity >= ERROR"
    }
  }

  alert_strategy {
    notification_rate_limit {
      period = "3600s"
    }
    auto_close = "86400s"
  }

  notification_channels = local.channels
  documentation {
    mime_type = "text/markdown"
    content   = "Last night's export of the bqcost tables failed. Runbook: ${var.runbook_base_url}/backup-failures.md"
  }
}

# Logs of every bqcost function, queryable with SQL next to the data they are about.
resource "google_bigquery_dataset" "logs" {
  project                         = var.project_id
  dataset_id                      = var.logs_dataset_id
  location                        = var.logs_location
  description                     = "bqcost function logs (log sink)."
  default_partition_expiration_ms = var.log_retention_days * 86400000
}

resource "google_logging_project_sink" "bigquery" {
  project                = var.project_id
  name                   = "bqcost-functions-to-bigquery"
  destination            = "bigquery.googleapis.com/projects/${var.project_id}/datasets/${google_bigquery_dataset.logs.dataset_id}"
  filter                 = "resource.type = \"cloud_run_revision\" AND (${join(" OR ", [for s in local.services : "resource.labels.service_name = \"${s}\""])})"
  unique_writer_identity = true

  bigquery_options {
    use_partitioned_tables = true
  }
}

resource "google_bigquery_dataset_iam_member" "sink_writer" {
  project    = var.project_id
  dataset_id = google_bigquery_dataset.logs.dataset_id
  role       = "roles/bigquery.dataEditor"
  member     = google_logging_project_sink.bigquery.writer_identity
}

resource "google_monitoring_dashboard" "main" {
  project        = var.project_id
  dashboard_json = jsonencode(local.dashboard)
}
