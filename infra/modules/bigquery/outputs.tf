output "dataset_id" {
  description = "The bqcost dataset id."
  value       = google_bigquery_dataset.main.dataset_id
}

output "table_ids" {
  description = "Every table of the dataset, in the order of tables.ts (the backups module exports these)."
  value       = [for t in local.table_manifest : google_bigquery_table.table[t.name].table_id]
}
