# The bqcost dataset and its tables. Schemas are generated from src/domain/tables.ts
# (`npm run gen:schemas`); partitioning, clustering and descriptions are written here and
# test/infra/bigquery-schemas.test.ts fails when any of them drifts from the code. Every table
# is append-only and day-partitioned on its event time; clustering is on the id readers dedupe by.
resource "google_bigquery_dataset" "main" {
  project                    = var.project_id
  dataset_id                 = var.dataset_id
  location                   = var.location
  description                = "bqcost: recommendations, acknowledgement ledger, anomalies, alerts and run history."
  labels                     = var.labels
  delete_contents_on_destroy = false
  max_time_travel_hours      = "168"

  dynamic "default_encryption_configuration" {
    for_each = var.kms_key_name == null ? [] : [var.kms_key_name]
    content {
      kms_key_name = default_encryption_configuration.value
    }
  }
}

resource "google_bigquery_table" "recommendation_events" {
  project             = var.project_id
  dataset_id          = google_bigquery_dataset.main.dataset_id
  table_id            = "recommendation_events"
  description         = "Acknowledgement ledger: one row per intended click on a recommendation card."
  labels              = var.labels
  deletion_protection = var.deletion_protection
  schema              = file("${path.module}/schemas/recommendation_events.json")
  clustering          = ["recommendation_id"]

  time_partitioning {
    type  = "DAY"
    field = "occurred_at"
  }

  dynamic "encryption_configuration" {
    for_each = var.kms_key_name == null ? [] : [var.kms_key_name]
    content {
      kms_key_name = encryption_configuration.value
    }
  }
}

resource "google_bigquery_table" "recommendations" {
  project             = var.project_id
  dataset_id          = google_bigquery_dataset.main.dataset_id
  table_id            = "recommendations"
  description         = "Recommendations as found by each analysis run (latest row per id wins)."
  labels              = var.labels
  deletion_protection = var.deletion_protection
  schema              = file("${path.module}/schemas/recommendations.json")
  clustering          = ["recommendation_id"]

  time_partitioning {
    type  = "DAY"
    field = "found_at"
  }

  dynamic "encryption_configuration" {
    for_each = var.kms_key_name == null ? [] : [var.kms_key_name]
    content {
      kms_key_name = encryption_configuration.value
    }
  }
}

resource "google_bigquery_table" "anomalies" {
  project             = var.project_id
  dataset_id          = google_bigquery_dataset.main.dataset_id
  table_id            = "anomalies"
  description         = "Cost anomalies as found by each analysis run."
  labels              = var.labels
  deletion_protection = var.deletion_protection
  schema              = file("${path.module}/schemas/anomalies.json")
  clustering          = ["anomaly_id"]

  time_partitioning {
    type  = "DAY"
    field = "found_at"
  }

  dynamic "encryption_configuration" {
    for_each = var.kms_key_name == null ? [] : [var.kms_key_name]
    content {
      kms_key_name = encryption_configuration.value
    }
  }
}

resource "google_bigquery_table" "alert_events" {
  project             = var.project_id
  dataset_id          = google_bigquery_dataset.main.dataset_id
  table_id            = "alert_events"
  description         = "Escalation log of anomaly alerts: one row per step (posted, escalated, paged, acknowledged)."
  labels              = var.labels
  deletion_protection = var.deletion_protection
  schema              = file("${path.module}/schemas/alert_events.json")
  clustering          = ["alert_id"]

  time_partitioning {
    type  = "DAY"
    field = "occurred_at"
  }

  dynamic "encryption_configuration" {
    for_each = var.kms_key_name == null ? [] : [var.kms_key_name]
    content {
      kms_key_name = encryption_configuration.value
    }
  }
}

resource "google_bigquery_table" "analysis_runs" {
  project             = var.project_id
  dataset_id          = google_bigquery_dataset.main.dataset_id
  table_id            = "analysis_runs"
  description         = "Run history of the analysis worker."
  labels              = var.labels
  deletion_protection = var.deletion_protection
  schema              = file("${path.module}/schemas/analysis_runs.json")
  clustering          = ["run_id"]

  time_partitioning {
    type  = "DAY"
    field = "started_at"
  }

  dynamic "encryption_configuration" {
    for_each = var.kms_key_name == null ? [] : [var.kms_key_name]
    content {
      kms_key_name = encryption_configuration.value
    }
  }
}

resource "google_bigquery_table" "slack_posts" {
  project             = var.project_id
  dataset_id          = google_bigquery_dataset.main.dataset_id
  table_id            = "slack_posts"
  description         = "Posted ledger: one row per Slack message the workers posted (dedupe on post_key)."
  labels              = var.labels
  deletion_protection = var.deletion_protection
  schema              = file("${path.module}/schemas/slack_posts.json")
  clustering          = ["post_key"]

  time_partitioning {
    type  = "DAY"
    field = "posted_at"
  }

  dynamic "encryption_configuration" {
    for_each = var.kms_key_name == null ? [] : [var.kms_key_name]
    content {
      kms_key_name = encryption_configuration.value
    }
  }
}

resource "google_bigquery_table" "processed_events" {
  project             = var.project_id
  dataset_id          = google_bigquery_dataset.main.dataset_id
  table_id            = "processed_events"
  description         = "Dedupe store for Slack Events API event_ids and Pub/Sub message keys."
  labels              = var.labels
  deletion_protection = var.deletion_protection
  schema              = file("${path.module}/schemas/processed_events.json")
  clustering          = ["dedupe_key"]

  time_partitioning {
    type  = "DAY"
    field = "processed_at"
  }

  dynamic "encryption_configuration" {
    for_each = var.kms_key_name == null ? [] : [var.kms_key_name]
    content {
      kms_key_name = encryption_configuration.value
    }
  }
}

