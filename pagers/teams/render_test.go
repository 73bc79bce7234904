package teams

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/links"
	"github.com/pagerd/pagerd/pagers/chat"
	"github.com/pagerd/pagerd/pagers/chat/hook"
	"github.com/pagerd/pagerd/pagers/pagertest"
)

var builder = func() links.Builder {
	return links.Builder{PublicURL: "https://pagerd.example.com", TTL: time.Hour,
		Signer: links.Signer{Key: []byte("0123456789abcdef0123456789abcdef")}}
}

// body is m as the client posts it, decoded again.
func body(t *testing.T, m chat.Message) (raw string, msg message) {
	t.Helper()
	b, err := hook.Fit(maxBytes, dialect.TextLimit, func(budget int) any {
		return envelope(render(m, hook.Buttons(builder, "teams:payments", m), budget))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &msg); err != nil {
		t.Fatal(err)
	}
	return string(b), msg
}

func page(status, title, summary string) chat.Message {
	n := pagertest.CheckoutPage()
	n.Incident.Status = status
	if title != "" {
		n.Incident.Title = title
	}
	if summary != "" {
		n.Incident.Summary = summary
	}
	return chat.MessageOf(n, "42/teams:page:k", false)
}

func actions(c card) string {
	var out []string
	for _, a := range c.Actions {
		out = append(out, a.Type+" "+a.Title)
	}
	return strings.Join(out, ", ")
}

// The card sits in the envelope a workflow's trigger takes, and its
// buttons open the actions that still apply (signed for the room) and the
// source.
func TestCard(t *testing.T) {
	for _, c := range []struct{ status, want string }{
		{"triggered", "Action.OpenUrl Acknowledge, Action.OpenUrl Resolve, Action.OpenUrl Escalate now, Action.OpenUrl Source"},
		{"acknowledged", "Action.OpenUrl Resolve, Action.OpenUrl Source"},
		{"resolved", "Action.OpenUrl Source"},
	} {
		raw, msg := body(t, page(c.status, "", ""))
		if msg.Type != "message" || len(msg.Attachments) != 1 || msg.Attachments[0].ContentType != CardContentType ||
			!strings.Contains(raw, `"contentUrl":null`) {
			t.Fatalf("%s: not Teams' envelope: %s", c.status, raw)
		}
		card := msg.Attachments[0].Content
		if card.Type != "AdaptiveCard" || card.Version != "1.4" {
			t.Errorf("%s: card %s %s", c.status, card.Type, card.Version)
		}
		if got := actions(card); got != c.want {
			t.Errorf("%s: actions %q, want %q", c.status, got, c.want)
		}
		for _, a := range card.Actions {
			if tok, ok := strings.CutPrefix(a.URL, "https://pagerd.example.com/v1/ack/"); ok {
				if cl, err := builder().Verify(tok); err != nil || cl.User != "teams:payments" {
					t.Errorf("%s: %s = %+v, %v", c.status, a.Title, cl, err)
				}
			}
		}
		for _, want := range []string{"#42 CRITICAL CheckoutDown (checkout)", "checkout is down", `"title":"Firing","value":"3 alerts"`} {
			if !strings.Contains(raw, want) {
				t.Errorf("%s: the card lacks %q: %s", c.status, want, raw)
			}
		}
	}
}

// A follow-up card says the fact and carries the buttons that still apply,
// since the page itself cannot change.
func TestFollowUpCard(t *testing.T) {
	inc := pagertest.CheckoutPage().Incident
	inc.Status, inc.AckedBy = "acknowledged", "alice"
	m := chat.FactMessage(inc, incident.Event{Incident: 42, Fact: incident.Fact{Kind: incident.KindAcknowledged, Actor: "alice", Via: "link"}}, "k")
	raw, msg := body(t, m)
	if got := actions(msg.Attachments[0].Content); got != "Action.OpenUrl Resolve" {
		t.Errorf("actions %q, want Resolve only", got)
	}
	for _, want := range []string{"#42 CheckoutDown", "Acknowledged by alice (link)", "Acknowledged by alice"} {
		if !strings.Contains(raw, want) {
			t.Errorf("the follow-up lacks %q: %s", want, raw)
		}
	}
}

// Text from senders can neither link, nor mention, nor make itself bold.
func TestEscaping(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"@channel @everyone", "@\u2060channel @\u2060everyone"},
		{"[click](https://evil.example)", "[click]\u2060(https:\u2060//evil.example)"},
		{"[click](javascript:alert(1))", "[click]\u2060(javascript:alert(1))"},
		{"**urgent** __now__", "*\u2060*urgent*\u2060* _\u2060_now_\u2060_"},
		{"www.evil.example", "www\u2060.evil.example"},
		{"<at>alice</at>", "<at>alice</at>"},
	} {
		if got := dialect.Text(c.in); got != c.want {
			t.Errorf("Text(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	raw, _ := body(t, page("triggered", "@channel **x**", "[x](https://evil.example) <at>all</at>"))
	if strings.Contains(raw, "](https://evil") || strings.Contains(raw, "@channel") || strings.Contains(raw, `"entities"`) {
		t.Errorf("the card links or mentions: %s", raw)
	}
}

// A card holds within Teams' 28 KB however long the summary, which is cut
// with a link to the rest; a card that cannot be made to fit is refused
// rather than posted to be dropped.
func TestLimits(t *testing.T) {
	for _, summary := range []string{strings.Repeat("checkout is down. ", 5000), strings.Repeat("\"<>&\\", 20000), strings.Repeat("🔥", 40000)} {
		raw, _ := body(t, page("triggered", "", summary))
		if len(raw) > maxBytes || !strings.Contains(raw, "(cut: [the rest at the source](http://prometheus.example.com/graph?g0.expr=up))") {
			t.Errorf("%d bytes, or no pointer to the rest: …%s", len(raw), raw[len(raw)-300:])
		}
	}
	_, err := hook.Fit(100, dialect.TextLimit, func(budget int) any {
		return envelope(render(page("triggered", "", ""), nil, budget))
	})
	if err == nil {
		t.Error("a card over the limit whatever the summary's budget was not refused")
	}
}
