variable "project_id" {
  type        = string
  description = "Project of the dataset and the backup bucket."
}

variable "location" {
  type        = string
  description = "Location of the bucket and the transfer config; must be the dataset's location."
}

variable "dataset_id" {
  type        = string
  description = "The bqcost dataset."
}

variable "table_ids" {
  type        = list(string)
  description = "Tables to export (the bigquery module's table_ids output)."
}

variable "bucket_name" {
  type        = string
  description = "Globally unique name of the backup bucket."
}

variable "account_id" {
  type        = string
  description = "account_id of the export's service account."
  default     = "bqcost-backups"
}

variable "job_runner_role" {
  type        = string
  description = "Custom role id allowing bigquery.jobs.create (from the iam module)."
}

variable "retention_days" {
  type        = number
  description = "Days an export is kept before the lifecycle rule deletes it."
  default     = 35

  validation {
    condition     = var.retention_days >= 7
    error_message = "Keep at least 7 days of exports."
  }
}

variable "schedule" {
  type        = string
  description = "Data Transfer Service schedule (UTC), for example `every day 03:00`."
  default     = "every day 03:00"
}

variable "notify_on_failure" {
  type        = bool
  description = "Email the transfer owner when an export run fails (the alert policy also fires)."
  default     = true
}

variable "kms_key_name" {
  type        = string
  description = "Cloud KMS key for CMEK on the bucket; null keeps Google-managed keys."
  default     = null
}

variable "labels" {
  type        = map(string)
  description = "Labels on the bucket."
  default     = {}
}
