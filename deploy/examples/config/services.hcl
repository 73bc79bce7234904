# Services own alerts and say which escalation pages for them.
#
# An alert goes to the FIRST service, in file order (files sorted by name,
# then blocks top to bottom), whose matchers all match its labels. Matchers
# use Alertmanager's syntax: name=value, name!=value, name=~regex,
# name!~regex (regexes are anchored). A service without match catches every
# alert, so it belongs last; `check` fails when there is none, unless the
# pagerd block says unrouted = "record" (see pagerd.hcl).
#
# group_by lists the labels that split a service's alerts into incidents
# (alerts with equal values share one); without it, one incident per service.
# subscribers are told of every event of the service's incidents (triggered,
# acknowledged, escalated, resolved, notes) without being paged.
#
# responders says who may acknowledge, resolve, escalate or add a note by
# SMS, keypress, chat or link: "team" (the default) is whoever was paged or
# notified about the incident and the members of the teams its escalation
# names; "paged" only the former; "anyone" every user. The API and the CLI
# (an integration's token) are not held to it.
#
# storm and flapping blocks override the pagerd block's folding for one
# service, attribute by attribute.

# known_labels (optional) lists the labels this service's alerts carry:
# `check` then warns about any other name in its match and group_by, where
# a typo ("sevrity") would silently send its alerts to the catch-all.
service "checkout" {
  escalation   = "payments"
  match        = ["service=checkout", "severity=~critical|page"]
  group_by     = ["alertname", "cluster"]
  subscribers  = ["webhook:audit", "slack:#payments-oncall", "discord:payments"]
  known_labels = ["alertname", "service", "severity", "cluster", "team", "instance"]

  # Incident command: "page" alerts are SEV1, "critical" ones SEV2 (the
  # severity label's value; command.hcl has the rest).
  severity = { page = "SEV1", critical = "SEV2" }
}

# Payments alerts that are not critical page the payments people too, but
# through the ops escalation.
service "payments-other" {
  escalation = "ops"
  match      = ["team=payments", "severity!~critical|page"]
  group_by   = ["alertname"]

  # Batch jobs here come and go in bursts: fold only larger storms, and let
  # a flapping job settle longer before it counts as resolved.
  storm { incidents = 10 }
  flapping { hold = "30m" }
}

# No match: catches everything the services above did not take.
service "catch-all" {
  escalation = "ops"
  responders = "anyone" # whoever sees it first may take it
}
