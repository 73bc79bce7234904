# Heartbeats: jobs and pipelines that must report in. A heartbeat is
# beaten by POST /v1/heartbeats/NAME; when no beat comes within every +
# grace of the last one (or of the config first having the heartbeat), an
# incident opens on its service — paged by the service's escalation like
# any alert — and the next beat resolves it. The deadline is kept in
# Redis, so any replica finds the miss, and only one acts on it.
#
#   curl -fsS -X POST -H "Authorization: Bearer $(cat secrets/heartbeat.token)" \
#     http://localhost:8080/v1/heartbeats/nightly-backup

# Tokens of integrations of type "heartbeat" beat every heartbeat that
# does not name its own integrations. Give cron jobs this one.
integration "cron" {
  type  = "heartbeat"
  token = file("secrets/heartbeat.token")
}

heartbeat "nightly-backup" {
  every   = "24h"
  grace   = "1h" # default: a tenth of every
  service = "catch-all"
  labels  = { severity = "critical", team = "storage" }
  summary = "the nightly backup did not report"
}

# A dead man's switch for the monitoring pipeline itself: Prometheus's
# always-firing Watchdog alert, routed by Alertmanager to
# /v1/heartbeats/alertmanager-watchdog with the token of the alertmanager
# integration (its http_config, as for its other webhooks) and a
# repeat_interval below every. When Prometheus, Alertmanager or the path
# between them stops, the beats stop. A body from an alertmanager
# integration counts as a beat only while an alert in it fires.
# docs/config.md has the alertmanager.yml.
heartbeat "alertmanager-watchdog" {
  every        = "5m"
  grace        = "2m"
  service      = "catch-all"
  integrations = ["alertmanager"]
  summary      = "no Watchdog from Alertmanager: the monitoring pipeline is down"
}
