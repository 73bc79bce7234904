# Daemon-wide settings, inbound integrations and outbound providers.
#
# pagerd loads every *.hcl file of this directory (in name order) as one
# config: blocks may refer to each other across files. Run
#
#   pagerd check deploy/examples/config
#
# after every edit; it prints each problem with its file:line and exits 1
# when the config is unusable. A running daemon reloads on SIGHUP and keeps
# the last good config if the new one is invalid.
#
# Secrets never sit in these files as text: integration tokens, Twilio
# credentials, the SMTP password and link_secret must be written as
# env("NAME") or file("path"). This example reads its tokens from files under
# secrets/ (example-only values, see secrets/README) so that it runs with no
# environment variables set.

pagerd {
  # Base URL people and Twilio reach pagerd at: ack links and the Twilio
  # webhook URL are built from it.
  public_url = "http://localhost:8080"

  # HMAC key for ack links and calendar feed URLs. Optional: without it
  # pagerd generates one and keeps it in Redis.
  link_secret = file("secrets/link.key")

  link_ttl           = "24h"  # how long an ack link stays valid
  ack_timeout        = "30m"  # page again if an acked incident is still open after this; omit for never
  resolved_retention = "168h" # keep resolved incidents a week (durations are Go durations: s, m, h)
  resolve_timeout    = "5m"   # API alerts without endsAt resolve after this
}

# Prometheus Alertmanager posts its webhooks here. Every integration has its
# own token; a request is matched to its integration by token.
integration "alertmanager" {
  type  = "alertmanager" # alertmanager | api
  token = file("secrets/alertmanager.token")
}

# The REST API and the pagerd CLI verbs (incidents, ack, resolve).
integration "ops-cli" {
  type  = "api"
  token = file("secrets/api.token")
}

# SMS and voice. With either credential unset (as here, when
# TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN are not exported) Twilio is disabled:
# `check` warns, and SMS and voice pages are printed to the console.
twilio {
  account_sid = env("TWILIO_ACCOUNT_SID")
  auth_token  = env("TWILIO_AUTH_TOKEN")
  from        = "+15550000000"
}

# Email. username and password are optional (no authentication); when they
# are written but their variables are unset, email is disabled like Twilio.
smtp {
  host     = "localhost"
  port     = 25
  from     = "pagerd@example.com"
  username = env("SMTP_USER")
  password = env("SMTP_PASSWORD")
  tls      = "opportunistic" # none | opportunistic | mandatory
}
