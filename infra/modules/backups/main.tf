# Daily export of every bqcost table to Cloud Storage (Avro, logical types kept), as one
# BigQuery scheduled query (a Data Transfer Service config Terraform can declare) running under
# its own service account. Retention is the bucket's lifecycle rule. Restore: docs/runbooks/
# backup-restore.md (`bq load` of one run's folder into a table created from the same schema).
data "google_project" "main" {
  project_id = var.project_id
}

locals {
  export_statements = [
    for table in var.table_ids :
    "EXECUTE IMMEDIATE FORMAT(\"\"\"EXPORT DATA OPTIONS (uri = '%s/${table}/*.avro', format = 'AVRO', use_avro_logical_types = true) AS SELECT * FROM `${var.project_id}.${var.dataset_id}.${table}`\"\"\", prefix);"
  ]
  export_script = join("\n", concat(
    ["DECLARE prefix STRING DEFAULT FORMAT('gs://%s/%s', '${google_storage_bucket.main.name}', FORMAT_TIMESTAMP('%Y/%m/%d/%H%M%S', @run_time));"],
    local.export_statements,
  ))
}

resource "google_storage_bucket" "main" {
  project                     = var.project_id
  name                        = var.bucket_name
  location                    = var.location
  labels                      = var.labels
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false

  lifecycle_rule {
    condition {
      age = var.retention_days
    }
    action {
      type = "Delete"
    }
  }

  dynamic "encryption" {
    for_each = var.kms_key_name == null ? [] : [var.kms_key_name]
    content {
      default_kms_key_name = encryption.value
    }
  }
}

resource "google_service_account" "main" {
  project      = var.project_id
  account_id   = var.account_id
  display_name = "bqcost backups"
  description  = "Runs the daily export of the bqcost tables to Cloud Storage."
}

resource "google_project_iam_member" "job_runner" {
  project = var.project_id
  role    = var.job_runner_role
  member  = "serviceAccount:${google_service_account.main.email}"
}

resource "google_bigquery_dataset_iam_member" "reader" {
  project    = var.project_id
  dataset_id = var.dataset_id
  role       = "roles/bigquery.dataViewer"
  member     = "serviceAccount:${google_service_account.main.email}"
}

resource "google_storage_bucket_iam_member" "writer" {
  bucket = google_storage_bucket.main.name
  role   = "roles/storage.objectCreator"
  member = "serviceAccount:${google_service_account.main.email}"
}

# The Data Transfer Service agent mints tokens for this one account, not project-wide.
resource "google_service_account_iam_member" "transfer_agent" {
  service_account_id = google_service_account.main.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = "serviceAccount:service-${data.google_project.main.number}@gcp-sa-bigquerydatatransfer.iam.gserviceaccount.com"
}

resource "google_bigquery_data_transfer_config" "export" {
  project              = var.project_id
  display_name         = "bqcost daily export to GCS"
  location             = var.location
  data_source_id       = "scheduled_query"
  schedule             = var.schedule
  service_account_name = google_service_account.main.email

  params = {
    query = local.export_script
  }

  dynamic "email_preferences" {
    for_each = var.notify_on_failure ? [1] : []
    content {
      enable_failure_email = true
    }
  }

  depends_on = [
    google_project_iam_member.job_runner,
    google_bigquery_dataset_iam_member.reader,
    google_storage_bucket_iam_member.writer,
    google_service_account_iam_member.transfer_agent,
  ]
}
