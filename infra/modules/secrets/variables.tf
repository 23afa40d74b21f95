variable "project_id" {
  type        = string
  description = "Project that holds the secrets."
}

variable "name_prefix" {
  type        = string
  description = "Prefix of every secret id (for example `bqcost`)."
  default     = "bqcost"
}

variable "labels" {
  type        = map(string)
  description = "Labels applied to every secret."
  default     = {}
}

variable "kms_key_name" {
  type        = string
  description = "Cloud KMS key for CMEK encryption of the secret payloads; null keeps Google-managed keys."
  default     = null
}
