package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/internal/testenv"
)

// Requests that arrive while a pipeline is on its way go together in the
// next one, and each gets back the results of its own alerts, in order.
func TestConcurrentRequestsShareOnePipeline(t *testing.T) {
	cases := []struct {
		name    string
		waiting []int // alerts of each request queued behind the first
		scripts int   // script calls of the second pipeline
	}{
		{"single alerts", []int{1, 1, 1, 1, 1}, 1},
		{"mixed sizes", []int{1, 3, 2}, 1},
		{"more than a script call takes", []int{30, 1, 40}, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, _, _ := newTestStore(t)
			ctx := context.Background()

			// Hold the pipelines a replica may have on their way, each
			// with a request of its own.
			entered, release := make(chan struct{}, maxInFlight), make(chan struct{})
			var sends []int
			var mu sync.Mutex
			s.coalesce.beforeSend = func(calls int) {
				mu.Lock()
				sends = append(sends, calls)
				held := len(sends) <= maxInFlight
				mu.Unlock()
				if held {
					entered <- struct{}{}
					<-release
				}
			}
			full := queueReaches(s, maxInFlight+len(tc.waiting))
			first := make(chan []IngestResult, maxInFlight)
			for i := range maxInFlight {
				go func() {
					fp := fmt.Sprintf("first%d", i)
					res, err := s.Ingest(ctx, []AlertWrite{write(fp, "g-"+fp, false, time.Time{})})
					if err != nil {
						t.Error(err)
					}
					first <- res
				}()
				<-entered
			}

			// Queue the others behind them, then let them go.
			results := make([][]IngestResult, len(tc.waiting))
			var wg sync.WaitGroup
			for r, n := range tc.waiting {
				writes := make([]AlertWrite, n)
				for i := range writes {
					fp := fmt.Sprintf("r%d-%d", r, i)
					writes[i] = write(fp, "g-"+fp, false, time.Time{})
				}
				wg.Go(func() {
					res, err := s.Ingest(ctx, writes)
					if err != nil {
						t.Error(err)
					}
					results[r] = res
				})
			}
			<-full
			stats := evalshaCalls(t, s)
			close(release)
			wg.Wait()
			for range maxInFlight {
				if got := <-first; len(got) != 1 || got[0].Outcome != incident.AlertTriggered {
					t.Fatalf("first requests: %v", got)
				}
			}

			want := append(slices.Repeat([]int{1}, maxInFlight), len(tc.waiting))
			if !slices.Equal(sends, want) {
				t.Errorf("pipelines carried %v requests, want %v", sends, want)
			}
			if got := evalshaCalls(t, s) - stats; got != int64(maxInFlight+tc.scripts) {
				t.Errorf("%d script calls after the held pipelines left, want %d", got, maxInFlight+tc.scripts)
			}
			// Each request's alerts opened incidents of their own: the ids
			// tell them apart, and every alert came back once, in order.
			seen := map[int64]bool{}
			for r, res := range results {
				if len(res) != tc.waiting[r] {
					t.Fatalf("request %d: %d results for %d alerts", r, len(res), tc.waiting[r])
				}
				for i, x := range res {
					if x.Outcome != incident.AlertTriggered || seen[x.IncidentID] {
						t.Errorf("request %d alert %d: %+v", r, i, x)
					}
					seen[x.IncidentID] = true
					docs, err := s.Alerts(ctx, x.IncidentID)
					if err != nil {
						t.Fatal(err)
					}
					if want := fmt.Sprintf(`"fingerprint":"r%d-%d"`, r, i); len(docs) != 1 || !strings.Contains(string(docs[0]), want) {
						t.Errorf("request %d alert %d: its incident holds %s, want the alert %s", r, i, docs, want)
					}
				}
			}
		})
	}
}

// A request whose sender gives up does not wait for the pipeline, and the
// requests it travelled with are stored all the same.
func TestAbandonedRequestLeavesOthersStored(t *testing.T) {
	s, _, _ := newTestStore(t)
	entered, release := make(chan struct{}, maxInFlight), make(chan struct{})
	var mu sync.Mutex
	held := 0
	s.coalesce.beforeSend = func(int) {
		mu.Lock()
		held++
		hold := held <= maxInFlight
		mu.Unlock()
		if hold {
			entered <- struct{}{}
			<-release
		}
	}
	full := queueReaches(s, maxInFlight+2)
	ctx := context.Background()
	done := make(chan error, 2+maxInFlight)
	for i := range maxInFlight {
		go func() {
			fp := fmt.Sprintf("a%d", i)
			_, err := s.Ingest(ctx, []AlertWrite{write(fp, "g"+fp, false, time.Time{})})
			done <- err
		}()
		<-entered
	}
	gone, cancel := context.WithCancel(ctx)
	go func() {
		_, err := s.Ingest(gone, []AlertWrite{write("b", "gb", false, time.Time{})})
		done <- err
	}()
	go func() {
		_, err := s.Ingest(ctx, []AlertWrite{write("c", "gc", false, time.Time{})})
		done <- err
	}()
	<-full
	cancel()
	if err := <-done; err == nil {
		t.Fatal("the abandoned request answered without its context's error")
	}
	close(release)
	for range 1 + maxInFlight {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	for _, fp := range []string{"b", "c"} {
		res, err := s.Ingest(ctx, []AlertWrite{write(fp, "g"+fp, false, time.Time{})})
		if err != nil {
			t.Fatal(err)
		}
		if res[0].Outcome != incident.AlertDeduplicated {
			t.Errorf("alert %s re-sent: %s, want it already stored", fp, res[0].Outcome)
		}
	}
}

func evalshaCalls(t *testing.T, s *Store) int64 {
	t.Helper()
	stats, err := testenv.CommandStats(context.Background(), s.rdb)
	if err != nil {
		t.Fatal(err)
	}
	return stats["evalsha"].Calls
}

// queueReaches returns a channel closed once the store has seen calls
// calls queue up in all (the held pipelines' own calls count: each joined
// the queue before its pipeline took it).
func queueReaches(s *Store, calls int) <-chan struct{} {
	reached := make(chan struct{})
	seen := 0
	s.coalesce.queued = func(int) { // runs under the coalescer's lock
		if seen++; seen == calls {
			close(reached)
		}
	}
	return reached
}
