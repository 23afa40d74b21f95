output "secret_ids" {
  description = "Secret id by logical name (slack_signing_secret, slack_bot_token, pagerduty_routing_key)."
  value       = { for name, secret in google_secret_manager_secret.main : name => secret.secret_id }
}
