package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/pagerd/pagerd/internal/testenv"
)

// BenchmarkIngest100 stores 100-alert webhooks against a real redis-server:
// each op is one request (one pipelined round trip), half new alerts and
// half re-sent ones.
func BenchmarkIngest100(b *testing.B) {
	s, _, _ := newTestStoreTB(b)
	ingest100(b, s)
}

// ingest100 is the loop of the Ingest100 benchmarks.
func ingest100(b *testing.B, s *Store) {
	ctx := context.Background()
	batch := make([]AlertWrite, 100)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		for j := range batch {
			// 10 groups per request; every other request repeats the last.
			n := (i / 2) * 100
			batch[j] = write(fmt.Sprintf("fp-%d", n+j), fmt.Sprintf("g-%d", (n+j)/10), false, time.Time{})
		}
		if _, err := s.Ingest(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(batch))/b.Elapsed().Seconds(), "alerts/s")
}

// BenchmarkIngest100Replicated is BenchmarkIngest100 on a primary with one
// replica, without and with waiting for the replica (wait_replicas=1): the
// latency WAIT adds to every request.
func BenchmarkIngest100Replicated(b *testing.B) {
	for _, wait := range []int{0, 1} {
		b.Run(fmt.Sprintf("wait_replicas=%d", wait), func(b *testing.B) {
			f := testenv.StartRedisFailover(b)
			s := New(f.Primary.Client(b), "bench")
			s.Durability = Durability{Replicas: wait, Timeout: time.Second}
			if err := s.Load(context.Background()); err != nil {
				b.Fatal(err)
			}
			ingest100(b, s)
		})
	}
}
