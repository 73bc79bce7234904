# Services own alerts and say which escalation pages for them.
#
# An alert goes to the FIRST service, in file order (files sorted by name,
# then blocks top to bottom), whose matchers all match its labels. Matchers
# use Alertmanager's syntax: name=value, name!=value, name=~regex,
# name!~regex (regexes are anchored). A service without match catches every
# alert, so it belongs last; `check` warns when there is none.
#
# group_by lists the labels that split a service's alerts into incidents
# (alerts with equal values share one); without it, one incident per service.
# subscribers are told of every event of the service's incidents (triggered,
# acknowledged, escalated, resolved, notes) without being paged.

service "checkout" {
  escalation  = "payments"
  match       = ["service=checkout", "severity=~critical|page"]
  group_by    = ["alertname", "cluster"]
  subscribers = ["webhook:audit"]
}

# Payments alerts that are not critical page the payments people too, but
# through the ops escalation.
service "payments-other" {
  escalation = "ops"
  match      = ["team=payments", "severity!~critical|page"]
  group_by   = ["alertname"]
}

# No match: catches everything the services above did not take.
service "catch-all" {
  escalation = "ops"
}
