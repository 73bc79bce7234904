package smsreply

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pagerd/pagerd/incident"
)

func TestParse(t *testing.T) {
	ack := func(id int64) Command { return Command{Action: incident.Ack, IncidentID: id} }
	res := func(id int64) Command { return Command{Action: incident.Resolve, IncidentID: id} }
	tests := []struct {
		in      string
		want    Command
		wantErr error
	}{
		{"ack 42", ack(42), nil},
		{"ACK #42", ack(42), nil},
		{"a 42", ack(42), nil},
		{"42a", ack(42), nil},
		{"42A", ack(42), nil},
		{"42 ack", ack(42), nil},
		{"a42", ack(42), nil},
		{"Acknowledge 7", ack(7), nil},
		{"  ack 42.  ", ack(42), nil},
		{"'ack 42'", ack(42), nil},
		{"Ack: #42!", ack(42), nil},
		{"ack\n42\n", ack(42), nil},
		{"ack 42 👍", ack(42), nil},
		{"ack 00042", ack(42), nil},
		{"resolve 42", res(42), nil},
		{"res 42", res(42), nil},
		{"r 42", res(42), nil},
		{"42r", res(42), nil},
		{"R 42", res(42), nil},
		{"close 42", res(42), nil},
		{"42c", res(42), nil},
		{"resolve #9223372036854775807", res(9223372036854775807), nil},
		{"esc 42", Command{Action: incident.Escalate, IncidentID: 42}, nil},
		{"42e", Command{Action: incident.Escalate, IncidentID: 42}, nil},
		{"Escalate #42", Command{Action: incident.Escalate, IncidentID: 42}, nil},
		{"ic 42", Command{Action: incident.Assign, IncidentID: 42, Role: incident.RoleManager}, nil},
		{"IC #42", Command{Action: incident.Assign, IncidentID: 42, Role: incident.RoleManager}, nil},
		{"42ic", Command{Action: incident.Assign, IncidentID: 42, Role: incident.RoleManager}, nil},
		{"note 42 reverted commit abc; redeploying", Command{Action: incident.Note, IncidentID: 42, Text: "reverted commit abc; redeploying"}, nil},
		{"Note #42: memory limit 512Mi on checkout-7f9", Command{Action: incident.Note, IncidentID: 42, Text: "memory limit 512Mi on checkout-7f9"}, nil},
		{"NOTE 42\nline one\nline two\n", Command{Action: incident.Note, IncidentID: 42, Text: "line one\nline two"}, nil},
		{"note 42 ack 43", Command{Action: incident.Note, IncidentID: 42, Text: "ack 43"}, nil},
		{"note 42", Command{}, ErrEmptyNote},
		{"note 42   ", Command{}, ErrEmptyNote},
		{"note 0 x", Command{}, ErrBadIncident},
		{"note x", Command{}, ErrUnrecognized},
		{"notes 42 x", Command{}, ErrUnrecognized},
		{"ic", Command{}, ErrNoIncident},

		{"", Command{}, ErrEmpty},
		{" \t\n", Command{}, ErrEmpty},
		{"?!", Command{}, ErrUnrecognized},
		{"ack", Command{}, ErrNoIncident},
		{"resolve #", Command{}, ErrNoIncident},
		{"42", Command{}, ErrUnrecognized},
		{"yes 42", Command{}, ErrUnrecognized},
		{"ok", Command{}, ErrUnrecognized},
		{"ackk 42", Command{}, ErrUnrecognized},
		{"ack 42 please", Command{}, ErrUnrecognized},
		{"please ack 42", Command{}, ErrUnrecognized},
		{"ack resolve 42", Command{}, ErrUnrecognized},
		{"ack 42 43", Command{}, ErrTooMany},
		{"42 43", Command{}, ErrTooMany},
		{"ack 0", Command{}, ErrBadIncident},
		{"ack 9223372036854775808", Command{}, ErrBadIncident},
		{"ack 42\xff", Command{}, ErrUnrecognized},
	}
	for _, tc := range tests {
		got, err := Parse(tc.in)
		if got != tc.want || err != tc.wantErr {
			t.Errorf("Parse(%q) = %+v, %v; want %+v, %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestErrorsFitOneSMS(t *testing.T) {
	for _, err := range []error{ErrEmpty, ErrUnrecognized, ErrNoIncident, ErrTooMany, ErrBadIncident} {
		msg := err.Error()
		// 160 GSM-7 characters is one SMS segment; stay in plain ASCII.
		if len(msg) > 160 || strings.ContainsFunc(msg, func(r rune) bool { return r > 0x7e }) {
			t.Errorf("%q does not fit one plain SMS", msg)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"ack 42", "42r", "ACK #42", "close 42", "", "ack 42 43", "a\u030a 1", "٤٢ ack"} {
		f.Add(s)
	}
	known := []error{ErrEmpty, ErrUnrecognized, ErrNoIncident, ErrTooMany, ErrBadIncident}
	f.Fuzz(func(t *testing.T, body string) {
		c, err := Parse(body)
		if err != nil {
			if c != (Command{}) {
				t.Fatalf("Parse(%q) = %+v with error %v", body, c, err)
			}
			for _, k := range known {
				if errors.Is(err, k) {
					return
				}
			}
			t.Fatalf("Parse(%q): unknown error %v", body, err)
		}
		if c.Action != incident.Ack && c.Action != incident.Resolve || c.IncidentID <= 0 {
			t.Fatalf("Parse(%q) = %+v", body, c)
		}
		if !utf8.ValidString(body) {
			t.Fatalf("Parse(%q) accepted invalid UTF-8", body)
		}
		// The canonical form of an accepted reply parses to the same command.
		if again, err := Parse(string(c.Action) + " " + strconv.FormatInt(c.IncidentID, 10)); err != nil || again != c {
			t.Fatalf("canonical form of %+v parses to %+v, %v", c, again, err)
		}
	})
}
