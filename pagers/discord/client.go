package discord

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pagerd/pagerd/links"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/pagers/chat"
	"github.com/pagerd/pagerd/pagers/chat/hook"
)

// client is the chat.Client of a discord block: Execute Webhook with
// ?wait=true (which answers the message, and so its id: the Ref), Edit
// Webhook Message (PATCH .../messages/<id>) to follow the incident, and a
// follow-up message for each fact. Both carry ?with_components=true:
// without it Discord drops the link buttons of a webhook's message
// without a word. A webhook cannot list what it posted, so Find cannot
// look a message up.
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
	body, err := c.body(to, m)
	if err != nil {
		return "", err
	}
	a, err := c.http.Do(ctx, http.MethodPost, hook.WithQuery(target, "wait", "true", "with_components", "true"), body)
	if err != nil {
		return "", err
	}
	var posted struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(a.Body, &posted) != nil || posted.ID == "" {
		// Posted, but it cannot be followed: posting again would repeat it.
		return "", pagers.Permanent(fmt.Errorf("%s: the answer to a post has no message id: %s", title, hook.Excerpt(a.Body)))
	}
	return chat.Ref(posted.ID), nil
}

// Edit implements chat.Client: the message replaced, embed and buttons.
func (c *client) Edit(ctx context.Context, to chat.Recipient, ref chat.Ref, m chat.Message) error {
	target, err := hook.Target(c.settings, to)
	if err != nil {
		return err
	}
	body, err := c.body(to, m)
	if err != nil {
		return err
	}
	_, err = c.http.Do(ctx, http.MethodPatch, messageURL(target, string(ref)), body)
	return err
}

// Reply implements chat.Client: a webhook cannot reply to a message, so
// the fact is a follow-up message in the channel.
func (c *client) Reply(ctx context.Context, to chat.Recipient, _ chat.Ref, m chat.Message) (chat.Ref, error) {
	return c.Post(ctx, to, m)
}

// Find implements chat.Client.
func (c *client) Find(context.Context, chat.Recipient, chat.Ref, string) (chat.Ref, bool, error) {
	return "", false, chat.ErrCannotFind
}

func (c *client) body(to chat.Recipient, m chat.Message) ([]byte, error) {
	msg, err := fit(m, hook.Buttons(c.links, hook.Who(Platform, to), m))
	if err != nil {
		return nil, pagers.Permanent(err)
	}
	return json.Marshal(msg)
}

// messageURL is the URL of a message the webhook at target posted: its
// path, /messages/<id>, and its thread if it posts into one.
func messageURL(target, id string) string {
	u, err := url.Parse(target)
	if err != nil {
		return target
	}
	u.Path = strings.TrimRight(u.Path, "/") + "/messages/" + url.PathEscape(id)
	u.RawPath = ""
	q := url.Values{"with_components": {"true"}}
	if t := u.Query().Get("thread_id"); t != "" {
		q.Set("thread_id", t)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// wait is how long a 429 asks: its body's retry_after (seconds, with a
// fraction, more precise than the header's whole seconds), else
// X-RateLimit-Reset-After; else the chat layer reads Retry-After.
func wait(h http.Header, body []byte) (time.Duration, bool) {
	var limited struct {
		RetryAfter *float64 `json:"retry_after"`
	}
	if json.Unmarshal(body, &limited) == nil && limited.RetryAfter != nil && *limited.RetryAfter >= 0 {
		return hook.Seconds(*limited.RetryAfter), true
	}
	secs, err := strconv.ParseFloat(h.Get("X-RateLimit-Reset-After"), 64)
	if err != nil || secs < 0 {
		return 0, false
	}
	return hook.Seconds(secs), true
}

// refusal says what Discord's error code means.
func refusal(_ int, body []byte) string {
	var e struct {
		Code int `json:"code"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		return ""
	}
	switch e.Code {
	case 10015:
		return "the webhook was deleted: make a new one and update webhook_url"
	case 50027:
		return "the webhook's token is wrong: copy its URL again"
	case 10008:
		return "the message was deleted"
	case 10003:
		return "the webhook's channel is gone"
	case 50035:
		return "Discord refused the message's content"
	}
	return ""
}
