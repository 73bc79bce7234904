// Package command is incident command: what happens to an incident once
// paging has found someone. It gives incidents a severity and people
// roles (a manager, a communications lead, a scribe), keeps the rhythm of
// status updates, and tells the stakeholders a service names in HCL what
// they need, when they need it.
//
// It stays off the paging path. Front ends (the API, the CLI, SMS
// replies, chat) reach it through the router's one typed set of actions
// (Actions implements router.Commands, after the router checked who may
// act); its timers are duties of the escalation engine's per-incident
// timer (Duty implements router.Duty), so they run exactly once across
// replicas on the store's clock; what it tells stakeholders it reads from
// the incident event stream as a consumer group (Stakeholders). Every
// decision it makes is a pure function of the config, the incident and
// the time — NextUpdateAt, Plan — which views and `pagerd stakeholders`
// call as the engine does.
package command
