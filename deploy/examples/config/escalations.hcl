# Escalation policies: ordered steps, run until someone acknowledges.
#
# Each step notifies targets, written "user:NAME", "team:NAME" or
# "schedule:NAME" (whoever is on call when the step runs), or a channel's
# own destination: "webhook:NAME", a chat room "slack:NAME", "teams:NAME",
# "discord:NAME" or "googlechat:NAME". A step's `after` counts from the
# start of the previous step (the first step's from the incident opening;
# it defaults to "0m" there and is required on later steps). After the
# last step the whole list runs `repeat` more times, `repeat_after` after
# the last step (default: the last step's after, at least 1m).
#
# When the last round has run and nobody acknowledged, the timeline says
# "escalation ... exhausted after N rounds; nobody acknowledged" and the
# last resort is paged once: `last_resort` ("user:NAME", "team:NAME" for
# its lead, "schedule:NAME"), else the lead of the team that owns the
# service, else the lead of each team the steps page, else the pagerd
# block's last_resort. The incident stays triggered.

escalation "payments" {
  step {
    notify = ["schedule:payments-primary"]
  }
  step {
    after  = "10m"
    notify = ["team:payments", "user:carol", "slack:#payments-oncall", "teams:payments"]
  }
  repeat       = 2
  repeat_after = "10m"
  last_resort  = "team:sre" # its lead, carol: nobody on payments answered
}

escalation "ops" {
  step {
    notify = ["schedule:ops"]
  }
  step {
    after  = "15m"
    notify = ["team:sre"]
  }
  repeat = 1 # repeat_after defaults to 15m, the last step's after
}
