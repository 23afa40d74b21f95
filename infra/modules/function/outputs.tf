output "name" {
  description = "Function (and Cloud Run service) name."
  value       = google_cloudfunctions2_function.main.name
}

output "uri" {
  description = "HTTPS endpoint (the default run.app URL, which VPC-SC requires for push)."
  value       = google_cloudfunctions2_function.main.service_config[0].uri
}

output "service_account_email" {
  description = "The function's own service account."
  value       = google_service_account.main.email
}

output "member" {
  description = "IAM member string of the function's service account."
  value       = "serviceAccount:${google_service_account.main.email}"
}
