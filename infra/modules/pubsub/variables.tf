variable "project_id" {
  type        = string
  description = "Project of the topics and subscriptions."
}

variable "region" {
  type        = string
  description = "Region of the functions the subscriptions push to."
}

variable "topics" {
  type        = set(string)
  description = "Topic ids, exactly the values of `topics` in src/domain/topology.ts."
}

variable "subscriptions" {
  type = map(object({
    topic                 = string
    push_endpoint         = string
    push_service          = string
    push_account_id       = string
    ack_deadline_seconds  = number
    max_delivery_attempts = number
    minimum_backoff       = string
    maximum_backoff       = string
    message_retention     = string
  }))
  description = "One push subscription per Pub/Sub-triggered function, keyed by a short name. push_endpoint is the function's base URL (also the OIDC audience). ack_deadline_seconds must be >= the function's timeout (max 600)."

  validation {
    condition = alltrue([
      for s in values(var.subscriptions) :
      s.ack_deadline_seconds >= 10 && s.ack_deadline_seconds <= 600 &&
      s.max_delivery_attempts >= 5 && s.max_delivery_attempts <= 100
    ])
    error_message = "ack_deadline_seconds must be 10..600 and max_delivery_attempts 5..100 (Pub/Sub limits)."
  }
}

variable "publishers" {
  type = map(object({
    member = string
    topics = list(string)
  }))
  description = "Who may publish to which topics, keyed by a static name (the function)."
  default     = {}
}

variable "topic_retention" {
  type        = string
  description = "Topic message retention, so a subscription can be seeked back after a bad deploy."
  default     = "604800s"
}

variable "dead_letter_retention" {
  type        = string
  description = "How long dead-lettered messages stay available for inspection and replay."
  default     = "1209600s"
}

variable "kms_key_name" {
  type        = string
  description = "Cloud KMS key for CMEK on the topics; null keeps Google-managed keys."
  default     = null
}

variable "labels" {
  type        = map(string)
  description = "Labels on every topic and subscription."
  default     = {}
}
