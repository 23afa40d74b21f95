# State in a versioned GCS bucket (see infra/README.md, "State"). The bucket is per organisation,
# so it is passed at init: terraform init -backend-config="bucket=<state bucket>".
terraform {
  backend "gcs" {
    prefix = "bqcost/prod"
  }
}
