package twilio

// What the SMS and voice pagers share about Twilio's REST API: a per-send
// client bound to the send's context, and the mapping of Twilio's errors to
// permanent or transient.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pagerd/pagerd/pagers"
	"github.com/twilio/twilio-go/client"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"
)

// ready reports, as a permanent error, what keeps a message or call from
// being placed at all: no credentials, no sender number, an unusable
// api_url, no phone number.
func (c Config) ready(n pagers.Notification) error {
	if c.AccountSID == "" || c.AuthToken == "" {
		return pagers.Permanent(errors.New("twilio account SID and auth token are required"))
	}
	if c.From == "" {
		return pagers.Permanent(errors.New("no sender number (From) configured"))
	}
	if c.APIURL != "" {
		if why := pagers.CheckAPIURL(c.APIURL, twilioAuth); why != "" {
			return pagers.Permanent(fmt.Errorf("twilio api_url %q %s", c.APIURL, why))
		}
	}
	if n.Address == "" {
		return pagers.Permanent(fmt.Errorf("user %q has no phone number", n.User))
	}
	return nil
}

// api returns a Twilio API v2010 client whose requests are bound to ctx.
//
// twilio-go builds its requests with context.Background(), so a cancelled
// send would otherwise wait for the HTTP timeout. The client is built per
// send, around a copy of hc whose RoundTripper attaches ctx (and, with
// cred.APIURL, sends the requests there); building it costs a few small
// allocations. hc nil means twilio-go's own default: no redirects
// followed, 10s timeout.
func api(ctx context.Context, cred Config, hc *http.Client) *openapi.ApiService {
	if hc == nil {
		hc = &http.Client{
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			Timeout:       10 * time.Second,
		}
	}
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	if u, err := url.Parse(cred.APIURL); cred.APIURL != "" && err == nil { // ready checked it
		base = apiURLTransport{base: u, next: base}
	}
	bound := &http.Client{
		Transport:     contextTransport{ctx: ctx, base: base},
		CheckRedirect: hc.CheckRedirect,
		Jar:           hc.Jar,
		Timeout:       hc.Timeout,
	}
	c := &client.Client{
		Credentials: client.NewCredentials(cred.AccountSID, cred.AuthToken),
		HTTPClient:  bound,
	}
	c.SetAccountSid(cred.AccountSID)
	return openapi.NewApiServiceWithClient(c)
}

type contextTransport struct {
	ctx  context.Context
	base http.RoundTripper
}

func (t contextTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return t.base.RoundTrip(req.WithContext(t.ctx))
}

// apiURLTransport sends the requests twilio-go makes to Twilio's hosts
// (api.twilio.com, and its regional and edge names) to base instead: the
// scheme and host become base's, base's path goes before the request's.
// twilio-go has no base-URL option, so this is how api_url takes effect.
type apiURLTransport struct {
	base *url.URL
	next http.RoundTripper
}

func (t apiURLTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	host := req.URL.Hostname()
	if host != "twilio.com" && !strings.HasSuffix(host, ".twilio.com") {
		return t.next.RoundTrip(req)
	}
	out := req.Clone(req.Context())
	out.URL.Scheme, out.URL.Host = t.base.Scheme, t.base.Host
	out.URL.Path = strings.TrimSuffix(t.base.Path, "/") + req.URL.Path
	out.URL.RawPath = ""
	out.Host = ""
	return t.next.RoundTrip(out)
}

// classify marks Twilio's answers that sending again cannot fix as
// permanent: every 4xx (invalid number, unverified sender, bad credentials,
// body too long) except 408 and 429. 5xx, network errors and answers that
// could not be decoded stay transient.
func classify(err error) error {
	if err == nil {
		return nil
	}
	if s := status(err); s >= 400 && s < 500 && s != http.StatusRequestTimeout && s != http.StatusTooManyRequests {
		return pagers.Permanent(err)
	}
	return err
}

// status is the HTTP status of a Twilio API error, or 0 when err is not one.
func status(err error) int {
	var rest *client.TwilioRestError
	if errors.As(err, &rest) {
		return rest.Status
	}
	var v1 *client.RestErrorV1
	if errors.As(err, &v1) {
		return v1.HttpStatusCode
	}
	return 0
}
