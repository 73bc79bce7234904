package store

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pagerd/pagerd/incident"
)

// oldFingerprintLayout opens incident 1 with alerts fps in group g1 and
// puts its fingerprint index back in the layout of the previous version,
// one key per alert ("fp:<fingerprint>"), not yet migrated.
func oldFingerprintLayout(t *testing.T, s *Store, rdb *redis.Client, fps ...string) {
	t.Helper()
	ctx := context.Background()
	for _, fp := range fps {
		if _, err := s.Ingest(ctx, []AlertWrite{write(fp, "g1", false, time.Time{})}); err != nil {
			t.Fatal(err)
		}
		if err := rdb.HDel(ctx, s.fpIndexKey(fp), fp).Err(); err != nil {
			t.Fatal(err)
		}
		if err := rdb.Set(ctx, s.key("fp", fp), 1, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := rdb.Del(ctx, s.key("fp_migrated")).Err(); err != nil {
		t.Fatal(err)
	}
}

// A deployment upgraded with alerts open holds the old layout of the
// fingerprint index. Before a replica's start has moved it into the index
// (Store.Load), its alerts stay in their incident when grouping changes,
// resolve there, and move into the index as ingest touches them.
func TestFingerprintIndexOfTheOldLayout(t *testing.T) {
	s, _, srv := newTestStore(t)
	rdb := srv.Client(t)
	ctx := context.Background()
	noEnd := time.Time{}
	oldFingerprintLayout(t, s, rdb, "fa", "fb", "fc")

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

// A replica's start moves the old layout into the index, once: then a
// regrouped alert is still found in its incident.
func TestLoadMigratesTheFingerprintIndex(t *testing.T) {
	s, _, srv := newTestStore(t)
	rdb := srv.Client(t)
	ctx := context.Background()
	fps := []string{"fa", "fb", "a4968fcd8858e3e5"}
	oldFingerprintLayout(t, s, rdb, fps...)
	for range 2 { // a second replica's start finds it done
		if err := s.Load(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, fp := range fps {
		if id, _ := rdb.HGet(ctx, s.fpIndexKey(fp), fp).Result(); id != "1" {
			t.Errorf("index entry of %s = %q, want 1", fp, id)
		}
		if n, _ := rdb.Exists(ctx, s.key("fp", fp)).Result(); n != 0 {
			t.Errorf("fp:%s still exists", fp)
		}
	}
	if n, _ := rdb.Get(ctx, s.key("fp_migrated")).Result(); n != "3" {
		t.Errorf("fp_migrated = %q, want 3 (keys moved)", n)
	}
	got, err := s.Ingest(ctx, []AlertWrite{write("fb", "g2", false, time.Time{})})
	if err != nil || got[0] != (IngestResult{1, incident.AlertDeduplicated}) {
		t.Errorf("regrouped alert after the migration: %+v, %v; want deduplicated in incident 1", got, err)
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
