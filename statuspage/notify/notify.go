// Package notify is how status page subscribers are told: one Channel per
// kind of subscriber (email, SMS, webhook, a chat room, a Mastodon
// account), each in its own package that registers itself, all with the
// same shape — one Send of one Message, saying whether a failure is worth
// another try. The statuspage Deliverer claims each subscriber's outbox,
// builds the Message and sends it through the Channel of its kind.
package notify

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/policies"
)

// Kinds of Message.
const (
	Update  = "update"  // a public update of an incident
	Confirm = "confirm" // a subscription's double opt-in
	Notice  = "notice"  // the stakeholders' public wording, for their lists
)

// Message is one thing to send one subscriber.
type Message struct {
	Kind string
	// Key names it, the same on every attempt and replica (a Message-ID,
	// a webhook-id, an Idempotency-Key): a receiver can drop a repeat.
	Key  string
	Page *policies.StatusPage
	To   Recipient
	// Incident and Update are what an Update reports; Title, Status and
	// Text what a Notice says.
	Incident *incident.PageIncident
	Update   *incident.PageUpdate
	Title    string
	Status   incident.UpdateState
	Text     string
	// PageURL, IncidentURL, ConfirmURL and UnsubscribeURL are the links
	// the message carries; UnsubscribeURL is "" for subscribers the config
	// makes (they leave by the config).
	PageURL, IncidentURL, ConfirmURL, UnsubscribeURL string
	At                                               time.Time
}

// Recipient is who a message goes to.
type Recipient struct {
	Kind       string // email, sms, webhook, room, mastodon, list
	Subscriber string // the subscriber's ID ("cfg:..." for the config's)
	Address    string // an email address, a phone number, a URL, "slack:#status"
	Secret     string // what signs a webhook's deliveries
	Components []string
}

// Channel sends messages of one kind of subscriber.
type Channel interface {
	Send(ctx context.Context, m Message) error
}

// ErrUnsubscribed is what a Channel returns (wrapped) when the provider
// says the recipient asked it to stop (an SMS STOP): the subscriber is
// forgotten.
var ErrUnsubscribed = errors.New("the recipient unsubscribed at the provider")

// Env is what channels are built with.
type Env struct {
	// HTTPClient carries outbound HTTP (tests point it at fakes); nil:
	// each channel's default.
	HTTPClient *http.Client
	// Pagers are the paging channels, which chat rooms are told through.
	Pagers func() pagers.Set
	// AllowPrivate lets webhook subscribers be on loopback and private
	// networks (tests, and deployments whose subscribers are all inside).
	AllowPrivate bool
	Now          func() time.Time
}

// Factory builds the channel of a kind for a config; nil, nil when the
// config gives it nothing to send with.
type Factory func(cfg *policies.Config, env Env) (Channel, error)

var registry struct {
	sync.Mutex
	kinds map[string]Factory
}

// Register adds the channel of a kind of subscriber; it panics on a
// duplicate, a programming error.
func Register(kind string, f Factory) {
	registry.Lock()
	defer registry.Unlock()
	if registry.kinds == nil {
		registry.kinds = map[string]Factory{}
	}
	if registry.kinds[kind] != nil {
		panic("notify: channel " + kind + " registered twice")
	}
	registry.kinds[kind] = f
}

// Build builds every registered channel the config can send with.
func Build(cfg *policies.Config, env Env) (map[string]Channel, error) {
	registry.Lock()
	kinds := make([]string, 0, len(registry.kinds))
	for k := range registry.kinds {
		kinds = append(kinds, k)
	}
	registry.Unlock()
	slices.Sort(kinds)
	out := map[string]Channel{}
	var errs []error
	for _, k := range kinds {
		registry.Lock()
		f := registry.kinds[k]
		registry.Unlock()
		ch, err := f(cfg, env)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", k, err))
			continue
		}
		if ch != nil {
			out[k] = ch
		}
	}
	return out, errors.Join(errs...)
}

// Words are a message in plain words, shared by the channels: the
// subject, and each paragraph of the body.
func Words(m Message) (subject string, body []string) {
	page := m.Page.Title
	switch m.Kind {
	case Confirm:
		return "Confirm your subscription to " + page, []string{
			"Someone, hopefully you, asked to be told of incidents on " + page + " at this address.",
			"To confirm, open: " + m.ConfirmURL,
			"If it was not you, ignore this message: nothing will be sent unless the link is opened.",
		}
	case Notice:
		return fmt.Sprintf("[%s] %s: %s", page, StatusWords(m.Status), m.Title), []string{
			StatusWords(m.Status) + ": " + m.Text,
			m.PageURL,
		}
	}
	u, inc := m.Update, m.Incident
	subject = fmt.Sprintf("[%s] %s: %s", page, StatusWords(u.Status), inc.Title)
	body = []string{StatusWords(u.Status) + ": " + u.Body}
	var comps []string
	for name, state := range u.Components {
		if u.Status == incident.StateResolved {
			state = policies.StateOperational
		}
		comps = append(comps, name+": "+strings.ReplaceAll(state, "_", " "))
	}
	slices.Sort(comps)
	if len(comps) > 0 {
		body = append(body, "Components: "+strings.Join(comps, "; ")+".")
	}
	body = append(body, m.At.UTC().Format("2 Jan 2006 15:04 UTC")+" · "+m.IncidentURL)
	return subject, body
}

// Short is a message in at most limit characters (SMS, a toot): the
// status, the title, the text, and the link.
func Short(m Message, limit int) string {
	subject, body := Words(m)
	if m.Kind == Confirm {
		return fmt.Sprintf("%s: reply YES to get incident updates by text. Reply STOP to stop.", m.Page.Title)
	}
	link := m.IncidentURL
	if m.Kind == Notice {
		link = m.PageURL
	}
	text := subject + " — " + strings.TrimPrefix(body[0], StatusWords(statusOf(m))+": ")
	room := limit - len([]rune(link)) - 1
	return pagers.Truncate(text, room) + " " + link
}

func statusOf(m Message) incident.UpdateState {
	if m.Update != nil {
		return m.Update.Status
	}
	return m.Status
}

// StatusWords is an incident status in words.
func StatusWords(s incident.UpdateState) string {
	if s == "" {
		return "Update"
	}
	return strings.ToUpper(string(s[:1])) + string(s[1:])
}
