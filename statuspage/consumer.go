package statuspage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router/events"
	"github.com/pagerd/pagerd/router/store"
)

// onceTTL keeps the once-keys of the consumer's timeline facts.
const onceTTL = 8 * 24 * time.Hour

// Consumer follows incidents onto the pages, as the event consumer group
// "statuspage" (in order, at least once, across replicas):
//   - an incident at a page's auto_publish severity is published, with a
//     first update of pagerd's wording; one at its prompt severity that
//     is not is put to its responders ("publish?") on the timeline, once;
//   - the manager's status updates of a published incident become public
//     updates, in their public wording (never the team's);
//   - a published incident resolved without a resolving update is marked
//     resolved on its pages;
//   - every public update is queued for each of its pages' subscribers
//     (an outbox each; Deliverer sends them), once per subscriber.
type Consumer struct {
	Store     *store.Store
	Config    func() *policies.Config
	Publisher *Publisher
	Log       *slog.Logger
}

var _ events.Consumer = (*Consumer)(nil)

// Group implements events.Consumer.
func (c *Consumer) Group() string { return "statuspage" }

// Handle implements events.Consumer.
func (c *Consumer) Handle(ctx context.Context, ev incident.Event) error {
	if ev.Incident == 0 {
		return nil
	}
	switch ev.Kind {
	case incident.KindTriggered, incident.KindSeverity:
		return c.severe(ctx, ev)
	case incident.KindStatusUpdate:
		return c.mirror(ctx, ev)
	case incident.KindResolved:
		return c.resolved(ctx, ev)
	case incident.KindPublicUpdate:
		return c.fanOut(ctx, ev)
	}
	return nil
}

// severe publishes, or prompts to publish, an incident that reached a
// page's severity.
func (c *Consumer) severe(ctx context.Context, ev incident.Event) error {
	cfg := c.Config()
	inc, err := c.Store.Incident(ctx, ev.Incident)
	if errors.Is(err, incident.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if inc.Severity == "" || inc.Status == incident.Resolved || inc.FoldedInto != 0 {
		return nil
	}
	prev, err := c.Store.PageIncident(ctx, inc.ID)
	if err != nil && !errors.Is(err, incident.ErrNotFound) {
		return err
	}
	var auto, prompt []string
	for _, pg := range cfg.PagesOf(inc.Service) {
		if prev != nil && prev.OnPage(pg.Name) {
			continue
		}
		switch {
		case pg.AutoPublish != "" && cfg.AtLeast(inc.Severity, pg.AutoPublish):
			auto = append(auto, pg.Name)
		case pg.Prompt != "" && cfg.AtLeast(inc.Severity, pg.Prompt):
			prompt = append(prompt, pg.Name)
		}
	}
	if len(auto) > 0 {
		var names []string
		for _, comp := range cfg.ComponentsOf(cfg.Page(auto[0]), inc.Service) {
			names = append(names, comp.Name)
		}
		_, err := c.Publisher.Publish(ctx, Publish{Incident: inc.ID, Pages: auto, Status: incident.StateInvestigating,
			Text: fmt.Sprintf("We are investigating an issue affecting %s. We will post an update as soon as we know more.",
				strings.Join(names, ", ")),
			By: "pagerd", Via: "auto_publish", Source: "auto"})
		var invalid *incident.Invalid
		if errors.As(err, &invalid) {
			return nil // the config changed under it: nothing to publish
		}
		return err
	}
	if len(prompt) == 0 {
		return nil
	}
	detail := fmt.Sprintf("%s incident, not on status page %s: publish it with `pagerd publish %d --page %s --status investigating \"what customers should know\"`",
		inc.Severity, strings.Join(prompt, ", "), inc.ID, prompt[0])
	_, err = c.Store.Append(ctx, inc.ID, incident.KindStatusPage, detail, "sp-prompt:"+strconv.FormatInt(inc.ID, 10), onceTTL)
	return err
}

// mirror puts a status update of a published incident on its pages.
func (c *Consumer) mirror(ctx context.Context, ev incident.Event) error {
	u := ev.Update
	if u == nil {
		return nil
	}
	if _, err := c.Store.PageIncident(ctx, ev.Incident); errors.Is(err, incident.ErrNotFound) {
		return nil // not published: the team's updates are the team's
	} else if err != nil {
		return err
	}
	_, err := c.Publisher.Publish(ctx, Publish{Incident: ev.Incident, Status: u.State, Text: publicText(u),
		By: u.By, Via: "status update", Source: "su:" + strconv.Itoa(u.N)})
	return ignoreInvalid(err)
}

// resolved marks a published incident resolved when it was resolved
// without a status update saying so.
func (c *Consumer) resolved(ctx context.Context, ev incident.Event) error {
	p, err := c.Store.PageIncident(ctx, ev.Incident)
	if errors.Is(err, incident.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !p.Active() {
		return nil
	}
	_, err = c.Publisher.Publish(ctx, Publish{Incident: ev.Incident, Status: incident.StateResolved,
		Text: stateTemplates[incident.StateResolved], By: ev.Actor, Via: "resolved", Source: "resolved:" + ev.ID})
	return ignoreInvalid(err)
}

// ignoreInvalid drops a refusal of the config's: a page removed since,
// say. Retrying cannot change it.
func ignoreInvalid(err error) error {
	var invalid *incident.Invalid
	if errors.As(err, &invalid) {
		return nil
	}
	return err
}

// fanOut queues public update #tag of the incident for every subscriber
// of its pages who wants it, and for the pages' rooms and accounts.
func (c *Consumer) fanOut(ctx context.Context, ev incident.Event) error {
	n, _ := strconv.Atoi(ev.Tag)
	p, err := c.Store.PageIncident(ctx, ev.Incident)
	if errors.Is(err, incident.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if n < 1 || n > len(p.Updates) {
		return nil
	}
	cfg := c.Config()
	var ids []string
	for _, name := range p.Pages {
		pg := cfg.Page(name)
		if pg == nil {
			continue
		}
		audience, chose, err := c.Store.Audience(ctx, name)
		if err != nil {
			return err
		}
		for _, id := range audience {
			sub := incident.Subscriber{Components: chose[id]}
			if sub.Wants(p.Components) {
				ids = append(ids, id)
			}
		}
		for _, room := range pg.Rooms {
			ids = append(ids, ConfigSubscriber(name, "room", room.String()))
		}
		if pg.Mastodon != nil {
			ids = append(ids, ConfigSubscriber(name, "mastodon", pg.Mastodon.Server))
		}
	}
	item := store.OutItem{Key: fmt.Sprintf("u:%d:%d", p.ID, n), Type: "update", Incident: p.ID, N: n}
	queued, err := c.Store.FanOut(ctx, item, 8*24*time.Hour, ids)
	if err != nil {
		return err
	}
	complete, err := c.Store.FannedOut(ctx, p.ID, n)
	if err != nil {
		return err
	}
	detail := fmt.Sprintf("public update #%d queued for %s", n, plural(len(ids), "subscriber"))
	if queued != len(ids) {
		detail += fmt.Sprintf(" (%d queued before)", len(ids)-queued)
	}
	if complete {
		detail = fmt.Sprintf("public update #%d: no subscriber to tell", n)
	}
	_, err = c.Store.Append(ctx, p.ID, incident.KindStatusPage, detail, "sp-fan:"+item.Key, onceTTL)
	return err
}

// ConfigSubscriber is the outbox name of a subscriber the config makes
// (a room, an account): it has no record, only its outbox.
func ConfigSubscriber(page, kind, target string) string {
	return "cfg:" + page + ":" + kind + ":" + target
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
