package mattermost

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"time"

	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/pagers/chat"
)

// People's replies in the threads of pagerd's posts reach pagerd through
// an outgoing webhook, the one way a Mattermost server tells an
// integration of messages without a connection held open (a bot's
// websocket would be one per replica, each hearing everything): one
// webhook per room, on the room's channel, with no trigger words, calling
// back MessagesPath. It posts every message of the channel with the
// webhook's token — a secret of the webhook's, not a signature — and the
// post's id, but not the thread the post is in: the bot reads the post to
// learn that (its root_id), and who wrote it.

// outgoing is what an outgoing webhook posts, as JSON or as a form.
type outgoing struct {
	Token     string `json:"token"`
	ChannelID string `json:"channel_id"`
	UserID    string `json:"user_id"`
	UserName  string `json:"user_name"`
	PostID    string `json:"post_id"`
}

// outgoingResponse is what Mattermost posts for the webhook: Text, as a
// reply in the thread of the message (ResponseType "comment"); nothing
// when Text is unset.
type outgoingResponse struct {
	Text         *string `json:"text,omitempty"`
	ResponseType string  `json:"response_type,omitempty"`
}

// seenPostsFor is how long a post's id is kept against the same post
// being posted to pagerd again: Mattermost sends each post once.
const seenPostsFor = 24 * time.Hour

// noted is the reaction the bot leaves on a reply it made a note of.
const noted = "writing_hand"

var (
	errNoOutgoingToken = errors.New("the request carries no outgoing webhook token pagerd knows")
	errOtherChannel    = errors.New("the outgoing webhook's token is another room's")
	errPostReplayed    = errors.New("a post already seen (replayed)")
)

// serveMessages takes a message an outgoing webhook posts: its token
// checked against the rooms' (in constant time; none matching is 401,
// another room's 403), each post taken once (403 when it comes again). A
// person's reply in the thread of a post of pagerd's becomes their note,
// marked with the bot's ✍ reaction; a refused one is answered in the
// thread; anything else — a post of pagerd's or any bot's, a message that
// starts a thread, a stranger's reply (a log line) — is let be.
func serveMessages(w http.ResponseWriter, r *http.Request, in *pagers.Inbound) {
	c, cc, on := settings(in)
	if !on {
		in.Fail(w, r, http.StatusNotFound, "mattermost is not configured", nil)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		in.Fail(w, r, http.StatusRequestEntityTooLarge, "request body too large or unreadable", err)
		return
	}
	msg, err := readOutgoing(r.Header.Get("Content-Type"), body)
	if err != nil {
		in.Fail(w, r, http.StatusBadRequest, "body is not an outgoing webhook's message", err)
		return
	}
	room, known := roomWithToken(cc, msg.Token)
	switch {
	case !known:
		in.Fail(w, r, http.StatusUnauthorized, errNoOutgoingToken.Error(), errNoOutgoingToken)
		return
	case room.ChannelID != msg.ChannelID:
		in.Fail(w, r, http.StatusForbidden, errOtherChannel.Error(), errOtherChannel)
		return
	}
	ctx := r.Context()
	first, err := in.Once(ctx, "mattermost:post:"+msg.PostID, seenPostsFor)
	switch {
	case err != nil:
		in.Fail(w, r, http.StatusServiceUnavailable, "state store unavailable", err)
		return
	case !first:
		in.Fail(w, r, http.StatusForbidden, errPostReplayed.Error(), errPostReplayed)
		return
	}
	cl := newClient(c, pagers.Env{HTTPClient: in.HTTPClient})
	p, err := cl.postByID(ctx, msg.PostID)
	if err != nil {
		in.Fail(w, r, http.StatusBadGateway, "could not read the post from Mattermost", err)
		return
	}
	if p.ChannelID != room.ChannelID {
		in.Fail(w, r, http.StatusForbidden, errOtherChannel.Error(), errOtherChannel)
		return
	}
	if !personsReply(p) {
		respondOutgoing(w, "")
		return
	}
	if bot, err := cl.me(ctx); err == nil && p.UserID == bot {
		respondOutgoing(w, "") // pagerd's own reply: no loops
		return
	}
	res, err := chat.ThreadNote(ctx, in, chat.ThreadReply{
		Platform: Platform, Attr: contact.Attr, Person: person(ctx, in, cl, p.UserID, msg.UserName),
		Place: string(apiRef(p.ChannelID, p.RootID)), Text: p.Message,
	})
	if err != nil {
		in.Fail(w, r, http.StatusServiceUnavailable, "state store unavailable", err)
		return
	}
	switch res.Outcome {
	case chat.ReplyNoted:
		// Its thread is not told of it (its words are right there): the
		// reaction says pagerd took it.
		if err := cl.react(ctx, p.ID, noted); err != nil {
			in.Log.Warn("could not mark a mattermost reply noted", "incident", res.Incident, "post", p.ID, "err", err)
		}
		respondOutgoing(w, "")
	case chat.ReplyRefused:
		respondOutgoing(w, res.Answer)
	default:
		// A stranger is not answered: the answer would be the channel's to
		// read (Mattermost lets only an admin's integration whisper).
		respondOutgoing(w, "")
	}
}

// readOutgoing reads an outgoing webhook's request, posted as JSON or as
// a form (its Content Type setting).
func readOutgoing(contentType string, body []byte) (outgoing, error) {
	var msg outgoing
	if mt, _, _ := mime.ParseMediaType(contentType); mt == "application/json" {
		return msg, json.Unmarshal(body, &msg)
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return msg, err
	}
	return outgoing{Token: form.Get("token"), ChannelID: form.Get("channel_id"), UserID: form.Get("user_id"),
		UserName: form.Get("user_name"), PostID: form.Get("post_id")}, nil
}

// roomWithToken is the room whose outgoing webhook has token, compared
// with every room's in constant time.
func roomWithToken(cc chat.Config, token string) (RoomConfig, bool) {
	var found RoomConfig
	ok := false
	for _, room := range cc.Rooms {
		rc, isRoom := room.Settings.(RoomConfig)
		if !isRoom || rc.OutgoingToken == "" {
			continue
		}
		if subtle.ConstantTimeCompare([]byte(token), []byte(rc.OutgoingToken)) == 1 {
			found, ok = rc, true
		}
	}
	return found, ok && token != ""
}

// personsReply reports whether p is a person's reply in a thread: not a
// thread's first post, not a system message, not a bot's or a webhook's
// (pagerd's own posts carry its key).
func personsReply(p post) bool {
	if p.RootID == "" || p.Type != "" {
		return false
	}
	for _, prop := range []string{"from_bot", "from_webhook"} {
		if v, _ := p.Props[prop].(string); v == "true" {
			return false
		}
	}
	_, ours := p.Props[keyProp]
	return !ours
}

// respondOutgoing answers an outgoing webhook: text as a reply in the
// message's thread, or nothing ("").
func respondOutgoing(w http.ResponseWriter, text string) {
	resp := outgoingResponse{}
	if text != "" {
		t := answer(text)
		resp = outgoingResponse{Text: &t, ResponseType: "comment"}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}
