package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
)

// One incident of 900 alerts must not print 900 lines: show folds each run
// of per-alert facts into one line and keeps what people did in view.
func TestShowFoldsRunsOfAlertFacts(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 23, 0, 0, 0, time.Local)
	fact := func(k incident.Kind, detail string) incident.Fact {
		return incident.Fact{At: t0, Kind: k, Detail: detail}
	}
	var big []incident.Fact
	big = append(big, fact(incident.KindTriggered, "DiskFull"))
	for i := 1; i < 900; i++ {
		big = append(big, fact(incident.KindAlertFiring, fmt.Sprintf("DiskFull fp%d", i)))
	}
	big = append(big, fact(incident.KindAcknowledged, "ack"), fact(incident.KindAlertResolved, "DiskFull fp1"),
		fact(incident.KindAlertResolved, "DiskFull fp2"))

	for _, tc := range []struct {
		name  string
		facts []incident.Fact
		want  []string // the kinds shown, in order
	}{
		{"a run of 899 joins is one line", big,
			[]string{"triggered", "alert_firing", "acknowledged", "alert_resolved", "alert_resolved"}},
		{"two in a row stay two", []incident.Fact{fact(incident.KindAlertFiring, "a"), fact(incident.KindAlertFiring, "b")},
			[]string{"alert_firing", "alert_firing"}},
		{"notes are never folded", []incident.Fact{fact(incident.KindNote, "a"), fact(incident.KindNote, "b"), fact(incident.KindNote, "c")},
			[]string{"note", "note", "note"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, f := range foldAlertFacts(tc.facts) {
				got = append(got, string(f.Kind))
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("shown %v, want %v", got, tc.want)
			}
		})
	}
	folded := foldAlertFacts(big)[1]
	if !strings.HasPrefix(folded.Detail, "899 alerts, 23:00:00 to 23:00:00: DiskFull fp1 ... DiskFull fp899") {
		t.Errorf("folded line = %q", folded.Detail)
	}

	var out bytes.Buffer
	many := make([]incident.Fact, 0, 2*shownFacts)
	for i := range 2 * shownFacts {
		many = append(many, fact(incident.KindNote, fmt.Sprint(i)))
	}
	if err := writeIncident(&out, incidentView{Incident: incident.Incident{ID: 7, Status: incident.Triggered}, Timeline: many}); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(out.String(), "  note "); lines != shownFacts || !strings.Contains(out.String(), "50 more lines: pagerd timeline 7") {
		t.Errorf("a long timeline printed %d notes; want %d and where the rest are:\n%s", lines, shownFacts, out.String())
	}
}
