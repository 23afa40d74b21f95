variable "project_id" {
  type        = string
  description = "Project to protect."
}

variable "region" {
  type        = string
  description = "Region of the subnet and connector (the functions' region)."
}

variable "environment" {
  type        = string
  description = "Environment name (dev, prod), part of the perimeter name."
}

variable "name_prefix" {
  type        = string
  description = "Prefix of network resource names."
  default     = "bqcost"
}

variable "enable_private_google_access" {
  type        = bool
  description = "Create a VPC with Private Google Access, a Serverless VPC Access connector and Cloud NAT, and route function egress through it."
  default     = false
}

variable "subnet_cidr" {
  type        = string
  description = "CIDR of the Private Google Access subnet."
  default     = "10.10.0.0/24"
}

variable "connector_cidr" {
  type        = string
  description = "Unused /28 for the Serverless VPC Access connector."
  default     = "10.10.1.0/28"
}

variable "enable_vpc_service_controls" {
  type        = bool
  description = "Put the project inside a VPC Service Controls perimeter (needs access_policy_id and organisation-level rights)."
  default     = false
}

variable "access_policy_id" {
  type        = string
  description = "Numeric id of the organisation's Access Context Manager policy (only with enable_vpc_service_controls)."
  default     = null
}

variable "restricted_services" {
  type        = list(string)
  description = "APIs the perimeter restricts."
  default = [
    "bigquery.googleapis.com",
    "bigquerydatatransfer.googleapis.com",
    "cloudfunctions.googleapis.com",
    "logging.googleapis.com",
    "pubsub.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "storage.googleapis.com",
  ]
}
