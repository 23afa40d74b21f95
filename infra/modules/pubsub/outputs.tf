output "topic_ids" {
  description = "Topic id (projects/<p>/topics/<name>) by topic name."
  value       = { for name, topic in google_pubsub_topic.main : name => topic.id }
}

output "push_subscriptions" {
  description = "Push subscription name by key."
  value       = { for key, sub in google_pubsub_subscription.push : key => sub.name }
}

output "dead_letter_subscriptions" {
  description = "Dead-letter pull subscription name by key (inspect and replay from these)."
  value       = { for key, sub in google_pubsub_subscription.dead_letter : key => sub.name }
}

output "dead_letter_topics" {
  description = "Dead-letter topic name by key."
  value       = { for key, topic in google_pubsub_topic.dead_letter : key => topic.name }
}
