output "slack_request_url" {
  description = "Request URL for the Slack app manifest (slash command, interactivity, events)."
  value       = "${module.fn_slack.uri}/slack/events"
}

output "function_service_accounts" {
  description = "Each function's own service account, by topology.ts entry point."
  value = {
    slack          = module.fn_slack.service_account_email
    analysisWorker = module.fn_analysis_worker.service_account_email
    notifier       = module.fn_notifier.service_account_email
    digest         = module.fn_digest.service_account_email
    escalation     = module.fn_escalation.service_account_email
  }
}

output "secret_ids" {
  description = "Secret Manager secret ids to add values to (gcloud secrets versions add)."
  value       = module.secrets.secret_ids
}

output "dataset_id" {
  description = "The bqcost dataset."
  value       = module.bigquery.dataset_id
}

output "dead_letter_subscriptions" {
  description = "Dead-letter subscriptions to inspect and replay from."
  value       = module.pubsub.dead_letter_subscriptions
}

output "backup_bucket" {
  description = "Bucket of the daily table exports."
  value       = module.backups.bucket_name
}

output "dashboard_id" {
  description = "The monitoring dashboard."
  value       = module.monitoring.dashboard_id
}
