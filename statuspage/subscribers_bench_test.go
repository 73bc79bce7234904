package statuspage

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/internal/testenv"
	"github.com/pagerd/pagerd/links"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router/store"
	"github.com/pagerd/pagerd/statuspage/notify"
	_ "github.com/pagerd/pagerd/statuspage/notify/email"
)

// crashing is a replica that dies halfway: after `after` messages it
// still hands each message it has started to the SMTP server, but never
// returns to record it (as a process killed between the server's "250"
// and its write to Redis would), and takes no more.
type crashing struct {
	notify.Channel
	after   int64
	sent    atomic.Int64
	stopped chan struct{}
}

func (c *crashing) Send(ctx context.Context, m notify.Message) error {
	if c.sent.Add(1) > c.after {
		err := c.Channel.Send(ctx, m)
		<-c.stopped // dead: its lease lapses, another replica goes on
		return err
	}
	return c.Channel.Send(ctx, m)
}

// BenchmarkTenThousandEmailSubscribers publishes one update to 10,000
// confirmed email subscribers (PAGERD_BENCH_SUBSCRIBERS to change it)
// through a real aiosmtpd and redis-server, with one replica's deliverer
// killed halfway and another finishing: every subscriber must get the
// update; a duplicate is only what the dead replica had in flight.
//
//	go test -run '^$' -bench TenThousandEmail -benchtime 1x ./statuspage/
func BenchmarkTenThousandEmailSubscribers(b *testing.B) {
	n := 10000
	if v, err := strconv.Atoi(os.Getenv("PAGERD_BENCH_SUBSCRIBERS")); err == nil && v > 0 {
		n = v
	}
	for b.Loop() {
		tenThousand(b, n)
	}
}

func tenThousand(b *testing.B, n int) {
	ctx := context.Background()
	srv, smtp := testenv.StartRedis(b), testenv.StartSMTP(b)
	st := store.New(srv.Client(b), "bench")
	if err := st.Load(ctx); err != nil {
		b.Fatal(err)
	}
	cfg := loadConfig(b, fmt.Sprintf(`
user "alice" { email = "alice@example.com" }
escalation "e" {
  step { notify = ["user:alice"] }
}
service "checkout" { escalation = "e" }
smtp {
  host = "127.0.0.1"
  port = %d
  from = "status@example.com"
  tls  = "none"
}
component "Checkout API" { services = ["checkout"] }
status_page "public" {
  title      = "Example Status"
  components = ["Checkout API"]
}
`, smtp.Port))
	current := func() *policies.Config { return cfg }
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	start := time.Now()
	for i := range n {
		_, _, _, err := st.AddSubscriber(ctx, store.NewSubscription{Confirmed: true, Subscriber: incident.Subscriber{
			ID: fmt.Sprintf("s%05d", i), Page: "public", Kind: "email", Address: fmt.Sprintf("reader%05d@example.com", i)}})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("%d subscribers stored in %s", n, time.Since(start).Round(time.Millisecond))
	if _, err := st.PostPage(ctx, store.PagePost{Incident: 1, Service: "checkout", Pages: []string{"public"}, Title: "Checkout errors",
		Status: incident.StateInvestigating, Body: "Some checkouts fail.", Components: map[string]string{"Checkout API": "partial_outage"},
		Keep: time.Hour, Code: "bench"}); err != nil {
		b.Fatal(err)
	}
	consumer := &Consumer{Store: st, Config: current, Log: log}
	start = time.Now()
	if err := consumer.Handle(ctx, incident.Event{ID: "1-0", Incident: 1, Fact: incident.Fact{Kind: incident.KindPublicUpdate, Tag: "1"}}); err != nil {
		b.Fatal(err)
	}
	b.Logf("fanned out in %s", time.Since(start).Round(time.Millisecond))

	channels, err := notify.Build(cfg, notify.Env{})
	if err != nil {
		b.Fatal(err)
	}
	key := func() links.Builder { return links.Builder{Signer: links.Signer{Key: []byte("bench-key")}} }
	dead := &crashing{Channel: channels["email"], after: int64(n / 2), stopped: make(chan struct{})}
	defer close(dead.stopped)
	replica := func(ch notify.Channel) *Deliverer {
		return &Deliverer{Store: st, Config: current, Links: key, Log: log, Lease: 3 * time.Second,
			Channels: func() map[string]notify.Channel { return map[string]notify.Channel{"email": ch} }}
	}
	start = time.Now()
	first, second := replica(dead), replica(channels["email"])
	var wg sync.WaitGroup
	wg.Go(func() {
		// The first replica delivers until it dies (its Round never
		// returns once it has).
		for dead.sent.Load() <= dead.after {
			if _, err := first.Round(ctx); err != nil {
				b.Error(err)
				return
			}
		}
	})
	// The second waits until the first is dead, then finishes its work.
	for dead.sent.Load() <= dead.after {
		time.Sleep(10 * time.Millisecond)
	}
	for {
		d, err := st.Delivery(ctx, 1, 1)
		if err != nil {
			b.Fatal(err)
		}
		if d.Pending == 0 {
			b.Logf("delivery %+v", d)
			break
		}
		if _, err := second.Round(ctx); err != nil {
			b.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	elapsed := time.Since(start)
	msgs, err := smtp.Messages()
	if err != nil {
		b.Fatal(err)
	}
	got := map[string]int{}
	for _, m := range msgs {
		for _, to := range m.EnvelopeTo {
			got[to]++
		}
	}
	dups := 0
	for _, c := range got {
		dups += c - 1
	}
	if len(got) != n {
		b.Fatalf("%d of %d subscribers got the update", len(got), n)
	}
	b.ReportMetric(float64(n)/elapsed.Seconds(), "emails/s")
	b.ReportMetric(float64(dups), "duplicates")
	b.Logf("%d subscribers reached in %s (%.0f emails/s) with a replica killed after %d sends; %d duplicates (its sends in flight)",
		n, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds(), dead.after, dups)
}
