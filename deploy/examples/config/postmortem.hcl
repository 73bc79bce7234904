# After an incident: its post-mortem and action items, and the web console.
# See docs/incident-command.md. Every attribute is optional; the values
# below are the defaults.

postmortem {
  # Incidents of these severities need a post-mortem: when one resolves,
  # its owner (the incident manager, else who resolved, acknowledged or
  # declared it, else who its escalation reaches) is reminded every
  # remind_every until `pagerd postmortem ID --done`. Others are offered
  # one: the owner is named, never chased.
  required     = ["SEV1", "SEV2"]
  remind_every = "24h"

  # The owner of an overdue action item is reminded when it becomes
  # overdue and this often after, until `pagerd action done N`.
  action_remind_every = "168h"

  # Write each resolved incident's draft here, as YYYY-MM-DD-incident-N.md,
  # kept up to date until someone edits it (a git checkout the team keeps
  # post-mortems in; relative paths are relative to this directory).
  # directory = "/srv/postmortems"
}

console {
  # A magic sign-in link (`pagerd login NAME`, or the form at
  # <public_url>/console/) works once, for this long; a session lasts
  # session_ttl.
  sign_in_ttl = "15m"
  session_ttl = "12h"
}
