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
