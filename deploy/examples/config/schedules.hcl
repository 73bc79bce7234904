# On-call schedules.
#
# A schedule is one or more rotations (layers) plus overrides. Later
# rotations are higher layers: where a higher layer has someone on call, it
# wins. Overrides win over every layer (of two overlapping overrides, the
# later one). `check` warns about any time in the next 4 weeks with no one
# on call, so start dates lie in the past and the layers cover every hour.
#
# Dates and times ("2026-11-02 09:00") are wall-clock times in the
# schedule's timezone (an IANA name; default UTC). Shift lengths (every) are
# weeks or days ("1w", "2d": wall-clock days, so a 09:00 handoff stays 09:00
# across DST) or hours/minutes ("12h": elapsed time).

# One simple weekly rotation with a holiday override.
schedule "payments-primary" {
  timezone = "America/New_York"

  rotation "weekly" {
    users = ["alice", "bob"]   # rotation order
    every = "1w"
    start = "2026-11-02 09:00" # first handoff; hands off Mondays 09:00 New York time
  }

  # bob covers Christmas, whatever the rotation says.
  override {
    user = "bob"
    from = "2026-12-24 00:00"
    to   = "2026-12-27 00:00"
  }
}

# A layered schedule: a daily round-the-clock base layer, and on top of it
# a business-hours layer in the office's own time zone.
schedule "ops" {
  timezone = "UTC"

  rotation "around-the-clock" {
    users = ["carol", "alice", "bob"]
    every = "1d"
    start = "2026-11-02 09:00"
  }

  rotation "business-hours" {
    users    = ["bob", "carol", "alice"]
    every    = "1w"
    start    = "2026-11-02 09:00"
    on_call  = 2               # two people at once (default 1)
    timezone = "Europe/Berlin" # this layer's handoffs and windows follow Berlin time

    # Active only inside these windows (repeatable; without any, always
    # active). A window whose `to` is not after `from` runs past midnight.
    restrict {
      days = ["mon", "tue", "wed", "thu", "fri"]
      from = "09:00"
      to   = "17:00"
    }
    restrict {
      days = ["sat"]
      from = "10:00"
      to   = "12:00"
    }
  }

  override {
    user = "alice"
    from = "2026-12-31 18:00"
    to   = "2027-01-01 10:00"
  }
}
