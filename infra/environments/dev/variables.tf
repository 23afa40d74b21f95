variable "project_id" {
  type        = string
  description = "GCP project of this environment."
}

variable "region" {
  type        = string
  description = "Region of the functions and scheduler."
  default     = "us-central1"
}

variable "bigquery_location" {
  type        = string
  description = "Location of the bqcost dataset (where the analysed INFORMATION_SCHEMA lives)."
  default     = "US"
}

variable "source_archive" {
  type        = string
  description = "Path of the function source zip (the deploy workflow passes it)."
  default     = "../../../build/bqcost-functions.zip"
}

variable "notification_emails" {
  type        = list(string)
  description = "Addresses notified by the alert policies."
  default     = []
}

variable "runbook_base_url" {
  type        = string
  description = "URL of docs/runbooks on the default branch."
}

variable "backup_bucket_name" {
  type        = string
  description = "Globally unique name of the backup bucket."
}

variable "settings" {
  type        = map(string)
  description = "Extra non-secret settings for every function (BQCOST_ONCALL_CHANNEL, BQCOST_ADMINS, escalation minutes …)."
  default     = {}
}

variable "slack_team_id" {
  type        = string
  description = "The Slack workspace (team id, T…) of this environment's Slack app."
}

variable "routing_file" {
  type        = string
  default     = null
  description = "Path to the owner routing JSON (format: config/routing.example.json); its text reaches the functions as BQCOST_ROUTING_JSON. Null: no routing (findings are stored, not posted)."
}
