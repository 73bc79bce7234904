package googlechat

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
		return render(m, hook.Buttons(builder, "googlechat:payments", m), budget)
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
	return chat.MessageOf(n, "42/googlechat:page:k", false)
}

func buttons(msg message) string {
	var out []string
	for _, s := range msg.CardsV2[0].Card.Sections {
		for _, w := range s.Widgets {
			if w.ButtonList != nil {
				for _, b := range w.ButtonList.Buttons {
					out = append(out, b.Text)
				}
			}
		}
	}
	return strings.Join(out, ", ")
}

// A page is one cardsV2 card: a header with the headline and state, the
// summary and fields, and buttons that open the actions that still apply
// (signed for the room) and the source.
func TestCard(t *testing.T) {
	for _, c := range []struct{ status, want string }{
		{"triggered", "Acknowledge, Resolve, Escalate now, Source"},
		{"acknowledged", "Resolve, Source"},
		{"resolved", "Source"},
	} {
		raw, msg := body(t, page(c.status, "", ""))
		card := msg.CardsV2[0].Card
		if card.Header == nil || card.Header.Title != "#42 CRITICAL CheckoutDown (checkout)" || msg.CardsV2[0].CardID != "incident-42" {
			t.Fatalf("%s: header %+v", c.status, card.Header)
		}
		if got := buttons(msg); got != c.want {
			t.Errorf("%s: buttons %q, want %q", c.status, got, c.want)
		}
		for _, s := range card.Sections {
			for _, w := range s.Widgets {
				if w.ButtonList == nil {
					continue
				}
				for _, b := range w.ButtonList.Buttons {
					if tok, ok := strings.CutPrefix(b.OnClick.OpenLink.URL, "https://pagerd.example.com/v1/ack/"); ok {
						if cl, err := builder().Verify(tok); err != nil || cl.User != "googlechat:payments" {
							t.Errorf("%s: %s = %+v, %v", c.status, b.Text, cl, err)
						}
					}
				}
			}
		}
		for _, want := range []string{"checkout is down", `"topLabel":"Firing","text":"3 alerts"`, `"fallbackText":"[pagerd] #42`} {
			if !strings.Contains(raw, want) {
				t.Errorf("%s: the card lacks %q: %s", c.status, want, raw)
			}
		}
	}
}

// A follow-up card says the fact and carries the buttons that still apply.
func TestFollowUpCard(t *testing.T) {
	inc := pagertest.CheckoutPage().Incident
	inc.Status, inc.ResolvedBy = "resolved", "bob"
	m := chat.FactMessage(inc, incident.Event{Incident: 42, Fact: incident.Fact{Kind: incident.KindResolved, Actor: "bob", Via: "link"}}, "k")
	raw, msg := body(t, m)
	if got := buttons(msg); got != "" {
		t.Errorf("buttons %q after the resolution, want none", got)
	}
	if !strings.Contains(raw, "Resolved by bob (link)") || msg.CardsV2[0].Card.Header.Title != "#42 CheckoutDown" {
		t.Errorf("follow-up = %s", raw)
	}
}

// Text from senders is escaped for the card's HTML, so that neither
// <users/all> nor a tag nor a bare link does anything.
func TestEscaping(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"<users/all> look", "&lt;users/all&gt; look"},
		{`<a href="https://evil.example">x</a>`, `&lt;a href="https:` + "\u2060" + `//evil.example"&gt;x&lt;/a&gt;`},
		{"<b>bold</b> & more", "&lt;b&gt;bold&lt;/b&gt; &amp; more"},
		{"@all @here", "@\u2060all @\u2060here"},
		{"www.evil.example", "www\u2060.evil.example"},
	} {
		if got := dialect.Text(c.in); got != c.want {
			t.Errorf("Text(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	_, msg := body(t, page("triggered", "<users/all>", "<users/all> see https://evil.example"))
	texts := []string{msg.FallbackText, msg.CardsV2[0].Card.Header.Title}
	for _, w := range msg.CardsV2[0].Card.Sections[0].Widgets {
		if w.TextParagraph != nil {
			texts = append(texts, w.TextParagraph.Text)
		}
	}
	for _, s := range texts {
		if strings.Contains(s, "<users/all>") || strings.Contains(s, "https://evil") {
			t.Errorf("%q mentions or links", s)
		}
	}
	if !strings.Contains(msg.FallbackText, "‹users/all›") || !strings.Contains(msg.CardsV2[0].Card.Header.Title, "‹users/all›") {
		t.Errorf("fallbackText %q, header %q", msg.FallbackText, msg.CardsV2[0].Card.Header.Title)
	}
}

// A message holds within Google's 32,000 bytes however long the summary,
// which is cut with a link to the rest.
func TestLimits(t *testing.T) {
	for _, summary := range []string{strings.Repeat("checkout is down. ", 5000), strings.Repeat("<&>", 20000), strings.Repeat("🔥", 40000)} {
		raw, _ := body(t, page("triggered", "", summary))
		if len(raw) > maxBytes || !strings.Contains(raw, `(cut: \u003ca href=\"http://prometheus.example.com/graph?g0.expr=up\"\u003ethe rest at the source\u003c/a\u003e)`) {
			t.Errorf("%d bytes, or no pointer to the rest: …%s", len(raw), raw[len(raw)-300:])
		}
	}
}

// Each message starts a thread of its own: the key differs between
// messages, and between two incidents that reused a number (a store
// wiped), so a reply never lands in an old thread.
func TestThreadKey(t *testing.T) {
	a := page("triggered", "", "")
	b := a
	b.Key = "42/googlechat:room:other"
	c := a
	c.Incident.StartedAt = c.Incident.StartedAt.Add(time.Hour)
	ka, kb, kc := threadKey(a), threadKey(b), threadKey(c)
	if ka == kb || ka == kc || ka != threadKey(a) || !strings.HasPrefix(ka, "pagerd-") {
		t.Errorf("thread keys %q %q %q", ka, kb, kc)
	}
}
