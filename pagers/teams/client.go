package teams

import (
	"context"
	"net/http"

	"github.com/pagerd/pagerd/links"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/pagers/chat"
	"github.com/pagerd/pagerd/pagers/chat/hook"
)

// client is the chat.Client of a teams block: one POST of an Adaptive
// Card to the room's workflow a message. A workflow answers 202 as soon
// as it is triggered and says nothing back, so a message's Ref is
// pagerd's key of it, and it can be neither edited nor found again.
type client struct {
	settings hook.Settings
	links    func() links.Builder
	http     hook.Client
}

var _ chat.Client = (*client)(nil)

// Post implements chat.Client.
func (c *client) Post(ctx context.Context, to chat.Recipient, m chat.Message) (chat.Ref, error) {
	target, err := hook.Target(c.settings, to)
	if err != nil {
		return "", err
	}
	buttons := hook.Buttons(c.links, hook.Who(Platform, to), m)
	body, err := hook.Fit(maxBytes, dialect.TextLimit, func(budget int) any { return envelope(render(m, buttons, budget)) })
	if err != nil {
		return "", pagers.Permanent(err)
	}
	if _, err := c.http.Do(ctx, http.MethodPost, target, body); err != nil {
		return "", err
	}
	if m.Key == "" {
		return "posted", nil
	}
	return chat.Ref(m.Key), nil
}

// Edit implements chat.Client: a workflow cannot change what it posted.
func (c *client) Edit(context.Context, chat.Recipient, chat.Ref, chat.Message) error {
	return chat.ErrCannotEdit
}

// Reply implements chat.Client: a follow-up card in the same place.
func (c *client) Reply(ctx context.Context, to chat.Recipient, _ chat.Ref, m chat.Message) (chat.Ref, error) {
	return c.Post(ctx, to, m)
}

// Find implements chat.Client: nothing can be read back through a
// workflow.
func (c *client) Find(context.Context, chat.Recipient, chat.Ref, string) (chat.Ref, bool, error) {
	return "", false, chat.ErrCannotFind
}
