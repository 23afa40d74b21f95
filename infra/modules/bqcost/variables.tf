variable "project_id" {
  type        = string
  description = "GCP project bqcost is deployed to (one project per environment)."
}

variable "environment" {
  type        = string
  description = "Environment name: dev or prod."

  validation {
    condition     = contains(["dev", "prod"], var.environment)
    error_message = "environment must be dev or prod."
  }
}

variable "region" {
  type        = string
  description = "Region of the functions, scheduler jobs and source bucket."
}

variable "bigquery_location" {
  type        = string
  description = "Location of the bqcost dataset, backups and logs (where the analysed INFORMATION_SCHEMA lives, for example US)."
}

variable "pricing_region" {
  type        = string
  description = "Price list region the engine uses (BQCOST_REGION), for example us."
  default     = "us"
}

variable "source_archive" {
  type        = string
  description = "Path of the function source zip built by the deploy workflow (dist + package files)."
}

variable "slack_min_instances" {
  type        = number
  description = "Warm instances of the Slack receiver; >= 1 in prod so a cold start never eats Slack's 3 s ack budget."
  default     = 0
}

variable "max_instances" {
  type        = number
  description = "Upper bound on Slack receiver instances."
  default     = 10
}

variable "log_level" {
  type        = string
  description = "BQCOST_LOG_LEVEL of every function."
  default     = "info"
}

variable "notification_emails" {
  type        = list(string)
  description = "Addresses notified by the alert policies."
  default     = []
}

variable "enable_pagerduty" {
  type        = bool
  description = "Create the PagerDuty notification channel (needs TF_VAR_pagerduty_service_key)."
  default     = false
}

variable "pagerduty_service_key" {
  type        = string
  description = "PagerDuty integration key for bqcost's own alerts; set through TF_VAR_pagerduty_service_key, never in a file."
  default     = null
  sensitive   = true
}

variable "runbook_base_url" {
  type        = string
  description = "URL of docs/runbooks in the repository, linked from every alert policy."
}

variable "backup_bucket_name" {
  type        = string
  description = "Globally unique name of the bucket for the daily table exports."
}

variable "backup_retention_days" {
  type        = number
  description = "Days exports are kept."
  default     = 35
}

variable "deletion_protection" {
  type        = bool
  description = "Protect the bqcost tables from terraform destroy."
  default     = true
}

variable "pause_schedules" {
  type        = bool
  description = "Pause the scheduler jobs (dev projects between tests)."
  default     = false
}

variable "enable_private_google_access" {
  type        = bool
  description = "Route function egress through a VPC with Private Google Access and Cloud NAT (prod hardening)."
  default     = false
}

variable "enable_vpc_service_controls" {
  type        = bool
  description = "Put the project in a VPC Service Controls perimeter (prod hardening; needs access_policy_id)."
  default     = false
}

variable "access_policy_id" {
  type        = string
  description = "The organisation's Access Context Manager policy id (with enable_vpc_service_controls)."
  default     = null
}

variable "kms_key_name" {
  type        = string
  description = "Optional CMEK key (projects/<p>/locations/<l>/keyRings/<r>/cryptoKeys/<k>) for BigQuery, Pub/Sub, Secret Manager and the backup bucket; null = Google-managed keys."
  default     = null
}

variable "labels" {
  type        = map(string)
  description = "Extra labels on every labelled resource."
  default     = {}
}

variable "settings" {
  type        = map(string)
  description = "Extra non-secret settings for every function (src/config.ts), for example BQCOST_ONCALL_CHANNEL, BQCOST_ESCALATE_AFTER_MIN, BQCOST_ADMINS. Secrets never go here."
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.settings) : !can(regex("(SECRET|TOKEN|ROUTING_KEY|PASSWORD)", k))])
    error_message = "settings are plain environment variables; put secrets in Secret Manager (modules/secrets)."
  }
}

variable "slack_team_id" {
  type        = string
  description = "The Slack workspace (team id, T…) bqcost posts in; every click is checked against it."

  validation {
    condition     = can(regex("^[TE][A-Z0-9]+$", var.slack_team_id))
    error_message = "slack_team_id is a Slack team id such as T0123ABCD."
  }
}
