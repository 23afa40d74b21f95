variable "project_id" {
  type        = string
  description = "Project the function runs in."
}

variable "region" {
  type        = string
  description = "Cloud Functions region (for example europe-west1)."
}

variable "name" {
  type        = string
  description = "Function (and Cloud Run service) name."
}

variable "entry_point" {
  type        = string
  description = "functions-framework target exported by src/index.ts; one of topology.ts functionNames."
}

variable "account_id" {
  type        = string
  description = "account_id of the function's own service account (6-30 chars)."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.account_id))
    error_message = "account_id must be 6-30 lowercase letters, digits or hyphens."
  }
}

variable "description" {
  type        = string
  description = "What the function does."
  default     = ""
}

variable "public" {
  type        = bool
  description = "Allow unauthenticated invocations from the internet (the Slack receiver only)."
  default     = false
}

variable "runtime" {
  type        = string
  description = "Cloud Functions runtime."
  default     = "nodejs20"
}

variable "source_bucket" {
  type        = string
  description = "Bucket holding the source archive built by the deploy workflow."
}

variable "source_object" {
  type        = string
  description = "Object name of the source archive (content-addressed, so a new archive redeploys)."
}

variable "build_service_account_id" {
  type        = string
  description = "Full id (projects/<p>/serviceAccounts/<email>) of the Cloud Build service account; never the default compute account."
}

variable "min_instances" {
  type        = number
  description = "Minimum warm instances (>= 1 keeps the Slack ack inside 3 s after idle periods)."
  default     = 0
}

variable "max_instances" {
  type        = number
  description = "Upper bound on instances (caps cost and BigQuery/Slack concurrency)."
  default     = 10
}

variable "concurrency" {
  type        = number
  description = "Requests served concurrently by one instance."
  default     = 1
}

variable "cpu" {
  type        = string
  description = "vCPUs per instance (string, for example \"1\")."
  default     = "1"
}

variable "memory" {
  type        = string
  description = "Memory per instance (for example 512Mi)."
  default     = "512Mi"
}

variable "timeout_seconds" {
  type        = number
  description = "Request timeout; the push subscription's ack deadline must be at least this."
}

variable "environment" {
  type        = map(string)
  description = "Plain (non-secret) environment variables."
  default     = {}
}

variable "secrets" {
  type        = map(string)
  description = "Secret environment variables: env var name => Secret Manager secret id. The function's SA gets secretAccessor on exactly these."
  default     = {}
}

variable "project_roles" {
  type        = list(string)
  description = "Project-level roles for the function's service account (custom or narrow predefined roles)."
  default     = []
}

variable "dataset_id" {
  type        = string
  description = "The bqcost dataset id, for dataset_role."
  default     = null
}

variable "dataset_role" {
  type        = string
  description = "Role granted on the bqcost dataset only (null for none)."
  default     = null
}

variable "vpc_connector" {
  type        = string
  description = "Serverless VPC Access connector id for egress through the VPC (null: none)."
  default     = null
}

variable "labels" {
  type        = map(string)
  description = "Labels on the function."
  default     = {}
}
