// Package room tells the chat rooms a status page lists (rooms =
// ["slack:#status"]) of its public updates, through the paging channels'
// own pagers: the room's message about the incident is posted once and
// follows it, as a service's informed rooms do.
package room

import (
	"context"
	"errors"
	"strings"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/statuspage/notify"
)

func init() {
	notify.Register("room", func(_ *policies.Config, env notify.Env) (notify.Channel, error) {
		if env.Pagers == nil {
			return nil, nil
		}
		return &Room{pagers: env.Pagers}, nil
	})
}

// Room sends to rooms through the paging channels.
type Room struct {
	pagers func() pagers.Set
}

// Send implements notify.Channel. The message speaks of the incident as
// the page does — its public title and public words — and carries
// nothing of the alerts.
func (r *Room) Send(ctx context.Context, m notify.Message) error {
	kind, name, ok := strings.Cut(m.To.Address, ":")
	if !ok {
		return pagers.Permanent(errors.New("room " + m.To.Address + " is not channel:name"))
	}
	p, ok := r.pagers()[kind]
	if !ok {
		return pagers.Permanent(errors.New(kind + " is not configured"))
	}
	n := pagers.Notification{Key: m.Key + ":" + m.To.Address, Kind: pagers.KindUpdate, Channel: kind, Destination: name}
	subject, body := notify.Words(m)
	ev := incident.Event{ID: m.Key, Fact: incident.Fact{At: m.At, Kind: incident.KindPublicUpdate, Actor: m.Page.Title,
		Detail: body[0]}}
	switch m.Kind {
	case notify.Update:
		n.Incident = pagers.Incident{ID: m.Incident.ID, Title: m.Incident.Title, Summary: m.IncidentURL,
			Status: string(m.Incident.Status), StartedAt: m.Incident.CreatedAt, Links: []incident.Link{{Href: m.IncidentURL, Text: m.Page.Title}}}
	default:
		n.Incident = pagers.Incident{Title: subject, Summary: m.PageURL}
	}
	ev.Incident = n.Incident.ID
	n.Event = &ev
	_, err := p.Send(ctx, n)
	return err
}
