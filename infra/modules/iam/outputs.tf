output "job_runner_role" {
  description = "Id (projects/<p>/roles/<r>) of the custom role that may only start BigQuery jobs."
  value       = google_project_iam_custom_role.job_runner.id
}

output "dataset_writer_role" {
  description = "Id of the custom role granted on the bqcost dataset to the functions that write it."
  value       = google_project_iam_custom_role.dataset_writer.id
}
