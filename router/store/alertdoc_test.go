package store

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
)

func TestPackDocRoundTrips(t *testing.T) {
	sidebyside := string(loadAlert(7, 1000).Doc)
	tests := []struct {
		name, fp, doc string
		packed        bool // stored packed (else as it came)
		atMost        int  // stored length at most (0: any)
	}{
		{"sidebyside alert", loadAlert(7, 1000).Fingerprint, sidebyside, true, 250}, // under 252: one 256-byte allocation in Redis
		{"smallest", "a", `{"fingerprint":"a","status":"firing"}`, true, 3},
		{"dedup key, resolved", "k1", `{"fingerprint":"k1","dedup_key":"zabbix-1","status":"resolved","labels":{},"startsAt":"2026-11-27T12:00:00Z","integration":"pd"}`, true, 0},
		{"token text inside values", "f", `{"fingerprint":"f","status":"firing","labels":{"a":"\"labels\":{\"job\":\"","job":"\"status\":\"firing\""}}`, true, 0},
		{"links and details", "f", `{"fingerprint":"f","status":"firing","labels":{"x":"y"},"startsAt":"2026-11-27T12:00:00Z","links":[{"href":"http://a","text":"A"}],"details":{"n":1,"s":"\u003c"},"integration":"i"}`, true, 0},
		{"escaped fingerprint", "a<b", `{"fingerprint":"a\u003cb","status":"firing"}`, true, 0},
		{"quote at the end", "f", `{"fingerprint":"f","s":""`, true, 0},
		{"another fingerprint", "a", `{"fingerprint":"b","status":"firing"}`, false, 0},
		{"not led by its fingerprint", "a", `{"status":"firing","fingerprint":"a"}`, false, 0},
		{"whitespace", "a", "{\"fingerprint\":\"a\",\n\"status\":\"firing\"}", false, 0},
		{"empty (resolved by key alone)", "a", ``, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stored := packDoc(tt.fp, []byte(tt.doc))
			if got := len(stored) > 0 && stored[0] == packedDoc; got != tt.packed {
				t.Errorf("packDoc(%q, %q) = %q, packed %v, want %v", tt.fp, tt.doc, stored, got, tt.packed)
			}
			if tt.atMost > 0 && len(stored) > tt.atMost {
				t.Errorf("packDoc(%q) is %d bytes (of %d), want at most %d", tt.doc, len(stored), len(tt.doc), tt.atMost)
			}
			if got := unpackDoc(tt.fp, stored); string(got) != tt.doc {
				t.Errorf("unpackDoc(packDoc(%q)) = %q", tt.doc, got)
			}
		})
	}
}

// FuzzPackDoc: whatever a document holds, the store gives back its bytes
// (a document is JSON: it never starts with packedDoc).
func FuzzPackDoc(f *testing.F) {
	f.Add("fp", string(loadAlert(1, 10).Doc))
	f.Add("a", `{"fingerprint":"a","status":"firing","labels":{"job":"x"}}`)
	f.Fuzz(func(t *testing.T, fp, doc string) {
		if len(doc) > 0 && doc[0] == packedDoc {
			t.Skip()
		}
		for _, d := range []string{doc, string(fingerprintPrefix(nil, fp)) + doc} {
			if got := unpackDoc(fp, packDoc(fp, []byte(d))); string(got) != d {
				t.Fatalf("unpackDoc(packDoc(%q, %q)) = %q", fp, d, got)
			}
		}
	})
}

// Resolving an alert by key alone keeps its document marked resolved,
// packed or stored before packing (plain JSON in :alerts, the old layout,
// which reads as it was).
func TestResolveByKeyKeepsTheDocResolved(t *testing.T) {
	for _, oldLayout := range []bool{false, true} {
		t.Run(fmt.Sprintf("old layout %v", oldLayout), func(t *testing.T) {
			s, _, srv := newTestStore(t)
			ctx := context.Background()
			w := write("a", "g1", false, time.Time{})
			w.Doc = json.RawMessage(`{"fingerprint":"a","status":"firing","labels":{"job":"x"}}`)
			if _, err := s.Ingest(ctx, []AlertWrite{w, write("b", "g1", false, time.Time{})}); err != nil {
				t.Fatal(err)
			}
			if oldLayout {
				if err := srv.Client(t).HSet(ctx, s.incidentKey(1)+":alerts", "a", string(w.Doc)).Err(); err != nil {
					t.Fatal(err)
				}
			}
			resolve := write("a", "g1", true, time.Time{})
			resolve.Doc = nil
			if got, err := s.Ingest(ctx, []AlertWrite{resolve}); err != nil || got[0].Outcome != incident.AlertEnded {
				t.Fatalf("resolve by key = %v, %v", got, err)
			}
			docs, err := s.Alerts(ctx, 1)
			if err != nil {
				t.Fatal(err)
			}
			want := []string{`{"fingerprint":"a","status":"resolved","labels":{"job":"x"}}`, `{"fingerprint":"b","status":"firing"}`}
			if len(docs) != len(want) {
				t.Fatalf("Alerts() = %s, want %v", docs, want)
			}
			for i, d := range docs {
				if string(d) != want[i] {
					t.Errorf("Alerts()[%d] = %s, want %s", i, d, want[i])
				}
			}
		})
	}
}

// BenchmarkPackDoc is what packing adds to an alert on the ingest path.
func BenchmarkPackDoc(b *testing.B) {
	a := loadAlert(12345, 1000)
	b.ReportAllocs()
	for b.Loop() {
		_ = packDoc(a.Fingerprint, a.Doc)
	}
}

func TestHasControl(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want bool
	}{
		{"", false}, {"abcdefgh", false}, {"abcdefghi", false}, {" !\"~\x7f\x80\xff\xe2\x80\xa8 ok", false},
		{"\x1f", true}, {"abcdefg\x00", true}, {"abcdefgh\n", true}, {"\x01bcdefgh", true},
		{"\xffbcdefg\x1f", true}, {"\x20\x20\x20\x20\x20\x20\x20\x20", false},
	} {
		if got := hasControl([]byte(tt.in)); got != tt.want {
			t.Errorf("hasControl(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
