package googlechat

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/pagerd/pagerd/links"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/pagers/chat"
	"github.com/pagerd/pagerd/pagers/chat/hook"
)

// client is the chat.Client of a googlechat block: a POST of a card to
// the space's webhook a message, every one with a thread and
// messageReplyOption=REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD, so a message
// starts its own thread (keyed by pagerd) and a reply goes into its
// parent's. A message's Ref is its name and its thread's name. A webhook
// cannot edit, nor list, what it posted.
type client struct {
	settings hook.Settings
	links    func() links.Builder
	http     hook.Client
}

var _ chat.Client = (*client)(nil)

// replyOption makes a message with a thread a reply in it (or, if the
// thread is gone, the start of a new one).
const replyOption = "REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD"

// Post implements chat.Client: a message starting a thread of its own.
func (c *client) Post(ctx context.Context, to chat.Recipient, m chat.Message) (chat.Ref, error) {
	return c.post(ctx, to, m, thread{Key: threadKey(m)})
}

// Reply implements chat.Client: a follow-up in the parent's thread.
func (c *client) Reply(ctx context.Context, to chat.Recipient, parent chat.Ref, m chat.Message) (chat.Ref, error) {
	_, th, ok := strings.Cut(string(parent), " ")
	if !ok || th == "" {
		return "", pagers.Permanent(fmt.Errorf("%s: %q is not a message reference", title, parent))
	}
	return c.post(ctx, to, m, thread{Name: th})
}

// Edit implements chat.Client: a webhook cannot change what it posted.
func (c *client) Edit(context.Context, chat.Recipient, chat.Ref, chat.Message) error {
	return chat.ErrCannotEdit
}

// Find implements chat.Client.
func (c *client) Find(context.Context, chat.Recipient, chat.Ref, string) (chat.Ref, bool, error) {
	return "", false, chat.ErrCannotFind
}

func (c *client) post(ctx context.Context, to chat.Recipient, m chat.Message, th thread) (chat.Ref, error) {
	target, err := hook.Target(c.settings, to)
	if err != nil {
		return "", err
	}
	buttons := hook.Buttons(c.links, hook.Who(Platform, to), m)
	body, err := hook.Fit(maxBytes, dialect.TextLimit, func(budget int) any {
		msg := render(m, buttons, budget)
		msg.Thread = th
		return msg
	})
	if err != nil {
		return "", pagers.Permanent(err)
	}
	a, err := c.http.Do(ctx, http.MethodPost, hook.WithQuery(target, "messageReplyOption", replyOption), body)
	if err != nil {
		return "", err
	}
	var posted struct {
		Name   string `json:"name"`
		Thread thread `json:"thread"`
	}
	if json.Unmarshal(a.Body, &posted) != nil || posted.Name == "" || posted.Thread.Name == "" {
		// Posted, but it cannot be followed: posting again would repeat it.
		return "", pagers.Permanent(fmt.Errorf("%s: the answer to a post names no message and thread: %s", title, hook.Excerpt(a.Body)))
	}
	return chat.Ref(posted.Name + " " + posted.Thread.Name), nil
}

// threadKey is the key of the thread a message starts: pagerd's key of
// the message (unique across incidents) and when the incident started,
// so that another pagerd, or this one after its state was lost, never
// replies into an old thread of the space.
func threadKey(m chat.Message) string {
	sum := sha256.Sum256([]byte(m.Key + "@" + strconv.FormatInt(m.Incident.StartedAt.UnixNano(), 10)))
	return "pagerd-" + hex.EncodeToString(sum[:12])
}
