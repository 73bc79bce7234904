package mattermost

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/pagerd/pagerd/links"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/pagers/chat"
)

// A button press, as the Mattermost server posts it to the button's
// integration URL: who pressed, where, and the context pagerd gave the
// button — its callback token. Nothing in the request is signed by
// Mattermost; the token is pagerd's, and the Mattermost server keeps it
// from its users (a post's integrations are stripped before clients see
// it), so a press carrying a valid one came through that server.
type actionRequest struct {
	UserID    string         `json:"user_id"`
	UserName  string         `json:"user_name"`
	ChannelID string         `json:"channel_id"`
	PostID    string         `json:"post_id"`
	TriggerID string         `json:"trigger_id"`
	Context   map[string]any `json:"context"`
}

// actionResponse is the answer Mattermost takes: an ephemeral message to
// whoever pressed and, for a post the bot cannot edit (a webhook's), the
// post redrawn.
type actionResponse struct {
	Update        *postUpdate `json:"update,omitempty"`
	EphemeralText string      `json:"ephemeral_text,omitempty"`
}

type postUpdate struct {
	Message string         `json:"message"`
	Props   map[string]any `json:"props"`
}

// maxBody bounds a press: a few hundred bytes and the context.
const maxBody = 64 << 10

var (
	errNoToken   = errors.New("the press carries no callback token")
	errElsewhere = errors.New("the callback token was signed for another channel")
	errReplayed  = errors.New("a press already seen (replayed)")
)

func settings(in *pagers.Inbound) (Config, chat.Config, bool) {
	cc, ok := chat.ConfigOf(in.Config, Platform)
	if !ok {
		return Config{}, cc, false
	}
	c, ok := cc.Settings.(Config)
	return c, cc, ok
}

// serveAction takes a button press: the callback token is checked (a
// forged or altered one is refused, 401; one for another channel or a
// press seen before, 403), the Mattermost user is mapped to a pagerd user
// and acts as they would by SMS, and whoever pressed is told what
// happened. Messages the bot posted change when the event stream says so;
// a webhook's message, which only this answer can change, is redrawn in
// it.
func serveAction(w http.ResponseWriter, r *http.Request, in *pagers.Inbound) {
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
	var req actionRequest
	if err := json.Unmarshal(body, &req); err != nil {
		in.Fail(w, r, http.StatusBadRequest, "body is not a Mattermost action request", err)
		return
	}
	token, _ := req.Context[tokenContext].(string)
	if token == "" {
		in.Fail(w, r, http.StatusUnauthorized, errNoToken.Error(), errNoToken)
		return
	}
	cb, err := in.Links.Signer.VerifyCallback(token)
	switch {
	case errors.Is(err, links.ErrExpired):
		in.Log.Warn("mattermost button pressed after its token expired; nothing changed", "incident", cb.IncidentID, "user", req.UserName)
		reply(w, actionResponse{EphemeralText: answer(expired(cb))})
		return
	case err != nil:
		in.Fail(w, r, http.StatusUnauthorized, "bad callback token", err)
		return
	}
	cl := newClient(c, pagers.Env{HTTPClient: in.HTTPClient})
	to, known := recipient(cc, cb.Where)
	if rc, ok := roomOf(to); known && ok && cl.viaAPI(to) && req.ChannelID != rc.ChannelID {
		// The bot posted it there: a press from elsewhere carries a token
		// taken out of its message.
		in.Fail(w, r, http.StatusForbidden, errElsewhere.Error(), errElsewhere)
		return
	}
	ctx := r.Context()
	first, err := in.Once(ctx, "mattermost:press:"+pressID(req, body), cb.Expires.Sub(in.Now())+time.Minute)
	switch {
	case err != nil:
		in.Fail(w, r, http.StatusServiceUnavailable, "state store unavailable", err)
		return
	case !first:
		in.Fail(w, r, http.StatusForbidden, errReplayed.Error(), errReplayed)
		return
	}
	user, who, err := chat.FindUser(ctx, in.Config, contact.Attr, person(ctx, in, cl, req.UserID, req.UserName))
	if err != nil {
		in.Log.Warn("mapping a mattermost user by email failed", "user", req.UserID, "err", err)
	}
	var text string
	if user == nil {
		in.Log.Warn("mattermost button pressed by someone who is no pagerd user; nothing changed",
			"mattermost_user", req.UserID, "name", who.ID, "incident", cb.IncidentID, "action", cb.Action)
		reply(w, actionResponse{EphemeralText: answer(chat.WhoAreYou(chat.Title(Platform), contact.Attr, who))})
		return
	}
	if text, err = chat.Act(ctx, in, Platform, user, cb.IncidentID, cb.Action, ""); err != nil {
		in.Fail(w, r, http.StatusServiceUnavailable, "state store unavailable", err)
		return
	}
	resp := actionResponse{EphemeralText: answer(text)}
	if known && !cl.viaAPI(to) {
		resp.Update = redraw(ctx, in, cb)
	}
	reply(w, resp)
}

// pressID names a press for replay detection: Mattermost's trigger id,
// new for every press, else the request itself.
func pressID(req actionRequest, body []byte) string {
	if req.TriggerID != "" {
		return "trigger:" + req.TriggerID
	}
	sum := sha256.Sum256(body)
	return "body:" + hex.EncodeToString(sum[:])
}

// recipient is the recipient a callback token names ("room:payments",
// "dm:alice"), when the config still has it.
func recipient(cc chat.Config, where string) (chat.Recipient, bool) {
	if name, ok := strings.CutPrefix(where, "room:"); ok {
		room, known := cc.Rooms[name]
		return chat.Recipient{Room: &room}, known
	}
	addr, ok := strings.CutPrefix(where, "dm:")
	return chat.Recipient{Address: addr}, ok && addr != ""
}

func roomOf(to chat.Recipient) (RoomConfig, bool) {
	if to.Room == nil {
		return RoomConfig{}, false
	}
	rc, ok := to.Room.Settings.(RoomConfig)
	return rc, ok
}

// person is who pressed or wrote: with a bot token, the user the bot sees
// under the id Mattermost gave (their username and, where the server
// shows it, email); without, the username Mattermost put in the request.
func person(ctx context.Context, in *pagers.Inbound, cl *client, userID, userName string) chat.Person {
	p := chat.Person{ID: userName, Name: userName}
	if cl.c.BotToken == "" {
		return p
	}
	u, err := cl.userByID(ctx, userID)
	if err != nil {
		in.Log.Warn("mattermost users lookup failed; mapping by the request's user name", "user", userID, "err", err)
		return p
	}
	return chat.Person{ID: u.Username, Name: u.Username, Email: u.Email}
}

// redraw is the pressed message as the incident now stands, with fresh
// buttons, for Mattermost to put in place of the webhook's post; nil when
// the incident cannot be read (the message then stays, and a follow-up
// tells).
func redraw(ctx context.Context, in *pagers.Inbound, cb links.Callback) *postUpdate {
	if in.Incident == nil {
		return nil
	}
	inc, err := in.Incident(ctx, cb.IncidentID)
	if err != nil {
		in.Log.Warn("could not read the incident to redraw a mattermost message", "incident", cb.IncidentID, "err", err)
		return nil
	}
	n := pagers.Notification{Kind: pagers.KindUpdate, Incident: pagers.IncidentOf(inc)}
	r := render(chat.MessageOf(n, "", true), cb.Where, &in.Links, false)
	return &postUpdate{Message: r.Message, Props: r.props("")}
}

// expired is the answer to a press of a button older than link_ttl.
func expired(cb links.Callback) string {
	return fmt.Sprintf("These buttons have expired, so nothing was changed: a newer message about incident #%d has live ones.", cb.IncidentID)
}

func reply(w http.ResponseWriter, v actionResponse) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
