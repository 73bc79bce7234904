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

  # An alert no service matches would page no one, so `check` wants a
  # catch-all service (services.hcl ends with one) or this policy, which
  # keeps such alerts as "unrouted" incidents that page nobody until a
  # reload gives them a service:
  # unrouted = "record"

  # Alert storms: once more than `incidents` new incidents of one service
  # opened within `window`, the next ones fold into one storm incident that
  # pages once (and lists them) until none comes for `window`. 0: off.
  storm {
    incidents = 5
    window    = "5m"
  }

  # Flapping alerts: an alert that changed between firing and resolved more
  # than `changes` times within `window` pages once more, marked FLAPPING,
  # then never for its flips; it resolves once it stayed resolved for
  # `hold`. 0: off. These are the defaults; services may set their own.
  flapping {
    changes = 4
    window  = "1h"
    hold    = "15m"
  }
}

# Prometheus Alertmanager posts its webhooks here (and Prometheus itself,
# to /api/v2/alerts). Every integration has its own token; a request is
# matched to its integration by token.
integration "alertmanager" {
  type  = "alertmanager" # alertmanager | grafana | pagerduty | api
  token = file("secrets/alertmanager.token")
}

# Grafana alerting's webhook contact point: URL
# http://localhost:8080/v1/webhooks/grafana, Authorization header
# credentials = this token (scheme Bearer). Its alerts group and deduplicate
# as Alertmanager's, and pages show Grafana's dashboard, panel and silence
# links.
integration "grafana" {
  type  = "grafana"
  token = file("secrets/grafana.token")
}

# Anything that sends PagerDuty Events API v2 events pages through pagerd
# when only its URL changes: point it at http://localhost:8080/v2/enqueue
# (change events: /v2/change/enqueue) and keep its routing_key, which is
# this token. service pins every event of this key to one service, as a
# PagerDuty routing key belongs to one; rate_limit answers 429 above it.
integration "datadog" {
  type       = "pagerduty"
  token      = file("secrets/pagerduty.routing-key")
  service    = "checkout"
  rate_limit = "120/m"
}

# The REST API and the pagerd CLI verbs (incidents, show, ack, resolve,
# escalate, note, changes).
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

# An outgoing webhook: a JSON POST, signed the Standard Webhooks way
# (webhook-id, webhook-timestamp, webhook-signature), for every event of the
# services that list it in subscribers (see services.hcl), in order, retried
# until the receiver takes it. A step may page one too: notify =
# ["webhook:audit"]. With AUDIT_WEBHOOK_SECRET unset (as here) it is
# switched off with a warning; set it (e.g. "whsec_" + 32 random bytes in
# base64) to switch it on.
webhook "audit" {
  url    = "http://localhost:9000/pagerd"
  secret = env("AUDIT_WEBHOOK_SECRET")
  events = ["triggered", "acknowledged", "escalated", "resolved", "note"]
}

# Slack (docs/chat.md says how to create the app). Rooms are Slack channels
# the app was invited to, named "slack:NAME" in a step (paged, with
# Acknowledge / Resolve / Escalate-now / Take-command buttons) or in a
# service's subscribers (kept told of every incident it owns); a user's
# slack_id lets a notify rule say via = "slack" (a direct message). Every
# message follows its incident: edited in place, and each fact replied in
# its thread; people's replies in that thread are their notes (the app's
# event subscription, <public_url>/v1/slack/events). With
# SLACK_BOT_TOKEN or SLACK_SIGNING_SECRET unset (as here) Slack is switched
# off with a warning: rooms stay valid targets and print to the console.
slack {
  bot_token      = env("SLACK_BOT_TOKEN")      # xoxb-..., OAuth & Permissions
  signing_secret = env("SLACK_SIGNING_SECRET") # Basic Information → App Credentials
  room "#payments-oncall" { channel = "C0123456789" }
}

# Mattermost (docs/chat.md says how to create the bot account or the
# incoming webhook). A room is a channel, named "mattermost:NAME" in a
# step's notify (paged, with Acknowledge / Resolve / Escalate-now /
# Take-command buttons) or in a service's subscribers (kept told of every
# incident it owns); a user's mattermost_username lets a notify rule say
# via = "mattermost" (a direct message). Through the bot, every post
# follows its incident: edited in place, each fact replied in its thread;
# through a webhook alone, each change is a follow-up post. A room whose
# channel has an outgoing webhook (its token as outgoing_token) takes
# people's replies in those threads as their notes. Buttons call back
# <public_url>/v1/mattermost/action, which the Mattermost server must
# reach. With MATTERMOST_BOT_TOKEN unset (as here) Mattermost is switched
# off with a warning: rooms stay valid targets and print to the console.
mattermost {
  url       = "https://chat.example.com"
  bot_token = env("MATTERMOST_BOT_TOKEN") # Integrations → Bot Accounts → Create New Token
  # webhook_url = env("MATTERMOST_WEBHOOK_URL") # an incoming webhook, instead or as well

  room "payments" {
    channel_id = "q8xw3kz6ojbn5mzgd8fd9ez7ah" # the channel's name → View Info; invite the bot
    # outgoing_token = env("MATTERMOST_PAYMENTS_OUTGOING_TOKEN") # replies in threads become notes
  }
}

# Telegram (docs/chat.md says how to create the bot with @BotFather and
# point its webhook at <public_url>/v1/telegram/webhook). A room is a group
# or channel the bot is in, named "telegram:NAME" in a step's notify
# (paged, with Acknowledge / Resolve / Escalate-now / Take-command
# buttons) or in a service's subscribers; a user's telegram_id lets a
# notify rule say via = "telegram" (their private chat with the bot, once
# they pressed Start). Every message follows its incident: edited in
# place, each fact a reply to it; a person's reply to any of them is their
# note. /id@yourbot in a group, or /start in a private chat, tells
# the ids to write here. With TELEGRAM_BOT_TOKEN or
# TELEGRAM_WEBHOOK_SECRET unset (as here) Telegram is switched off with a
# warning: rooms stay valid targets and print to the console.
telegram {
  bot_token      = env("TELEGRAM_BOT_TOKEN")      # from @BotFather: 123456789:AA...
  webhook_secret = env("TELEGRAM_WEBHOOK_SECRET") # the secret_token given to setWebhook

  room "payments" {
    chat_id = "-1001234567890" # a supergroup's id; a public channel may be "@name"
  }
}
