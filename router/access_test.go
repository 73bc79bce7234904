package router

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/internal/testenv"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router/store"
)

// accessWorld is incident 1 of service svc, paged through escalation ops
// (step 1 alice, step 2 team oncall: bob), with alice paged so far. carol
// is on a team the policy does not name, dave on none.
func accessWorld(t *testing.T, rule policies.Responders) (*Router, *store.Store, *policies.Config) {
	t.Helper()
	ctx := context.Background()
	st := store.New(testenv.StartRedis(t).Client(t), "access")
	st.Clock = testenv.NewClock(time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)).Now
	user := func(name string) *policies.User { return &policies.User{Name: name} }
	cfg := &policies.Config{
		Settings: policies.Settings{ResolvedRetention: time.Hour},
		Users:    map[string]*policies.User{"alice": user("alice"), "bob": user("bob"), "carol": user("carol"), "dave": user("dave")},
		Teams: map[string]*policies.Team{
			"oncall":  {Name: "oncall", Members: []string{"bob"}},
			"billing": {Name: "billing", Members: []string{"carol"}},
		},
		Escalations: map[string]*policies.Escalation{"ops": {Name: "ops", Steps: []policies.EscalationStep{
			{Targets: []policies.Target{{Kind: "user", Name: "alice"}}},
			{After: 10 * time.Minute, Targets: []policies.Target{{Kind: "team", Name: "oncall"}}},
		}}},
		Services: []*policies.Service{{Name: "svc", Escalation: "ops", Responders: rule}},
	}
	if _, err := st.Ingest(ctx, []store.AlertWrite{{
		Fingerprint: "fp1", Doc: json.RawMessage(`{}`), Service: "svc", Escalation: "ops",
		GroupID: "svc:g", GroupLabels: map[string]string{}, Title: "Down", Retention: time.Hour,
	}}); err != nil {
		t.Fatal(err)
	}
	if err := st.FinishSend(ctx, 1, store.SendResult{Key: "k-alice", Receipt: "sms:SM1", Kind: incident.KindNotified,
		Detail: "paged alice via sms", Reached: &incident.Reached{User: "alice", Channel: "sms", Address: "+15550001"}}); err != nil {
		t.Fatal(err)
	}
	rt := &Router{Store: st, Config: func() *policies.Config { return cfg }, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	return rt, st, cfg
}

// Who may act on an incident by SMS, keypress, chat or link is one
// decision in the router: a person known by their address is held to the
// service's responders rule, a signed link passes, an integration's token
// acts for anyone.
func TestAuthorizeFollowsTheServicesResponders(t *testing.T) {
	const (
		address = incident.CredentialAddress
		link    = incident.CredentialLink
		token   = incident.CredentialToken
	)
	tests := []struct {
		rule       policies.Responders
		by         string
		credential incident.Credential
		allowed    bool
	}{
		{policies.RespondersTeam, "alice", address, true}, // paged
		{policies.RespondersTeam, "bob", address, true},   // on a team the policy names
		{policies.RespondersTeam, "carol", address, false},
		{policies.RespondersTeam, "dave", address, false},
		{policies.RespondersTeam, "mallory", address, false}, // no such user
		{policies.RespondersTeam, "dave", link, true},
		{policies.RespondersTeam, "dave", token, true},
		{policies.RespondersPaged, "alice", address, true},
		{policies.RespondersPaged, "bob", address, false},
		{policies.RespondersPaged, "bob", link, true},
		{policies.RespondersAnyone, "dave", address, true},
		{policies.RespondersAnyone, "mallory", address, false},
		{policies.RespondersAnyone, "mallory", token, true},
	}
	worlds := map[policies.Responders]*Router{}
	for _, tc := range tests {
		rt := worlds[tc.rule]
		if rt == nil {
			rt, _, _ = accessWorld(t, tc.rule)
			worlds[tc.rule] = rt
		}
		for _, action := range incident.Actions {
			req := incident.Request{Incident: 1, Action: action, By: tc.by, Via: "sms", Credential: tc.credential}
			err := rt.authorize(context.Background(), rt.Config(), req)
			var refused *incident.Refusal
			switch {
			case tc.allowed && err != nil:
				t.Errorf("responders = %q: %s may not %s with credential %q: %v; want allowed", tc.rule, tc.by, action, tc.credential, err)
			case !tc.allowed && (!errors.As(err, &refused) || !errors.Is(err, incident.ErrRefused) || refused.Request != req):
				t.Errorf("responders = %q: %s may %s with credential %q (err %v); want a *incident.Refusal", tc.rule, tc.by, action, tc.credential, err)
			}
		}
	}
	if err := worlds[policies.RespondersTeam].authorize(context.Background(), worlds[policies.RespondersTeam].Config(),
		incident.Request{Incident: 1, Action: incident.Ack, By: "alice", Credential: "forged"}); err == nil || errors.Is(err, incident.ErrRefused) {
		t.Errorf("unknown credential = %v, want an error that is no refusal", err)
	}
}

// A refusal says, in the person's channel, who may take the action; the
// incident stays as it was; its timeline records who tried what through
// which channel.
func TestActRefusesAndRecordsIt(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		rule   policies.Responders
		by     string
		action incident.Action
		reason string
		detail string
	}{
		{policies.RespondersTeam, "dave", incident.Resolve,
			"Only people paged or notified about incident #1, or on a team its escalation policy names, may resolve it.",
			`resolve refused: not paged or notified about it, and on no team escalation "ops" names (service "svc": responders = "team")`},
		{policies.RespondersPaged, "bob", incident.Ack,
			"Only people paged or notified about incident #1 may acknowledge it.",
			`ack refused: not paged or notified about it (service "svc": responders = "paged")`},
		{policies.RespondersPaged, "bob", incident.Note,
			"Only people paged or notified about incident #1 may add a note to it.",
			`note refused: not paged or notified about it (service "svc": responders = "paged")`},
		{policies.RespondersAnyone, "mallory", incident.Escalate,
			"Only pagerd's users may act on incident #1.",
			`escalate refused: "mallory" is not a configured user (service "svc": responders = "anyone")`},
	} {
		rt, st, _ := accessWorld(t, tc.rule)
		_, err := rt.Act(ctx, incident.Request{Incident: 1, Action: tc.action, By: tc.by, Via: "sms", Text: "x"})
		var refused *incident.Refusal
		if !errors.As(err, &refused) || refused.Error() != tc.reason {
			t.Errorf("%s by %s under %q: %v\nwant the refusal %q", tc.action, tc.by, tc.rule, err, tc.reason)
		}
		inc, err := st.Incident(ctx, 1)
		if err != nil || inc.Status != incident.Triggered || len(inc.Escalations) != 0 {
			t.Errorf("incident after a refused %s = %+v, %v; want it unchanged", tc.action, inc, err)
		}
		tl, _ := st.Timeline(ctx, 1)
		last := tl[len(tl)-1]
		if last.Kind != incident.KindActionRefused || last.Actor != tc.by || last.Via != "sms" || last.Detail != tc.detail {
			t.Errorf("last fact = %+v\nwant action_refused by %s via sms: %s", last, tc.by, tc.detail)
		}
	}
	if incident.KindActionRefused.Published() {
		t.Error("refusals are published on the event stream; they belong on the timeline only")
	}
}

// An incident whose service left the config keeps the default rule, with
// the escalation policy that paged it.
func TestAuthorizeWithoutTheService(t *testing.T) {
	rt, _, cfg := accessWorld(t, policies.RespondersAnyone)
	cfg.Services = nil
	for by, allowed := range map[string]bool{"alice": true, "bob": true, "dave": false} {
		err := rt.authorize(context.Background(), cfg, incident.Request{Incident: 1, Action: incident.Ack, By: by, Via: "sms"})
		if (err == nil) != allowed {
			t.Errorf("%s without the service: %v, want allowed %v", by, err, allowed)
		}
	}
}

// A note is held to one size whoever writes it, through whatever front
// end: a longer one is invalid, stored nowhere, not even as a refusal.
func TestActRefusesAnOverlongNote(t *testing.T) {
	ctx := context.Background()
	rt, st, _ := accessWorld(t, policies.RespondersTeam)
	before, _ := st.Timeline(ctx, 1)
	long := strings.Repeat("x", incident.MaxNote+1)
	_, err := rt.Act(ctx, incident.Request{Incident: 1, Action: incident.Note, By: "alice", Via: "slack", Text: long})
	if !errors.Is(err, incident.ErrInvalid) || !strings.Contains(err.Error(), "at most 4 KiB") {
		t.Errorf("an overlong note = %v, want it invalid", err)
	}
	if after, _ := st.Timeline(ctx, 1); len(after) != len(before) {
		t.Errorf("the timeline grew from %d to %d facts", len(before), len(after))
	}
	if _, err := rt.Act(ctx, incident.Request{Incident: 1, Action: incident.Note, By: "alice", Via: "slack", Text: long[1:]}); err != nil {
		t.Errorf("a note of exactly 4 KiB = %v", err)
	}
}
