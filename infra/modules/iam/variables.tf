variable "project_id" {
  type        = string
  description = "Project where the custom roles are defined."
}

variable "role_id_prefix" {
  type        = string
  description = "camelCase prefix of the custom role ids (role ids allow letters, digits, `_` and `.`)."
  default     = "bqcost"

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9_.]{0,40}$", var.role_id_prefix))
    error_message = "role_id_prefix must start with a letter and contain only letters, digits, _ and ."
  }
}
