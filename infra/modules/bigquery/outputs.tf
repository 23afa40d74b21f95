output "dataset_id" {
  description = "The bqcost dataset id."
  value       = google_bigquery_dataset.main.dataset_id
}

output "table_ids" {
  description = "Every table of the dataset (the backups module exports these)."
  value = [
    google_bigquery_table.recommendation_events.table_id,
    google_bigquery_table.recommendations.table_id,
    google_bigquery_table.anomalies.table_id,
    google_bigquery_table.alert_events.table_id,
    google_bigquery_table.analysis_runs.table_id,
    google_bigquery_table.slack_posts.table_id,
    google_bigquery_table.processed_events.table_id,
  ]
}
