package store

import (
	"context"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
)

// A deployment upgraded with alerts open holds the old layout of the
// fingerprint index, one key per alert ("fp:<fingerprint>"): its alerts
// stay in their incident when grouping changes, resolve there, and move
// into the new index as ingest touches them.
func TestFingerprintIndexOfTheOldLayout(t *testing.T) {
	s, _, srv := newTestStore(t)
	rdb := srv.Client(t)
	ctx := context.Background()
	noEnd := time.Time{}
	if _, err := s.Ingest(ctx, []AlertWrite{write("fa", "g1", false, noEnd), write("fb", "g1", false, noEnd), write("fc", "g1", false, noEnd)}); err != nil {
		t.Fatal(err)
	}
	// Back to the old layout, as the previous version wrote it.
	for _, fp := range []string{"fa", "fb", "fc"} {
		if err := rdb.HDel(ctx, s.fpIndexKey(fp), fp).Err(); err != nil {
			t.Fatal(err)
		}
		if err := rdb.Set(ctx, s.key("fp", fp), 1, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}

	// A reload changed grouping: the alerts now belong to group g2.
	steps := []struct {
		name  string
		write AlertWrite
		want  IngestResult
		// where the alert's index entry is after the step: "new", "old"
		// or "" (none)
		index string
	}{
		{"re-sent alert stays in its incident", write("fa", "g2", false, noEnd), IngestResult{1, incident.AlertDeduplicated}, "new"},
		{"resolved alert resolves in its incident", write("fb", "g2", true, noEnd), IngestResult{1, incident.AlertEnded}, ""},
		{"a new alert goes into the new index", write("zz", "g3", false, noEnd), IngestResult{2, incident.AlertTriggered}, "new"},
		{"another old one resolves in its incident", write("fc", "g2", true, noEnd), IngestResult{1, incident.AlertEnded}, ""},
		{"and the moved one closes it", write("fa", "g2", true, noEnd), IngestResult{1, incident.AlertClosed}, ""},
	}
	for _, st := range steps {
		got, err := s.Ingest(ctx, []AlertWrite{st.write})
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got[0] != st.want {
			t.Errorf("%s: got %+v, want %+v", st.name, got[0], st.want)
		}
		fp := st.write.Fingerprint
		inNew, _ := rdb.HExists(ctx, s.fpIndexKey(fp), fp).Result()
		inOld, _ := rdb.Exists(ctx, s.key("fp", fp)).Result()
		index := map[[2]bool]string{{true, false}: "new", {false, true}: "old", {false, false}: ""}[[2]bool{inNew, inOld == 1}]
		if index != st.index {
			t.Errorf("%s: %s's index entry is %q (new %v, old %v), want %q", st.name, fp, index, inNew, inOld, st.index)
		}
	}
	if n, _ := rdb.Exists(ctx, s.key("fp", "fc")).Result(); n != 0 {
		t.Errorf("fp:fc still exists after its alert resolved")
	}
}

func TestFpIndexKeyMatchesTheScripts(t *testing.T) {
	s, _, srv := newTestStore(t)
	for _, fp := range []string{"a", "ab", "abc", "a4968fcd8858e3e5", "fp-12345"} {
		// The script's fp_index, through forget_fp's first read: seed
		// the entry where Go says it is, and let a resolve drop it.
		ctx := context.Background()
		if _, err := s.Ingest(ctx, []AlertWrite{write(fp, "g-"+fp, false, time.Time{})}); err != nil {
			t.Fatal(err)
		}
		if ok, _ := srv.Client(t).HExists(ctx, s.fpIndexKey(fp), fp).Result(); !ok {
			t.Errorf("%q is not in %s", fp, s.fpIndexKey(fp))
		}
		if _, err := s.Ingest(ctx, []AlertWrite{write(fp, "g-"+fp, true, time.Time{})}); err != nil {
			t.Fatal(err)
		}
		if ok, _ := srv.Client(t).HExists(ctx, s.fpIndexKey(fp), fp).Result(); ok {
			t.Errorf("%q is still in %s after it resolved", fp, s.fpIndexKey(fp))
		}
	}
}
