package webhook_test

import (
	"net/http"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/pagerd/pagerd/pagers/webhook"
)

// TestSignSpecVector signs the test vector the Standard Webhooks
// specification publishes, with its secret decoded as the config decodes
// it (specKey).
func TestSignSpecVector(t *testing.T) {
	h := http.Header{}
	err := webhook.Sign(h, specKey, "msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
	if err != nil {
		t.Fatal(err)
	}
	want := http.Header{
		"Webhook-Id":        {"msg_p5jXN8AQM9LWM0D4loKWxJek"},
		"Webhook-Timestamp": {"1614265330"},
		"Webhook-Signature": {"v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="},
	}
	for name, v := range want {
		if got := h.Get(name); got != v[0] {
			t.Errorf("%s = %q, want %q", name, got, v[0])
		}
	}
	// The reference library, given the secret in its published form,
	// accepts it too.
	wh, err := standardwebhooks.NewWebhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.VerifyIgnoringTimestamp([]byte(`{"test": 2432232314}`), h); err != nil {
		t.Errorf("reference Verify: %v", err)
	}
	if err := wh.VerifyIgnoringTimestamp([]byte(`{"test": 2432232315}`), h); err == nil {
		t.Error("reference Verify accepted a changed body")
	}
}

func TestMessageID(t *testing.T) {
	id := webhook.MessageID("1798794030500-0", "audit")
	tests := []struct {
		name     string
		key, dst string
		same     bool
	}{
		{"same notification", "1798794030500-0", "audit", true},
		{"another event", "1798794030500-1", "audit", false},
		{"same event, another subscriber", "1798794030500-0", "ops", false},
		// The separator keeps key and destination from running together.
		{"shifted boundary", "1798794030500-0a", "udit", false},
	}
	for _, tt := range tests {
		got := webhook.MessageID(tt.key, tt.dst)
		if (got == id) != tt.same {
			t.Errorf("%s: MessageID(%q, %q) = %q, MessageID(1798794030500-0, audit) = %q; same = %v, want %v", tt.name, tt.key, tt.dst, got, id, got == id, tt.same)
		}
	}
	if len(id) != len("msg_")+32 || id[:4] != "msg_" {
		t.Errorf("MessageID = %q, want msg_ and 32 hex digits", id)
	}
}
