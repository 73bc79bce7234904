package slack

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/pagers/chat"
)

// The Events API (https://api.slack.com/apis/events-api): Slack posts the
// events the app subscribes to — here the messages of the channels and
// direct messages it is in — as JSON, signed like every other request.
// pagerd reads one thing from them: a person's reply in the thread of a
// message it posted about an incident, which becomes their note on it.

// EventsPath is the app's Event Subscriptions Request URL.
const EventsPath = "/v1/slack/events"

// envelope is what every Events API request carries; Event is read only
// for the events pagerd takes.
type envelope struct {
	Type      string          `json:"type"`
	Challenge string          `json:"challenge"`
	EventID   string          `json:"event_id"`
	Event     json.RawMessage `json:"event"`
}

// serveEvents takes an Events API request: checked like every Slack
// request (the signature, the timestamp, no replay: 401/403), answered at
// once, a url_verification with its challenge, a message event that is a
// person's reply in the thread of pagerd's message made their note. An
// event Slack sends again (X-Slack-Retry-Num; the same event_id, newly
// signed) is answered as the first time and noted once, or noted now if
// the first delivery failed.
func serveEvents(w http.ResponseWriter, r *http.Request, in *pagers.Inbound) {
	c, body, ok := verifyBody(w, r, in)
	if !ok {
		return
	}
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		in.Fail(w, r, http.StatusBadRequest, "body is not an Events API request", err)
		return
	}
	switch env.Type {
	case slackevents.URLVerification:
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"challenge": env.Challenge})
		return
	case slackevents.CallbackEvent:
	default:
		w.WriteHeader(http.StatusOK) // app_rate_limited and the like: nothing to do
		return
	}
	var msg slackevents.MessageEvent
	if len(env.Event) == 0 || json.Unmarshal(env.Event, &msg) != nil || !personsReply(msg) {
		w.WriteHeader(http.StatusOK) // not a reply of a person's in a thread: nothing for pagerd
		return
	}
	if env.EventID == "" {
		in.Fail(w, r, http.StatusBadRequest, "event_callback without an event_id", nil)
		return
	}
	// The event's id goes with the note, stored with it in one step:
	// Slack delivers an event again when it did not hear 200 in time,
	// and a delivery that failed here must be taken then, while one that
	// was taken is noted once.
	ctx := r.Context()
	res, err := chat.ThreadNote(ctx, in, chat.ThreadReply{
		Platform: Platform, Attr: contact.Attr, Person: person(c, in, msg.User, ""),
		Place: string(ref(msg.Channel, msg.ThreadTimeStamp)), Text: plainText(msg.Text),
		Delivery: "slack:event:" + env.EventID,
	})
	if err != nil {
		in.Fail(w, r, http.StatusServiceUnavailable, "state store unavailable", err)
		return
	}
	if res.Answer != "" {
		// Only they see it, in the thread: the note itself is not posted
		// back there (its words are right above), so this says it was
		// taken — or why not, or who-are-you.
		if err := whisper(ctx, c, in, msg, res.Answer); err != nil {
			in.Log.Warn("could not answer a reply in a slack thread", "incident", res.Incident, "slack_user", msg.User, "err", err)
		}
	}
	w.WriteHeader(http.StatusOK)
}

// personsReply reports whether a message event is a person's reply in a
// thread: not the thread's first message, not a bot's (pagerd's own
// replies included: no loops), not an edit, a deletion or a join.
func personsReply(m slackevents.MessageEvent) bool {
	switch m.SubType {
	case "", "thread_broadcast", "file_share":
	default:
		return false
	}
	return m.Type == "message" && m.User != "" && m.BotID == "" &&
		m.ThreadTimeStamp != "" && m.ThreadTimeStamp != m.TimeStamp && m.Channel != ""
}

// whisper answers the writer of m in its thread, visible to them alone
// (chat.postEphemeral).
func whisper(ctx context.Context, c Config, in *pagers.Inbound, m slackevents.MessageEvent, text string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	_, err := api(c, in.HTTPClient).PostEphemeralContext(ctx, m.Channel, m.User,
		slack.MsgOptionText(answer(text), false), slack.MsgOptionTS(m.ThreadTimeStamp))
	if err != nil {
		return classify("chat.postEphemeral", err)
	}
	return nil
}

// A message's text is Slack's mrkdwn: mentions, channels and links in
// angle brackets, and &, < and > as entities
// (https://api.slack.com/reference/surfaces/formatting).
var special = regexp.MustCompile(`<([^<>]*)>`)

// plainText is a message's mrkdwn as a person reads it, for a note: a
// mention as @name (or @id), a channel as #name, a link as its text and
// URL, entities read. The note is escaped again wherever it is shown.
func plainText(mrkdwn string) string {
	s := special.ReplaceAllStringFunc(mrkdwn, func(m string) string {
		inner := m[1 : len(m)-1]
		target, label, labelled := strings.Cut(inner, "|")
		switch {
		case strings.HasPrefix(target, "@"), strings.HasPrefix(target, "#"):
			if labelled {
				return target[:1] + strings.TrimPrefix(label, target[:1])
			}
			return target
		case strings.HasPrefix(target, "!"):
			if labelled {
				return label // a user group's @handle, a date's fallback
			}
			return "@" + strings.TrimPrefix(target, "!")
		case labelled && label != target:
			return label + " (" + target + ")"
		}
		return target
	})
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
}
