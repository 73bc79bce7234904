package chat

import (
	"context"
	"strings"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/pagers"
)

// A person's reply in the thread of a message pagerd posted about an
// incident is a note on that incident, by them: the platform checks that
// the reply is its own (a signature, a token), tells who wrote what
// under which message (ThreadReply), and hands over here. The message is
// found where the pager filed it (Platform.Place); the person is mapped as
// for a button; the note goes through the same action as `pagerd note`
// and SMS "note 42 ...", held to the service's responders rule and to
// incident.MaxNote, and names the thread it was written in, so that every
// other message about the incident is told of it and that one is not.

// ThreadReply is one reply, as the platform tells it.
type ThreadReply struct {
	Platform string // the platform's name
	Attr     string // its contact attribute, to map the person
	Person   Person
	// Place is where the message replied to is, in the form the
	// platform's Place gives ("C0123/1732412345.000100").
	Place string
	Text  string // what they wrote, as plain text
	// Delivery is the platform's key of the delivery, when it delivers
	// again what it thinks failed ("slack:event:Ev0123"): see
	// incident.Request.Delivery.
	Delivery string
}

// ReplyOutcome is what became of a reply.
type ReplyOutcome int

const (
	// ReplyIgnored: no message of pagerd's is there (or its incident is
	// no longer kept), or the reply says nothing. Nothing to answer.
	ReplyIgnored ReplyOutcome = iota
	// ReplyStranger: its writer is no pagerd user; nothing changed.
	ReplyStranger
	// ReplyNoted: it is a note on the incident now.
	ReplyNoted
	// ReplyRefused: its writer may not add notes to the incident, the
	// note is too long, or the incident is gone; nothing changed.
	ReplyRefused
	// ReplyRepeated: its delivery was noted before (ThreadReply.Delivery);
	// nothing changed, and its writer was told then.
	ReplyRepeated
)

// ReplyResult is what became of a reply, and what to tell its writer.
type ReplyResult struct {
	Outcome  ReplyOutcome
	Incident int64
	// Person is the writer, with what was learnt of them (an email
	// address).
	Person Person
	// Answer is a sentence for the writer: that it was noted, why it
	// was not, or who-are-you; "" when ignored.
	Answer string
}

// ThreadNote makes r a note on the incident of the message it replies
// to. Its error is the store's alone.
func ThreadNote(ctx context.Context, in *pagers.Inbound, r ThreadReply) (ReplyResult, error) {
	res := ReplyResult{Person: r.Person}
	text := strings.TrimSpace(r.Text)
	if text == "" || r.Place == "" || in.MessageAt == nil {
		return res, nil
	}
	id, thread, ok, err := in.MessageAt(ctx, PlaceName(r.Platform, r.Place))
	if err != nil || !ok {
		return res, err
	}
	res.Incident = id
	user, who, err := FindUser(ctx, in.Config, r.Attr, r.Person)
	res.Person = who
	if err != nil {
		in.Log.Warn("looking up who replied in a chat thread failed", "platform", r.Platform, "id", r.Person.ID, "err", err)
	}
	if user == nil {
		in.Log.Warn("a reply in the thread of an incident's message, by someone who is no pagerd user, ignored",
			"platform", r.Platform, "id", r.Person.ID, "name", r.Person.Name, "incident", id)
		res.Outcome, res.Answer = ReplyStranger, WhoAreYou(Title(r.Platform), r.Attr, who)
		return res, nil
	}
	req := incident.Request{Incident: id, Action: incident.Note, By: user.Name, Via: r.Platform, Text: text,
		Thread: thread, Delivery: r.Delivery, Credential: incident.CredentialAddress}
	out, actErr := in.Act(ctx, req)
	if actErr == nil && out.Outcome == incident.OutcomeRepeated {
		res.Outcome = ReplyRepeated
		return res, nil
	}
	answer, err := pagers.Answer(req, out, actErr)
	if err != nil {
		return res, err
	}
	res.Answer = answer
	if actErr == nil && out.Outcome == incident.OutcomeNoted {
		res.Outcome = ReplyNoted
	} else {
		res.Outcome = ReplyRefused
	}
	return res, nil
}
