# One Cloud Scheduler job per schedule in src/domain/topology.ts; each publishes a tick to its
# topic. The body is static (Cloud Scheduler cannot template it): the Pub/Sub edge completes the
# time-derived fields (key, publishedAt, day / windowEnd) from the message's publish time, so a
# scheduler retry of the same tick gets the same idempotency key.
resource "google_cloud_scheduler_job" "main" {
  for_each = var.jobs

  project     = var.project_id
  region      = var.region
  name        = each.key
  description = "bqcost ${each.key}: publishes a ${each.value.payload.type} message"
  schedule    = each.value.schedule
  time_zone   = "Etc/UTC"
  paused      = var.paused

  retry_config {
    retry_count          = 3
    min_backoff_duration = "10s"
    max_backoff_duration = "300s"
  }

  pubsub_target {
    topic_name = each.value.topic_id
    data       = base64encode(jsonencode({ for k, v in each.value.payload : k => v if v != null }))
    attributes = {
      schedule = each.key
    }
  }
}
