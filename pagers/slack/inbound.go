package slack

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/pagers/chat"
)

// Requests Slack signs (https://api.slack.com/authentication/verifying-requests-from-slack):
// X-Slack-Signature is "v0=" and the hex HMAC-SHA256, keyed with the
// app's signing secret, of "v0:<X-Slack-Request-Timestamp>:<body>".
const (
	signatureHeader = "X-Slack-Signature"
	timestampHeader = "X-Slack-Request-Timestamp"
	// MaxSkew is how far a request's timestamp may be from pagerd's clock;
	// older ones are refused as replays.
	MaxSkew = 5 * time.Minute
	// maxBody bounds a request: an interaction payload is a few KiB.
	maxBody = 256 << 10
)

func signature(secret, ts string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("v0:" + ts + ":"))
	m.Write(body)
	return "v0=" + hex.EncodeToString(m.Sum(nil))
}

// Why a request is refused; each answers 401, but a replay 403: it was
// Slack's once.
var (
	errUnsigned    = errors.New("missing X-Slack-Signature or X-Slack-Request-Timestamp")
	errBadSig      = errors.New("bad X-Slack-Signature")
	errStale       = errors.New("X-Slack-Request-Timestamp is more than 5 minutes from now")
	errReplayed    = errors.New("a request already seen (replayed)")
	errNotSlackApp = errors.New("slack is not configured")
)

// verify reads the body of a request Slack signed and checks it: the
// signature against the signing secret, the timestamp within MaxSkew of
// pagerd's clock, and that no request with this signature was seen within
// the window (kept in Redis, so a replay to another replica is caught
// too). It answers the request itself when not, and returns the form.
func verify(w http.ResponseWriter, r *http.Request, in *pagers.Inbound) (Config, url.Values, bool) {
	c, body, ok := verifyBody(w, r, in)
	if !ok {
		return c, nil, false
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		in.Fail(w, r, http.StatusBadRequest, "could not parse form body", err)
		return c, nil, false
	}
	return c, form, true
}

// verifyBody is verify for any body: it returns the body once it is known
// to be Slack's, and seen for the first time.
func verifyBody(w http.ResponseWriter, r *http.Request, in *pagers.Inbound) (Config, []byte, bool) {
	c, on := settings(in)
	if !on {
		in.Fail(w, r, http.StatusNotFound, errNotSlackApp.Error(), nil)
		return c, nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		in.Fail(w, r, http.StatusRequestEntityTooLarge, "request body too large or unreadable", err)
		return c, nil, false
	}
	if err := check(r.Header, c.SigningSecret, body, in.Now()); err != nil {
		in.Fail(w, r, http.StatusUnauthorized, err.Error(), err)
		return c, nil, false
	}
	first, err := in.Once(r.Context(), "slack:signature:"+r.Header.Get(signatureHeader), 2*MaxSkew)
	switch {
	case err != nil:
		in.Fail(w, r, http.StatusServiceUnavailable, "state store unavailable", err)
		return c, nil, false
	case !first:
		in.Fail(w, r, http.StatusForbidden, errReplayed.Error(), errReplayed)
		return c, nil, false
	}
	return c, body, true
}

// check checks a signed request's headers and body at now.
func check(h http.Header, secret string, body []byte, now time.Time) error {
	sig, ts := h.Get(signatureHeader), h.Get(timestampHeader)
	if sig == "" || ts == "" {
		return errUnsigned
	}
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errUnsigned
	}
	// The signature first: a stale request says nothing until it is
	// known to be Slack's.
	if !hmac.Equal([]byte(sig), []byte(signature(secret, ts, body))) {
		return errBadSig
	}
	if skew := now.Sub(time.Unix(secs, 0)); skew > MaxSkew || skew < -MaxSkew {
		return errStale
	}
	return nil
}

func settings(in *pagers.Inbound) (Config, bool) {
	cc, ok := chat.ConfigOf(in.Config, Platform)
	if !ok {
		return Config{}, false
	}
	c, ok := cc.Settings.(Config)
	return c, ok
}

// person is the Slack user who acted, who may be looked up by email.
func person(c Config, in *pagers.Inbound, id, name string) chat.Person {
	return chat.Person{ID: id, Name: name, LookupEmail: func(ctx context.Context) (string, error) {
		u, err := api(c, in.HTTPClient).GetUserInfoContext(ctx, id)
		if err != nil {
			return "", classify("users.info", err)
		}
		return u.Profile.Email, nil
	}}
}

// serveInteractive takes a button press: the Slack user is mapped to a
// pagerd user and acts as they would by SMS; whoever pressed is told what
// happened by an ephemeral message. The message itself changes when the
// event stream says so, on every replica's account.
func serveInteractive(w http.ResponseWriter, r *http.Request, in *pagers.Inbound) {
	c, form, ok := verify(w, r, in)
	if !ok {
		return
	}
	var cb slack.InteractionCallback
	if err := json.Unmarshal([]byte(form.Get("payload")), &cb); err != nil {
		in.Fail(w, r, http.StatusBadRequest, "payload is not an interaction", err)
		return
	}
	id, action, ok := pressed(cb)
	if !ok {
		w.WriteHeader(http.StatusOK) // a link button, or not ours: nothing to do
		return
	}
	ctx := r.Context()
	user, who, err := chat.FindUser(ctx, in.Config, contact.Attr, person(c, in, cb.User.ID, cb.User.Name))
	if err != nil {
		in.Log.Warn("slack users.info failed; mapping by member id only", "slack_user", cb.User.ID, "err", err)
	}
	var text string
	if user == nil {
		in.Log.Warn("slack button pressed by someone who is no pagerd user; nothing changed",
			"slack_user", cb.User.ID, "name", cb.User.Name, "incident", id, "action", action)
		text = chat.WhoAreYou(chat.Title(Platform), contact.Attr, who)
	} else if text, err = chat.Act(ctx, in, Platform, user, id, action, ""); err != nil {
		in.Fail(w, r, http.StatusServiceUnavailable, "state store unavailable", err)
		return
	}
	if err := respond(ctx, in, cb.ResponseURL, text); err != nil {
		in.Log.Warn("could not answer a slack button press", "err", err)
	}
	w.WriteHeader(http.StatusOK)
}

// pressed reads the incident and action of a pagerd button press.
func pressed(cb slack.InteractionCallback) (int64, incident.Action, bool) {
	if cb.Type != slack.InteractionTypeBlockActions {
		return 0, "", false
	}
	for _, a := range cb.ActionCallback.BlockActions {
		name, ok := strings.CutPrefix(a.ActionID, actionPrefix)
		if !ok {
			continue
		}
		action, ok := chat.ButtonAction(name)
		id, err := strconv.ParseInt(a.Value, 10, 64)
		if !ok || err != nil || id <= 0 {
			continue
		}
		return id, action, true
	}
	return 0, "", false
}

// respond posts an ephemeral answer to whoever acted, through the
// interaction's response_url.
func respond(ctx context.Context, in *pagers.Inbound, responseURL, text string) error {
	if responseURL == "" {
		return nil
	}
	u, err := url.Parse(responseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Errorf("response_url %q is not a URL", responseURL)
	}
	body, _ := json.Marshal(map[string]any{"response_type": "ephemeral", "replace_original": false, "text": answer(text)})
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, responseURL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := httpClient(in.HTTPClient).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode >= 300 {
		return fmt.Errorf("response_url answered %s", resp.Status)
	}
	return nil
}

// serveCommand takes the /pagerd slash command ("/pagerd ack 42",
// "/pagerd oncall payments", "/pagerd incidents"), answering only whoever
// typed it.
func serveCommand(w http.ResponseWriter, r *http.Request, in *pagers.Inbound) {
	c, form, ok := verify(w, r, in)
	if !ok {
		return
	}
	who := person(c, in, form.Get("user_id"), form.Get("user_name"))
	text, err := chat.Command(r.Context(), in, Platform, contact.Attr, who, form.Get("text"))
	if err != nil {
		in.Fail(w, r, http.StatusServiceUnavailable, "state store unavailable", err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"response_type": "ephemeral", "text": answer(text)})
}
