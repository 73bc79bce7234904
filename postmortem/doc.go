// Package postmortem is what follows an incident: the post-mortem that
// records it, written without blame, and the action items that come out
// of it — the tech-debt backlog among them — until they are done.
//
// Like incident command it stays off the paging path. When an incident
// resolves, an engine duty (Duty, on the incident's own timer) names who
// owns its post-mortem and reminds them until it is marked done; a
// consumer of the event stream (Drafts) writes the draft into a
// directory the team keeps; the backlog's chore (Reminders, a timer of
// its own) reminds the owners of overdue items weekly. What the draft
// says is a pure function of what the store knows (Render), which the
// API, the CLI and the console show alike.
package postmortem
