package store

import (
	"context"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
)

// A claim kept alive by its holder is not taken over; a released one is
// taken at once; a stale holder can neither renew nor release another's.
func TestRenewAndReleaseClaims(t *testing.T) {
	s, clk, _ := newTestStore(t)
	ctx := context.Background()
	if _, err := s.Ingest(ctx, []AlertWrite{write("a", "g", false, time.Time{})}); err != nil {
		t.Fatal(err)
	}
	const lease = 6 * time.Second
	_, claims, err := s.ClaimDue(ctx, lease, 10)
	if err != nil || len(claims) != 1 {
		t.Fatal(claims, err)
	}
	c := claims[0]
	// Heartbeats every 2s keep it for 30s.
	for range 15 {
		clk.Advance(2 * time.Second)
		var ok bool
		if c, ok, err = s.RenewClaim(ctx, c, lease); err != nil || !ok {
			t.Fatalf("renew = %v, %v", ok, err)
		}
		if _, other, _ := s.ClaimDue(ctx, lease, 10); len(other) != 0 {
			t.Fatalf("another replica took a claim its holder keeps alive, at +%s", clk.Now())
		}
	}
	old := c
	if err := s.ReleaseClaim(ctx, c); err != nil {
		t.Fatal(err)
	}
	_, taken, _ := s.ClaimDue(ctx, lease, 10)
	if len(taken) != 1 {
		t.Fatal("a released claim was not due at once")
	}
	if _, ok, _ := s.RenewClaim(ctx, old, lease); ok {
		t.Error("the old holder renewed a claim another replica took")
	}
	if err := s.ReleaseClaim(ctx, old); err != nil {
		t.Fatal(err)
	}
	if _, again, _ := s.ClaimDue(ctx, lease, 10); len(again) != 0 {
		t.Error("the old holder released the new holder's claim")
	}

	// Sends likewise.
	st, _, err := s.ClaimSend(ctx, 1, incident.Triggered, 0, "k", lease, "A")
	if err != nil || st != SendClaimed {
		t.Fatal(st, err)
	}
	clk.Advance(5 * time.Second)
	if ok, err := s.RenewSend(ctx, 1, "k", "A", lease); err != nil || !ok {
		t.Fatalf("RenewSend = %v, %v", ok, err)
	}
	clk.Advance(5 * time.Second) // 10s after the claim, 5s after the renewal
	if st, _, _ := s.ClaimSend(ctx, 1, incident.Triggered, 0, "k", lease, "B"); st != SendBusy {
		t.Errorf("B's claim on a renewed send = %s, want busy", st)
	}
	if ok, _ := s.RenewSend(ctx, 1, "k", "B", lease); ok {
		t.Error("B renewed A's send")
	}
	if err := s.ReleaseSend(ctx, 1, "k", "A"); err != nil {
		t.Fatal(err)
	}
	if st, _, _ := s.ClaimSend(ctx, 1, incident.Triggered, 0, "k", lease, "B"); st != SendClaimed {
		t.Errorf("B's claim on a released send = %s, want claimed", st)
	}
	if err := s.FinishSend(ctx, 1, SendResult{Key: "k", Receipt: "sms:SM1", Kind: incident.KindNotified}); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.RenewSend(ctx, 1, "k", "B", lease); ok {
		t.Error("a finished send was renewed")
	}
}
