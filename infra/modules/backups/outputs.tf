output "bucket_name" {
  description = "Bucket the exports are written to (gs://<bucket>/YYYY/MM/DD/HHMMSS/<table>/*.avro)."
  value       = google_storage_bucket.main.name
}

output "transfer_config_name" {
  description = "Resource name of the scheduled export (for `bq ls --transfer_config` / manual runs)."
  value       = google_bigquery_data_transfer_config.export.name
}
