# Who can be paged, and how.
#
# A user's notify rules run when an escalation step reaches them: each rule
# contacts them via a channel (sms, voice, slack, mattermost, telegram,
# email or console) `after` that moment, until someone acknowledges. sms
# and voice need a phone (E.164), email needs an email, slack a slack_id,
# mattermost a mattermost_username, telegram a telegram_id (each a direct
# message with the incident's buttons; if the platform refuses it, their
# next channel). A user without notify rules gets one page at once: by SMS
# if they have a phone, else by email.

user "alice" {
  email    = "alice@example.com"
  phone    = "+15551230001"
  timezone = "Europe/Berlin" # her pages, reminders and `pagerd oncall --user alice` show Berlin time

  notify {
    after = "0m"
    via   = "sms"
  }
  notify {
    after = "5m"
    via   = "email"
  }

  # Opt-in: remind alice an hour before each of her on-call shifts starts.
  shift_notice {
    before = "1h"
    via    = "email"
  }
}

user "bob" {
  email = "bob@example.com"
  phone = "+15551230002"

  notify {
    via = "sms" # after defaults to 0m
  }
  notify {
    after = "3m"
    via   = "voice" # a phone call; pressing 1 acknowledges
  }
  shift_notice {
    before = "15m"
    via    = "sms"
  }
}

user "carol" {
  email    = "carol@example.com"
  phone    = "+15551230003"
  slack_id = "U0123CAROL" # Slack member id: profile → ⋮ → Copy member ID

  mattermost_username = "carol"     # without the @
  telegram_id         = "123456789" # her user id: /start to the bot says it

  notify {
    via = "email"
  }
  notify {
    after = "2m"
    via   = "console" # printed in pagerd's log: handy while trying pagerd out
  }
}

# Teams own services. A step that notifies "team:NAME" pages every member
# at once. A service or an ownership map that names a team as its owner
# ("team:NAME") is paged by the team's escalation, keeps the team's chat
# room told of its incidents, and, when nobody acknowledges, pages the
# team's lead (unless the policy names its own last_resort, see
# escalations.hcl). The lead need not be a member.
team "payments" {
  members    = ["alice", "bob"]
  lead       = "alice"
  escalation = "payments"
  chat       = "slack:#payments-oncall"
}

team "sre" {
  members    = ["bob", "carol"]
  lead       = "carol"
  escalation = "ops"
}
