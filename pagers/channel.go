package pagers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/links"
	"github.com/pagerd/pagerd/policies"
)

// Channel is everything pagerd knows of one channel, as its package
// registers it: what the config language sees (policies.ChannelSpec), what
// it can do, how to build its pager from a config, and the webhooks its
// provider calls back. Nothing outside the channel's package names it: the
// config loader, the engine and the daemon's wiring loop over the
// registry and ask these fields.
type Channel struct {
	policies.ChannelSpec
	// NoticeVia is where notices (acknowledged, resolved) about a page
	// sent through this channel go instead, when that channel can send:
	// a text rather than another phone call.
	NoticeVia string
	// Interactive: people act on its messages in place (a keypress, a
	// button); its provider calls back at Routes.
	Interactive bool
	// EditsMessages: it updates a message it sent as the incident moves,
	// rather than sending another.
	EditsMessages bool
	// Follows: the messages it sent about an incident follow it — edited,
	// or followed up — so it is handed every event of an incident it
	// paged through (pagers.KindFollow, from the event stream), and no
	// acknowledged or resolved notice.
	Follows bool
	// Build returns the channel's pager for cfg, or nil when cfg does not
	// configure the channel (then its pages fall back to the person's next
	// channel). Build is called again after every reload.
	Build func(cfg *policies.Config, env Env) (Pager, error)
	// Routes are the inbound webhooks of the channel's provider.
	Routes []Route
}

// Env is what building a pager may use.
type Env struct {
	Log     *slog.Logger
	Console io.Writer // where the console prints
	// HTTPClient carries the outbound HTTP of every channel; nil means each
	// channel's own default. Tests point it at loopback fakes.
	HTTPClient *http.Client
	// Links builds URLs under the current config's public URL.
	Links func() links.Builder
	// Limits are the rate limits every replica shares (nil: none), and
	// Messages where a channel keeps the provider's references of the
	// messages it posted about an incident, to edit them later (nil: it
	// cannot). The store provides both.
	Limits   Limiter
	Messages MessageLog
	// Now and Sleep are the clock a channel waits on (a rate limit, a
	// provider's Retry-After); nil: the wall clock. Tests pass a driven
	// one.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// Limiter is a rate limit shared by every replica, counted in Redis (the
// store's GCRA, the one integrations' rate_limit uses).
type Limiter interface {
	// Allow counts n events of the limit called name, of events per per
	// in bursts of up to events. It reports whether they pass and, when
	// they do not, how long until they would.
	Allow(ctx context.Context, name string, events int, per time.Duration, n int) (ok bool, wait time.Duration, err error)
	// Hold lets nothing through the limit for d: a provider answered 429
	// with a Retry-After.
	Hold(ctx context.Context, name string, events int, per time.Duration, d time.Duration) error
}

// MessageLog keeps, per incident, what a channel needs to find a message
// it posted again — the provider's reference, under a key of the
// channel's choosing — for as long as the incident is kept.
type MessageLog interface {
	Message(ctx context.Context, incident int64, key string) (ref string, ok bool, err error)
	KeepMessage(ctx context.Context, incident int64, key, ref string) error
	// Messages returns every reference kept for the incident whose key
	// starts with prefix, by key.
	Messages(ctx context.Context, incident int64, prefix string) (map[string]string, error)
	// KeepMessageAt is KeepMessage for a message people may reply to: it
	// is filed under place as well — where it is on its platform, as a
	// reply names it — with the key of the first message of its thread,
	// so that a reply finds both (Inbound.MessageAt).
	KeepMessageAt(ctx context.Context, incident int64, key, ref, place, thread string) error
}

// Clock returns env's clock and sleep, the wall clock's where unset.
func (env Env) Clock() (now func() time.Time, sleep func(ctx context.Context, d time.Duration) error) {
	now, sleep = env.Now, env.Sleep
	if now == nil {
		now = time.Now
	}
	if sleep == nil {
		sleep = SleepContext
	}
	return now, sleep
}

// Route is one inbound webhook: Twilio posting an SMS reply, Slack a
// button click. Serve runs only while the config configures the channel;
// otherwise the request gets 404.
type Route struct {
	Pattern string // as http.ServeMux takes it: "POST /v1/twilio/sms"
	Serve   func(w http.ResponseWriter, r *http.Request, in *Inbound)
}

// Inbound is what an inbound webhook may use: the config in force, its
// links, and the one way to change an incident — the same typed actions
// every other front end takes.
type Inbound struct {
	Config *policies.Config
	Links  links.Builder
	Log    *slog.Logger
	Act    func(ctx context.Context, req incident.Request) (incident.Result, error)
	// Fail answers with an error that names the problem (and logs the
	// cause, which the caller never sees).
	Fail func(w http.ResponseWriter, r *http.Request, code int, msg string, cause error)
	// Open lists the open incidents, newest first, at most limit (chat
	// commands list them).
	Open func(ctx context.Context, limit int64) ([]*incident.Incident, error)
	// Incident reads one incident as it stands now (a platform answering a
	// button press with its message redrawn); nil where not available.
	Incident func(ctx context.Context, id int64) (*incident.Incident, error)
	// Once returns true to exactly one caller per key within ttl, across
	// replicas: a signed request seen before is a replay.
	Once func(ctx context.Context, key string, ttl time.Duration) (bool, error)
	// MessageAt finds the message a channel filed under place
	// (MessageLog.KeepMessageAt): its incident, and the key of its
	// thread's first message. ok is false when no message is there.
	MessageAt func(ctx context.Context, place string) (incident int64, thread string, ok bool, err error)
	// Now is the clock signatures' timestamps are checked against.
	Now func() time.Time
	// HTTPClient carries the outbound HTTP of a callback's answer (a chat
	// platform's API); nil means the channel's default.
	HTTPClient *http.Client
}

var channels struct {
	sync.Mutex
	byName map[string]*Channel
}

// Register adds a channel, for the config language as well. It is called
// from the init function of the channel's package, and panics on a
// duplicate: that is a programming error.
func Register(c Channel) {
	channels.Lock()
	defer channels.Unlock()
	if c.Build == nil {
		panic("pagers: channel " + c.Name + " has no Build")
	}
	if channels.byName[c.Name] != nil {
		panic("pagers: channel " + c.Name + " registered twice")
	}
	policies.RegisterChannel(c.ChannelSpec)
	if channels.byName == nil {
		channels.byName = map[string]*Channel{}
	}
	channels.byName[c.Name] = &c
}

// Lookup returns the registered channel called name, or nil.
func Lookup(name string) *Channel {
	channels.Lock()
	defer channels.Unlock()
	return channels.byName[name]
}

// All returns every registered channel, in the order of policies.Channels:
// lowest Rank first.
func All() []*Channel {
	var out []*Channel
	for _, spec := range policies.Channels() {
		if c := Lookup(spec.Name); c != nil {
			out = append(out, c)
		}
	}
	return out
}

// Set is the pagers built from one config, by channel name.
type Set map[string]Pager

// Build builds the pager of every registered channel that cfg configures,
// wrapping each with wrap (retries, say). A channel that fails to build is
// left out and named in the error; the others are built.
func Build(cfg *policies.Config, env Env, wrap func(Pager) Pager) (Set, error) {
	set := Set{}
	var errs []error
	for _, c := range All() {
		p, err := c.Build(cfg, env)
		if err != nil {
			errs = append(errs, fmt.Errorf("channel %s: %w", c.Name, err))
			continue
		}
		if p != nil {
			if wrap != nil {
				p = wrap(p)
			}
			set[c.Name] = p
		}
	}
	if len(errs) > 0 {
		return set, fmt.Errorf("building pagers: %w", errors.Join(errs...))
	}
	return set, nil
}
