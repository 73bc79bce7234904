# Incident command (docs/incident-command.md): once someone acknowledged,
# an incident still needs an owner, a rhythm of updates and people told.
#
# Severities are SEV1 (worst) to SEV4 unless `severities` renames them.
# Alerts get theirs from their `severity` label (critical → SEV2, error and
# warning → SEV3, info → SEV4, unless a service maps its own: see
# services.hcl); a person changes it with `pagerd severity 42 SEV1`.
incident_command {
  # Who is paged when a SEV1 or SEV2 (manager_needed) has no incident
  # manager after manager_within: whoever is on call in the schedule then
  # (or a team, or a user), who replies 'ic 42' to take command.
  managers       = "schedule:ops"
  manager_needed = ["SEV1", "SEV2"]
  manager_within = "5m"

  # How often the manager posts a status update, by severity (SEV4: no
  # rhythm). They are reminded when one is due; overdue_after later the
  # communications lead is told.
  cadence       = { SEV1 = "30m", SEV2 = "1h", SEV3 = "4h" }
  overdue_after = "10m"
}

# The stakeholder matrix of the payments services: who hears what, when,
# for incidents of `severities` (default the two most severe: SEV1, SEV2).
# `pagerd stakeholders checkout` shows it resolved. Each quadrant takes
# people (user:, team:, schedule:), rooms (chat rooms, webhooks), emails
# (mailing lists) and `on` (declared, update, state_change, resolved) to
# change when it hears; what it hears is its quadrant's.
stakeholders "payments" {
  services = ["checkout", "payments-other"]

  # Management and product: a direct message through their own
  # notification rules when it is declared, on every update, when resolved.
  manage_closely {
    people = ["user:carol"]
    emails = ["leadership@example.com"]
  }
  # Developers and support: the room and an email digest on each change of
  # state (investigating → identified → monitoring → resolved).
  keep_informed {
    rooms  = ["slack:#payments-oncall"]
    emails = ["eng-payments@example.com"]
    people = ["team:payments"]
  }
  # Customers: the public wording, emailed to these lists by the status
  # page (statuspage.hcl); the page itself shows an incident once it is
  # published.
  keep_satisfied {
    emails = ["key-accounts@example.com"]
  }
  # Everyone else: the status page and its feed.
  monitor {}
}
