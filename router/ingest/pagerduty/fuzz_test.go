package pagerduty

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/router/ingest"
	"github.com/pagerd/pagerd/router/ingest/ingesttest"
)

// checkRefused holds for every error either decoder returns: a
// DecodeError a sender can be shown, listing its problems when it has
// them.
func checkRefused(t *testing.T, err error) {
	t.Helper()
	var de *ingest.DecodeError
	if !errors.As(err, &de) {
		t.Fatalf("error %v is a %T, want *ingest.DecodeError", err, err)
	}
	switch de.Kind {
	case ingest.Malformed:
		if len(de.Problems) != 0 || de.Error() == "" {
			t.Fatalf("malformed body refused with %+v", de)
		}
	case ingest.Invalid:
		if len(de.Problems) == 0 || de.Reason != strings.Join(de.Problems, "; ") {
			t.Fatalf("invalid event refused without its problems: %+v", de)
		}
	default:
		t.Fatalf("unexpected kind %v", de.Kind)
	}
}

func checkLinks(t *testing.T, links []incident.Link) {
	t.Helper()
	for _, l := range links {
		if blank(l.Href) {
			t.Fatalf("link without an href accepted: %+v", links)
		}
	}
}

func FuzzDecodeEvent(f *testing.F) {
	ingesttest.AddSeeds(f, []string{"go-pagerduty-1.8.0-trigger.json", "alertmanager-0.25-pagerduty-trigger.json", "alertmanager-0.25-pagerduty-resolve.json"},
		``, `{}`, `null`, `[]`,
		`{"routing_key":"k","event_action":"acknowledge","dedup_key":"d"}`,
		`{"routing_key":"k","event_action":"resolve","dedup_key":"d","payload":{"severity":"x","timestamp":"2015-07-17T08:42:58.315+0000"},"links":[{}]}`,
		`{"routing_key":"k","event_action":"trigger","payload":{"summary":"s","source":"h","severity":"info","timestamp":"2015-07-17T08:42:58-05","component":""},"images":[{"src":"https://i","href":"https://h"}]}`,
		`{"routing_key":1,"event_action":"trigger","dedup_key":[],"payload":{"summary":null,"severity":"fatal"},"links":{}}`,
		// ISO 8601, but outside the years 0000-9999 once in UTC.
		`{"routing_key":"k","event_action":"trigger","payload":{"summary":"s","source":"h","severity":"info","timestamp":"9999-12-31T23:59:59-23:59"}}`,
		`{"routing_key":"k","event_action":"resolve","dedup_key":"d","payload":{"timestamp":"0000-01-01T00:00:00+23:59"}}`)
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := DecodeEvent(strings.NewReader(string(body)), now)
		if err != nil {
			checkRefused(t, err)
			return
		}
		if blank(b.Token) || len(b.Alerts) != 1 || len(b.Changes) != 0 {
			t.Fatalf("accepted %+v", b)
		}
		a := b.Alerts[0]
		if blank(a.DedupKey) || utf8.RuneCountInString(a.DedupKey) > MaxDedupKey {
			t.Fatalf("accepted dedup_key %q", a.DedupKey)
		}
		for name, value := range a.Labels {
			if value == "" {
				t.Fatalf("empty label %s accepted: %v", name, a.Labels)
			}
		}
		if a.Annotations == nil || a.StartsAt.IsZero() || a.StartsAt.Location() != time.UTC {
			t.Fatalf("alert without annotations or a UTC start: %+v", a)
		}
		if !ingest.StorableTime(a.StartsAt) || !ingest.StorableTime(a.EndsAt) {
			t.Fatalf("alert accepted with times pagerd cannot keep: %+v", a)
		}
		switch a.Action {
		case incident.AlertTrigger:
			if blank(a.Labels["summary"]) || blank(a.Labels["source"]) || !slices.Contains(Severities, a.Labels["severity"]) ||
				utf8.RuneCountInString(a.Labels["summary"]) > MaxSummary || a.Annotations["summary"] != a.Labels["summary"] {
				t.Fatalf("trigger accepted that breaks PagerDuty's rules: %+v", a)
			}
			if !a.EndsAt.IsZero() {
				t.Fatalf("trigger with an end: %+v", a)
			}
			checkLinks(t, a.Links)
		case incident.AlertAcknowledge:
			if !a.EndsAt.IsZero() {
				t.Fatalf("acknowledge with an end: %+v", a)
			}
		case incident.AlertResolve:
			if !a.EndsAt.Equal(a.StartsAt) {
				t.Fatalf("resolve that does not end when it starts: %+v", a)
			}
		default:
			t.Fatalf("unknown action accepted: %+v", a)
		}
	})
}

func FuzzDecodeChange(f *testing.F) {
	ingesttest.AddSeeds(f, []string{"go-pagerduty-1.8.0-change.json"},
		``, `{}`, `{"routing_key":"k","payload":{"summary":"s"}}`,
		`{"routing_key":"k","payload":{"summary":"s","timestamp":"2020-07-17T08:42:58.315+0000"},"links":[{"href":"h"}],"images":[{"src":"s"}]}`,
		`{"routing_key":"k","payload":{"summary":7},"links":[null]}`,
		`{"routing_key":"k","payload":{"summary":"s","timestamp":"9999-12-31T23:59:59-23:59"}}`,
		`{"routing_key":"k","payload":{"summary":"s","timestamp":"0000-01-01T00:00:00+23:59"}}`)
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := DecodeChange(strings.NewReader(string(body)), now)
		if err != nil {
			checkRefused(t, err)
			return
		}
		if blank(b.Token) || len(b.Alerts) != 0 || len(b.Changes) != 1 {
			t.Fatalf("accepted %+v", b)
		}
		c := b.Changes[0]
		if blank(c.Summary) || utf8.RuneCountInString(c.Summary) > MaxSummary || c.At.IsZero() || c.At.Location() != time.UTC || !ingest.StorableTime(c.At) {
			t.Fatalf("change accepted that breaks PagerDuty's rules: %+v", c)
		}
		checkLinks(t, c.Links)
	})
}
