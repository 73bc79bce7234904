package chat

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/pagers/smsreply"
	"github.com/pagerd/pagerd/policies"
)

// Acting from chat: a platform checks that a button press or a command
// really comes from it (its signature, or a callback token pagerd signed),
// says who pressed (Person), and hands over here. The person is mapped to
// a pagerd user — by the platform's id in their user block, else by email
// — and acts through the same typed actions as an SMS reply, held to the
// service's responders rule; someone unmapped is asked who they are and
// nothing changes. The answers are plain sentences: the platform escapes
// them in its dialect.

// Person is who acted, as the platform knows them.
type Person struct {
	ID    string // the platform's id for them (a Slack member id)
	Name  string // their handle, for logs and answers
	Email string // their email address when the platform tells it
	// LookupEmail asks the platform for their email address, for a
	// platform that tells it only on request (Slack's users.info); nil
	// when it cannot.
	LookupEmail func(ctx context.Context) (string, error)
}

// FindUser is UserOf, asking the platform for the person's email address
// when their id maps to nobody. The person is returned with what was
// learnt.
func FindUser(ctx context.Context, cfg *policies.Config, attr string, person Person) (*policies.User, Person, error) {
	if u := UserOf(cfg, attr, person); u != nil || person.Email != "" || person.LookupEmail == nil {
		return u, person, nil
	}
	email, err := person.LookupEmail(ctx)
	if err != nil {
		return nil, person, err
	}
	person.Email = email
	return UserOf(cfg, attr, person), person, nil
}

// UserOf is the pagerd user person is on the platform whose contact
// attribute is attr: the one whose attr holds person.ID, else the one
// whose email is person.Email (case does not matter); nil when none.
func UserOf(cfg *policies.Config, attr string, person Person) *policies.User {
	names := slices.Sorted(maps.Keys(cfg.Users))
	if person.ID != "" && attr != "" {
		for _, n := range names {
			if u := cfg.Users[n]; u.Contact(attr) == person.ID {
				return u
			}
		}
	}
	if person.Email != "" {
		for _, n := range names {
			if u := cfg.Users[n]; u.Contact("email") != "" && strings.EqualFold(u.Contact("email"), person.Email) {
				return u
			}
		}
	}
	return nil
}

// WhoAreYou is the answer to someone pagerd cannot map to a user.
func WhoAreYou(platform, attr string, person Person) string {
	s := fmt.Sprintf("Who are you? Your %s account", platform)
	if person.ID != "" {
		s += " (" + person.ID + ")"
	}
	s += " is not a pagerd user, so nothing was changed."
	if attr != "" && person.ID != "" {
		s += fmt.Sprintf(" Ask whoever keeps pagerd's config to add %s = %q to your user block", attr, person.ID)
		if person.Email == "" {
			s += "."
		} else {
			s += " (or " + person.Email + " as its email)."
		}
	}
	return s
}

// Act applies action to incident id as user, through platform, and says
// what to answer. Its error is the store's alone (answer 503): a refusal
// or an unknown incident is an answer.
func Act(ctx context.Context, in *pagers.Inbound, platform string, user *policies.User, id int64, action incident.Action, text string) (string, error) {
	return ActAs(ctx, in, platform, user, smsreply.Command{Action: action, IncidentID: id, Text: text})
}

// ActAs applies a parsed command as user, through platform: "ic 42"
// makes them the incident manager, "note 42 ..." adds their note.
func ActAs(ctx context.Context, in *pagers.Inbound, platform string, user *policies.User, cmd smsreply.Command) (string, error) {
	req := incident.Request{Incident: cmd.IncidentID, Action: cmd.Action, By: user.Name, Via: platform, Text: cmd.Text,
		Role: cmd.Role, Credential: incident.CredentialAddress}
	if cmd.Action == incident.Assign {
		req.Assignee = user.Name
	}
	res, err := in.Act(ctx, req)
	return pagers.Answer(req, res, err)
}

// CommandHelp lists what a chat command takes.
const CommandHelp = "Try: ack 42, resolve 42, escalate 42, ic 42 (take command), note 42 TEXT, oncall NAME, incidents."

// Command runs one chat command — "ack 42" (every spelling an SMS reply
// takes), "oncall payments", "incidents", "help" — for person, and says
// what to answer. attr is the platform's contact attribute, for mapping
// person. Reading needs no mapping; acting does.
func Command(ctx context.Context, in *pagers.Inbound, platform, attr string, person Person, text string) (string, error) {
	fields := strings.Fields(strings.ToLower(text))
	if len(fields) == 0 || fields[0] == "help" {
		return CommandHelp, nil
	}
	switch fields[0] {
	case "incidents":
		return listIncidents(ctx, in)
	case "oncall", "on-call", "who":
		name := ""
		if len(fields) > 1 {
			name = fields[1]
		}
		return OnCall(in.Config, name, in.Now()), nil
	}
	cmd, err := smsreply.Parse(text)
	if err != nil {
		return "Not understood. " + CommandHelp, nil
	}
	user, person, err := FindUser(ctx, in.Config, attr, person)
	if err != nil {
		in.Log.Warn("looking up who sent a chat command failed", "platform", platform, "id", person.ID, "err", err)
	}
	if user == nil {
		in.Log.Warn("chat command from an unknown person ignored", "platform", platform, "id", person.ID, "name", person.Name)
		return WhoAreYou(Title(platform), attr, person), nil
	}
	return ActAs(ctx, in, platform, user, cmd)
}

func listIncidents(ctx context.Context, in *pagers.Inbound) (string, error) {
	if in.Open == nil {
		return "Listing incidents is not available here.", nil
	}
	open, err := in.Open(ctx, 20)
	if err != nil {
		return "", err
	}
	if len(open) == 0 {
		return "No open incidents.", nil
	}
	lines := []string{"Open incidents:"}
	for _, inc := range open {
		n := pagers.Notification{Incident: pagers.IncidentOf(inc)}
		lines = append(lines, fmt.Sprintf("#%d %s — %s", inc.ID, headline(n), State(n.Incident)))
	}
	return strings.Join(lines, "\n"), nil
}

// OnCall says who is on call at now: in the schedule called name, in the
// schedules whose names start with it ("payments" → "payments-primary"),
// or in the first step of the escalation called name; in every schedule
// when name is "".
func OnCall(cfg *policies.Config, name string, now time.Time) string {
	var lines []string
	for _, sn := range slices.Sorted(maps.Keys(cfg.Schedules)) {
		if name != "" && sn != name && !strings.HasPrefix(sn, name+"-") {
			continue
		}
		var who []string
		for _, a := range cfg.Schedules[sn].OnCallAt(now) {
			who = append(who, a.User)
		}
		lines = append(lines, sn+": "+orNobody(who))
	}
	if len(lines) == 0 && name != "" {
		if pol := cfg.Escalations[name]; pol != nil && len(pol.Steps) > 0 {
			var who []string
			for _, t := range pol.Steps[0].Targets {
				who = append(who, cfg.UsersFor(t, now)...)
			}
			lines = append(lines, "escalation "+name+", first step: "+orNobody(who))
		}
	}
	if len(lines) == 0 {
		if name == "" {
			return "No schedules are configured."
		}
		return fmt.Sprintf("No schedule or escalation called %q.", name)
	}
	return "On call now:\n" + strings.Join(lines, "\n")
}

func orNobody(who []string) string {
	if len(who) == 0 {
		return "nobody"
	}
	return strings.Join(slices.Compact(who), ", ")
}
