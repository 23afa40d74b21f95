provider "google" {
  project = var.project_id
  region  = var.region
}

# Dev: no warm instances, hardening switches off, tables may be destroyed.
module "bqcost" {
  source = "../../modules/bqcost"

  project_id          = var.project_id
  environment         = "dev"
  region              = var.region
  bigquery_location   = var.bigquery_location
  source_archive      = var.source_archive
  slack_min_instances = 0
  max_instances       = 3
  log_level           = "debug"
  notification_emails = var.notification_emails
  enable_pagerduty    = false
  runbook_base_url    = var.runbook_base_url
  # Owner routing rules (config/routing.example.json's format), passed inline to every function.
  settings = merge(var.settings, var.routing_file == null ? {} : {
    BQCOST_ROUTING_JSON = file(var.routing_file)
  })
  slack_team_id         = var.slack_team_id
  backup_bucket_name    = var.backup_bucket_name
  backup_retention_days = 7
  deletion_protection   = false

  enable_private_google_access = false
  enable_vpc_service_controls  = false
  kms_key_name                 = null
}
