# The secret containers only. Values are added out of band (`gcloud secrets versions add`, see
# docs/runbooks and the module README) so no secret ever passes through Terraform state or code.
locals {
  secrets = {
    slack_signing_secret  = "${var.name_prefix}-slack-signing-secret"
    slack_bot_token       = "${var.name_prefix}-slack-bot-token"
    pagerduty_routing_key = "${var.name_prefix}-pagerduty-routing-key"
  }
}

resource "google_secret_manager_secret" "main" {
  for_each = local.secrets

  project   = var.project_id
  secret_id = each.value
  labels    = var.labels

  replication {
    auto {
      dynamic "customer_managed_encryption" {
        for_each = var.kms_key_name == null ? [] : [var.kms_key_name]
        content {
          kms_key_name = customer_managed_encryption.value
        }
      }
    }
  }
}
