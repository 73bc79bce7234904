# Alerts that page nobody while something mutes them: they are stored and
# shown (pagerd show says what mutes each), but nobody is paged. When
# nothing mutes an alert any more and it still fires, its incident pages at
# that moment, from the first escalation step. Silences, the third kind,
# are made at run time: pagerd silence add|list|expire.

# A maintenance window: while it is open, the alerts it covers are
# recorded, not paged. It covers the alerts of the listed services, those
# that match, or (both given) those of the services that match. One-off
# windows give start; recurring ones every = "day", "week" (with
# weekdays) or "month" (with day = 1..31), at = "HH:MM", and optionally
# from/until dates. Times are wall clocks in timezone (DST gaps move the
# opening later, a repeated hour opens at its first pass); duration is
# elapsed time. `check` warns about windows that never occur.
maintenance "sunday-patching" {
  services = ["checkout"]
  match    = ["cluster=~eu.*"]
  timezone = "Europe/Berlin"
  every    = "week"
  weekdays = ["sun"]
  at       = "02:00"
  duration = "3h"
  # Status pages showing a component of its services announce it a week
  # ahead and while it is open, in these words (no announce: it stays
  # internal).
  announce = "Weekly patching of the EU checkout cluster: payments may be slow."
}

# An inhibition rule, as in Alertmanager: while an alert matching
# source_match fires, the alerts matching target_match with the same
# values of the equal labels are muted. Here a cluster that is down pages
# once, not once per instance; when ClusterDown resolves, instances still
# down page then. An alert that matches both sides never mutes itself.
inhibit "cluster-down" {
  source_match = ["alertname=ClusterDown"]
  target_match = ["alertname=InstanceDown"]
  equal        = ["cluster"]
}
