// Package mattermostfake is a loopback stand-in for a Mattermost server:
// the REST API (v4) calls pagerd makes with a bot's token (posts, patches,
// channel and thread listings, users, direct channels), an incoming
// webhook, the server's side of interactive messages — pressing a
// post's button posts the button's integration context to its URL and
// applies the update the integration answers — and of outgoing webhooks:
// every post in a channel that has one (pagerd's own, a person's reply in
// a thread) is posted to its callback URL with its token, and the reply
// the callback answers is posted in the thread. It records every post as
// the server would keep it, answers 429 (with Retry-After) and 500 on
// demand, refuses channels and people on demand, and records any request
// made before a Retry-After it gave had passed.
package mattermostfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// What the fake expects and gives: the bot's token and user id, and the
// incoming webhook's key.
const (
	Token   = "fakebottoken00000000000001"
	BotID   = "fakebotuser000000000000001"
	HookKey = "fakehookkey000000000000001"
	// HookChannel is where the webhook posts without a channel override.
	HookChannel = "town-square"
)

// Post is one post as the fake keeps it.
type Post struct {
	ID        string
	ChannelID string // the channel id for the API; the channel's name ("@user" for a direct message) for the webhook
	RootID    string // the thread's root, for a reply
	UserID    string // who posted it: the bot through the API, a person (Reply)
	Hook      bool   // posted through the webhook
	Message   string
	Props     map[string]any
	Edits     int // patches through the API
	Updates   int // updates answered to a button press
	Posted    time.Time
}

// Key is pagerd's key of the post.
func (p Post) Key() string { s, _ := p.Props["pagerd_key"].(string); return s }

// Attachments is the post's message attachments as JSON ("" when none).
func (p Post) Attachments() string {
	a, ok := p.Props["attachments"]
	if !ok {
		return ""
	}
	b, _ := json.Marshal(a)
	return string(b)
}

// Action is one button of a post.
type Action struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Integration struct {
		URL     string         `json:"url"`
		Context map[string]any `json:"context"`
	} `json:"integration"`
}

// Actions are the post's buttons, in order.
func (p Post) Actions() []Action {
	var atts []struct {
		Actions []Action `json:"actions"`
	}
	_ = json.Unmarshal([]byte(p.Attachments()), &atts)
	var out []Action
	for _, a := range atts {
		out = append(out, a.Actions...)
	}
	return out
}

// Buttons are the ids of the post's buttons, space-separated.
func (p Post) Buttons() string {
	var ids []string
	for _, a := range p.Actions() {
		ids = append(ids, a.ID)
	}
	return strings.Join(ids, " ")
}

// User is a Mattermost account.
type User struct {
	ID, Username, Email string
}

// Fake is a running fake server.
type Fake struct {
	srv *httptest.Server
	now func() time.Time

	mu         sync.Mutex
	seq        int
	posts      []*Post
	users      map[string]User // by id
	limitUntil map[string]time.Time
	violations []string
	throttle   int
	retryAfter int
	fail       int
	refuse     map[string]bool // channel ids, webhook channel names, usernames
	answers    []string
	calls      []string
	limited    int
	outgoing   map[string]outgoingHook // channel id → its outgoing webhook
	deliveries []Delivery
	reactions  []Reaction
	inflight   sync.WaitGroup
}

type outgoingHook struct{ token, callback string }

// Delivery is one post an outgoing webhook made, and what its callback
// answered.
type Delivery struct {
	PostID string
	Code   int
	Body   string
}

// Reaction is an emoji reaction someone left on a post.
type Reaction struct {
	PostID, UserID, Emoji string
}

// Start runs a fake on loopback until the test ends; now is its clock.
func Start(t testing.TB, now func() time.Time) *Fake {
	f := &Fake{now: now, users: map[string]User{BotID: {ID: BotID, Username: "pagerd"}},
		limitUntil: map[string]time.Time{}, refuse: map[string]bool{}, outgoing: map[string]outgoingHook{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /hooks/{key}", f.hook)
	mux.HandleFunc("/api/v4/", f.api)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	t.Cleanup(f.inflight.Wait)
	return f
}

// URL is the server's address (the mattermost block's url).
func (f *Fake) URL() string { return f.srv.URL }

// Close stops the fake: every request fails to connect.
func (f *Fake) Close() { f.srv.Close() }

// WebhookURL is the incoming webhook's URL.
func (f *Fake) WebhookURL() string { return f.srv.URL + "/hooks/" + HookKey }

// ID is a Mattermost id (26 lower-case letters and digits) made of kind
// and n.
func ID(kind string, n int) string {
	return kind + fmt.Sprintf("%0*d", 26-len(kind), n)
}

// AddUser adds an account and returns its id.
func (f *Fake) AddUser(username, email string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := ID("user", len(f.users))
	f.users[id] = User{ID: id, Username: username, Email: email}
	return id
}

// DM is the direct channel the fake opens between the bot and user id.
func DM(userID string) string { return ID("dm", 0)[:2] + userID[2:] }

// Refuse refuses every post to a channel id, a webhook channel name or a
// username (a direct message).
func (f *Fake) Refuse(where string) { f.mu.Lock(); f.refuse[where] = true; f.mu.Unlock() }

// Throttle answers the next n posts 429 with Retry-After: secs.
func (f *Fake) Throttle(n, secs int) { f.mu.Lock(); f.throttle, f.retryAfter = n, secs; f.mu.Unlock() }

// Fail answers the next n requests 500.
func (f *Fake) Fail(n int) { f.mu.Lock(); f.fail = n; f.mu.Unlock() }

// Posts returns every post, in the order they were made.
func (f *Fake) Posts() []Post {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Post, len(f.posts))
	for i, p := range f.posts {
		out[i] = *p
		out[i].Props = clone(p.Props)
	}
	return out
}

// In returns the posts of channel that are not thread replies.
func (f *Fake) In(channel string) []Post {
	var out []Post
	for _, p := range f.Posts() {
		if p.ChannelID == channel && p.RootID == "" {
			out = append(out, p)
		}
	}
	return out
}

// Thread returns the replies to the post with id root.
func (f *Fake) Thread(root string) []Post {
	var out []Post
	for _, p := range f.Posts() {
		if p.RootID == root {
			out = append(out, p)
		}
	}
	return out
}

// Violations lists the requests made before a Retry-After the fake gave
// had passed: 429s ignored.
func (f *Fake) Violations() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.violations)
}

// RateLimited counts the 429s the fake answered.
func (f *Fake) RateLimited() int { f.mu.Lock(); defer f.mu.Unlock(); return f.limited }

// Calls lists the requests made ("POST /api/v4/posts", "POST /hooks"), in
// order.
func (f *Fake) Calls() []string { f.mu.Lock(); defer f.mu.Unlock(); return slices.Clone(f.calls) }

// Answers are the ephemeral texts pagerd answered to button presses.
func (f *Fake) Answers() []string { f.mu.Lock(); defer f.mu.Unlock(); return slices.Clone(f.answers) }

func clone(m map[string]any) map[string]any {
	b, _ := json.Marshal(m)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}

func apiError(w http.ResponseWriter, code int, id, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"id": id, "message": msg, "status_code": code})
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// gate answers what fails every request (Fail) and posts (Throttle); it
// reports whether the request may go on. Called with f.mu held.
func (f *Fake) gate(w http.ResponseWriter, where string, posting bool) bool {
	now := f.now()
	if until, ok := f.limitUntil[where]; ok && now.Before(until) {
		f.violations = append(f.violations, fmt.Sprintf("%s at %s, %s before its Retry-After", where, now.Format(time.RFC3339Nano), until.Sub(now)))
	}
	if f.fail > 0 {
		f.fail--
		apiError(w, http.StatusInternalServerError, "app.fake.error", "the fake failed on purpose")
		return false
	}
	if posting && f.throttle > 0 {
		f.throttle--
		f.limited++
		f.limitUntil[where] = now.Add(time.Duration(f.retryAfter) * time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(f.retryAfter))
		w.Header().Set("X-Ratelimit-Reset", strconv.Itoa(f.retryAfter))
		apiError(w, http.StatusTooManyRequests, "api.context.rate_limit", "too many requests")
		return false
	}
	return true
}

func (f *Fake) hook(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "POST /hooks")
	if r.PathValue("key") != HookKey {
		apiError(w, http.StatusBadRequest, "web.incoming_webhook.invalid.app_error", "Invalid webhook")
		return
	}
	var in struct {
		Text        string         `json:"text"`
		Channel     string         `json:"channel"`
		Attachments any            `json:"attachments"`
		Props       map[string]any `json:"props"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		apiError(w, http.StatusBadRequest, "web.incoming_webhook.parse.app_error", err.Error())
		return
	}
	channel := in.Channel
	if channel == "" {
		channel = HookChannel
	}
	if !f.gate(w, channel, true) {
		return
	}
	if f.refuse[strings.TrimPrefix(channel, "@")] {
		apiError(w, http.StatusBadRequest, "web.incoming_webhook.channel.app_error", "Couldn't find the channel")
		return
	}
	props := in.Props
	if props == nil {
		props = map[string]any{}
	}
	if in.Attachments != nil {
		props["attachments"] = in.Attachments
	}
	f.seq++
	f.posts = append(f.posts, &Post{ID: ID("post", f.seq), ChannelID: channel, Hook: true, Message: in.Text, Props: clone(props), Posted: f.now()})
	w.Header().Set("Content-Type", "text/plain")
	_, _ = io.WriteString(w, "ok")
}

func (f *Fake) api(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/api/v4/")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, r.Method+" /api/v4/"+path)
	if r.Header.Get("Authorization") != "Bearer "+Token {
		apiError(w, http.StatusUnauthorized, "api.context.session_expired.app_error", "Invalid or expired session, please login again.")
		return
	}
	parts := strings.Split(path, "/")
	switch {
	case r.Method == http.MethodPost && path == "posts":
		f.createPost(w, r)
	case r.Method == http.MethodPut && len(parts) == 3 && parts[0] == "posts" && parts[2] == "patch":
		f.patch(w, r, parts[1])
	case r.Method == http.MethodGet && len(parts) == 3 && parts[0] == "channels" && parts[2] == "posts":
		f.list(w, func(p *Post) bool { return p.ChannelID == parts[1] && !p.Hook })
	case r.Method == http.MethodGet && len(parts) == 3 && parts[0] == "posts" && parts[2] == "thread":
		f.list(w, func(p *Post) bool { return p.ID == parts[1] || p.RootID == parts[1] })
	case r.Method == http.MethodGet && len(parts) == 2 && parts[0] == "posts":
		if p := f.find(parts[1]); p != nil && !p.Hook {
			reply(w, f.wire(p))
			return
		}
		apiError(w, http.StatusNotFound, "app.post.get.app_error", "Unable to get the post.")
	case r.Method == http.MethodPost && path == "reactions":
		f.react(w, r)
	case r.Method == http.MethodGet && path == "users/me":
		reply(w, f.users[BotID])
	case r.Method == http.MethodGet && len(parts) == 3 && parts[0] == "users" && parts[1] == "username":
		for _, u := range f.users {
			if u.Username == parts[2] && !f.refuse[u.Username] {
				reply(w, u)
				return
			}
		}
		apiError(w, http.StatusNotFound, "app.user.missing_account.const", "Unable to find an existing account matching your username for this team.")
	case r.Method == http.MethodGet && len(parts) == 2 && parts[0] == "users":
		if u, ok := f.users[parts[1]]; ok {
			reply(w, u)
			return
		}
		apiError(w, http.StatusNotFound, "app.user.missing_account.const", "Unable to find the user.")
	case r.Method == http.MethodPost && path == "channels/direct":
		var ids []string
		if err := json.NewDecoder(r.Body).Decode(&ids); err != nil || len(ids) != 2 || ids[0] != BotID {
			apiError(w, http.StatusBadRequest, "api.context.invalid_body_param.app_error", "Invalid or missing user_ids in request body.")
			return
		}
		reply(w, map[string]any{"id": DM(ids[1]), "type": "D"})
	default:
		apiError(w, http.StatusNotFound, "api.context.404.app_error", "Sorry, we could not find the page.")
	}
}

func (f *Fake) createPost(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ChannelID string         `json:"channel_id"`
		Message   string         `json:"message"`
		RootID    string         `json:"root_id"`
		Props     map[string]any `json:"props"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		apiError(w, http.StatusBadRequest, "api.context.invalid_body_param.app_error", err.Error())
		return
	}
	if !f.gate(w, in.ChannelID, true) {
		return
	}
	if f.refuse[in.ChannelID] {
		apiError(w, http.StatusForbidden, "api.context.permissions.app_error", "You do not have the appropriate permissions.")
		return
	}
	if in.RootID != "" && f.find(in.RootID) == nil {
		apiError(w, http.StatusBadRequest, "api.post.create_post.root_id.app_error", "Invalid RootId parameter.")
		return
	}
	if len([]rune(in.Message)) > 16383 {
		apiError(w, http.StatusBadRequest, "model.post.is_valid.msg.app_error", "Invalid Message.")
		return
	}
	f.seq++
	p := &Post{ID: ID("post", f.seq), ChannelID: in.ChannelID, RootID: in.RootID, UserID: BotID, Message: in.Message, Props: clone(in.Props), Posted: f.now()}
	f.posts = append(f.posts, p)
	reply(w, f.wire(p))
	f.fire(p)
}

// react keeps the bot's reaction; like Mattermost, only on a post that
// exists, and only as the user whose token it is.
func (f *Fake) react(w http.ResponseWriter, r *http.Request) {
	var in struct {
		UserID    string `json:"user_id"`
		PostID    string `json:"post_id"`
		EmojiName string `json:"emoji_name"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.EmojiName == "" {
		apiError(w, http.StatusBadRequest, "api.context.invalid_body_param.app_error", "Invalid or missing reaction in request body.")
		return
	}
	if in.UserID != BotID {
		apiError(w, http.StatusForbidden, "api.context.permissions.app_error", "You do not have the appropriate permissions.")
		return
	}
	if f.find(in.PostID) == nil {
		apiError(w, http.StatusNotFound, "app.post.get.app_error", "Unable to get the post.")
		return
	}
	f.reactions = append(f.reactions, Reaction{PostID: in.PostID, UserID: in.UserID, Emoji: in.EmojiName})
	reply(w, map[string]any{"user_id": in.UserID, "post_id": in.PostID, "emoji_name": in.EmojiName})
}

// Reactions returns the reactions left on posts, in order.
func (f *Fake) Reactions() []Reaction {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.reactions)
}

func (f *Fake) patch(w http.ResponseWriter, r *http.Request, id string) {
	var in struct {
		Message *string        `json:"message"`
		Props   map[string]any `json:"props"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		apiError(w, http.StatusBadRequest, "api.context.invalid_body_param.app_error", err.Error())
		return
	}
	p := f.find(id)
	if p == nil {
		apiError(w, http.StatusNotFound, "app.post.get.app_error", "Unable to get the post.")
		return
	}
	if !f.gate(w, p.ChannelID, true) {
		return
	}
	if in.Message != nil {
		p.Message = *in.Message
	}
	if in.Props != nil {
		p.Props = clone(in.Props)
	}
	p.Edits++
	reply(w, f.wire(p))
}

// list answers the posts that match, newest first, as Mattermost's post
// lists are.
func (f *Fake) list(w http.ResponseWriter, match func(*Post) bool) {
	order := []string{}
	posts := map[string]any{}
	for i := len(f.posts) - 1; i >= 0; i-- {
		if p := f.posts[i]; match(p) {
			order = append(order, p.ID)
			posts[p.ID] = f.wire(p)
		}
	}
	reply(w, map[string]any{"order": order, "posts": posts})
}

// wire is a post as the API answers it. Like Mattermost, it leaves out
// what a button sends back (its integration), which clients never see.
func (f *Fake) wire(p *Post) map[string]any {
	props := clone(p.Props)
	if atts, ok := props["attachments"].([]any); ok {
		for _, a := range atts {
			if am, ok := a.(map[string]any); ok {
				if acts, ok := am["actions"].([]any); ok {
					for _, act := range acts {
						if m, ok := act.(map[string]any); ok {
							delete(m, "integration")
						}
					}
				}
			}
		}
	}
	return map[string]any{"id": p.ID, "channel_id": p.ChannelID, "root_id": p.RootID, "user_id": p.UserID, "message": p.Message, "props": props}
}

func (f *Fake) find(id string) *Post {
	for _, p := range f.posts {
		if p.ID == id {
			return p
		}
	}
	return nil
}
