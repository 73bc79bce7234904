// Package ingesttest holds what every intake format's tests check of a
// decoded batch, so that each format's fuzz test holds its decoder to the
// same promises.
package ingesttest

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/common/model"

	"github.com/pagerd/pagerd/router/ingest"
)

var hex16 = regexp.MustCompile(`^[0-9a-f]{16}$`)

// CheckBatch fails t unless what a decoder of label-addressed alerts
// returned keeps the toolkit's promises: an error is a *ingest.DecodeError
// with a message; a batch holds at most MaxAlerts alerts, each refused
// alert is named by its position in the payload (ascending, distinct),
// and each accepted one has valid non-empty labels, the fingerprint
// Alertmanager computes for them, a start, times pagerd can keep, and no
// end before its start.
func CheckBatch(t *testing.T, b *ingest.Batch, err error) {
	t.Helper()
	if err != nil {
		var de *ingest.DecodeError
		if !errors.As(err, &de) {
			t.Fatalf("error %v is a %T, want *ingest.DecodeError", err, err)
		}
		if de.Error() == "" {
			t.Fatal("empty error message")
		}
		return
	}
	if n := len(b.Alerts) + len(b.Rejected); n > ingest.MaxAlerts {
		t.Fatalf("accepted a payload of %d alerts", n)
	}
	last := -1
	for _, r := range b.Rejected {
		if r.Index <= last {
			t.Fatalf("rejected alerts out of order: %d after %d", r.Index, last)
		}
		last = r.Index
		if want := fmt.Sprintf("alerts[%d]", r.Index); !strings.HasPrefix(r.Error(), want) {
			t.Fatalf("refusal %q does not start with %s", r.Error(), want)
		}
	}
	for i, a := range b.Alerts {
		if len(a.Labels) == 0 {
			t.Fatalf("alert %d accepted without labels", i)
		}
		ls := make(model.LabelSet, len(a.Labels))
		for k, v := range a.Labels {
			if v == "" || !model.LegacyValidation.IsValidLabelName(k) {
				t.Fatalf("alert %d accepted with label %q=%q", i, k, v)
			}
			ls[model.LabelName(k)] = model.LabelValue(v)
		}
		if !hex16.MatchString(a.Fingerprint) || a.Fingerprint != ls.Fingerprint().String() {
			t.Fatalf("alert %d has fingerprint %q", i, a.Fingerprint)
		}
		if a.StartsAt.IsZero() {
			t.Fatalf("alert %d has no start", i)
		}
		if !ingest.StorableTime(a.StartsAt) || !ingest.StorableTime(a.EndsAt) {
			t.Fatalf("alert %d accepted with times pagerd cannot keep: %s, %s", i, a.StartsAt, a.EndsAt)
		}
		if !a.EndsAt.IsZero() && a.EndsAt.Before(a.StartsAt) {
			t.Fatalf("alert %d ends %s before it starts %s", i, a.EndsAt, a.StartsAt)
		}
		for _, r := range b.Rejected {
			if r.Index == b.Position(i) {
				t.Fatalf("alert %d is at position %d, which is also refused", i, r.Index)
			}
		}
	}
}

// AddSeeds adds the fixtures testdata/<name> and the bodies more to f's
// corpus.
func AddSeeds(f *testing.F, fixtures []string, more ...string) {
	for _, name := range fixtures {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range more {
		f.Add([]byte(s))
	}
}
