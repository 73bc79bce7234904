package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/internal/testenv"
)

// An alert decided with a snapshot of silences older than Redis's is
// refused as stale and nothing of it is stored; decided again with the
// new version, it is stored.
func TestIngestRefusesStaleSilences(t *testing.T) {
	s, clk, srv := newTestStore(t)
	ctx := context.Background()
	sil := incident.Silence{ID: "s1", Matchers: []string{"a=b"}, StartsAt: clk.Now(), EndsAt: clk.Now().Add(time.Hour)}
	if err := s.PutSilence(ctx, sil, "", time.Hour); err != nil {
		t.Fatal(err)
	}
	version, sils, err := s.Silences(ctx)
	if err != nil || version != "1" || len(sils) != 1 || sils[0].ID != "s1" {
		t.Fatalf("Silences = %q, %+v, %v; want version 1 with s1", version, sils, err)
	}
	w := write("a", "g1", false, time.Time{})
	w.Suppression = Suppression{Silences: "0"}
	got, err := s.Ingest(ctx, []AlertWrite{w})
	if err != nil || !got[0].Stale() {
		t.Fatalf("alert with an old snapshot = %+v, %v; want stale", got, err)
	}
	if _, err := s.Incident(ctx, 1); !errors.Is(err, ErrNotFound) {
		t.Errorf("a stale alert stored an incident: %v", err)
	}
	w.Suppression = Suppression{Silences: version, Why: "silence:s1", ReviewAt: sil.EndsAt}
	if got, err := s.Ingest(ctx, []AlertWrite{w}); err != nil || got[0] != (IngestResult{1, incident.AlertSuppressed}) {
		t.Fatalf("alert with the current snapshot = %+v, %v; want suppressed in incident 1", got, err)
	}
	inc, err := s.Incident(ctx, 1)
	if err != nil || inc.Suppressed != "silence:s1" || !inc.ReviewAt.Equal(sil.EndsAt) || inc.SuppressedAlerts["a"] != "silence:s1" {
		t.Fatalf("incident = %+v, %v; want suppressed by s1 until its end", inc, err)
	}
	// A review with the old version changes nothing.
	if err := s.Review(ctx, 1, "checkout", "0", time.Time{}, []ReviewedAlert{{Fingerprint: "a"}}); !errors.Is(err, ErrStale) {
		t.Errorf("review with an old snapshot = %v, want ErrStale", err)
	}
	// A review judged for another service (the incident was rerouted since
	// it was read) changes nothing either.
	if err := s.Review(ctx, 1, "search", version, time.Time{}, []ReviewedAlert{{Fingerprint: "a"}}); !errors.Is(err, ErrMoved) {
		t.Errorf("review for another service = %v, want ErrMoved", err)
	}
	if inc, _ := s.Incident(ctx, 1); inc.Suppressed != "silence:s1" {
		t.Errorf("a review for another service changed the incident: suppressed %q", inc.Suppressed)
	}
	// Expired by hand (changed as read): the version moves on, and the
	// open incident is due for a review now.
	_, rev, err := s.Silence(ctx, "s1")
	if err != nil {
		t.Fatal(err)
	}
	sil.EndsAt = clk.Now()
	if err := s.PutSilence(ctx, sil, "stale revision", time.Hour); !errors.Is(err, ErrConflict) {
		t.Errorf("put over a changed silence = %v, want ErrConflict", err)
	}
	if err := s.PutSilence(ctx, sil, rev, time.Hour); err != nil {
		t.Fatal(err)
	}
	if inc, _ := s.Incident(ctx, 1); !inc.NeedsReview {
		t.Error("a silence changed and the open incident is not due for a review")
	}
	if err := s.Review(ctx, 1, "checkout", "2", time.Time{}, []ReviewedAlert{{Fingerprint: "a", Name: "A a"}}); err != nil {
		t.Fatal(err)
	}
	inc, _ = s.Incident(ctx, 1)
	if inc.Suppressed != "" || inc.NeedsReview || len(inc.SuppressedAlerts) != 0 || inc.Run != 1 || !inc.RunAt.Equal(clk.Now()) {
		t.Errorf("after the review = %+v; want unsuppressed, a new run starting now", inc)
	}
	wantMuted(t, srv, 0)
}

// wantMuted checks the count of muted alerts the ingest script reads to
// skip suppression while nothing is muted: it must be exact.
func wantMuted(t *testing.T, srv *testenv.RedisServer, want int) {
	t.Helper()
	if got, _ := srv.Client(t).Get(context.Background(), "{test}:muted").Int(); got != want {
		t.Errorf("muted alerts counted %d, want %d", got, want)
	}
}

// Inhibition sets follow what fires: a source that stops firing — it
// resolves, its endsAt passes, or someone resolves its incident — frees
// its targets, whose incidents are due for a review at once, and leaves
// no set behind.
func TestInhibitionSourcesStopFiring(t *testing.T) {
	for _, end := range []string{"resolved", "expired", "resolved by hand"} {
		t.Run(end, func(t *testing.T) {
			s, clk, srv := newTestStore(t)
			ctx := context.Background()
			rdb := srv.Client(t)
			src := write("src", "g-src", false, time.Time{})
			if end == "expired" {
				src.EndsAt = clk.Now().Add(time.Minute)
			}
			src.Suppression.Inhibit = "o:cluster-down:x"
			tgt := write("tgt", "g-tgt", false, time.Time{})
			tgt.Suppression.Inhibit = "t:cluster-down:x"
			got, err := s.Ingest(ctx, []AlertWrite{src, tgt})
			if err != nil || got[1] != (IngestResult{2, incident.AlertSuppressed}) {
				t.Fatalf("source then target = %+v, %v; want the target suppressed", got, err)
			}
			if inc, _ := s.Incident(ctx, 2); inc.Suppressed != "inhibited:cluster-down" {
				t.Fatalf("target incident suppressed %q, want inhibited:cluster-down", inc.Suppressed)
			}
			wantMuted(t, srv, 1)
			switch end {
			case "resolved":
				src.Action = incident.AlertResolve
				_, err = s.Ingest(ctx, []AlertWrite{src})
			case "expired":
				clk.Advance(2 * time.Minute)
				_, err = s.ExpireAlerts(ctx, 1, time.Hour)
			default:
				_, err = s.Act(ctx, incident.Request{Incident: 1, Action: incident.Resolve, By: "alice"}, time.Hour)
			}
			if err != nil {
				t.Fatal(err)
			}
			inc, _ := s.Incident(ctx, 2)
			if !inc.NeedsReview {
				t.Error("the source stopped firing and the target's incident is not due for a review")
			}
			if next, _ := s.NextDue(ctx); next.After(clk.Now()) {
				t.Errorf("next timer at %s, want the target's incident due now (%s)", next, clk.Now())
			}
			if n, _ := rdb.Exists(ctx, "{test}:inh:cluster-down:x:o", "{test}:inc:1:inh", "{test}:inc:1:muted").Result(); n != 0 {
				t.Errorf("%d of the source's inhibition keys left behind", n)
			}
			// The review finds the target free: the incident pages anew.
			if err := s.Review(ctx, 2, "checkout", "0", time.Time{}, []ReviewedAlert{{Fingerprint: "tgt", Name: "InstanceDown tgt", Suppression: tgt.Suppression}}); err != nil {
				t.Fatal(err)
			}
			if inc, _ := s.Incident(ctx, 2); inc.Suppressed != "" || inc.Run != 1 {
				t.Errorf("target incident after the review = suppressed %q, run %d; want paging, run 1", inc.Suppressed, inc.Run)
			}
			wantMuted(t, srv, 0)
			// Muted again, then resolved by hand: nothing stays counted.
			if err := s.Review(ctx, 2, "checkout", "0", time.Time{}, []ReviewedAlert{{Fingerprint: "tgt", Name: "InstanceDown tgt",
				Suppression: Suppression{Why: "silence:x"}}}); err != nil {
				t.Fatal(err)
			}
			wantMuted(t, srv, 1)
			if _, err := s.Act(ctx, incident.Request{Incident: 2, Action: incident.Resolve, By: "alice"}, time.Hour); err != nil {
				t.Fatal(err)
			}
			wantMuted(t, srv, 0)
		})
	}
}

// A missed heartbeat's alert decided with old silences fires nothing and
// records no miss: the engine decides again.
func TestMissHeartbeatRefusesStaleSilences(t *testing.T) {
	s, clk, _ := newTestStore(t)
	ctx := context.Background()
	if err := s.SyncHeartbeats(ctx, map[string]time.Duration{"backup": time.Hour}); err != nil {
		t.Fatal(err)
	}
	sil := incident.Silence{ID: "s1", Matchers: []string{"a=b"}, StartsAt: clk.Now(), EndsAt: clk.Now().Add(time.Hour)}
	if err := s.PutSilence(ctx, sil, "", time.Hour); err != nil {
		t.Fatal(err)
	}
	clk.Advance(2 * time.Hour)
	st, _ := s.Heartbeat(ctx, "backup")
	fire := heartbeatWrite(incident.AlertTrigger)
	if _, err := s.MissHeartbeat(ctx, st, clk.Now(), fire, nil); !errors.Is(err, ErrStale) {
		t.Fatalf("a miss decided with old silences = %v, want ErrStale", err)
	}
	if st, _ := s.Heartbeat(ctx, "backup"); !st.Missed.IsZero() {
		t.Fatalf("a stale miss was recorded: %+v", st)
	}
	fire.Suppression = Suppression{Silences: "1", Why: "silence:s1"}
	if res, err := s.MissHeartbeat(ctx, st, clk.Now(), fire, nil); err != nil || res.Outcome != incident.AlertSuppressed {
		t.Fatalf("a miss decided with the silences as they are = %+v, %v; want suppressed", res, err)
	}
}

// ingest.lua reads how many alerts are muted once a call, and again after
// suppression changed it: an alert muted and then freed within one
// request (one call) ends free, as in two.
func TestMutedAndFreedInOneCall(t *testing.T) {
	s, clk, _ := newTestStore(t)
	ctx := context.Background()
	sil := incident.Silence{ID: "s1", Matchers: []string{"a=b"}, StartsAt: clk.Now(), EndsAt: clk.Now().Add(time.Hour)}
	if err := s.PutSilence(ctx, sil, "", time.Hour); err != nil {
		t.Fatal(err)
	}
	muted := write("a", "g1", false, time.Time{})
	muted.Suppression = Suppression{Silences: "1", Why: "silence:s1", ReviewAt: sil.EndsAt}
	free := write("a", "g1", false, time.Time{})
	free.Suppression = Suppression{Silences: "1"}
	got, err := s.Ingest(ctx, []AlertWrite{muted, free})
	if err != nil {
		t.Fatal(err)
	}
	if want := []IngestResult{{1, incident.AlertSuppressed}, {1, incident.AlertDeduplicated}}; got[0] != want[0] || got[1] != want[1] {
		t.Errorf("Ingest = %+v, want %+v", got, want)
	}
	inc, err := s.Incident(ctx, 1)
	if err != nil || inc.Suppressed != "" || len(inc.SuppressedAlerts) != 0 {
		t.Errorf("incident = suppressed %q %v, %v; want free", inc.Suppressed, inc.SuppressedAlerts, err)
	}
}

// An alert that matches an inhibit rule's both sides ('b' and 'T') is
// muted only by alerts that match its source alone: when the last of
// those stops firing, its incident is due for a review although it, a
// 'b' alert, still fires. It used to stay muted until it was sent again.
func TestInhibitionTwoSidedTargetFreedWhenOnlySourceStops(t *testing.T) {
	s, clk, _ := newTestStore(t)
	ctx := context.Background()
	src := write("src", "g-src", false, time.Time{})
	src.Suppression.Inhibit = "o:cluster-down:x"
	both := write("both", "g-both", false, time.Time{})
	both.Suppression.Inhibit = "b:cluster-down:x T:cluster-down:x"
	got, err := s.Ingest(ctx, []AlertWrite{src, both})
	if err != nil || got[1] != (IngestResult{2, incident.AlertSuppressed}) {
		t.Fatalf("source then two-sided target = %+v, %v; want the target suppressed", got, err)
	}
	if inc, _ := s.Incident(ctx, 2); inc.NeedsReview {
		t.Fatal("the two-sided target's incident is due for a review before anything changed")
	}
	src.Action = incident.AlertResolve
	if _, err := s.Ingest(ctx, []AlertWrite{src}); err != nil {
		t.Fatal(err)
	}
	if inc, _ := s.Incident(ctx, 2); !inc.NeedsReview {
		t.Error("the only one-sided source stopped firing and the two-sided target's incident is not due for a review")
	}
	if next, _ := s.NextDue(ctx); next.After(clk.Now()) {
		t.Errorf("next timer at %s, want the target's incident due now (%s)", next, clk.Now())
	}
}
