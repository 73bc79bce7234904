# Policy tests: what must happen to an alert, checked by
#
#   pagerd test deploy/examples/config       (and by pagerd check)
#
# with the planner the engine pages by. Run them in CI before a config
# change ships: a test fails, with the file:line of what it expected, when
# an edit would page the wrong person. Every *.hcl file of this tests/
# directory is tests, and so is any *_test.hcl file beside the config.
#
# A test sends an alert — labels, or a sender's body through an
# integration — at a time (`at`, wall clock in `timezone`, default UTC),
# and expects any of: the service that takes it, its escalation, the
# maintenance window that holds it, how many steps start in all, who each
# step of each round pages (`users = []`: a schedule gap, nobody), the
# destinations it notifies, when each starts (`after` the alert), and
# when the policy runs out and whom that pages. What it does not state is
# not checked.

test "checkout is down: the primary, then the payments team" {
  at       = "2026-12-01 10:00" # a Tuesday; alice's week on payments-primary
  timezone = "America/New_York"
  labels   = { alertname = "CheckoutDown", service = "checkout", severity = "critical" }
  expect {
    service    = "checkout"
    escalation = "payments"
    steps      = 6 # 2 steps, 3 rounds (repeat = 2)
    page {
      step  = 1
      users = ["alice"]
      after = "0m"
    }
    page {
      step         = 2
      users        = ["alice", "bob", "carol"]
      destinations = ["slack:#payments-oncall", "teams:payments"]
      after        = "10m"
    }
    page {
      round = 3
      step  = 1
      users = ["alice"]
      after = "40m"
    }
    exhausted {
      after       = "1h"
      last_resort = ["carol"] # team:sre's lead
    }
  }
}

test "the week after, bob is primary" {
  at       = "2026-12-08 10:00"
  timezone = "America/New_York"
  labels   = { alertname = "CheckoutDown", service = "checkout", severity = "page" }
  expect {
    page {
      step  = 1
      users = ["bob"]
    }
  }
}

test "bob covers Christmas (the override)" {
  at       = "2026-12-24 20:00"
  timezone = "America/New_York"
  labels   = { alertname = "CheckoutDown", service = "checkout", severity = "critical" }
  expect {
    page {
      step  = 1
      users = ["bob"]
    }
  }
}

test "a warning on payments goes through ops" {
  at     = "2026-12-02 10:00"
  labels = { alertname = "QueueSlow", team = "payments", severity = "warning" }
  expect {
    service    = "payments-other"
    escalation = "ops"
    page {
      step  = 1
      users = ["carol", "alice"] # the round-the-clock layer, and business hours in Berlin
    }
  }
}

test "anything else: catch-all, ops at night has one person" {
  at     = "2026-12-05 22:00"
  labels = { alertname = "DiskFull" }
  expect {
    service = "catch-all"
    page {
      step  = 1
      users = ["carol"]
    }
    page {
      step  = 2
      users = ["bob", "carol"]
      after = "15m"
    }
    exhausted {
      last_resort = ["carol"] # the lead of team sre, which ops pages
    }
  }
}

test "sunday patching holds eu checkout alerts until 05:00 Berlin" {
  at       = "2026-12-06 02:30"
  timezone = "Europe/Berlin"
  labels   = { alertname = "CheckoutDown", service = "checkout", severity = "critical", cluster = "eu1" }
  expect {
    held = "maintenance:sunday-patching"
    page {
      step  = 1
      users = ["alice"]
      after = "2h30m"
    }
  }
}

test "Uptime Kuma's down body pages checkout" {
  at          = "2026-12-01 10:00"
  timezone    = "America/New_York"
  integration = "uptime-kuma"
  body        = file("bodies/uptime-kuma-down.json")
  expect {
    service = "checkout"
    page {
      step  = 1
      users = ["alice"]
    }
  }
}
