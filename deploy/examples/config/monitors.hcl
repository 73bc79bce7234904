# Monitors that speak neither Alertmanager nor PagerDuty post their own
# JSON to /v1/webhooks/generic, with the token of an integration of type
# "generic". Its mapping says, in HCL expressions over the request's JSON
# (body), what alert a request becomes; `pagerd check` checks the
# expressions, and
#
#   pagerd route --integration uptime-kuma --body down.json
#
# shows what a sample body becomes and who would be paged. A field that
# fails on a body (body.monitor on a body without it, say) is refused with
# 422 naming the field. See docs/config.md#generic-json-senders.

# Uptime Kuma: a "Webhook" notification, POST to
# http://pagerd:8080/v1/webhooks/generic, body "application/json", with
# Additional Headers {"Authorization": "Bearer <this token>"}. It posts
# {"heartbeat": {...}, "monitor": {...}, "msg": "..."} when a monitor goes
# down and when it comes back; heartbeat.status is 0 down, 1 up, 2 pending,
# 3 maintenance, and heartbeat.time is UTC.
integration "uptime-kuma" {
  type  = "generic"
  token = file("secrets/uptime-kuma.token")
  mapping {
    status    = body.heartbeat.status == 0 ? "firing" : "resolved"
    dedup_key = "monitor-${body.monitor.id}"
    # The monitor's tags named service and team become labels, so the
    # services' matchers route it like any other alert.
    labels = merge(
      { for t in body.monitor.tags : t.name => t.value if contains(["service", "team"], t.name) },
      {
        alertname = "MonitorDown"
        monitor   = body.monitor.name
        type      = body.monitor.type
        severity  = "critical"
      },
    )
    summary   = "${body.monitor.name}: ${body.heartbeat.msg}"
    starts_at = "${replace(body.heartbeat.time, " ", "T")}Z"
    links     = [body.monitor.url == "https://" ? null : body.monitor.url]
  }
}

# Zabbix: a media type of type Webhook whose parameters are the fields
# below plus url (http://pagerd:8080/v1/webhooks/generic) and token, and
# whose script posts the rest as JSON (docs/config.md has it). Values are
# Zabbix macros, so every one is a string: event_value "1" for a problem
# and "0" for its recovery, event_ack "Yes" once someone acknowledged it,
# event_nseverity "0" (not classified) to "5" (disaster), event_tags the
# {EVENT.TAGSJSON} array as text.
integration "zabbix" {
  type  = "generic"
  token = file("secrets/zabbix.token")
  mapping {
    status    = body.event_value == "0" ? "resolved" : (body.event_ack == "Yes" ? "acknowledged" : "firing")
    dedup_key = "zabbix-${body.event_id}"
    labels = merge(
      { for t in jsondecode(body.event_tags) : t.tag => t.value if contains(["service", "team"], t.tag) },
      {
        alertname = body.event_name
        host      = body.host_name
        severity  = tonumber(body.event_nseverity) >= 4 ? "critical" : (tonumber(body.event_nseverity) >= 2 ? "warning" : "info")
      },
    )
    summary     = "${body.host_name}: ${body.event_name}"
    annotations = { zabbix_severity = body.event_severity, opdata = body.event_opdata }
    links       = [{ href = "${body.zabbix_url}/tr_events.php?triggerid=${body.trigger_id}&eventid=${body.event_id}", text = "Zabbix event" }]
  }
}
