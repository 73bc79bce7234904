package webhook_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/pagers/pagertest"
	"github.com/pagerd/pagerd/pagers/webhook"
)

var sentAt = time.Date(2026, 11, 2, 9, 1, 0, 0, time.UTC)

// toAudit is the shared checkout page, as the engine sends it to the
// destination webhook:audit (no person, no ack link).
func toAudit(kind pagers.Kind) pagers.Notification {
	n := pagertest.CheckoutPage()
	n.Kind, n.Channel, n.Destination, n.Key = kind, "webhook", "audit", "42:0:0:webhook:audit"
	n.User, n.Address, n.AckURL, n.AckToken, n.AckReply, n.ResolveReply = "", "", "", "", "", ""
	return n
}

func update(ev incident.Event) pagers.Notification {
	n := toAudit(pagers.KindUpdate)
	n.Key = ev.ID
	n.Incident.Status = "acknowledged"
	n.Event = &ev
	return n
}

// checkoutJSON is CheckoutPage's incident in a delivery, with status %s.
const checkoutJSON = `{"id":42,"title":"CheckoutDown","summary":"checkout is down","service":"checkout","status":"%s",` +
	`"severity":"critical","labels":{"alertname":"CheckoutDown","cluster":"eu1","severity":"critical"},` +
	`"alerts_firing":3,"started_at":"2026-11-02T09:00:00Z","source_url":"http://prometheus.example.com/graph?g0.expr=up","links":[{"href":"https://grafana.example.com/d/checkout","text":"Dashboard"},{"href":"https://grafana.example.com/alerting/silence/new?alertname=CheckoutDown","text":"Silence"}],"suppressed":"","sev":"","manager":""}`

func TestDocument(t *testing.T) {
	evAt := time.Date(2026, 11, 2, 9, 0, 30, 500_000_000, time.FixedZone("CET", 3600))
	event := func(kind incident.Kind, actor, via, detail string) incident.Event {
		return incident.Event{ID: "1798794030500-0", Incident: 42, Service: "checkout",
			Fact: incident.Fact{At: evAt, Kind: kind, Actor: actor, Via: via, Detail: detail}}
	}
	ackNotice := toAudit(pagers.KindAcknowledged)
	ackNotice.Actor, ackNotice.Incident.Status = "alice", "acknowledged"
	resolvedNotice := toAudit(pagers.KindResolved)
	resolvedNotice.Incident.Status, resolvedNotice.Incident.AlertCount = "resolved", 0
	lost := update(event(incident.KindNote, "bob", "cli", "still looking"))
	lost.Incident = pagers.Incident{}
	change := event(incident.KindChange, "deploys", "api", "")
	change.Incident = 0
	change.Change = &incident.Change{
		At: time.Date(2026, 11, 2, 8, 55, 0, 0, time.UTC), Service: "checkout", Summary: "deploy v1.2.3",
		Source: "ci-runner-1", Integration: "deploys",
		Links:   []incident.Link{{Href: "https://ci.example.com/run/9?a=1&b=2", Text: "run 9"}},
		Details: json.RawMessage(`{"version":"v1.2.3"}`),
	}
	bare := event(incident.KindChange, "", "", "config push")
	bare.Incident = 0
	posted := event(incident.KindStatusUpdate, "alice", "cli", "bad deploy abc123; rolling back")
	posted.Tag = "identified"
	posted.Update = &incident.StatusUpdate{N: 2, At: evAt, By: "alice", State: incident.StateIdentified,
		Text: "bad deploy abc123; rolling back", PublicText: "We found the cause and are fixing it."}
	withSev := update(posted)
	withSev.Incident.Severity, withSev.Incident.Manager = "SEV1", "alice"

	const head = `{"version":"1","id":"msg_test",`
	updateWant := func(typ, actor, event string) string {
		return head + `"type":"` + typ + `","timestamp":"2026-11-02T08:00:30.5Z",` + actor +
			`"incident":` + fmt.Sprintf(checkoutJSON, "acknowledged") + `,"event":` + event + `}`
	}
	tests := []struct {
		name string
		n    pagers.Notification
		want string
	}{
		{"page", toAudit(pagers.KindPage),
			head + `"type":"incident.page","timestamp":"2026-11-02T09:01:00Z","incident":` + fmt.Sprintf(checkoutJSON, "triggered") + `}`},
		{"acknowledged notice", ackNotice,
			head + `"type":"incident.acknowledged","timestamp":"2026-11-02T09:01:00Z","actor":"alice","incident":` + fmt.Sprintf(checkoutJSON, "acknowledged") + `}`},
		{"resolved notice, nobody did it", resolvedNotice,
			head + `"type":"incident.resolved","timestamp":"2026-11-02T09:01:00Z","incident":` +
				`{"id":42,"title":"CheckoutDown","summary":"checkout is down","service":"checkout","status":"resolved",` +
				`"severity":"critical","labels":{"alertname":"CheckoutDown","cluster":"eu1","severity":"critical"},` +
				`"alerts_firing":0,"started_at":"2026-11-02T09:00:00Z","source_url":"http://prometheus.example.com/graph?g0.expr=up","links":[{"href":"https://grafana.example.com/d/checkout","text":"Dashboard"},{"href":"https://grafana.example.com/alerting/silence/new?alertname=CheckoutDown","text":"Silence"}],"suppressed":"","sev":"","manager":""}}`},
		{"triggered", update(event(incident.KindTriggered, "alerts", "alertmanager", "CheckoutDown")),
			updateWant("incident.triggered", `"actor":"alerts",`, `{"kind":"triggered","actor":"alerts","via":"alertmanager","detail":"CheckoutDown","tag":""}`)},
		{"acknowledged", update(event(incident.KindAcknowledged, "alice", "sms", "")),
			updateWant("incident.acknowledged", `"actor":"alice",`, `{"kind":"acknowledged","actor":"alice","via":"sms","detail":"","tag":""}`)},
		{"escalated by a timer", update(event(incident.KindEscalated, "", "", "step 2 of payments")),
			updateWant("incident.escalated", "", `{"kind":"escalated","actor":"","via":"","detail":"step 2 of payments","tag":""}`)},
		{"reopened", update(event(incident.KindReopened, "", "", "acknowledgement timed out")),
			updateWant("incident.reopened", "", `{"kind":"reopened","actor":"","via":"","detail":"acknowledgement timed out","tag":""}`)},
		{"resolved", update(event(incident.KindResolved, "bob", "link", "")),
			updateWant("incident.resolved", `"actor":"bob",`, `{"kind":"resolved","actor":"bob","via":"link","detail":"","tag":""}`)},
		{"note", update(event(incident.KindNote, "bob", "cli", `rolled back <v1.2.3> & "watching"`)),
			updateWant("incident.note", `"actor":"bob",`, `{"kind":"note","actor":"bob","via":"cli","detail":"rolled back <v1.2.3> & \"watching\"","tag":""}`)},
		{"update of an incident the sender could not load", lost,
			head + `"type":"incident.note","timestamp":"2026-11-02T08:00:30.5Z","actor":"bob","incident":` +
				`{"id":42,"title":"","summary":"","service":"checkout","status":"","severity":"","labels":{},"alerts_firing":0,"source_url":"","links":[],"suppressed":"","sev":"","manager":""},` +
				`"event":{"kind":"note","actor":"bob","via":"cli","detail":"still looking","tag":""}}`},
		{"status update", withSev,
			head + `"type":"incident.status_update","timestamp":"2026-11-02T08:00:30.5Z","actor":"alice","incident":` +
				strings.Replace(fmt.Sprintf(checkoutJSON, "acknowledged"), `"sev":"","manager":""`, `"sev":"SEV1","manager":"alice"`, 1) +
				`,"event":{"kind":"status_update","actor":"alice","via":"cli","detail":"bad deploy abc123; rolling back","tag":"identified",` +
				`"update":{"n":2,"status":"identified","text":"bad deploy abc123; rolling back","public_text":"We found the cause and are fixing it."}}}`},
		{"change", update(change),
			head + `"type":"service.change","timestamp":"2026-11-02T08:00:30.5Z","actor":"deploys","change":` +
				`{"at":"2026-11-02T08:55:00Z","service":"checkout","summary":"deploy v1.2.3","source":"ci-runner-1","integration":"deploys",` +
				`"links":[{"href":"https://ci.example.com/run/9?a=1&b=2","text":"run 9"}],"details":{"version":"v1.2.3"}}}`},
		{"change event without its change", update(bare),
			head + `"type":"service.change","timestamp":"2026-11-02T08:00:30.5Z","change":` +
				`{"at":"2026-11-02T08:00:30.5Z","service":"checkout","summary":"config push","source":"","integration":"","links":[]}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := webhook.NewDocument(tt.n, "msg_test", sentAt)
			if err != nil {
				t.Fatalf("NewDocument error = %v", err)
			}
			body, err := doc.Marshal()
			if err != nil {
				t.Fatalf("Marshal error = %v", err)
			}
			if string(body) != tt.want {
				t.Errorf("body =\n%s\nwant\n%s", body, tt.want)
			}
			var back webhook.Document
			if err := json.Unmarshal(body, &back); err != nil || back.Type != doc.Type || back.ID != doc.ID {
				t.Errorf("body does not read back as a Document: %+v, %v", back, err)
			}
		})
	}
}

func TestDocumentRefuses(t *testing.T) {
	noEvent := toAudit(pagers.KindUpdate)
	tests := []struct {
		name string
		n    pagers.Notification
	}{
		{"shift notice", pagertest.ShiftNotice(t)},
		{"update without an event", noEvent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if doc, err := webhook.NewDocument(tt.n, "msg_test", sentAt); err == nil {
				t.Errorf("NewDocument = %+v, want an error", doc)
			}
		})
	}
}
