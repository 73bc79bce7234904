package chat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/pagers"
)

// How long a message waits for its rate limit in place.
const (
	// MaxPageWait bounds the wait of a page (to a room or a person): past
	// it the send is given back to the engine (pagers.Later), whose worker
	// pages others meanwhile and comes back when the limit allows.
	MaxPageWait = 2 * time.Second
	// MaxUpdateWait bounds the wait of one update (an informed room's
	// message, a message following its incident) before its consumer is
	// told to come back (pagers.RetryAfter); the consumer holds that
	// room's later events back meanwhile, never anyone's page.
	MaxUpdateWait = 2 * time.Minute
	// maxRateLimited is how many 429s in a row one call takes, each
	// waited out, before it fails.
	maxRateLimited = 6
)

// Pager is every platform's pager: it posts pages to rooms and people,
// keeps each message's reference in the incident's message log, keeps
// informed rooms told, makes every message follow its incident, and waits
// for the platform's rate limits — across replicas — without holding up
// anyone's page. The platform's Client does one API call at a time.
type Pager struct {
	p      *Platform
	cfg    Config
	client Client
	// zones are the time zones of the people this platform messages, by
	// their address on it: a direct message shows times in its reader's
	// zone, also when it is edited or replied to later.
	zones  map[string]*time.Location
	log    pagers.MessageLog
	limits pagers.Limiter
	now    func() time.Time
	sleep  func(ctx context.Context, d time.Duration) error
}

var _ pagers.Pager = (*Pager)(nil)

func newPager(p *Platform, cfg Config, client Client, env pagers.Env) *Pager {
	now, sleep := env.Clock()
	return &Pager{p: p, cfg: cfg, client: client, log: env.Messages, limits: env.Limits, now: now, sleep: sleep}
}

// NewPager returns the pager of platform p (registered or not) for cfg,
// through client: for tests of a platform's package.
func NewPager(p Platform, cfg Config, client Client, env pagers.Env) *Pager {
	if p.Dialect.Escape == nil {
		p.Dialect.Escape = func(s string) string { return s }
	}
	return newPager(&p, cfg, client, env)
}

// Send implements pagers.Pager:
//   - a page posts a message with the incident's buttons to the room
//     (n.Destination) or the person (n.Address), once per idempotency key;
//     its receipt's ProviderID is the message's Ref;
//   - an update (a service's informed room, from the event stream) posts
//     the room's message about the incident the first time, and edits it
//     and replies in its thread after;
//   - a follow brings every page message of the incident up to date;
//   - a shift notice goes to the person as a message;
//   - acknowledged and resolved notices send nothing: the messages
//     themselves say so (follow).
func (pg *Pager) Send(ctx context.Context, n pagers.Notification) (pagers.Receipt, error) {
	rcpt := pagers.Receipt{Channel: pg.p.Name}
	switch n.Kind {
	case pagers.KindPage:
		to, err := pg.recipient(n)
		if err != nil {
			return rcpt, pagers.Permanent(err)
		}
		key := pg.logKey("page:" + n.Key)
		ref, err := pg.post(ctx, n.Incident.ID, key, to, MessageOf(n, metaKey(n.Incident.ID, key), pg.p.Interactive), MaxPageWait)
		rcpt.ProviderID = string(ref)
		return rcpt, err
	case pagers.KindUpdate:
		return rcpt, pg.inform(ctx, n)
	case pagers.KindFollow:
		return rcpt, pg.follow(ctx, n)
	case pagers.KindShiftNotice, pagers.KindSignIn:
		to, err := pg.recipient(n)
		if err != nil {
			return rcpt, pagers.Permanent(err)
		}
		text := pagers.ShortText(n, 0)
		m := Message{Key: n.Key, Headline: text, Text: text}
		var ref Ref
		err = pg.call(ctx, to, MaxPageWait, func(ctx context.Context) (err error) {
			ref, err = pg.client.Post(ctx, to, m)
			return err
		})
		rcpt.ProviderID = string(ref)
		return rcpt, err
	}
	return rcpt, nil
}

// recipient is where a page or notice goes: the destination's room, or
// the person's chat.
func (pg *Pager) recipient(n pagers.Notification) (Recipient, error) {
	if n.Destination == "" {
		if n.Address == "" {
			return Recipient{}, fmt.Errorf("%s: no address for %s", pg.p.Name, n.User)
		}
		return Recipient{User: n.User, Address: n.Address}, nil
	}
	room, ok := pg.cfg.Rooms[n.Destination]
	if !ok {
		return Recipient{}, fmt.Errorf("%s room %q is not configured", pg.p.Name, n.Destination)
	}
	return Recipient{Room: &room}, nil
}

// logKey is the message log key of a message of this platform.
func (pg *Pager) logKey(rest string) string { return pg.p.Name + ":" + rest }

// metaKey is the key a message carries on the platform (Find's key):
// unique across incidents.
func metaKey(id int64, logKey string) string { return fmt.Sprintf("%d/%s", id, logKey) }

// logged is one entry of the message log: who the message went to and
// where it is; no Ref while it is being posted.
type logged struct {
	To  string `json:"to"`
	Ref Ref    `json:"ref,omitempty"`
}

func (pg *Pager) lookup(ctx context.Context, id int64, key string) (logged, bool, error) {
	if pg.log == nil {
		return logged{}, false, nil
	}
	raw, ok, err := pg.log.Message(ctx, id, key)
	if err != nil || !ok {
		return logged{}, false, err
	}
	var l logged
	if err := json.Unmarshal([]byte(raw), &l); err != nil {
		return logged{}, false, nil // not ours: post again
	}
	return l, true, nil
}

func (pg *Pager) keep(ctx context.Context, id int64, key string, l logged) error {
	if pg.log == nil {
		return nil
	}
	b, _ := json.Marshal(l)
	return pg.log.KeepMessage(ctx, id, key, string(b))
}

// post posts m to to once for key: a message already logged is not
// posted again, and one whose post was started but never logged (a crash
// in between) is looked up on the platform first. parent, when set, makes
// it a reply to that message.
func (pg *Pager) post(ctx context.Context, id int64, key string, to Recipient, m Message, budget time.Duration) (Ref, error) {
	return pg.postUnder(ctx, id, key, to, "", m, budget)
}

func (pg *Pager) postUnder(ctx context.Context, id int64, key string, to Recipient, parent Ref, m Message, budget time.Duration) (Ref, error) {
	l, ok, err := pg.lookup(ctx, id, key)
	if err != nil {
		return "", err
	}
	if ok && l.Ref != "" {
		return l.Ref, nil
	}
	if ok {
		ref, found, err := pg.client.Find(ctx, to, parent, m.Key)
		switch {
		case err != nil && !errors.Is(err, ErrCannotFind):
			return "", fmt.Errorf("looking for a message posted before a restart: %w", err)
		case found:
			return ref, pg.keep(ctx, id, key, logged{To: to.Name(), Ref: ref})
		}
	}
	marked := ok
	var ref Ref
	err = pg.call(ctx, to, budget, func(ctx context.Context) error {
		if !marked {
			// Said before the post, so that a crash after it makes the
			// next attempt look for it rather than post it twice.
			if err := pg.keep(ctx, id, key, logged{To: to.Name()}); err != nil {
				return err
			}
			marked = true
		}
		var err error
		if parent != "" {
			ref, err = pg.client.Reply(ctx, to, parent, m)
		} else {
			ref, err = pg.client.Post(ctx, to, m)
		}
		return err
	})
	if err != nil {
		return "", err
	}
	// The message is out: a failure to log it now costs at most a lookup.
	if err := pg.keep(ctx, id, key, logged{To: to.Name(), Ref: ref}); err != nil {
		return ref, fmt.Errorf("posted, but not recorded: %w", err)
	}
	return ref, nil
}

// inform keeps a service's informed room told of an event: its message
// about the incident is posted the first time (showing the incident as it
// stands), then edited and replied to.
func (pg *Pager) inform(ctx context.Context, n pagers.Notification) error {
	if n.Event == nil || n.Incident.ID == 0 || n.Incident.Status == "" {
		return nil // a change event (a room is told of incidents), or an incident no longer kept
	}
	to, err := pg.recipient(n)
	if err != nil {
		return pagers.Permanent(err)
	}
	key := pg.logKey(to.Name())
	l, ok, err := pg.lookup(ctx, n.Incident.ID, key)
	if err != nil {
		return err
	}
	if !ok || l.Ref == "" {
		if n.Event.Kind != incident.KindTriggered && incident.Status(n.Incident.Status) == incident.Resolved {
			// Over before this room heard of it (a room added since):
			// nothing to tell it now.
			return nil
		}
		ref, err := pg.post(ctx, n.Incident.ID, key, to, MessageOf(n, metaKey(n.Incident.ID, key), pg.p.Interactive), MaxUpdateWait)
		if err != nil || n.Event.Kind == incident.KindTriggered {
			return err
		}
		// The message shows the incident as it stands; what brought it
		// here (a status update, a notice) is its first reply.
		return pg.followOne(ctx, n, key, to, ref)
	}
	return pg.followOne(ctx, n, key, to, l.Ref)
}

// follow brings every page message of the incident up to date with the
// event. A transient failure fails the whole, to be tried again (edits
// are idempotent, replies logged); one that cannot be changed any more
// (deleted, its room gone) does not hold the others back, and is reported
// as permanent once they went.
func (pg *Pager) follow(ctx context.Context, n pagers.Notification) error {
	if n.Event == nil || !Follows(*n.Event) || pg.log == nil {
		return nil
	}
	msgs, err := pg.log.Messages(ctx, n.Incident.ID, pg.logKey("page:"))
	if err != nil {
		return err
	}
	var transient, permanent []error
	for _, key := range slices.Sorted(maps.Keys(msgs)) {
		var l logged
		if json.Unmarshal([]byte(msgs[key]), &l) != nil || l.Ref == "" {
			continue // not out (yet): the page itself shows the state when it goes
		}
		switch err := pg.followOne(ctx, n, key, pg.recipientNamed(l.To), l.Ref); {
		case pagers.IsPermanent(err):
			permanent = append(permanent, err)
		case err != nil:
			transient = append(transient, err)
		}
	}
	if len(transient) > 0 {
		return errors.Join(transient...) // all again: what went is not repeated
	}
	if len(permanent) > 0 {
		return pagers.Permanent(errors.Join(permanent...))
	}
	return nil
}

// recipientNamed is the recipient a logged message went to.
func (pg *Pager) recipientNamed(name string) Recipient {
	if room, ok := cutPrefix(name, "room:"); ok {
		r, known := pg.cfg.Rooms[room]
		if !known {
			r = Room{Name: room} // removed from the config since: its message is still there
		}
		return Recipient{Room: &r}
	}
	addr, _ := cutPrefix(name, "dm:")
	return Recipient{Address: addr}
}

func cutPrefix(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && s[:len(prefix)] == prefix {
		return s[len(prefix):], true
	}
	return s, false
}

// followOne edits the message at ref to show the incident now (where the
// platform edits) and replies to it with the event's fact.
func (pg *Pager) followOne(ctx context.Context, n pagers.Notification, key string, to Recipient, ref Ref) error {
	ev := *n.Event
	if !Follows(ev) {
		return nil
	}
	if to.Room == nil {
		n.Location = pg.zones[to.Address] // a person's direct message
	}
	if pg.p.EditsMessages {
		m := MessageOf(n, metaKey(n.Incident.ID, key), pg.p.Interactive)
		m.AckURL = "" // a room's message, or a page whose link was for then
		err := pg.call(ctx, to, MaxUpdateWait, func(ctx context.Context) error { return pg.client.Edit(ctx, to, ref, m) })
		if err != nil && !errors.Is(err, ErrCannotEdit) {
			return fmt.Errorf("editing %s message %s: %w", pg.p.Name, ref, err)
		}
	}
	replyKey := pg.logKey("reply:" + ev.ID + ":" + key)
	_, err := pg.postUnder(ctx, n.Incident.ID, replyKey, to, ref, FactMessageIn(n.Incident, ev, metaKey(n.Incident.ID, replyKey), n.Location), MaxUpdateWait)
	if err != nil {
		return fmt.Errorf("replying to %s message %s: %w", pg.p.Name, ref, err)
	}
	return nil
}
