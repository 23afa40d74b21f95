variable "project_id" {
  type        = string
  description = "Project to monitor."
}

variable "environment" {
  type        = string
  description = "Environment name, shown in display names."
}

variable "functions" {
  type        = map(string)
  description = "Cloud Run service name of each function, by topology.ts entry point."
}

variable "slack_service" {
  type        = string
  description = "Service name of the Slack receiver (ack latency alert)."
}

variable "analysis_component" {
  type        = string
  description = "Logger `component` label of the analysis worker (its topology.ts entry point)."
}

variable "push_subscriptions" {
  type        = list(string)
  description = "Push subscription ids (backlog charts and alert)."
}

variable "dead_letter_subscriptions" {
  type        = list(string)
  description = "Dead-letter subscription ids (dead-letter chart and alert)."
}

variable "notification_emails" {
  type        = list(string)
  description = "Email addresses notified by every alert policy."
  default     = []
}

variable "enable_pagerduty" {
  type        = bool
  description = "Create the PagerDuty notification channel (needs pagerduty_service_key)."
  default     = false
}

variable "pagerduty_service_key" {
  type        = string
  description = "PagerDuty Events integration key for bqcost's own on-call (TF_VAR_pagerduty_service_key from the deploy environment's secrets; never in tfvars)."
  default     = null
  sensitive   = true
}

variable "runbook_base_url" {
  type        = string
  description = "Base URL of docs/runbooks (for example the repository's blob URL on the default branch)."
}

variable "error_threshold" {
  type        = number
  description = "Errors per 5 minutes (per function or component) that page."
  default     = 5
}

variable "ack_latency_threshold_ms" {
  type        = number
  description = "p99 latency of the Slack receiver that alerts; Slack gives up at 3000 ms."
  default     = 2500
}

variable "backlog_age_threshold_seconds" {
  type        = number
  description = "Age of the oldest unacked push message that alerts."
  default     = 900
}

variable "logs_dataset_id" {
  type        = string
  description = "Dataset the log sink writes to."
  default     = "bqcost_logs"
}

variable "logs_location" {
  type        = string
  description = "Location of the logs dataset."
}

variable "log_retention_days" {
  type        = number
  description = "Days of logs kept in the sink dataset (partition expiration)."
  default     = 90
}
