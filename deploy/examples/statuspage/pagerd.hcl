# A status page walk-through in one file (README, "Status page"): pagerd
# pages alice on the console, the page publishes SEV1 incidents by itself,
# and subscribers' email goes to an SMTP server on 127.0.0.1:2525 — run
# `python3 -m aiosmtpd -n -l 127.0.0.1:2525` to watch that inbox.
pagerd {
  public_url = "http://localhost:8080"
}
integration "alertmanager" {
  type  = "alertmanager"
  token = file("secrets/alertmanager.token")
}
integration "cli" {
  type  = "api"
  token = file("secrets/api.token")
}
smtp {
  host = "127.0.0.1"
  port = 2525
  from = "status@example.com"
  tls  = "none"
}
user "alice" { email = "alice@example.com" }
escalation "payments" {
  step { notify = ["user:alice"] }
}
service "checkout" {
  escalation = "payments"
  match      = ["service=checkout"]
  group_by   = ["alertname"]
  severity   = { page = "SEV1", critical = "SEV2" }
}
service "catch-all" { escalation = "payments" }

component "Checkout API" {
  group    = "Payments"
  services = ["checkout"]
}
component "Website" { services = ["catch-all"] }

status_page "public" {
  title         = "Example Status"
  components    = ["Checkout API", "Website"]
  auto_publish  = "SEV1"
  subscriptions = ["email", "webhook"]
  reports {}
}
