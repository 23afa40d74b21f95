# Topics from src/domain/topology.ts, and one push subscription per worker that bqcost owns
# (RELIABILITY.md: the subscription Eventarc creates has no dead-letter topic and 24 h retention,
# and Terraform cannot configure it). Each subscription gets: OIDC-authenticated push with its
# own service account, a dead-letter topic with a pull subscription to inspect and replay from,
# bounded delivery attempts, exponential retry backoff, retention, and an ack deadline at least
# the function's timeout (a shorter one redelivers messages that are still being processed).
data "google_project" "main" {
  project_id = var.project_id
}

locals {
  pubsub_agent = "serviceAccount:service-${data.google_project.main.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
  publisher_grants = merge([
    for name, publisher in var.publishers : {
      for topic in publisher.topics : "${name}/${topic}" => { member = publisher.member, topic = topic }
    }
  ]...)
}

resource "google_pubsub_topic" "main" {
  for_each = var.topics

  project                    = var.project_id
  name                       = each.value
  labels                     = var.labels
  kms_key_name               = var.kms_key_name
  message_retention_duration = var.topic_retention
}

resource "google_pubsub_topic" "dead_letter" {
  for_each = var.subscriptions

  project      = var.project_id
  name         = "${each.key}-dead-letter"
  labels       = var.labels
  kms_key_name = var.kms_key_name
}

# Where dead-lettered messages wait to be inspected and replayed (docs/runbooks/dead-letters.md).
# Without a subscription, messages published to the dead-letter topic would be lost.
resource "google_pubsub_subscription" "dead_letter" {
  for_each = var.subscriptions

  project                    = var.project_id
  name                       = "${each.key}-dead-letter"
  topic                      = google_pubsub_topic.dead_letter[each.key].id
  labels                     = var.labels
  ack_deadline_seconds       = 60
  message_retention_duration = var.dead_letter_retention

  expiration_policy {
    ttl = ""
  }
}

resource "google_service_account" "push" {
  for_each = var.subscriptions

  project      = var.project_id
  account_id   = each.value.push_account_id
  display_name = "bqcost push ${each.key}"
  description  = "Identity in the OIDC token of the ${each.key} push subscription; may only invoke that one function."
}

resource "google_pubsub_subscription" "push" {
  for_each = var.subscriptions

  project                    = var.project_id
  name                       = "${each.key}-push"
  topic                      = google_pubsub_topic.main[each.value.topic].id
  labels                     = var.labels
  ack_deadline_seconds       = each.value.ack_deadline_seconds
  message_retention_duration = each.value.message_retention
  retain_acked_messages      = false

  expiration_policy {
    ttl = ""
  }

  retry_policy {
    minimum_backoff = each.value.minimum_backoff
    maximum_backoff = each.value.maximum_backoff
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter[each.key].id
    max_delivery_attempts = each.value.max_delivery_attempts
  }

  # functions-framework turns a raw push body into the CloudEvent the worker registers for and
  # takes the event's source topic from this path; the OIDC audience is the service URL.
  push_config {
    push_endpoint = "${each.value.push_endpoint}/projects/${var.project_id}/topics/${each.value.topic}"

    oidc_token {
      service_account_email = google_service_account.push[each.key].email
      audience              = each.value.push_endpoint
    }
  }

  depends_on = [
    google_pubsub_topic_iam_member.dead_letter_publisher,
    google_service_account_iam_member.push_token_creator,
  ]
}

# The push identity may invoke its own function and nothing else.
resource "google_cloud_run_v2_service_iam_member" "push_invoker" {
  for_each = var.subscriptions

  project  = var.project_id
  location = var.region
  name     = each.value.push_service
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.push[each.key].email}"
}

# Pub/Sub mints the OIDC token as the push account: Token Creator on that account only.
resource "google_service_account_iam_member" "push_token_creator" {
  for_each = var.subscriptions

  service_account_id = google_service_account.push[each.key].name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.pubsub_agent
}

# Dead-lettering needs the Pub/Sub service agent to publish to the dead-letter topic and to
# acknowledge on the source subscription.
resource "google_pubsub_topic_iam_member" "dead_letter_publisher" {
  for_each = var.subscriptions

  project = var.project_id
  topic   = google_pubsub_topic.dead_letter[each.key].name
  role    = "roles/pubsub.publisher"
  member  = local.pubsub_agent
}

resource "google_pubsub_subscription_iam_member" "source_subscriber" {
  for_each = var.subscriptions

  project      = var.project_id
  subscription = google_pubsub_subscription.push[each.key].name
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_agent
}

# Publish rights per topic, never project-wide.
resource "google_pubsub_topic_iam_member" "publisher" {
  for_each = local.publisher_grants

  project = var.project_id
  topic   = google_pubsub_topic.main[each.value.topic].name
  role    = "roles/pubsub.publisher"
  member  = each.value.member
}
