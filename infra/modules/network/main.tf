# Prod hardening switches, both off by default (dev):
# - enable_private_google_access: a VPC with a Private Google Access subnet and a Serverless VPC
#   Access connector; functions then send all egress through it (Google APIs stay on Google's
#   network; Slack and PagerDuty go out through Cloud NAT).
# - enable_vpc_service_controls: a service perimeter around the project for BigQuery, Pub/Sub,
#   Secret Manager, Cloud Functions, Cloud Run and Storage. Pub/Sub push into the perimeter only
#   works to the default run.app URLs, which is what modules/function outputs.
data "google_project" "main" {
  project_id = var.project_id
}

resource "google_compute_network" "main" {
  count = var.enable_private_google_access ? 1 : 0

  project                 = var.project_id
  name                    = "${var.name_prefix}-vpc"
  auto_create_subnetworks = false
}

resource "google_compute_subnetwork" "main" {
  count = var.enable_private_google_access ? 1 : 0

  project                  = var.project_id
  region                   = var.region
  name                     = "${var.name_prefix}-${var.region}"
  network                  = google_compute_network.main[0].id
  ip_cidr_range            = var.subnet_cidr
  private_ip_google_access = true
}

resource "google_vpc_access_connector" "main" {
  count = var.enable_private_google_access ? 1 : 0

  project       = var.project_id
  region        = var.region
  name          = "${var.name_prefix}-conn"
  ip_cidr_range = var.connector_cidr
  network       = google_compute_network.main[0].name
  min_instances = 2
  max_instances = 3
}

resource "google_compute_router" "main" {
  count = var.enable_private_google_access ? 1 : 0

  project = var.project_id
  region  = var.region
  name    = "${var.name_prefix}-router"
  network = google_compute_network.main[0].id
}

resource "google_compute_router_nat" "main" {
  count = var.enable_private_google_access ? 1 : 0

  project                            = var.project_id
  region                             = var.region
  name                               = "${var.name_prefix}-nat"
  router                             = google_compute_router.main[0].name
  nat_ip_allocate_option             = "AUTO_ONLY"
  source_subnetwork_ip_ranges_to_nat = "ALL_SUBNETWORKS_ALL_IP_RANGES"

  log_config {
    enable = true
    filter = "ERRORS_ONLY"
  }
}

resource "google_access_context_manager_service_perimeter" "main" {
  count = var.enable_vpc_service_controls ? 1 : 0

  parent = "accessPolicies/${var.access_policy_id}"
  name   = "accessPolicies/${var.access_policy_id}/servicePerimeters/${var.name_prefix}_${var.environment}"
  title  = "${var.name_prefix}-${var.environment}"

  status {
    resources           = ["projects/${data.google_project.main.number}"]
    restricted_services = var.restricted_services

    vpc_accessible_services {
      enable_restriction = true
      allowed_services   = ["RESTRICTED-SERVICES"]
    }
  }

  lifecycle {
    precondition {
      condition     = var.access_policy_id != null
      error_message = "enable_vpc_service_controls needs access_policy_id (the organisation's Access Context Manager policy)."
    }
  }
}
