provider "google" {
  project = var.project_id
  region  = var.region
}

# Prod: a warm Slack receiver (ack inside 3 s), PagerDuty, protected tables, and the hardening
# switches as variables (see modules/network/README.md before turning VPC-SC on).
module "bqcost" {
  source = "../../modules/bqcost"

  project_id            = var.project_id
  environment           = "prod"
  region                = var.region
  bigquery_location     = var.bigquery_location
  source_archive        = var.source_archive
  slack_min_instances   = 1
  max_instances         = 20
  log_level             = "info"
  notification_emails   = var.notification_emails
  enable_pagerduty      = true
  pagerduty_service_key = var.pagerduty_service_key
  runbook_base_url      = var.runbook_base_url
  # Owner routing rules (config/routing.example.json's format), passed inline to every function.
  settings = merge(var.settings, var.routing_file == null ? {} : {
    BQCOST_ROUTING_JSON = file(var.routing_file)
  })
  slack_team_id         = var.slack_team_id
  backup_bucket_name    = var.backup_bucket_name
  backup_retention_days = 35
  deletion_protection   = true

  enable_private_google_access = var.enable_private_google_access
  enable_vpc_service_controls  = var.enable_vpc_service_controls
  access_policy_id             = var.access_policy_id
  kms_key_name                 = var.kms_key_name
}
