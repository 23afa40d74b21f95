# Custom roles where the predefined ones grant too much:
# - roles/bigquery.jobUser also grants the project listing permissions; bqcost only starts jobs.
# - roles/bigquery.dataEditor on the dataset also grants tables.delete, tables.update (schema and
#   options), routines and models; the functions only append rows, read them and create the
#   engine's cache table (cost_facts).
resource "google_project_iam_custom_role" "job_runner" {
  project     = var.project_id
  role_id     = "${var.role_id_prefix}JobRunner"
  title       = "bqcost job runner"
  description = "Start BigQuery query jobs and read their results; nothing else."
  permissions = ["bigquery.jobs.create"]
}

resource "google_project_iam_custom_role" "dataset_writer" {
  project     = var.project_id
  role_id     = "${var.role_id_prefix}DatasetWriter"
  title       = "bqcost dataset writer"
  description = "Granted on the bqcost dataset only: append, read and create tables; never delete or alter them."
  permissions = [
    "bigquery.tables.create",
    "bigquery.tables.get",
    "bigquery.tables.getData",
    "bigquery.tables.list",
    "bigquery.tables.updateData",
  ]
}
