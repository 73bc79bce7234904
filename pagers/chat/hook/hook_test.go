package hook

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/pagers/chat"
)

var testShape = Shape{
	Hosts:   []string{"hooks.example.com", ".chat.example.net"},
	Path:    regexp.MustCompile(`^/hooks/\d+/[a-z]+$`),
	Query:   []string{"sig"},
	Example: "https://hooks.example.com/hooks/<id>/<token>?sig=...",
	Retired: map[string]string{".old.example.com": "is an old webhook URL"},
}

func TestShapeCheck(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"https://hooks.example.com/hooks/12/abc?sig=x", ""},
		{"https://eu.chat.example.net/hooks/12/abc?sig=x&v=1", ""},
		{"https://HOOKS.example.com:443/hooks/12/abc?sig=x", ""},
		{"hooks.example.com/hooks/12/abc?sig=x", "is not an absolute URL"},
		{"http://hooks.example.com/hooks/12/abc?sig=x", "is not an https URL"},
		{"https://u:p@hooks.example.com/hooks/12/abc?sig=x", "carries a user name or password"},
		{"https://evil.example.com/hooks/12/abc?sig=x", "is not on hooks.example.com, .chat.example.net (host evil.example.com)"},
		{"https://chat.example.net.evil.io/hooks/12/abc?sig=x", "is not on hooks.example.com, .chat.example.net (host chat.example.net.evil.io)"},
		{"https://hooks.example.com/other/12/abc?sig=x", "does not have the path of a webhook (https://hooks.example.com/other/…)"},
		{"https://hooks.example.com/hooks/12/abc", "has no sig parameter: copy the whole URL"},
		{"https://x.old.example.com/hooks/12/abc?sig=x", "is an old webhook URL"},
		{"http://old.example.com/anything", "is an old webhook URL"},
	} {
		if got := testShape.Check(c.in); got != c.want {
			t.Errorf("Check(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// Redact keeps what tells a reader which platform and which API, never the
// part of a webhook URL that lets anyone post.
func TestRedact(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"https://discord.com/api/webhooks/1122/tok3n", "https://discord.com/api/…"},
		{"https://chat.googleapis.com/v1/spaces/AAA/messages?key=k&token=t", "https://chat.googleapis.com/v1/…"},
		{"https://prod-00.westus.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?sig=s", "https://prod-00.westus.logic.azure.com:443/workflows/…"},
		{"https://hooks.example.com", "https://hooks.example.com/"},
		{"not a url", "(a webhook URL)"},
	} {
		if got := Redact(c.in); got != c.want {
			t.Errorf("Redact(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	rs := RoomSettings{WebhookURL: "https://discord.com/api/webhooks/1122/tok3n"}
	for _, s := range []string{fmt.Sprint(rs), fmt.Sprintf("%+v", chat.Room{Settings: rs}), fmt.Sprintf("%#v", rs)} {
		if strings.Contains(s, "tok3n") || strings.Contains(s, "1122") {
			t.Errorf("a room printed as %q: it carries its secret", s)
		}
	}
}

func TestRebaseAndQuery(t *testing.T) {
	const hook = "https://chat.googleapis.com/v1/spaces/AAA/messages?key=k&token=t"
	for _, c := range []struct{ base, want string }{
		{"", hook},
		{"http://127.0.0.1:9999", "http://127.0.0.1:9999/v1/spaces/AAA/messages?key=k&token=t"},
		{"http://proxy.internal/google/", "http://proxy.internal/google/v1/spaces/AAA/messages?key=k&token=t"},
	} {
		if got := Rebase(hook, c.base); got != c.want {
			t.Errorf("Rebase(hook, %q) = %q, want %q", c.base, got, c.want)
		}
	}
	if got, want := WithQuery(hook, "messageReplyOption", "X", "key", "k2"), "https://chat.googleapis.com/v1/spaces/AAA/messages?key=k2&messageReplyOption=X&token=t"; got != want {
		t.Errorf("WithQuery = %q, want %q", got, want)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"7", 7 * time.Second, true},
		{"0.25", 250 * time.Millisecond, true},
		{"0.0001", time.Millisecond, true},
		{"-3", 0, false},
		{"NaN", 0, false},
		{"999999", MaxWait, true},
		{"Tue, 24 Nov 2026 10:00:30 GMT", 30 * time.Second, true},
		{"Tue, 24 Nov 2026 09:00:00 GMT", 0, true},
		{"soon", 0, false},
	} {
		got, ok := RetryAfter(c.in, now)
		if got != c.want || ok != c.ok {
			t.Errorf("RetryAfter(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

// What the client makes of each answer: the wait of a 429 (the
// platform's own reading first, then Retry-After, then the default), a
// 5xx transient, a 503 that says when like a 429, a 4xx or a redirect
// permanent with the platform's reading of it — and never the URL's
// secret in an error.
func TestClientClassifies(t *testing.T) {
	type answer struct {
		code   int
		header map[string]string
		body   string
	}
	for _, c := range []struct {
		name      string
		answer    answer
		permanent bool
		wait      time.Duration // a 429's, else 0
		says      string
	}{
		{"ok", answer{code: 200, body: `{}`}, false, 0, ""},
		{"accepted", answer{code: 202}, false, 0, ""},
		{"429 with the platform's wait", answer{429, map[string]string{"Retry-After": "9"}, `{"retry_after": 1.5}`}, false, 1500 * time.Millisecond, "429 Too Many Requests"},
		{"429 with Retry-After", answer{429, map[string]string{"Retry-After": "9"}, `{}`}, false, 9 * time.Second, "429"},
		{"429 saying nothing", answer{code: 429}, false, 3 * time.Second, "429"},
		{"503 saying when", answer{503, map[string]string{"Retry-After": "20"}, ""}, false, 20 * time.Second, "503"},
		{"503", answer{code: 503}, false, 0, "503 Service Unavailable"},
		{"500 with a body", answer{code: 500, body: "upstream\nfailed"}, false, 0, "500 Internal Server Error: upstream failed"},
		{"408", answer{code: 408}, false, 0, "408"},
		{"404", answer{code: 404, body: `{"code": 10015}`}, true, 0, "404 Not Found: {\"code\": 10015} (gone: code 10015)"},
		{"400", answer{code: 400}, true, 0, "400 Bad Request"},
		{"redirect", answer{code: 302, header: map[string]string{"Location": "https://elsewhere.example/"}}, true, 0, "redirected"},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for k, v := range c.answer.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(c.answer.code)
				_, _ = w.Write([]byte(c.answer.body))
			}))
			defer srv.Close()
			cl := Client{
				HTTP:  &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
				Title: "Test", DefaultWait: 3 * time.Second,
				Wait: func(_ http.Header, body []byte) (time.Duration, bool) {
					if strings.Contains(string(body), "retry_after") {
						return 1500 * time.Millisecond, true
					}
					return 0, false
				},
				Refusal: func(code int, body []byte) string {
					if strings.Contains(string(body), "10015") {
						return "gone: code 10015"
					}
					return ""
				},
			}
			_, err := cl.Do(context.Background(), http.MethodPost, srv.URL+"/hooks/1122/s3cr3t-token?sig=s3cr3t-sig", []byte(`{}`))
			if c.says == "" {
				if err != nil {
					t.Fatalf("Do = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.says) {
				t.Fatalf("Do = %v, want an error saying %q", err, c.says)
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("the error quotes the webhook's secret: %v", err)
			}
			if pagers.IsPermanent(err) != c.permanent {
				t.Errorf("permanent = %v, want %v: %v", pagers.IsPermanent(err), c.permanent, err)
			}
			wait, limited := pagers.RetryAfterOf(err)
			if limited != (c.wait > 0) || wait != c.wait {
				t.Errorf("wait = %v, %v; want %v", wait, limited, c.wait)
			}
		})
	}
}

// A platform that cannot be reached is transient, and its error names the
// host, not the webhook's secret.
func TestClientUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/hooks/1122/s3cr3t-token"
	srv.Close()
	_, err := Client{Title: "Test"}.Do(context.Background(), http.MethodPost, url, nil)
	if err == nil || pagers.IsPermanent(err) || strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("Do to a closed port = %v; want a transient error without the secret", err)
	}
}
