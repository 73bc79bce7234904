# Chat rooms reached through an incoming webhook: Microsoft Teams (a
# Workflows webhook), Discord (a channel webhook) and Google Chat (a space
# webhook). docs/chat.md says how to make each webhook. A room is named
# "teams:NAME", "discord:NAME" or "googlechat:NAME" in a step (paged: a
# message with Acknowledge / Resolve / Escalate-now buttons that open
# pagerd's signed links, acting as the room) or in a service's subscribers
# (kept told of every incident it owns). Discord's message is edited as the
# incident moves; Teams and Google Chat get a follow-up message for each
# change (Google's in the message's thread).
#
# A webhook URL lets anyone who has it post to the room: it is a secret,
# written as env() or file(). With it unset (as here) the room is switched
# off with a warning: it stays a valid target, and its messages print to
# the console.

teams {
  # The URL of a workflow made from the template "Post to a channel when a
  # webhook request is received".
  room "payments" { webhook_url = env("TEAMS_PAYMENTS_WEBHOOK_URL") }
}

discord {
  # The channel's Edit Channel → Integrations → Webhooks → Copy Webhook URL.
  room "payments" { webhook_url = env("DISCORD_PAYMENTS_WEBHOOK_URL") }
}

googlechat {
  # The space's Apps & integrations → Webhooks → the webhook's URL.
  room "payments" { webhook_url = env("GOOGLECHAT_PAYMENTS_WEBHOOK_URL") }
}
