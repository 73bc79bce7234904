package command

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router"
	"github.com/pagerd/pagerd/router/store"
)

// StatusPage is where public wording goes: the status page shows it and
// tells its subscribers. pagerd's status page (a later part) implements
// it; until then nothing does, and a hand-off is recorded on the incident
// as not published.
type StatusPage interface {
	Publish(ctx context.Context, u PublicUpdate) error
}

// ErrNoStatusPage is what a StatusPage answers while the config has no
// status page: the hand-off is recorded as not published, not failed.
var ErrNoStatusPage = errors.New("no status page is configured")

// PublicUpdate is what the status page is handed.
type PublicUpdate struct {
	Incident int64
	Service  string
	Title    string
	At       time.Time
	// State is the status update's state; StateResolved when the
	// incident was resolved without one.
	State incident.UpdateState
	// Text is the public wording.
	Text string
	// Quadrants are the public quadrants that hear of it; Subscribers
	// their people's and lists' addresses.
	Quadrants   []policies.QuadrantKind
	Subscribers []string
}

// Teller sends one notice once per key (router.Engine.Tell).
type Teller func(ctx context.Context, cfg *policies.Config, id int64, key string, to router.Recipient,
	n pagers.Notification, facts router.Facts, why string) (router.Told, error)

// Stakeholders tells the stakeholders of each incident's service what the
// matrix says, when it says, as a consumer of the event stream: in order,
// at least once, across replicas, off the paging path. Each message has a
// key of the event and the recipient, so a repeated event sends nothing
// twice. A channel that fails is a fact on the timeline
// (stakeholder_failed) and does not hold the others, or later events,
// back.
type Stakeholders struct {
	Store  *store.Store
	Config func() *policies.Config
	Tell   Teller
	// StatusPage, nil until one exists, takes the public wording.
	StatusPage StatusPage
	Log        *slog.Logger
}

// Group implements events.Consumer.
func (s *Stakeholders) Group() string { return "stakeholders" }

// Handle implements events.Consumer.
func (s *Stakeholders) Handle(ctx context.Context, ev incident.Event) error {
	if ev.Incident == 0 {
		return nil
	}
	switch ev.Kind {
	case incident.KindTriggered, incident.KindSeverity, incident.KindStatusUpdate, incident.KindResolved:
	default:
		return nil
	}
	cfg := s.Config()
	sh := cfg.StakeholdersFor(ev.Service)
	if sh == nil {
		return nil
	}
	inc, err := s.Store.Incident(ctx, ev.Incident)
	if errors.Is(err, incident.ErrNotFound) {
		return nil // its retention ran out
	}
	if err != nil {
		return err
	}
	if !sh.Engages(inc.Severity) || inc.FoldedInto != 0 {
		return nil
	}
	var updates []incident.StatusUpdate
	if ev.Kind == incident.KindStatusUpdate || ev.Kind == incident.KindResolved {
		if updates, err = s.Store.Updates(ctx, inc.ID); err != nil {
			return err
		}
	}
	moments, what := momentsOf(ev, inc, updates)
	if len(moments) == 0 {
		return nil
	}
	now, err := s.Store.Now(ctx)
	if err != nil {
		return err
	}
	plan := Plan(cfg, sh, moments, now)
	// "Declared" is told once per person however often the severity
	// moves; anything else once per event.
	keyOf := func(d Delivery) string { return "sh:" + ev.ID + ":" + d.Who }
	if len(moments) == 1 && moments[0] == policies.MomentDeclared {
		keyOf = func(d Delivery) string { return "sh:declared:" + d.Who }
	}
	var (
		told  []string
		retry time.Time
		page  []Delivery
	)
	for _, d := range plan {
		if d.StatusPage {
			page = append(page, d)
			continue
		}
		n := s.message(inc, ev, d, updates)
		t, err := s.Tell(ctx, cfg, inc.ID, keyOf(d), d.To, n,
			router.Facts{Failed: incident.KindStakeholderFailed}, d.Quadrant.Title()+": "+what)
		if err != nil {
			return err
		}
		retry = earliest(retry, t.Retry)
		if t.Sent && t.Channel != "" {
			how := t.Channel
			if d.Digest {
				how += " digest"
			}
			told = append(told, fmt.Sprintf("%s via %s (%s)", d.Who, how, d.Quadrant.Title()))
		}
	}
	if len(told) > 0 {
		detail := fmt.Sprintf("told %s of %s: %s", plural(len(told), "stakeholder"), what, strings.Join(told, ", "))
		if _, err := s.Store.Append(ctx, inc.ID, incident.KindStakeholders, detail, "sh:"+ev.ID, onceTTL); err != nil {
			return err
		}
	}
	if len(page) > 0 {
		if err := s.handOff(ctx, inc, ev, page, updates); err != nil {
			return err
		}
	}
	if !retry.IsZero() {
		// A room's rate limit, or another replica sending the same: come
		// back for what is left (what went out is not sent again).
		return pagers.RetryAfter(errors.New("stakeholder messages held back"), max(retry.Sub(now), time.Second))
	}
	return nil
}

// momentsOf says at which moments of the matrix ev happens, and what it
// is in words.
func momentsOf(ev incident.Event, inc *incident.Incident, updates []incident.StatusUpdate) ([]policies.Moment, string) {
	switch ev.Kind {
	case incident.KindTriggered:
		return []policies.Moment{policies.MomentDeclared}, fmt.Sprintf("a %s incident", inc.Severity)
	case incident.KindSeverity:
		return []policies.Moment{policies.MomentDeclared}, fmt.Sprintf("a %s incident (severity changed)", inc.Severity)
	case incident.KindStatusUpdate:
		u := ev.Update
		if u == nil {
			return nil, ""
		}
		moments := []policies.Moment{policies.MomentUpdate}
		if u.N <= 1 || u.N-2 >= len(updates) || updates[u.N-2].State != u.State {
			moments = append(moments, policies.MomentStateChange)
		}
		if u.State == incident.StateResolved {
			moments = append(moments, policies.MomentResolved)
		}
		return moments, fmt.Sprintf("status update #%d (%s)", u.N, u.State)
	case incident.KindResolved:
		// Resolved by a status update: that update told them already.
		if n := len(updates); n > 0 && updates[n-1].State == incident.StateResolved && !updates[n-1].At.Before(ev.At) {
			return nil, ""
		}
		return []policies.Moment{policies.MomentResolved}, "its resolution"
	}
	return nil, ""
}

// message is what d's recipient is sent about ev: the event in its
// quadrant's wording, with a digest of the updates for a digest.
func (s *Stakeholders) message(inc *incident.Incident, ev incident.Event, d Delivery, updates []incident.StatusUpdate) pagers.Notification {
	e := ev
	if u := ev.Update; u != nil {
		e.Detail = string(u.State) + ": " + u.Text
		if d.Public {
			e.Detail = string(u.State) + ": " + u.Public()
		}
	}
	n := pagers.Notification{Kind: pagers.KindUpdate, Incident: pagers.IncidentOf(inc), Event: &e}
	if d.Digest {
		for _, u := range updates {
			n.Digest = append(n.Digest, fmt.Sprintf("%s %s: %s (%s)", u.At.UTC().Format("2006-01-02 15:04 UTC"), u.State, u.Text, u.By))
		}
	}
	return n
}

// handOff gives the public wording to the status page, or records that
// there is none to give it to.
func (s *Stakeholders) handOff(ctx context.Context, inc *incident.Incident, ev incident.Event, page []Delivery, updates []incident.StatusUpdate) error {
	pu := PublicUpdate{Incident: inc.ID, Service: inc.Service, Title: inc.Title, At: ev.At, State: incident.StateResolved,
		Text: "This incident has been resolved."}
	if u := ev.Update; u != nil {
		pu.State, pu.Text = u.State, u.Public()
	} else if ev.Kind != incident.KindResolved {
		pu.State, pu.Text = incident.StateInvestigating, "We are investigating an issue with "+inc.Service+"."
	}
	var quadrants []string
	for _, d := range page {
		pu.Quadrants = append(pu.Quadrants, d.Quadrant)
		pu.Subscribers = append(pu.Subscribers, d.Subscribers...)
		quadrants = append(quadrants, d.Quadrant.Title())
	}
	detail := fmt.Sprintf("for the status page (%s; %s): %s — %s", strings.Join(quadrants, ", "),
		plural(len(pu.Subscribers), "subscriber"), pu.State, pu.Text)
	kind := incident.KindStatusPage
	switch {
	case s.StatusPage == nil:
		detail += "; no status page is configured yet, so nothing was published"
	default:
		if err := s.StatusPage.Publish(ctx, pu); errors.Is(err, ErrNoStatusPage) {
			detail += "; no status page is configured yet, so nothing was published"
		} else if err != nil {
			kind, detail = incident.KindStakeholderFailed, "could not publish "+detail+": "+err.Error()
		} else {
			detail = "published " + detail
		}
	}
	_, err := s.Store.Append(ctx, inc.ID, kind, detail, "sh:page:"+ev.ID, onceTTL)
	return err
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
