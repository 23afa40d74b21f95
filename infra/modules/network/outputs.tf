output "vpc_connector" {
  description = "Serverless VPC Access connector id for the functions, or null when Private Google Access is off."
  value       = var.enable_private_google_access ? google_vpc_access_connector.main[0].id : null
}

output "perimeter_name" {
  description = "The service perimeter's name, or null when VPC Service Controls is off."
  value       = var.enable_vpc_service_controls ? google_access_context_manager_service_perimeter.main[0].name : null
}
