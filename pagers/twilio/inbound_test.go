package twilio

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/links"
	"github.com/pagerd/pagerd/pagers"
)

func TestGatherURL(t *testing.T) {
	lb := func() links.Builder {
		return links.Builder{PublicURL: "https://p.example/", Signer: links.Signer{Key: []byte("0123456789abcdef0123456789abcdef")}, TTL: time.Hour}
	}
	tests := []struct {
		n    pagers.Notification
		want string
	}{
		{pagers.Notification{Kind: pagers.KindPage, AckToken: "TOK"}, "https://p.example/v1/twilio/voice/TOK"},
		{pagers.Notification{Kind: pagers.KindResolved, AckToken: "TOK"}, ""},
		{pagers.Notification{Kind: pagers.KindPage}, ""},
	}
	for _, tc := range tests {
		if got := gatherURL(lb)(tc.n); got != tc.want {
			t.Errorf("gatherURL(%+v) = %q, want %q", tc.n, got, tc.want)
		}
	}
	if got := gatherURL(nil)(tests[0].n); got != "" {
		t.Errorf("gatherURL without links = %q, want none", got)
	}
}

func TestTwiMLEscapes(t *testing.T) {
	rec := httptest.NewRecorder()
	reply(rec, `Incident <#1> & "more"`)
	if got := rec.Body.String(); !strings.Contains(got, "<Message>Incident &lt;#1&gt; &amp; &#34;more&#34;</Message>") {
		t.Errorf("reply = %s", got)
	}
	rec = httptest.NewRecorder()
	say(rec, "a < b")
	if got := rec.Body.String(); !strings.Contains(got, "<Say>a &lt; b</Say>") {
		t.Errorf("say = %s", got)
	}
}
