# One Cloud Functions (2nd gen) entry point with its own service account. Workers are HTTP
# functions behind an authenticated Pub/Sub push subscription that modules/pubsub owns (the
# subscription Eventarc would create has no dead-letter topic and cannot be configured).
resource "google_service_account" "main" {
  project      = var.project_id
  account_id   = var.account_id
  display_name = "bqcost ${var.entry_point}"
  description  = "Runtime identity of the ${var.name} function (entry point ${var.entry_point}); used by nothing else."
}

resource "google_cloudfunctions2_function" "main" {
  project     = var.project_id
  location    = var.region
  name        = var.name
  description = var.description
  labels      = var.labels

  build_config {
    runtime               = var.runtime
    entry_point           = var.entry_point
    service_account       = var.build_service_account_id
    environment_variables = { GOOGLE_NODE_RUN_SCRIPTS = "" }

    source {
      storage_source {
        bucket = var.source_bucket
        object = var.source_object
      }
    }
  }

  service_config {
    service_account_email            = google_service_account.main.email
    ingress_settings                 = var.public ? "ALLOW_ALL" : "ALLOW_INTERNAL_ONLY"
    all_traffic_on_latest_revision   = true
    min_instance_count               = var.min_instances
    max_instance_count               = var.max_instances
    max_instance_request_concurrency = var.concurrency
    available_cpu                    = var.cpu
    available_memory                 = var.memory
    timeout_seconds                  = var.timeout_seconds
    environment_variables            = var.environment
    vpc_connector                    = var.vpc_connector
    vpc_connector_egress_settings    = var.vpc_connector == null ? null : "ALL_TRAFFIC"

    # Secrets arrive as environment variables resolved from Secret Manager at instance start;
    # their values never appear in code, plan or state.
    dynamic "secret_environment_variables" {
      for_each = var.secrets
      content {
        key        = secret_environment_variables.key
        project_id = var.project_id
        secret     = secret_environment_variables.value
        version    = "latest"
      }
    }
  }

  depends_on = [google_secret_manager_secret_iam_member.accessor]
}

# secretAccessor on each secret this function reads, never on the project.
resource "google_secret_manager_secret_iam_member" "accessor" {
  for_each = var.secrets

  project   = var.project_id
  secret_id = each.value
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.main.email}"
}

resource "google_project_iam_member" "project" {
  for_each = toset(var.project_roles)

  project = var.project_id
  role    = each.value
  member  = "serviceAccount:${google_service_account.main.email}"
}

resource "google_bigquery_dataset_iam_member" "dataset" {
  for_each = var.dataset_role == null ? toset([]) : toset([var.dataset_role])

  project    = var.project_id
  dataset_id = var.dataset_id
  role       = each.value
  member     = "serviceAccount:${google_service_account.main.email}"
}

# Only the Slack receiver is public: Slack's servers must reach it and cannot present a Google
# identity. Its authentication is the X-Slack-Signature HMAC (v0, signing secret) that Bolt
# verifies on every request, with a +/- 300 s timestamp window. Scanners that flag allUsers
# here should be pointed at this comment and docs/runbooks/ack-latency.md.
resource "google_cloud_run_v2_service_iam_member" "public_invoker" {
  count = var.public ? 1 : 0

  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.main.name
  role     = "roles/run.invoker"
  member   = "allUsers"
}
