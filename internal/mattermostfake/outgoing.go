package mattermostfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"testing"
)

// What the fake Mattermost sends pagerd: outgoing webhooks for replies
// in threads, and button presses (interactive message actions).

// Outgoing gives channel an outgoing webhook with token, on every
// message (no trigger words), calling back callback with JSON.
func (f *Fake) Outgoing(channel, token, callback string) {
	f.mu.Lock()
	f.outgoing[channel] = outgoingHook{token: token, callback: callback}
	f.mu.Unlock()
}

// Deliveries returns what outgoing webhooks posted and were answered, in
// the order the answers came.
func (f *Fake) Deliveries() []Delivery {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.deliveries)
}

// Settle waits until every outgoing webhook post made so far is answered
// (and its answer posted).
func (f *Fake) Settle() { f.inflight.Wait() }

// fire posts p to its channel's outgoing webhook, as Mattermost does in
// the background once a post is made. Called with f.mu held.
func (f *Fake) fire(p *Post) {
	hook, ok := f.outgoing[p.ChannelID]
	if !ok {
		return
	}
	payload := f.payload(p, hook.token)
	f.inflight.Add(1)
	go func() {
		defer f.inflight.Done()
		f.deliver(hook.callback, "application/json", payload, p)
	}()
}

// payload is what an outgoing webhook posts about p.
func (f *Fake) payload(p *Post, token string) []byte {
	b, _ := json.Marshal(map[string]any{
		"token": token, "team_id": ID("team", 1), "team_domain": "eng", "channel_id": p.ChannelID, "channel_name": "payments-oncall",
		"timestamp": p.Posted.UnixMilli(), "user_id": p.UserID, "user_name": f.users[p.UserID].Username,
		"post_id": p.ID, "text": p.Message, "trigger_word": "", "file_ids": "",
	})
	return b
}

// deliver posts an outgoing webhook's payload to callback and, as
// Mattermost does, posts the text it answers: a reply in p's thread for
// response_type "comment", else a post of its own in the channel.
func (f *Fake) deliver(callback, contentType string, payload []byte, p *Post) Delivery {
	d := Delivery{PostID: p.ID}
	resp, err := http.Post(callback, contentType, bytes.NewReader(payload))
	if err != nil {
		d.Code, d.Body = 0, err.Error()
	} else {
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		d.Code, d.Body = resp.StatusCode, string(raw)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deliveries = append(f.deliveries, d)
	var ans struct {
		Text         *string `json:"text"`
		ResponseType string  `json:"response_type"`
	}
	if d.Code != http.StatusOK || json.Unmarshal([]byte(d.Body), &ans) != nil || ans.Text == nil {
		return d
	}
	root := ""
	if ans.ResponseType == "comment" {
		root = p.RootID
		if root == "" {
			root = p.ID
		}
	}
	f.seq++
	answer := &Post{ID: ID("post", f.seq), ChannelID: p.ChannelID, RootID: root, UserID: ID("hookowner", 1), Message: *ans.Text,
		Props: map[string]any{"from_webhook": "true"}, Posted: f.now()}
	f.posts = append(f.posts, answer)
	f.fire(answer)
	return d
}

// Outgoing is how a message reaches pagerd's outgoing webhook callback
// in Reply and Resend.
type Outgoing struct {
	Token   string // in place of the channel's webhook token: a forgery
	Form    bool   // posted as a form (the webhook's other content type)
	URL     string // where to post it in place of the webhook's callback (another replica)
	Channel string // in place of the post's channel id, in what is posted
}

// Reply is user id replying text in the thread of post parent: the reply
// is posted as Mattermost keeps it, and — the channel having an outgoing
// webhook — posted to its callback, whose answer is returned (and its
// text posted, as Mattermost does).
func (f *Fake) Reply(t testing.TB, parent Post, userID, text string, how Outgoing) Delivery {
	t.Helper()
	f.mu.Lock()
	root := parent.RootID
	if root == "" {
		root = parent.ID
	}
	f.seq++
	p := &Post{ID: ID("post", f.seq), ChannelID: parent.ChannelID, RootID: root, UserID: userID, Message: text, Props: map[string]any{}, Posted: f.now()}
	f.posts = append(f.posts, p)
	f.mu.Unlock()
	return f.Resend(t, *p, how)
}

// Resend posts p to its channel's outgoing webhook callback (again: a
// replay, when it was posted before).
func (f *Fake) Resend(t testing.TB, p Post, how Outgoing) Delivery {
	t.Helper()
	f.mu.Lock()
	hook, ok := f.outgoing[p.ChannelID]
	stored := f.find(p.ID)
	f.mu.Unlock()
	if !ok || stored == nil {
		t.Fatalf("channel %s has no outgoing webhook, or post %s is unknown", p.ChannelID, p.ID)
	}
	token, target := hook.token, hook.callback
	if how.Token != "" {
		token = how.Token
	}
	if how.URL != "" {
		target = how.URL
	}
	f.mu.Lock()
	payload := f.payload(stored, token)
	f.mu.Unlock()
	var m map[string]any
	_ = json.Unmarshal(payload, &m)
	if how.Channel != "" {
		m["channel_id"] = how.Channel
		payload, _ = json.Marshal(m)
	}
	contentType := "application/json"
	if how.Form {
		form := url.Values{}
		for k, v := range m {
			form.Set(k, fmt.Sprint(v))
		}
		payload, contentType = []byte(form.Encode()), "application/x-www-form-urlencoded"
	}
	return f.deliver(target, contentType, payload, stored)
}

// Press is how a button press is made.
type Press struct {
	Token     string // in place of the button's callback token: a forgery
	TriggerID string // the press's trigger id; "" makes a new one (the same one again is a replay)
	Channel   string // the channel id Mattermost says the post is in; "" is the post's
	UserName  string // the user name Mattermost sends along; "" is the user's
	URL       string // where to post it in place of the button's integration URL (another replica)
}

// Answer is what pagerd answered a press.
type Answer struct {
	Code int
	Body string
}

// Press presses the button of action ("ack", "resolve", "escalate") on
// post p as the user with id userID, the way the Mattermost server does:
// the button's integration context posted to its URL with who pressed
// where. An update in the answer replaces the post's message and props.
func (f *Fake) Press(t testing.TB, p Post, action, userID string, how Press) Answer {
	t.Helper()
	var act *Action
	f.mu.Lock()
	stored := f.find(p.ID)
	var current Post
	if stored != nil {
		current = *stored
	}
	f.seq++
	trigger := how.TriggerID
	if trigger == "" {
		trigger = ID("trigger", f.seq)
	}
	u := f.users[userID]
	f.mu.Unlock()
	for _, a := range current.Actions() {
		if a.ID == action {
			act = &a
			break
		}
	}
	if act == nil {
		t.Fatalf("post %s has no %q button: %s", p.ID, action, current.Attachments())
	}
	context := clone(act.Integration.Context)
	if how.Token != "" {
		context["token"] = how.Token
	}
	channel := how.Channel
	if channel == "" {
		channel = current.ChannelID
	}
	name := how.UserName
	if name == "" {
		name = u.Username
	}
	body, _ := json.Marshal(map[string]any{
		"user_id": userID, "user_name": name, "channel_id": channel, "channel_name": "", "team_id": ID("team", 1),
		"team_domain": "eng", "post_id": p.ID, "trigger_id": trigger, "type": "", "data_source": "", "context": context,
	})
	target := act.Integration.URL
	if how.URL != "" {
		target = how.URL
	}
	resp, err := http.Post(target, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("press: %v", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusOK {
		var ans struct {
			Update *struct {
				Message string         `json:"message"`
				Props   map[string]any `json:"props"`
			} `json:"update"`
			EphemeralText string `json:"ephemeral_text"`
		}
		if err := json.Unmarshal(raw, &ans); err != nil {
			t.Fatalf("press answered %s: %v", raw, err)
		}
		f.mu.Lock()
		if ans.EphemeralText != "" {
			f.answers = append(f.answers, ans.EphemeralText)
		}
		if ans.Update != nil && stored != nil {
			stored.Message, stored.Props = ans.Update.Message, clone(ans.Update.Props)
			stored.Updates++
		}
		f.mu.Unlock()
	}
	return Answer{Code: resp.StatusCode, Body: string(raw)}
}
