// Package smsreply parses the replies on-call engineers send to a page by
// SMS: a verb and an incident number, such as "ack 42", "42a",
// "resolve #42", "esc 42" or "ic 42" (take command: the sender becomes the
// incident manager), or a note for the timeline, "note 42 reverted abc". It is the SMS channels' shared language. Case, the order of verb and number, a '#' before the number
// and any surrounding spaces, punctuation or emoji do not matter; anything
// else in the message does, so a reply is never half understood.
//
// Carrier keywords (STOP, HELP...) are the SMS provider's business and are
// not handled here.
package smsreply

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pagerd/pagerd/incident"
)

// Command is a parsed reply.
type Command struct {
	Action     incident.Action // Ack, Resolve, Escalate, Assign or Note
	IncidentID int64           // > 0
	// Role is the role an Assign gives the sender (the manager, for "ic").
	Role incident.Role
	// Text is a Note's text, as written.
	Text string
}

// The errors Parse returns. Their text is written to be sent back by SMS as
// it is.
var (
	ErrEmpty        = errors.New("Empty reply. Send 'ack 42', 'resolve 42' or 'esc 42' with the incident number.")
	ErrUnrecognized = errors.New("Unrecognized reply. Send 'ack 42', 'resolve 42' or 'esc 42' with the incident number.")
	ErrNoIncident   = errors.New("Which incident? Send 'ack 42', 'resolve 42' or 'esc 42' with the incident number.")
	ErrTooMany      = errors.New("One incident per reply, please. Send 'ack 42' or 'resolve 42'.")
	ErrBadIncident  = errors.New("No such incident number. Send 'ack 42', 'resolve 42' or 'esc 42' with the number from the page.")
)

// verbs maps every accepted spelling to its action. "c"/"close" follow
// GoAlert, whose "42c" many on-call engineers already type.
var verbs = map[string]incident.Action{
	"a":           incident.Ack,
	"ack":         incident.Ack,
	"acknowledge": incident.Ack,
	"r":           incident.Resolve,
	"res":         incident.Resolve,
	"resolve":     incident.Resolve,
	"c":           incident.Resolve,
	"close":       incident.Resolve,
	"e":           incident.Escalate,
	"esc":         incident.Escalate,
	"escalate":    incident.Escalate,
	// "ic": take command; the incident commander's usual abbreviation.
	"ic": incident.Assign,
}

// ErrEmptyNote is the reply to "note 42" without a text.
var ErrEmptyNote = errors.New("Empty note. Send 'note 42' followed by what you found.")

// notePrefix is a note: "note", the incident number, then free text.
var notePrefix = regexp.MustCompile(`(?is)^\s*note\s*#?\s*(\d+)\b[\s:,.-]*(.*)$`)

// maxTokens bounds the work on a long message: a valid reply has two.
const maxTokens = 3

type token struct {
	text    string
	isDigit bool
}

// tokens splits body into runs of letters and runs of digits. Everything
// else (spaces, punctuation, symbols such as '#' or emoji) only separates.
// It stops after maxTokens.
func tokens(body string) []token {
	var out []token
	start, kind := -1, 0 // kind: 1 letters, 2 digits
	flush := func(end int) {
		if start >= 0 {
			out = append(out, token{text: body[start:end], isDigit: kind == 2})
			start, kind = -1, 0
		}
	}
	for i, r := range body {
		k := 0
		switch {
		case r >= '0' && r <= '9':
			k = 2
		case unicode.IsLetter(r) || unicode.IsMark(r):
			k = 1
		}
		if k != kind {
			flush(i)
			if len(out) >= maxTokens {
				return out
			}
			if k != 0 {
				start, kind = i, k
			}
		}
	}
	flush(len(body))
	return out
}

// Parse reads an SMS reply. Its errors are the replies to send back.
func Parse(body string) (Command, error) {
	if !utf8.ValidString(body) {
		return Command{}, ErrUnrecognized
	}
	// A note is free text after its number: the only reply whose words
	// are not all understood.
	if m := notePrefix.FindStringSubmatch(body); m != nil {
		id, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil || id <= 0 {
			return Command{}, ErrBadIncident
		}
		text := strings.TrimSpace(m[2])
		if text == "" {
			return Command{}, ErrEmptyNote
		}
		return Command{Action: incident.Note, IncidentID: id, Text: text}, nil
	}
	toks := tokens(body)
	var verb, number []token
	for _, t := range toks {
		if t.isDigit {
			number = append(number, t)
		} else {
			verb = append(verb, t)
		}
	}
	switch {
	case len(toks) == 0:
		if strings.TrimSpace(body) == "" {
			return Command{}, ErrEmpty
		}
		return Command{}, ErrUnrecognized
	case len(number) > 1:
		return Command{}, ErrTooMany
	case len(verb) != 1 || len(toks) > 2:
		return Command{}, ErrUnrecognized
	}
	action, ok := verbs[strings.ToLower(verb[0].text)]
	if !ok {
		return Command{}, ErrUnrecognized
	}
	if len(number) == 0 {
		return Command{}, ErrNoIncident
	}
	id, err := strconv.ParseInt(number[0].text, 10, 64)
	if err != nil || id <= 0 {
		return Command{}, ErrBadIncident
	}
	cmd := Command{Action: action, IncidentID: id}
	if action == incident.Assign {
		cmd.Role = incident.RoleManager
	}
	return cmd, nil
}
