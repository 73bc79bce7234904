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
  owner        = "team:payments" # its lead, room and members; escalation could be left to the team
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
# through the ops escalation. match_any adds alternatives: besides every
# matcher of match, an alert must match every matcher of one of them —
# here, team=payments OR a payments-* service.
service "payments-other" {
  escalation = "ops"
  match      = ["severity!~critical|page"]
  match_any  = [["team=payments"], ["service=~payments-.*"]]
  group_by   = ["alertname"]

  # Batch jobs here come and go in bursts: fold only larger storms, and let
  # a flapping job settle longer before it counts as resolved.
  storm { incidents = 10 }
  flapping { hold = "30m" }
}

# Ownership maps: one line per service instead of a block each. An alert
# whose `service` label has a value the map lists belongs to the service
# of that name, owned as listed: a team (its escalation pages, its room is
# told, its lead is the last resort) or "escalation:NAME". The table may
# come from the catalog the teams already keep (Backstage
# catalog-info.yaml: metadata.name → spec.owner) or a CSV of value,owner
# rows; `owners` here wins over both. Values it does not list go on to the
# services below, unless `default = "team:NAME"` owns them all.
ownership "by-service" {
  label    = "service"
  catalog  = ["catalog/*.yaml"] # search and inventory: sre; shop: payments
  owners   = { billing = "team:payments", ledger = "team:payments" }
  group_by = ["alertname"]
}

# No match: catches everything the services above did not take.
service "catch-all" {
  escalation = "ops"
  responders = "anyone" # whoever sees it first may take it
}
