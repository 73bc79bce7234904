package statuspage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/links"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router/store"
	"github.com/pagerd/pagerd/statuspage/notify"
)

// Defaults of Deliverer.
const (
	DefaultBatch       = 64
	DefaultWorkers     = 8
	DefaultLease       = 30 * time.Second
	DefaultPoll        = 500 * time.Millisecond
	DefaultMaxAttempts = 12 // with backoff up to an hour: about half a day
)

// Deliverer sends what the subscribers' outboxes hold, on every replica:
// it claims due subscribers for a lease, sends each the head of its
// outbox through the channel of its kind, and pops it only once sent. A
// replica that dies mid-send leaves the head to whoever claims the
// subscriber when the lease lapses: at least once, in order, per
// subscriber. One failing subscriber is retried with backoff on its own;
// nobody else waits for it.
type Deliverer struct {
	Store    *store.Store
	Config   func() *policies.Config
	Links    func() links.Builder
	Channels func() map[string]notify.Channel
	Log      *slog.Logger
	Now      func() time.Time
	// RetryBase and RetryMax bound the backoff after a failed attempt:
	// it doubles from base up to max (defaults 10s and an hour).
	RetryBase   time.Duration
	RetryMax    time.Duration
	Batch       int
	Workers     int
	Lease       time.Duration
	Poll        time.Duration
	MaxAttempts int

	once sync.Once
	// inflight counts the messages being sent by this replica now, and
	// a round claiming them.
	inflight atomic.Int64
	mu       sync.Mutex
	// incidents caches the page incidents being delivered, by ID: an
	// update to thousands of subscribers is read once per batch.
	incidents map[int64]*incident.PageIncident
}

func (d *Deliverer) defaults() {
	d.once.Do(func() {
		if d.Now == nil {
			d.Now = time.Now
		}
		if d.RetryBase == 0 {
			d.RetryBase = 10 * time.Second
		}
		if d.RetryMax == 0 {
			d.RetryMax = time.Hour
		}
		if d.Batch == 0 {
			d.Batch = DefaultBatch
		}
		if d.Workers == 0 {
			d.Workers = DefaultWorkers
		}
		if d.Lease == 0 {
			d.Lease = DefaultLease
		}
		if d.Poll == 0 {
			d.Poll = DefaultPoll
		}
		if d.MaxAttempts == 0 {
			d.MaxAttempts = DefaultMaxAttempts
		}
		if d.Log == nil {
			d.Log = slog.Default()
		}
	})
}

// Run delivers until ctx ends. What is being sent when it ends is
// finished (it is short: one message each); the rest waits in Redis.
func (d *Deliverer) Run(ctx context.Context) {
	d.defaults()
	for ctx.Err() == nil {
		n, err := d.Round(context.WithoutCancel(ctx))
		if err != nil {
			d.Log.Warn("status page delivery: cannot read the outboxes", "err", err)
		}
		if n == d.Batch {
			continue // more may be due at once
		}
		select {
		case <-ctx.Done():
		case <-time.After(d.Poll):
		}
	}
}

// Round claims one batch of due subscribers and sends each its next
// message; it returns how many it claimed.
func (d *Deliverer) Round(ctx context.Context) (int, error) {
	d.defaults()
	// In flight while claiming too: a Drain that found nothing to claim
	// must not take what this round claimed, and has not sent yet, for
	// nothing to do.
	d.inflight.Add(1)
	claimed, err := d.Store.ClaimOutboxes(ctx, d.Batch, d.Lease)
	if err != nil || len(claimed) == 0 {
		d.inflight.Add(-1)
		return 0, err
	}
	d.mu.Lock()
	d.incidents = map[int64]*incident.PageIncident{}
	d.mu.Unlock()
	sem := make(chan struct{}, d.Workers)
	var wg sync.WaitGroup
	d.inflight.Add(int64(len(claimed)) - 1)
	for _, c := range claimed {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem; d.inflight.Add(-1) }()
			sendCtx, cancel := context.WithTimeout(ctx, d.Lease*2/3)
			defer cancel()
			if err := d.deliver(sendCtx, c); err != nil {
				d.Log.Warn("status page delivery: cannot record a delivery; it is sent again when its lease lapses",
					"subscriber", c.Subscriber, "err", err)
			}
		})
	}
	wg.Wait()
	return len(claimed), nil
}

// Drain delivers until nothing is due now and nothing is being sent by
// this replica: for tests, which then know that whatever has not arrived
// will not without the clock moving.
func (d *Deliverer) Drain(ctx context.Context) error {
	for {
		n, err := d.Round(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			if d.inflight.Load() == 0 {
				return nil
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(5 * time.Millisecond):
			}
		}
	}
}

func (d *Deliverer) pageIncident(ctx context.Context, id int64) (*incident.PageIncident, error) {
	d.mu.Lock()
	p := d.incidents[id]
	d.mu.Unlock()
	if p != nil {
		return p, nil
	}
	p, err := d.Store.PageIncident(ctx, id)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.incidents[id] = p
	d.mu.Unlock()
	return p, nil
}

// errDrop is a message that is not for its subscriber any more.
var errDrop = errors.New("nothing to send")

// deliver sends one subscriber the head of its outbox and records it.
func (d *Deliverer) deliver(ctx context.Context, c store.Claimed) error {
	m, err := d.message(ctx, c)
	switch {
	case errors.Is(err, errDrop), errors.Is(err, incident.ErrNotFound):
		_, err := d.Store.OutboxDone(ctx, c, store.Dropped, "", false)
		return err
	case err != nil:
		return err
	}
	ch := d.Channels()[m.To.Kind]
	if ch == nil {
		err = fmt.Errorf("no %s channel is configured", m.To.Kind)
	} else {
		err = ch.Send(ctx, m)
	}
	switch {
	case err == nil:
		return d.done(ctx, c, store.Sent, "", false)
	case errors.Is(err, notify.ErrUnsubscribed):
		d.Log.Info("status page subscriber unsubscribed at the provider; forgetting them", "subscriber", c.Subscriber, "err", err)
		return d.done(ctx, c, store.Dropped, err.Error(), true)
	case pagers.IsPermanent(err):
		d.Log.Warn("status page delivery refused; not trying again", "subscriber", c.Subscriber, "kind", m.To.Kind, "err", err)
		return d.done(ctx, c, store.Failed, err.Error(), false)
	}
	// The attempts are counted in the store, so they hold across replicas.
	floor, _ := pagers.RetryAfterOf(err)
	attempts, rerr := d.Store.OutboxRetry(ctx, c, d.RetryBase, d.RetryMax, floor, err.Error())
	if rerr != nil {
		return rerr
	}
	if attempts >= d.MaxAttempts {
		d.Log.Warn("status page delivery failed too often; giving up on this message", "subscriber", c.Subscriber, "attempts", attempts, "err", err)
		return d.done(ctx, c, store.Failed, err.Error(), false)
	}
	d.Log.Info("status page delivery failed; trying again later", "subscriber", c.Subscriber, "attempt", attempts, "err", err)
	return nil
}

// done records a message sent (or given up on), and, when it was an
// update's last subscriber, puts on the incident's timeline how the
// update's delivery went.
func (d *Deliverer) done(ctx context.Context, c store.Claimed, result, why string, forget bool) error {
	complete, err := d.Store.OutboxDone(ctx, c, result, why, forget)
	if err != nil || !complete {
		return err
	}
	dl, err := d.Store.Delivery(ctx, c.Item.Incident, c.Item.N)
	if err != nil {
		return err
	}
	detail := fmt.Sprintf("public update #%d reached %d of %s", c.Item.N, dl.Sent, plural(dl.Total, "subscriber"))
	if dl.Failed > 0 {
		detail += fmt.Sprintf(" (%d failed)", dl.Failed)
	}
	_, err = d.Store.Append(ctx, c.Item.Incident, incident.KindStatusPage, detail, "sp-done:"+c.Item.Key, onceTTL)
	return err
}

// message builds what the head of a subscriber's outbox says, to whom.
func (d *Deliverer) message(ctx context.Context, c store.Claimed) (notify.Message, error) {
	cfg := d.Config()
	m := notify.Message{Kind: c.Item.Type, Key: c.Item.Key, At: d.Now(),
		To: notify.Recipient{Subscriber: c.Subscriber}}
	var page *policies.StatusPage
	if rest, ok := strings.CutPrefix(c.Subscriber, "cfg:"); ok {
		// cfg:<page>:room:<channel:name>, cfg:<page>:mastodon:<server>,
		// cfg:list:<address> (a stakeholders' mailing list).
		first, tail, _ := strings.Cut(rest, ":")
		if first == "list" {
			m.To.Kind, m.To.Address = "list", tail
			page = listPage(cfg, c.Item.Incident, d, ctx)
		} else {
			page = cfg.Page(first)
			kind, addr, _ := strings.Cut(tail, ":")
			m.To.Kind, m.To.Address = kind, addr
			if page == nil || !configured(page, kind, addr) {
				return m, errDrop // the config no longer has it
			}
		}
	} else {
		sub, err := d.Store.Subscriber(ctx, c.Subscriber)
		if err != nil {
			return m, err
		}
		page = cfg.Page(sub.Page)
		m.To = notify.Recipient{Kind: sub.Kind, Subscriber: sub.ID, Address: sub.Address, Secret: sub.Secret, Components: sub.Components}
		if key := d.key(); len(key) > 0 && page != nil {
			m.UnsubscribeURL = page.PublicURL + "/unsubscribe?t=" + signToken(key, purposeUnsub, time.Time{}, sub.ID, "")
		}
	}
	if page == nil {
		return m, errDrop
	}
	m.Page, m.PageURL = page, page.PublicURL
	switch c.Item.Type {
	case notify.Update:
		p, err := d.pageIncident(ctx, c.Item.Incident)
		if err != nil {
			return m, err
		}
		if c.Item.N < 1 || c.Item.N > len(p.Updates) {
			return m, errDrop
		}
		m.Incident, m.Update = p, &p.Updates[c.Item.N-1]
		m.IncidentURL = page.PublicURL + "/incidents/" + p.Code
		m.At = m.Update.At
	case notify.Confirm:
		key := d.key()
		if len(key) == 0 {
			return m, errors.New("no link key to sign the confirmation with")
		}
		m.ConfirmURL = page.PublicURL + "/subscribe/confirm?t=" + signToken(key, purposeConf, d.Now().Add(ConfirmTTL), c.Subscriber, c.Item.Nonce)
		m.UnsubscribeURL = "" // nothing to leave yet
	case notify.Notice:
		m.Title, m.Status, m.Text = c.Item.Title, incident.UpdateState(c.Item.Status), c.Item.Text
	default:
		return m, errDrop
	}
	return m, nil
}

func (d *Deliverer) key() []byte {
	if d.Links == nil {
		return nil
	}
	return d.Links().Signer.Key
}

// configured reports whether page still lists the room or account.
func configured(page *policies.StatusPage, kind, addr string) bool {
	switch kind {
	case "room":
		for _, r := range page.Rooms {
			if r.String() == addr {
				return true
			}
		}
	case "mastodon":
		return page.Mastodon != nil && page.Mastodon.Server == addr
	}
	return false
}

// listPage is the page whose name a stakeholders' notice goes out under:
// the first showing the incident's service, else the first of all.
func listPage(cfg *policies.Config, id int64, d *Deliverer, ctx context.Context) *policies.StatusPage {
	if inc, err := d.Store.Incident(ctx, id); err == nil {
		if pages := cfg.PagesOf(inc.Service); len(pages) > 0 {
			return pages[0]
		}
	}
	if len(cfg.StatusPages) > 0 {
		return cfg.StatusPages[0]
	}
	return nil
}
