output "slack_request_url" {
  description = "Paste into manifest.yml (request URLs) for this environment's Slack app."
  value       = module.bqcost.slack_request_url
}

output "secret_ids" {
  description = "Secrets to fill once with gcloud secrets versions add."
  value       = module.bqcost.secret_ids
}

output "function_service_accounts" {
  description = "Each function's service account."
  value       = module.bqcost.function_service_accounts
}

output "dead_letter_subscriptions" {
  description = "Dead-letter subscriptions."
  value       = module.bqcost.dead_letter_subscriptions
}
