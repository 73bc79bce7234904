package statuspage

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/mail"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	twclient "github.com/twilio/twilio-go/client"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/links"
	"github.com/pagerd/pagerd/pagers/twilio"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router/store"
	"github.com/pagerd/pagerd/statuspage/notify"
	"github.com/pagerd/pagerd/statuspage/notify/webhook"
)

// Rate limits of subscribing, kept in Redis so they hold across
// replicas: per client address, and per subscribed address (one address
// cannot be made to receive a flood of confirmations).
var (
	subscribePerClient  = policies.Rate{Events: 10, Per: time.Hour}
	subscribePerAddress = policies.Rate{Events: 3, Per: time.Hour}
)

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// Forms takes what readers of the pages post: subscriptions and their
// confirmations, unsubscriptions (one click, RFC 8058), the replies to
// the pages' SMS numbers, problem reports.
type Forms struct {
	Store   *store.Store
	Config  func() *policies.Config
	Cache   *Cache
	Links   func() links.Builder
	Reports *Reports
	Log     *slog.Logger
	Now     func() time.Time
	// AllowPrivate lets webhook subscribers use http and private
	// addresses (tests).
	AllowPrivate bool
}

func (f *Forms) routes(mux *http.ServeMux, h *Handler) {
	if f.Now == nil {
		f.Now = time.Now
	}
	mux.HandleFunc("POST /status/{page}/subscribe", f.subscribe)
	mux.HandleFunc("GET /status/{page}/subscribe/confirm", f.confirmPage)
	mux.HandleFunc("POST /status/{page}/subscribe/confirm", f.confirm)
	mux.HandleFunc("GET /status/{page}/unsubscribe", f.unsubscribePage)
	mux.HandleFunc("POST /status/{page}/unsubscribe", f.unsubscribe)
	mux.HandleFunc("POST /status/{page}/sms", f.sms)
	if f.Reports != nil {
		mux.HandleFunc("POST /status/{page}/report", func(w http.ResponseWriter, r *http.Request) { f.Reports.submit(w, r, f) })
	}
}

// page finds the page of a form and checks an internal one's token.
func (f *Forms) page(w http.ResponseWriter, r *http.Request) (*policies.StatusPage, *rendered, bool) {
	name := r.PathValue("page")
	p := f.Config().Page(name)
	rd := f.Cache.page(name)
	if p == nil || rd == nil {
		http.Error(w, "no status page called "+quoteName(name), http.StatusNotFound)
		return nil, nil, false
	}
	if rd.token != "" && r.URL.Query().Get("t") != rd.token && r.FormValue("page_token") != rd.token {
		http.Error(w, "status page "+name+" is internal: use its link with the token", http.StatusForbidden)
		return nil, nil, false
	}
	return p, rd, true
}

// wantsJSON reports whether the request is an API client's (JSON body
// or JSON wanted) rather than a browser's form.
func wantsJSON(r *http.Request) bool {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return ct == "application/json" || (strings.Contains(r.Header.Get("Accept"), "application/json") && !strings.Contains(r.Header.Get("Accept"), "text/html"))
}

// answer answers a form: an HTML page for a browser, JSON for a script.
func (f *Forms) answer(w http.ResponseWriter, r *http.Request, rd *rendered, code int, msg Message, extra map[string]any) {
	if wantsJSON(r) {
		body := map[string]any{}
		for k, v := range extra {
			body[k] = v
		}
		if msg.Error {
			body["error"] = strings.Join(append([]string{msg.Title}, msg.Lines...), " ")
		} else {
			body["message"] = strings.Join(append([]string{msg.Title}, msg.Lines...), " ")
		}
		writeJSON(w, code, body)
		return
	}
	q := ""
	if rd.token != "" {
		q = "?t=" + rd.token
	}
	b, err := render("message", Data{V: rd.view, URL: rd.view.Page.PublicURL, Q: q, Message: msg})
	if err != nil {
		f.Log.Error("status page message cannot be rendered", "err", err)
		http.Error(w, msg.Title, code)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' "+formOrigin(rd)+"; base-uri 'none'")
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

func (f *Forms) refuse(w http.ResponseWriter, r *http.Request, rd *rendered, code int, title string, lines ...string) {
	f.answer(w, r, rd, code, Message{Title: title, Lines: lines, Error: true}, nil)
}

// subscribeRequest is a subscription as a form or a script posts it.
type subscribeRequest struct {
	Kind       string   `json:"kind"`
	Address    string   `json:"address"`
	Components []string `json:"components"`
}

func (f *Forms) readSubscribe(w http.ResponseWriter, r *http.Request) (subscribeRequest, error) {
	var req subscribeRequest
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if wantsJSON(r) {
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			return req, fmt.Errorf("malformed JSON: %v; send {\"kind\": \"email\", \"address\": \"you@example.com\", \"components\": []}", err)
		}
		return req, nil
	}
	if err := r.ParseForm(); err != nil {
		return req, fmt.Errorf("could not read the form: %v", err)
	}
	req.Kind, req.Address, req.Components = r.PostForm.Get("kind"), r.PostForm.Get("address"), r.PostForm["component"]
	return req, nil
}

// subscribe: POST /status/{page}/subscribe.
func (f *Forms) subscribe(w http.ResponseWriter, r *http.Request) {
	page, rd, ok := f.page(w, r)
	if !ok {
		return
	}
	cfg := f.Config()
	req, err := f.readSubscribe(w, r)
	if err != nil {
		f.refuse(w, r, rd, http.StatusBadRequest, "We could not read that.", err.Error())
		return
	}
	if req.Kind == "" {
		req.Kind = policies.SubscribeEmail
	}
	if !slices.Contains(policies.SubscriptionKinds, req.Kind) || !Offered(cfg, page, req.Kind) {
		f.refuse(w, r, rd, http.StatusUnprocessableEntity, "This page does not take "+quoteName(req.Kind)+" subscriptions.",
			"It takes: "+strings.Join(offered(cfg, page), ", ")+".")
		return
	}
	addr, problem := checkAddress(r.Context(), req.Kind, req.Address, f.AllowPrivate)
	if problem != "" {
		f.refuse(w, r, rd, http.StatusUnprocessableEntity, "That address cannot be used.", problem)
		return
	}
	for _, c := range req.Components {
		if !slices.Contains(page.Components, c) {
			f.refuse(w, r, rd, http.StatusUnprocessableEntity, "Unknown component.", "This page has no component "+quoteName(c)+".")
			return
		}
	}
	if wait, limited := f.limited(r, "sp-sub-ip:"+clientIP(r), subscribePerClient); limited {
		w.Header().Set("Retry-After", fmt.Sprint(int(wait.Seconds())+1))
		f.refuse(w, r, rd, http.StatusTooManyRequests, "Too many subscriptions from your network.", "Try again in "+wait.Round(time.Minute).String()+".")
		return
	}
	if wait, limited := f.limited(r, "sp-sub-addr:"+hashed(page.Name+"\x00"+addr), subscribePerAddress); limited {
		w.Header().Set("Retry-After", fmt.Sprint(int(wait.Seconds())+1))
		f.refuse(w, r, rd, http.StatusTooManyRequests, "Too many requests for this address.", "Try again in "+wait.Round(time.Minute).String()+".")
		return
	}
	sub := incident.Subscriber{ID: randomID(), Page: page.Name, Kind: req.Kind, Address: addr, Components: req.Components}
	ns := store.NewSubscription{Subscriber: sub, Nonce: randomID(), Pending: ConfirmTTL}
	ns.First = &store.OutItem{Key: "confirm:" + sub.ID + ":" + ns.Nonce, Type: notify.Confirm, Nonce: ns.Nonce}
	if req.Kind == policies.SubscribeWebhook {
		// A webhook needs no opt-in: it gets a signed subscription.created
		// delivery first, with the key shown once below.
		var key [32]byte
		_, _ = rand.Read(key[:])
		ns.Subscriber.Secret = webhook.NewSecret(key[:])
		ns.Confirmed = true
	}
	id, state, added, err := f.Store.AddSubscriber(r.Context(), ns)
	if err != nil {
		f.Log.Error("status page subscription not stored", "page", page.Name, "err", err)
		w.Header().Set("Retry-After", "5")
		f.refuse(w, r, rd, http.StatusServiceUnavailable, "We could not store your subscription just now.", "Please try again in a minute.")
		return
	}
	if !added && state == "pending" {
		nonce := randomID()
		item := store.OutItem{Key: "confirm:" + id + ":" + nonce, Type: notify.Confirm, Nonce: nonce}
		if _, err := f.Store.ResendConfirmation(r.Context(), id, nonce, item, ConfirmTTL); err != nil {
			f.Log.Error("status page confirmation not queued again", "page", page.Name, "err", err)
		}
	}
	f.Log.Info("status page subscription", "page", page.Name, "kind", req.Kind, "subscriber", id, "new", added, "state", state)
	switch {
	case req.Kind == policies.SubscribeWebhook && added:
		f.answer(w, r, rd, http.StatusCreated, Message{Title: "Your webhook is subscribed.",
			Lines: []string{"Every public update is posted to it, signed as the Standard Webhooks specification says, with the key below. " +
				"It is shown only now: keep it. A first delivery, subscription.created, is on its way."},
			Secret: ns.Subscriber.Secret}, map[string]any{"id": id, "secret": ns.Subscriber.Secret})
	case req.Kind == policies.SubscribeWebhook:
		f.refuse(w, r, rd, http.StatusConflict, "That webhook is subscribed already.", "To get a new key, unsubscribe it (the link is in every delivery) and subscribe again.")
	case req.Kind == policies.SubscribeSMS:
		// The same answer whether or not the number was subscribed: the
		// page tells nobody who its subscribers are.
		f.answer(w, r, rd, http.StatusAccepted, Message{Title: "Check your phone.",
			Lines: []string{"We texted " + addr + " from " + page.SMSFrom + ". Reply YES to confirm; nothing else is sent until you do."}}, nil)
	default:
		f.answer(w, r, rd, http.StatusAccepted, Message{Title: "Check your inbox.",
			Lines: []string{"We sent a link to " + addr + ". Open it within 48 hours to confirm; nothing else is sent until you do."}}, nil)
	}
}

func offered(cfg *policies.Config, p *policies.StatusPage) []string {
	var out []string
	for _, k := range policies.SubscriptionKinds {
		if Offered(cfg, p, k) {
			out = append(out, k)
		}
	}
	if len(out) == 0 {
		return []string{"none"}
	}
	return out
}

// checkAddress checks an address of kind and returns it as stored, or
// says what is wrong with it.
func checkAddress(ctx context.Context, kind, raw string, allowPrivate bool) (string, string) {
	if strings.ContainsAny(raw, "\r\n\x00") {
		// What a header injection looks like: never let it near a header.
		return "", "it contains a line break or a NUL, which no address has"
	}
	addr := strings.TrimSpace(raw)
	if addr == "" {
		return "", "it is empty"
	}
	if strings.ContainsFunc(addr, unicode.IsControl) {
		return "", "it contains control characters"
	}
	switch kind {
	case policies.SubscribeEmail:
		a, err := mail.ParseAddress(addr)
		if err != nil || a.Name != "" || a.Address != addr || len(addr) > 254 || !strings.Contains(addr[strings.LastIndexByte(addr, '@'):], ".") {
			return "", quoteName(addr) + " is not an email address: write it like you@example.com, without a name"
		}
		return normalize(kind, addr), ""
	case policies.SubscribeSMS:
		if !e164.MatchString(addr) {
			return "", quoteName(addr) + " is not a mobile number with its country code: write it like +15551230001"
		}
		return addr, ""
	case policies.SubscribeWebhook:
		if why := webhook.CheckURL(ctx, addr, allowPrivate); why != "" {
			return "", "the URL " + why
		}
		return addr, ""
	}
	return "", "unknown kind"
}

// limited counts one event of a rate limit; it fails open when Redis
// cannot be asked (the subscription's own store call will fail then).
func (f *Forms) limited(r *http.Request, name string, rate policies.Rate) (time.Duration, bool) {
	ok, wait, err := f.Store.Allow(r.Context(), name, rate.Events, rate.Per, 1)
	if err != nil {
		f.Log.Warn("rate limit unavailable", "limit", name, "err", err)
		return 0, false
	}
	return wait, !ok
}

func hashed(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:12])
}

func randomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// clientIP is who is asking: the peer, or — when the peer is a proxy on
// loopback or a private network, as a reverse proxy in front of pagerd
// is — the address it says it forwards for (the last of
// X-Forwarded-For, the one it added).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err == nil && (peer.IsLoopback() || peer.IsPrivate()) {
		if fwd := r.Header.Values("X-Forwarded-For"); len(fwd) > 0 {
			parts := strings.Split(fwd[len(fwd)-1], ",")
			if ip, err := netip.ParseAddr(strings.TrimSpace(parts[len(parts)-1])); err == nil {
				return ip.String()
			}
		}
	}
	return host
}

// key is the link key tokens are signed with.
func (f *Forms) key() []byte {
	if f.Links == nil {
		return nil
	}
	return f.Links().Signer.Key
}

// confirmPage: GET /status/{page}/subscribe/confirm?t= shows a button:
// mail scanners open links, and a subscription is confirmed by a person.
func (f *Forms) confirmPage(w http.ResponseWriter, r *http.Request) {
	page, rd, ok := f.page(w, r)
	if !ok {
		return
	}
	tok := r.URL.Query().Get("t")
	if _, _, err := openToken(f.key(), purposeConf, tok, f.Now()); err != nil {
		f.refuse(w, r, rd, http.StatusBadRequest, "This confirmation link does not work.", err.Error())
		return
	}
	f.answer(w, r, rd, http.StatusOK, Message{Title: "Confirm your subscription to " + page.Title,
		Lines:  []string{"One click, and you get every public update of incidents."},
		Action: page.PublicURL + "/subscribe/confirm?t=" + tok, Button: "Confirm my subscription"}, nil)
}

// confirm: POST /status/{page}/subscribe/confirm?t= confirms, once.
func (f *Forms) confirm(w http.ResponseWriter, r *http.Request) {
	_, rd, ok := f.page(w, r)
	if !ok {
		return
	}
	sid, nonce, err := openToken(f.key(), purposeConf, r.URL.Query().Get("t"), f.Now())
	if err != nil {
		f.refuse(w, r, rd, http.StatusBadRequest, "This confirmation link does not work.", err.Error())
		return
	}
	outcome, err := f.Store.ConfirmSubscriber(r.Context(), sid, nonce)
	if err != nil {
		w.Header().Set("Retry-After", "5")
		f.refuse(w, r, rd, http.StatusServiceUnavailable, "We could not confirm just now.", "Please try again in a minute.")
		return
	}
	switch outcome {
	case "confirmed":
		f.Log.Info("status page subscription confirmed", "subscriber", sid)
		f.answer(w, r, rd, http.StatusOK, Message{Title: "You are subscribed.",
			Lines: []string{"You will get every public update of incidents. Each message has a link to unsubscribe with one click."}}, nil)
	case "already", "used":
		f.refuse(w, r, rd, http.StatusGone, "This link was used already.", "Each confirmation link works once; if you are not subscribed, subscribe again.")
	default:
		f.refuse(w, r, rd, http.StatusGone, "This subscription has expired.", "Unconfirmed subscriptions are forgotten after 48 hours: subscribe again.")
	}
}

// unsubscribePage: GET /status/{page}/unsubscribe?t= shows a button.
func (f *Forms) unsubscribePage(w http.ResponseWriter, r *http.Request) {
	page, rd, ok := f.page(w, r)
	if !ok {
		return
	}
	tok := r.URL.Query().Get("t")
	if _, _, err := openToken(f.key(), purposeUnsub, tok, f.Now()); err != nil {
		f.refuse(w, r, rd, http.StatusBadRequest, "This unsubscribe link does not work.", err.Error())
		return
	}
	f.answer(w, r, rd, http.StatusOK, Message{Title: "Unsubscribe from " + page.Title + "?",
		Lines:  []string{"You will get no more messages from this page."},
		Action: page.PublicURL + "/unsubscribe?t=" + tok, Button: "Unsubscribe"}, nil)
}

// unsubscribe: POST /status/{page}/unsubscribe?t= — the button, or a
// mail client's one-click POST (RFC 8058: "List-Unsubscribe=One-Click").
// Unsubscribing forgets the subscriber and whatever was queued for them.
func (f *Forms) unsubscribe(w http.ResponseWriter, r *http.Request) {
	_, rd, ok := f.page(w, r)
	if !ok {
		return
	}
	sid, _, err := openToken(f.key(), purposeUnsub, r.URL.Query().Get("t"), f.Now())
	if err != nil {
		f.refuse(w, r, rd, http.StatusBadRequest, "This unsubscribe link does not work.", err.Error())
		return
	}
	if _, err := f.Store.DeleteSubscriber(r.Context(), sid); err != nil {
		w.Header().Set("Retry-After", "5")
		f.refuse(w, r, rd, http.StatusServiceUnavailable, "We could not unsubscribe you just now.", "Please try again in a minute.")
		return
	}
	f.Log.Info("status page subscriber unsubscribed", "subscriber", sid)
	// The same answer when they were gone already: one click is one click.
	f.answer(w, r, rd, http.StatusOK, Message{Title: "You are unsubscribed.",
		Lines: []string{"You will get no more messages from this page, and we have deleted your address."}}, nil)
}

// stopWords are what carriers and Twilio treat as opting out.
var stopWords = []string{"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"}

// sms: POST /status/{page}/sms — what subscribers text back to the page's
// number, from Twilio, signed: YES confirms, STOP unsubscribes.
func (f *Forms) sms(w http.ResponseWriter, r *http.Request) {
	page, _, ok := f.page(w, r)
	if !ok {
		return
	}
	cred, ok := f.Config().Block("twilio").(twilio.Config)
	if !ok {
		http.Error(w, "twilio is not configured", http.StatusNotFound)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "could not parse the form body", http.StatusBadRequest)
		return
	}
	params := map[string]string{}
	for k, v := range r.PostForm {
		params[k] = v[0]
	}
	validator := twclient.NewRequestValidator(cred.AuthToken)
	if sig := r.Header.Get("X-Twilio-Signature"); sig == "" || !validator.Validate(page.PublicURL+"/sms", params, sig) {
		http.Error(w, "bad or missing X-Twilio-Signature", http.StatusForbidden)
		return
	}
	from, body := r.PostForm.Get("From"), strings.ToUpper(strings.TrimSpace(r.PostForm.Get("Body")))
	sub, err := f.Store.SubscriberByAddress(r.Context(), page.Name, policies.SubscribeSMS, from)
	if err != nil && !errors.Is(err, incident.ErrNotFound) {
		http.Error(w, "state store unavailable", http.StatusServiceUnavailable)
		return
	}
	reply := func(text string) {
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Response><Message>%s</Message></Response>`, xmlEscape(text))
	}
	switch {
	case slices.Contains(stopWords, body):
		if sub != nil {
			if _, err := f.Store.DeleteSubscriber(r.Context(), sub.ID); err != nil {
				http.Error(w, "state store unavailable", http.StatusServiceUnavailable)
				return
			}
			f.Log.Info("status page SMS subscriber unsubscribed by STOP", "page", page.Name, "subscriber", sub.ID)
		}
		// Twilio's own opt-out answers a STOP to a long code: say nothing
		// more.
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Response></Response>`)
	case body == "YES" || body == "START":
		if sub == nil {
			reply(page.Title + ": no subscription waits for this number. Subscribe at " + page.PublicURL)
			return
		}
		if sub.Confirmed.IsZero() {
			nonce, err := f.Store.SubscriberNonce(r.Context(), sub.ID)
			if err == nil {
				_, err = f.Store.ConfirmSubscriber(r.Context(), sub.ID, nonce)
			}
			if err != nil {
				http.Error(w, "state store unavailable", http.StatusServiceUnavailable)
				return
			}
		}
		reply(page.Title + ": subscribed. You will get incident updates by text. Reply STOP to stop.")
	default:
		reply(page.Title + ": reply YES to get incident updates, STOP to stop. " + page.PublicURL)
	}
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;").Replace(s)
}
