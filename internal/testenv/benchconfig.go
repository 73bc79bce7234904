package testenv

// IntakeConfig is the config pagerd's intake benchmarks and
// tools/sidebyside run it with: an Alertmanager integration whose token
// is the file am.token beside the config, and one service grouping by
// alertname that pages alice, who has no address, on the console —
// about what Alertmanager's null receiver costs.
const IntakeConfig = benchService + "}\n"

// FirstPageConfig is IntakeConfig without storm folding, which would fold
// all but the first few of a thousand new incidents a second into one
// storm that pages once: what the first-page measurements run.
const FirstPageConfig = benchService + "  storm { incidents = 0 }\n}\n"

// benchService is both configs up to the end of the service block.
const benchService = `
integration "alertmanager" {
  type  = "alertmanager"
  token = file("am.token")
}
user "alice" {}
escalation "ops" {
  step { notify = ["user:alice"] }
}
service "all" {
  escalation = "ops"
  group_by   = ["alertname"]
`
