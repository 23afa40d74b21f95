variable "project_id" {
  type        = string
  description = "Project of the bqcost dataset."
}

variable "location" {
  type        = string
  description = "BigQuery location of the dataset (US, EU or a region); keep it where INFORMATION_SCHEMA is read."
}

variable "dataset_id" {
  type        = string
  description = "Dataset id."
  default     = "bqcost"
}

variable "deletion_protection" {
  type        = bool
  description = "Refuse to destroy tables from Terraform (true in prod)."
  default     = true
}

variable "kms_key_name" {
  type        = string
  description = "Cloud KMS key for CMEK on the dataset and tables; null keeps Google-managed keys."
  default     = null
}

variable "labels" {
  type        = map(string)
  description = "Labels on the dataset and tables."
  default     = {}
}
