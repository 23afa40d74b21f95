# The bqcost dataset and its tables. Everything per table (schema, description, partitioning,
# clustering) is generated from src/domain/tables.ts (`npm run gen:schemas`) into schemas/:
# schemas/tables.json lists the tables in the order of tables.ts, schemas/<table>.json holds
# each one's columns. test/infra/bigquery-schemas.test.ts fails when any of it drifts from the
# code. Every table is append-only and day-partitioned on its event time; clustering is on the
# id readers dedupe by.
locals {
  # [{ name, description, partitionBy, clusterBy }], in the order of tables.ts.
  table_manifest = jsondecode(file("${path.module}/schemas/tables.json"))
  tables         = { for t in local.table_manifest : t.name => t }
}

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

resource "google_bigquery_table" "table" {
  for_each = local.tables

  project             = var.project_id
  dataset_id          = google_bigquery_dataset.main.dataset_id
  table_id            = each.key
  description         = each.value.description
  labels              = var.labels
  deletion_protection = var.deletion_protection
  schema              = file("${path.module}/schemas/${each.key}.json")
  clustering          = each.value.clusterBy

  time_partitioning {
    type  = "DAY"
    field = each.value.partitionBy
  }

  dynamic "encryption_configuration" {
    for_each = var.kms_key_name == null ? [] : [var.kms_key_name]
    content {
      kms_key_name = encryption_configuration.value
    }
  }
}
