# The whole bqcost deployment for one environment. Names come from src/domain/topology.ts and
# src/domain/tables.ts; test/infra/topology.test.ts fails when a function, topic, subscription
# or schedule here differs from the code.
locals {
  labels = merge(var.labels, { app = "bqcost", environment = var.environment })

  # Non-secret settings shared by every function (src/config.ts reads them).
  environment = merge(var.settings, {
    BQCOST_WAREHOUSE     = "bigquery"
    GOOGLE_CLOUD_PROJECT = var.project_id
    BQCOST_DATASET       = module.bigquery.dataset_id
    BQCOST_REGION        = var.pricing_region
    BQCOST_LOG_LEVEL     = var.log_level
    SLACK_TEAM_ID        = var.slack_team_id
  })

  secret = module.secrets.secret_ids

  # Every function may start BigQuery jobs; only the analyzer reads INFORMATION_SCHEMA.
  base_roles = [module.iam.job_runner_role]

  apis = toset(concat([
    "artifactregistry.googleapis.com",
    "bigquery.googleapis.com",
    "bigquerydatatransfer.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudfunctions.googleapis.com",
    "cloudscheduler.googleapis.com",
    "iam.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "pubsub.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "storage.googleapis.com",
    ],
    var.enable_private_google_access ? ["vpcaccess.googleapis.com", "compute.googleapis.com"] : [],
    var.enable_vpc_service_controls ? ["accesscontextmanager.googleapis.com"] : [],
  ))
}

resource "google_project_service" "main" {
  for_each = local.apis

  project            = var.project_id
  service            = each.value
  disable_on_destroy = false
}

module "iam" {
  source = "../iam"

  project_id = var.project_id
}

module "secrets" {
  source = "../secrets"

  project_id   = var.project_id
  labels       = local.labels
  kms_key_name = var.kms_key_name
  depends_on   = [google_project_service.main]
}

module "bigquery" {
  source = "../bigquery"

  project_id          = var.project_id
  location            = var.bigquery_location
  deletion_protection = var.deletion_protection
  kms_key_name        = var.kms_key_name
  labels              = local.labels
  depends_on          = [google_project_service.main]
}

module "network" {
  source = "../network"

  project_id                   = var.project_id
  region                       = var.region
  environment                  = var.environment
  enable_private_google_access = var.enable_private_google_access
  enable_vpc_service_controls  = var.enable_vpc_service_controls
  access_policy_id             = var.access_policy_id
  depends_on                   = [google_project_service.main]
}

# Source archive built by .github/workflows/deploy.yml (dist + package files). The object name
# is content-addressed, so a new archive deploys new revisions and an unchanged one nothing.
resource "google_storage_bucket" "sources" {
  project                     = var.project_id
  name                        = "${var.project_id}-bqcost-sources"
  location                    = var.region
  labels                      = local.labels
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"

  lifecycle_rule {
    condition {
      age = 30
    }
    action {
      type = "Delete"
    }
  }
}

resource "google_storage_bucket_object" "source" {
  bucket = google_storage_bucket.sources.name
  name   = "bqcost-${filemd5(var.source_archive)}.zip"
  source = var.source_archive
}

# Cloud Build identity for the function builds (not the default compute service account).
resource "google_service_account" "build" {
  project      = var.project_id
  account_id   = "bqcost-build"
  display_name = "bqcost function builds"
}

resource "google_project_iam_member" "build" {
  for_each = toset(["roles/logging.logWriter", "roles/artifactregistry.writer"])

  project = var.project_id
  role    = each.value
  member  = "serviceAccount:${google_service_account.build.email}"
}

resource "google_storage_bucket_iam_member" "build_source_reader" {
  bucket = google_storage_bucket.sources.name
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:${google_service_account.build.email}"
}

module "fn_slack" {
  source = "../function"

  project_id               = var.project_id
  region                   = var.region
  name                     = "bqcost-slack"
  entry_point              = "slack"
  account_id               = "bqcost-fn-slack"
  description              = "Slack receiver: verifies, acks within 3 s, hands slow work to Pub/Sub."
  public                   = true
  min_instances            = var.slack_min_instances
  max_instances            = var.max_instances
  concurrency              = 20
  timeout_seconds          = 30
  memory                   = "512Mi"
  source_bucket            = google_storage_bucket.sources.name
  source_object            = google_storage_bucket_object.source.name
  build_service_account_id = google_service_account.build.id
  environment              = local.environment
  secrets = {
    SLACK_SIGNING_SECRET = local.secret["slack_signing_secret"]
    SLACK_BOT_TOKEN      = local.secret["slack_bot_token"]
  }
  project_roles = local.base_roles
  dataset_id    = module.bigquery.dataset_id
  dataset_role  = module.iam.dataset_writer_role
  vpc_connector = module.network.vpc_connector
  labels        = local.labels
  depends_on    = [google_project_service.main]
}

module "fn_analysis_worker" {
  source = "../function"

  project_id               = var.project_id
  region                   = var.region
  name                     = "bqcost-analysis-worker"
  entry_point              = "analysisWorker"
  account_id               = "bqcost-fn-analysis"
  description              = "Runs an analysis over INFORMATION_SCHEMA and stores recommendations and anomalies."
  min_instances            = 0
  max_instances            = 2
  timeout_seconds          = 540
  memory                   = "2Gi"
  source_bucket            = google_storage_bucket.sources.name
  source_object            = google_storage_bucket_object.source.name
  build_service_account_id = google_service_account.build.id
  environment              = local.environment
  secrets                  = {}
  # INFORMATION_SCHEMA.JOBS_BY_PROJECT needs bigquery.jobs.listAll: resourceViewer, analyzer only.
  project_roles = concat(local.base_roles, ["roles/bigquery.resourceViewer"])
  dataset_id    = module.bigquery.dataset_id
  dataset_role  = module.iam.dataset_writer_role
  vpc_connector = module.network.vpc_connector
  labels        = local.labels
  depends_on    = [google_project_service.main]
}

module "fn_notifier" {
  source = "../function"

  project_id               = var.project_id
  region                   = var.region
  name                     = "bqcost-notifier"
  entry_point              = "notifier"
  account_id               = "bqcost-fn-notifier"
  description              = "Posts recommendation cards to Slack, once per card (posted ledger)."
  min_instances            = 0
  max_instances            = 3
  timeout_seconds          = 120
  memory                   = "512Mi"
  source_bucket            = google_storage_bucket.sources.name
  source_object            = google_storage_bucket_object.source.name
  build_service_account_id = google_service_account.build.id
  environment              = local.environment
  secrets = {
    SLACK_BOT_TOKEN = local.secret["slack_bot_token"]
  }
  project_roles = local.base_roles
  dataset_id    = module.bigquery.dataset_id
  dataset_role  = module.iam.dataset_writer_role
  vpc_connector = module.network.vpc_connector
  labels        = local.labels
  depends_on    = [google_project_service.main]
}

module "fn_digest" {
  source = "../function"

  project_id               = var.project_id
  region                   = var.region
  name                     = "bqcost-digest"
  entry_point              = "digest"
  account_id               = "bqcost-fn-digest"
  description              = "Posts the daily digest with realized savings."
  min_instances            = 0
  max_instances            = 1
  timeout_seconds          = 300
  memory                   = "1Gi"
  source_bucket            = google_storage_bucket.sources.name
  source_object            = google_storage_bucket_object.source.name
  build_service_account_id = google_service_account.build.id
  environment              = local.environment
  secrets = {
    SLACK_BOT_TOKEN = local.secret["slack_bot_token"]
  }
  project_roles = local.base_roles
  dataset_id    = module.bigquery.dataset_id
  dataset_role  = module.iam.dataset_writer_role
  vpc_connector = module.network.vpc_connector
  labels        = local.labels
  depends_on    = [google_project_service.main]
}

module "fn_escalation" {
  source = "../function"

  project_id               = var.project_id
  region                   = var.region
  name                     = "bqcost-escalation"
  entry_point              = "escalation"
  account_id               = "bqcost-fn-escalation"
  description              = "Posts anomaly alerts and pages on-call when nobody acknowledges in time."
  min_instances            = 0
  max_instances            = 1
  timeout_seconds          = 60
  memory                   = "512Mi"
  source_bucket            = google_storage_bucket.sources.name
  source_object            = google_storage_bucket_object.source.name
  build_service_account_id = google_service_account.build.id
  environment              = local.environment
  secrets = {
    SLACK_BOT_TOKEN       = local.secret["slack_bot_token"]
    PAGERDUTY_ROUTING_KEY = local.secret["pagerduty_routing_key"]
  }
  project_roles = local.base_roles
  dataset_id    = module.bigquery.dataset_id
  dataset_role  = module.iam.dataset_writer_role
  vpc_connector = module.network.vpc_connector
  labels        = local.labels
  depends_on    = [google_project_service.main]
}

module "pubsub" {
  source = "../pubsub"

  project_id   = var.project_id
  region       = var.region
  kms_key_name = var.kms_key_name
  labels       = local.labels
  topics = [
    "bqcost-analysis-requests",
    "bqcost-notifications",
    "bqcost-digest-ticks",
    "bqcost-escalation",
  ]

  # ack_deadline_seconds >= the function's timeout_seconds (checked by the topology test).
  subscriptions = {
    "bqcost-analysis-worker" = {
      topic                 = "bqcost-analysis-requests"
      push_endpoint         = module.fn_analysis_worker.uri
      push_service          = module.fn_analysis_worker.name
      push_account_id       = "bqcost-push-analysis"
      ack_deadline_seconds  = 570
      max_delivery_attempts = 5
      minimum_backoff       = "60s"
      maximum_backoff       = "600s"
      message_retention     = "604800s"
    }
    "bqcost-notifier" = {
      topic                 = "bqcost-notifications"
      push_endpoint         = module.fn_notifier.uri
      push_service          = module.fn_notifier.name
      push_account_id       = "bqcost-push-notifier"
      ack_deadline_seconds  = 150
      max_delivery_attempts = 10
      minimum_backoff       = "10s"
      maximum_backoff       = "600s"
      message_retention     = "604800s"
    }
    "bqcost-digest" = {
      topic                 = "bqcost-digest-ticks"
      push_endpoint         = module.fn_digest.uri
      push_service          = module.fn_digest.name
      push_account_id       = "bqcost-push-digest"
      ack_deadline_seconds  = 330
      max_delivery_attempts = 5
      minimum_backoff       = "30s"
      maximum_backoff       = "600s"
      message_retention     = "86400s"
    }
    "bqcost-escalation" = {
      topic                 = "bqcost-escalation"
      push_endpoint         = module.fn_escalation.uri
      push_service          = module.fn_escalation.name
      push_account_id       = "bqcost-push-escalation"
      ack_deadline_seconds  = 90
      max_delivery_attempts = 10
      minimum_backoff       = "10s"
      maximum_backoff       = "300s"
      message_retention     = "86400s"
    }
  }

  # Topology `needs: publish`: the Slack receiver hands analysis requests off; the analysis
  # worker publishes cards to post and anomaly alerts.
  publishers = {
    slack = {
      member = module.fn_slack.member
      topics = ["bqcost-analysis-requests"]
    }
    analysisWorker = {
      member = module.fn_analysis_worker.member
      topics = ["bqcost-notifications", "bqcost-escalation"]
    }
  }

  depends_on = [google_project_service.main]
}

module "scheduler" {
  source = "../scheduler"

  project_id = var.project_id
  region     = var.region
  paused     = var.pause_schedules
  jobs = {
    "daily-analysis" = {
      schedule = "0 5 * * *"
      topic_id = module.pubsub.topic_ids["bqcost-analysis-requests"]
      payload  = { v = 1, type = "analysis.request", scope = "org", windowDays = 30 }
    }
    "daily-digest" = {
      schedule = "0 8 * * *"
      topic_id = module.pubsub.topic_ids["bqcost-digest-ticks"]
      payload  = { v = 1, type = "digest.tick" }
    }
    "escalation-tick" = {
      schedule = "* * * * *"
      topic_id = module.pubsub.topic_ids["bqcost-escalation"]
      payload  = { v = 1, type = "escalation.tick" }
    }
  }

  depends_on = [google_project_service.main]
}

module "backups" {
  source = "../backups"

  project_id      = var.project_id
  location        = var.bigquery_location
  dataset_id      = module.bigquery.dataset_id
  table_ids       = module.bigquery.table_ids
  bucket_name     = var.backup_bucket_name
  retention_days  = var.backup_retention_days
  job_runner_role = module.iam.job_runner_role
  kms_key_name    = var.kms_key_name
  labels          = local.labels
  depends_on      = [google_project_service.main]
}

module "monitoring" {
  source = "../monitoring"

  project_id  = var.project_id
  environment = var.environment
  functions = {
    slack          = module.fn_slack.name
    analysisWorker = module.fn_analysis_worker.name
    notifier       = module.fn_notifier.name
    digest         = module.fn_digest.name
    escalation     = module.fn_escalation.name
  }
  slack_service             = module.fn_slack.name
  analysis_component        = "analysisWorker"
  push_subscriptions        = values(module.pubsub.push_subscriptions)
  dead_letter_subscriptions = values(module.pubsub.dead_letter_subscriptions)
  notification_emails       = var.notification_emails
  enable_pagerduty          = var.enable_pagerduty
  pagerduty_service_key     = var.pagerduty_service_key
  runbook_base_url          = var.runbook_base_url
  logs_location             = var.bigquery_location
  depends_on                = [google_project_service.main]
}
