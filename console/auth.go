package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/links"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/router/store"
)

// Sign-in without passwords: a person asks for a link (the form, or
// `pagerd login NAME` through the API); pagerd signs one for them, valid
// once for a few minutes, and sends it through their own channel — so
// holding their mailbox or phone is what proves who they are. Opening it
// shows a button (mail scanners open links, and must not spend them);
// pressing it spends the link and starts a session: a random cookie,
// HttpOnly and SameSite=Lax, Secure when public_url is https, whose
// SHA-256 names the session in Redis. Every form carries the session's
// CSRF token, compared in constant time.

// cookieName is the session cookie's name.
const cookieName = "pagerd_session"

// SignedIn is who a link was sent to, how, and until when it works.
type SignedIn struct {
	User    string    `json:"user"`
	Channel string    `json:"channel"`
	Expires time.Time `json:"expires_at"`
}

// Sign-in links a person may be sent: a few in a row, then one every few
// minutes, counted in Redis across replicas. Anyone may ask for a link
// for anyone (it goes to them, not to who asked), so without a limit the
// form would let a stranger flood a person's phone.
const (
	signInBurst = 5
	signInPer   = 15 * time.Minute
)

// ErrTooManySignIns: the person was sent signInBurst links lately; the
// next one may go after RetryAfter.
type ErrTooManySignIns struct{ RetryAfter time.Duration }

func (e *ErrTooManySignIns) Error() string {
	return "too many sign-in links asked for lately; try again in " + e.RetryAfter.Round(time.Second).String()
}

// SendSignIn sends user a sign-in link through via (a channel that
// reaches people; "" is their first notification rule's). An unknown user
// or a channel they cannot be reached on is an *incident.Invalid; a user
// sent too many lately, an *ErrTooManySignIns.
func (c *Console) SendSignIn(ctx context.Context, user, via string) (SignedIn, error) {
	cfg := c.Config()
	u := cfg.Users[user]
	if u == nil {
		return SignedIn{}, incident.Invalidf("no user %q is configured", user)
	}
	if via != "" {
		ch := pagers.Lookup(via)
		if ch == nil || !ch.ReachesPeople() {
			return SignedIn{}, incident.Invalidf("%q is not a channel that reaches people", via)
		}
		if ch.AddressOf(u) == "" {
			return SignedIn{}, incident.Invalidf("%s has no %s address: leave the channel out, or use one they have", user, via)
		}
	}
	ok, wait, err := c.Store.Allow(ctx, "signin:"+user, signInBurst, signInPer, 1)
	if err != nil {
		return SignedIn{}, err
	}
	if !ok {
		c.Log.Warn("console sign-in link refused: too many asked for lately", "user", user, "retry_after", wait)
		return SignedIn{}, &ErrTooManySignIns{RetryAfter: wait}
	}
	b := c.Links()
	token, si := b.SignInToken(user, cfg.Console.SignInTTL)
	n := pagers.Notification{Kind: pagers.KindSignIn, Channel: via, SignIn: &pagers.SignInInfo{URL: b.URL(links.SignInPath(token)), Expires: si.Expires}}
	channel, err := c.Send(ctx, "signin:"+si.ID, cfg.Console.SignInTTL, u, n)
	if err != nil {
		return SignedIn{}, err
	}
	c.Log.Info("console sign-in link sent", "user", user, "channel", channel, "expires", si.Expires)
	return SignedIn{User: user, Channel: channel, Expires: si.Expires}, nil
}

// session is a signed-in person and the CSRF token of their forms.
type session struct {
	store.Session
	digest string
}

// digest names a session in Redis: the SHA-256 of its cookie.
func digest(cookie string) string {
	h := sha256.Sum256([]byte(cookie))
	return hex.EncodeToString(h[:])
}

func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// current is the request's session, or nil.
func (c *Console) current(r *http.Request) (*session, error) {
	ck, err := r.Cookie(cookieName)
	if err != nil || ck.Value == "" {
		return nil, nil
	}
	d := digest(ck.Value)
	s, err := c.Store.Session(r.Context(), d)
	if errors.Is(err, store.ErrNoSession) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if c.Config().Users[s.User] == nil {
		return nil, nil // removed from the config since: signed out
	}
	return &session{Session: s, digest: d}, nil
}

// secure reports whether cookies must be Secure: the console is served
// over https.
func (c *Console) secure() bool {
	return strings.HasPrefix(strings.ToLower(c.Config().Settings.PublicURL), "https://")
}

// startSession creates a session for user and sets its cookie.
func (c *Console) startSession(w http.ResponseWriter, r *http.Request, user string) error {
	value := randomToken()
	ttl := c.Config().Console.SessionTTL
	if err := c.Store.CreateSession(r.Context(), digest(value), store.Session{User: user, CSRF: randomToken(), CreatedAt: c.Now()}, ttl); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: value, Path: "/console", MaxAge: int(ttl / time.Second),
		HttpOnly: true, Secure: c.secure(), SameSite: http.SameSiteLaxMode})
	return nil
}

// endSession deletes the session and its cookie.
func (c *Console) endSession(w http.ResponseWriter, r *http.Request, s *session) error {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/console", MaxAge: -1,
		HttpOnly: true, Secure: c.secure(), SameSite: http.SameSiteLaxMode})
	return c.Store.EndSession(r.Context(), s.digest)
}

// csrfOK reports whether a form carries its session's CSRF token.
func csrfOK(r *http.Request, s *session) bool {
	got := r.PostFormValue("csrf")
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.CSRF)) == 1
}
