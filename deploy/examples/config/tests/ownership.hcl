# Who owns what: the ownership map, its catalog and the teams.

test "search is sre's, from the Backstage catalog" {
  at     = "2026-12-02 10:00"
  labels = { alertname = "SearchSlow", service = "search", severity = "warning" }
  expect {
    service    = "search"
    owner      = "team:sre"
    escalation = "ops"
    exhausted {
      last_resort = ["carol"] # sre's lead
    }
  }
}

test "billing is payments', from the map's own owners" {
  at     = "2026-12-01 15:00"
  labels = { alertname = "InvoiceBacklog", service = "billing" }
  expect {
    service    = "billing"
    owner      = "team:payments"
    escalation = "payments"
    page {
      step         = 2
      users        = ["alice", "bob", "carol"]
      destinations = ["slack:#payments-oncall", "teams:payments"]
    }
  }
}

test "a payments-* service's warning: match_any" {
  at     = "2026-12-02 10:00"
  labels = { alertname = "Slow", service = "payments-api", severity = "warning" }
  expect {
    service    = "payments-other"
    escalation = "ops"
  }
}

test "a service nobody maps goes to the catch-all" {
  at     = "2026-12-02 10:00"
  labels = { alertname = "Slow", service = "recommendations" }
  expect {
    service = "catch-all"
    owner   = ""
  }
}
