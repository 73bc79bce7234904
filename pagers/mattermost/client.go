package mattermost

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pagerd/pagerd/links"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/pagers/chat"
)

// client is the chat.Client of one mattermost block: Mattermost's REST API
// (v4) with the bot's token, and its incoming webhook, over net/http (the
// official Go client comes with the whole server's model).
type client struct {
	c     Config
	http  *http.Client
	links func() links.Builder

	mu    sync.Mutex
	botID string            // the bot's own user id, once asked
	dms   map[string]string // username → the bot's direct channel with them
}

var _ chat.Client = (*client)(nil)

func newClient(c Config, env pagers.Env) *client {
	return &client{c: c, http: httpClient(env.HTTPClient), links: env.Links, dms: map[string]string{}}
}

// hookRef marks a message posted through the webhook, which Mattermost
// does not say where it is: it can be neither edited nor found.
const hookRef = "hook:"

// apiRef is a message posted through the API: "<channel id>/<post id>".
func apiRef(channel, post string) chat.Ref { return chat.Ref(channel + "/" + post) }

func splitRef(r chat.Ref) (channel, post string, err error) {
	channel, post, ok := strings.Cut(string(r), "/")
	if !ok || !mmID.MatchString(channel) || !mmID.MatchString(post) {
		return "", "", pagers.Permanent(fmt.Errorf("mattermost: %q is not a message reference", r))
	}
	return channel, post, nil
}

// viaAPI reports whether messages to to go through the REST API (the bot
// posts, edits and replies in threads), rather than the webhook.
func (c *client) viaAPI(to chat.Recipient) bool {
	if c.c.BotToken == "" {
		return false
	}
	if to.Room == nil {
		return true
	}
	rc, _ := to.Room.Settings.(RoomConfig)
	return rc.ChannelID != ""
}

// builder is the links builder of the config in force, for the buttons'
// tokens and URL; nil when there is none.
func (c *client) builder() *links.Builder {
	if c.links == nil {
		return nil
	}
	b := c.links()
	if len(b.Signer.Key) == 0 {
		return nil
	}
	return &b
}

// Post implements chat.Client: POST /api/v4/posts, or the webhook.
func (c *client) Post(ctx context.Context, to chat.Recipient, m chat.Message) (chat.Ref, error) {
	r := render(m, to.Name(), c.builder(), false)
	if !c.viaAPI(to) {
		return chat.Ref(hookRef + m.Key), c.hook(ctx, to, r)
	}
	channel, err := c.channelOf(ctx, to)
	if err != nil {
		return "", err
	}
	return c.create(ctx, channel, "", r, m.Key)
}

// Edit implements chat.Client: PUT /api/v4/posts/{id}/patch. A webhook's
// message cannot be.
func (c *client) Edit(ctx context.Context, to chat.Recipient, ref chat.Ref, m chat.Message) error {
	if strings.HasPrefix(string(ref), hookRef) || c.c.BotToken == "" {
		return chat.ErrCannotEdit
	}
	_, post, err := splitRef(ref)
	if err != nil {
		return err
	}
	r := render(m, to.Name(), c.builder(), false)
	body := map[string]any{"message": r.Message, "props": r.props(m.Key)}
	return c.api(ctx, http.MethodPut, "posts/"+post+"/patch", body, nil)
}

// Reply implements chat.Client: a reply in the message's thread, or a
// follow-up message through the webhook.
func (c *client) Reply(ctx context.Context, to chat.Recipient, parent chat.Ref, m chat.Message) (chat.Ref, error) {
	if strings.HasPrefix(string(parent), hookRef) || c.c.BotToken == "" {
		return chat.Ref(hookRef + m.Key), c.hook(ctx, to, render(m, to.Name(), c.builder(), true))
	}
	channel, root, err := splitRef(parent)
	if err != nil {
		return "", err
	}
	return c.create(ctx, channel, root, render(m, to.Name(), c.builder(), false), m.Key)
}

// findDepth is how many of a channel's latest posts Find reads: a message
// lost to a crash was posted moments before.
const findDepth = 50

type post struct {
	ID        string         `json:"id"`
	ChannelID string         `json:"channel_id"`
	RootID    string         `json:"root_id"`
	UserID    string         `json:"user_id"`
	Type      string         `json:"type"` // "" for a person's; system messages have one
	Message   string         `json:"message"`
	Props     map[string]any `json:"props"`
}

type postList struct {
	Order []string        `json:"order"`
	Posts map[string]post `json:"posts"`
}

// Find implements chat.Client: the channel's latest posts (or the
// parent's thread), for pagerd's key in their properties. A webhook's
// posts cannot be looked up.
func (c *client) Find(ctx context.Context, to chat.Recipient, parent chat.Ref, key string) (chat.Ref, bool, error) {
	var (
		list    postList
		channel string
		err     error
	)
	switch {
	case strings.HasPrefix(string(parent), hookRef), !c.viaAPI(to):
		return "", false, chat.ErrCannotFind
	case parent != "":
		var root string
		if channel, root, err = splitRef(parent); err != nil {
			return "", false, err
		}
		err = c.api(ctx, http.MethodGet, "posts/"+root+"/thread", nil, &list)
	default:
		if channel, err = c.channelOf(ctx, to); err != nil {
			return "", false, err
		}
		err = c.api(ctx, http.MethodGet, "channels/"+channel+"/posts?per_page="+strconv.Itoa(findDepth), nil, &list)
	}
	if err != nil {
		return "", false, err
	}
	for _, id := range list.Order {
		if p := list.Posts[id]; p.Props[keyProp] == key {
			return apiRef(channel, p.ID), true, nil
		}
	}
	return "", false, nil
}

// create posts r into channel (under root, for a thread reply).
func (c *client) create(ctx context.Context, channel, root string, r rendered, key string) (chat.Ref, error) {
	body := map[string]any{"channel_id": channel, "message": r.Message, "props": r.props(key)}
	if root != "" {
		body["root_id"] = root
	}
	var p post
	if err := c.api(ctx, http.MethodPost, "posts", body, &p); err != nil {
		return "", err
	}
	if !mmID.MatchString(p.ID) {
		return "", fmt.Errorf("mattermost: the new post's id is %q", p.ID)
	}
	return apiRef(channel, p.ID), nil
}

// channelOf is the channel a message to to goes to through the API: the
// room's, or the bot's direct channel with the person.
func (c *client) channelOf(ctx context.Context, to chat.Recipient) (string, error) {
	if to.Room != nil {
		rc, ok := to.Room.Settings.(RoomConfig)
		if !ok || rc.ChannelID == "" {
			return "", pagers.Permanent(fmt.Errorf("mattermost room %q has no channel_id", to.Room.Name))
		}
		return rc.ChannelID, nil
	}
	return c.direct(ctx, to.Address)
}

type user struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	Email    string `json:"email"`
}

// me is the bot's own user id, asked once.
func (c *client) me(ctx context.Context) (string, error) {
	c.mu.Lock()
	bot := c.botID
	c.mu.Unlock()
	if bot != "" {
		return bot, nil
	}
	var me user
	if err := c.api(ctx, http.MethodGet, "users/me", nil, &me); err != nil {
		return "", err
	}
	c.mu.Lock()
	c.botID = me.ID
	c.mu.Unlock()
	return me.ID, nil
}

// direct is the bot's direct channel with username, opened once.
func (c *client) direct(ctx context.Context, username string) (string, error) {
	c.mu.Lock()
	ch := c.dms[username]
	c.mu.Unlock()
	if ch != "" {
		return ch, nil
	}
	bot, err := c.me(ctx)
	if err != nil {
		return "", err
	}
	var them user
	if err := c.api(ctx, http.MethodGet, "users/username/"+url.PathEscape(username), nil, &them); err != nil {
		return "", err
	}
	var dm struct {
		ID string `json:"id"`
	}
	if err := c.api(ctx, http.MethodPost, "channels/direct", []string{bot, them.ID}, &dm); err != nil {
		return "", err
	}
	c.mu.Lock()
	c.dms[username] = dm.ID
	c.mu.Unlock()
	return dm.ID, nil
}

// postByID is the post with id, as the bot may see it.
func (c *client) postByID(ctx context.Context, id string) (post, error) {
	var p post
	if !mmID.MatchString(id) {
		return p, pagers.Permanent(fmt.Errorf("mattermost: %q is not a post id", id))
	}
	return p, c.api(ctx, http.MethodGet, "posts/"+id, nil, &p)
}

// react adds the bot's reaction emoji (its name, "writing_hand") to the
// post with id.
func (c *client) react(ctx context.Context, id, emoji string) error {
	bot, err := c.me(ctx)
	if err != nil {
		return err
	}
	return c.api(ctx, http.MethodPost, "reactions", map[string]string{"user_id": bot, "post_id": id, "emoji_name": emoji}, nil)
}

// userByID is the Mattermost user with id, as the bot may see them.
func (c *client) userByID(ctx context.Context, id string) (user, error) {
	var u user
	if !mmID.MatchString(id) {
		return u, pagers.Permanent(fmt.Errorf("mattermost: %q is not a user id", id))
	}
	return u, c.api(ctx, http.MethodGet, "users/"+id, nil, &u)
}

// api makes one REST call with the bot's token, decoding the answer into
// out.
func (c *client) api(ctx context.Context, method, path string, in, out any) error {
	what := method + " /api/v4/" + strings.SplitN(path, "?", 2)[0]
	resp, err := c.send(ctx, method, c.c.URL+"/api/v4/"+path, in, "Bearer "+c.c.BotToken)
	if err != nil {
		return classify(what, nil, err)
	}
	defer resp.Body.Close()
	if err := classify(what, resp, nil); err != nil {
		return err
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 8<<20)).Decode(out); err != nil {
		return fmt.Errorf("%s: reading the answer: %w", what, err)
	}
	return nil
}

// hook posts r through the incoming webhook, into the room's channel or
// the person's direct messages ("@username").
func (c *client) hook(ctx context.Context, to chat.Recipient, r rendered) error {
	if c.c.WebhookURL == "" {
		return pagers.Permanent(fmt.Errorf("mattermost: %s cannot be reached: no webhook_url, and no bot_token with a channel_id", to.Name()))
	}
	body := map[string]any{"text": r.Message}
	if len(r.Attachments) > 0 {
		body["attachments"] = r.Attachments
	}
	switch {
	case to.Room == nil:
		body["channel"] = "@" + to.Address
	default:
		rc, ok := to.Room.Settings.(RoomConfig)
		if !ok {
			return pagers.Permanent(fmt.Errorf("mattermost room %q is not configured", to.Room.Name))
		}
		if rc.Channel != "" {
			body["channel"] = rc.Channel
		}
	}
	resp, err := c.send(ctx, http.MethodPost, c.c.WebhookURL, body, "")
	if err != nil {
		return classify("the incoming webhook", nil, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return classify("the incoming webhook", resp, nil)
}

func (c *client) send(ctx context.Context, method, target string, in any, auth string) (*http.Response, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, pagers.Permanent(err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return nil, pagers.Permanent(err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	return c.http.Do(req)
}

// apiError is Mattermost's error answer.
type apiError struct {
	ID      string `json:"id"`
	Message string `json:"message"`
}

// classify says what sending again can do about a failed call: a 429 is
// waited out (Retry-After, or X-Ratelimit-Reset), a 5xx or no answer is
// tried again, anything else is Mattermost's refusal and will not change.
func classify(what string, resp *http.Response, err error) error {
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return err
		}
		// The request's URL is left out: an incoming webhook's key is in
		// its path, and is as secret as a token.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return fmt.Errorf("%s: no answer: %w", what, err) // transient
	}
	if resp.StatusCode < 300 {
		return nil
	}
	var e apiError
	_ = json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&e)
	msg := resp.Status
	if e.Message != "" {
		msg += ": " + e.Message
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		return pagers.RetryAfter(fmt.Errorf("%s: %s", what, msg), retryAfter(resp.Header))
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusRequestTimeout:
		return fmt.Errorf("%s: %s", what, msg)
	}
	return pagers.Permanent(fmt.Errorf("%s: %s", what, refusal(resp.StatusCode, msg)))
}

// retryAfter is how long a 429 asks to wait: Retry-After, else until
// X-Ratelimit-Reset (seconds), else a second.
func retryAfter(h http.Header) time.Duration {
	for _, name := range []string{"Retry-After", "X-Ratelimit-Reset"} {
		if n, err := strconv.Atoi(strings.TrimSpace(h.Get(name))); err == nil && n > 0 {
			return time.Duration(n) * time.Second
		}
	}
	return time.Second
}

// refusal says what Mattermost's refusal means for whoever reads the
// timeline.
func refusal(code int, msg string) string {
	switch code {
	case http.StatusUnauthorized:
		return msg + " (check bot_token: revoked, or the bot disabled?)"
	case http.StatusForbidden:
		return msg + " (add the bot to the channel's team and the channel, or give it the post:all permission)"
	case http.StatusNotFound:
		return msg + " (check the room's channel_id, the person's mattermost_username, or webhook_url)"
	}
	return msg
}
