variable "project_id" {
  type        = string
  description = "Project of the scheduler jobs."
}

variable "region" {
  type        = string
  description = "Cloud Scheduler region."
}

variable "jobs" {
  type = map(object({
    schedule = string
    topic_id = string
    payload = object({
      v          = number
      type       = string
      scope      = optional(string)
      windowDays = optional(number)
    })
  }))
  description = "Schedule name (topology.ts `schedules[].name`) => cron (UTC), topic id and the static part of the message (src/domain/messages.ts)."
}

variable "paused" {
  type        = bool
  description = "Pause every job (for example in a dev project between tests)."
  default     = false
}
