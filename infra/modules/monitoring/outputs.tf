output "dashboard_id" {
  description = "The bqcost dashboard."
  value       = google_monitoring_dashboard.main.id
}

output "alert_policy_names" {
  description = "Alert policy resource names by policy."
  value = {
    function_errors        = google_monitoring_alert_policy.function_errors.name
    dead_lettered_messages = google_monitoring_alert_policy.dead_lettered_messages.name
    ack_latency            = google_monitoring_alert_policy.ack_latency.name
    push_backlog           = google_monitoring_alert_policy.push_backlog.name
    analyzer_failures      = google_monitoring_alert_policy.analyzer_failures.name
    backup_failures        = google_monitoring_alert_policy.backup_failures.name
  }
}

output "logs_dataset_id" {
  description = "Dataset holding the functions' logs."
  value       = google_bigquery_dataset.logs.dataset_id
}
