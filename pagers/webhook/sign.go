package webhook

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// The headers of the Standard Webhooks specification, which every delivery
// carries.
const (
	HeaderID        = standardwebhooks.HeaderWebhookID        // the delivery's id, the same on every retry
	HeaderTimestamp = standardwebhooks.HeaderWebhookTimestamp // unix seconds when this attempt was sent
	HeaderSignature = standardwebhooks.HeaderWebhookSignature // "v1,<base64 HMAC-SHA256>"
)

// MessageID is the webhook-id of the delivery of the notification with
// idempotency key key to the webhook called destination. It depends on
// nothing else, so every attempt and every replica sending that
// notification sends the same id, and a receiver can drop repeats. The
// destination is part of it because an update's key (its event's stream
// position) is the same for every subscriber.
func MessageID(key, destination string) string {
	sum := sha256.Sum256([]byte(key + "\x00" + destination))
	return "msg_" + hex.EncodeToString(sum[:16])
}

// Sign sets the Standard Webhooks headers of one attempt to send body:
// the id, the attempt's time and the signature over both and the body.
func Sign(h http.Header, key []byte, id string, at time.Time, body []byte) error {
	wh, err := standardwebhooks.NewWebhookRaw(key)
	if err != nil {
		return fmt.Errorf("signing: %w", err)
	}
	sig, err := wh.Sign(id, at, body)
	if err != nil {
		return fmt.Errorf("signing: %w", err)
	}
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(at.Unix(), 10))
	h.Set(HeaderSignature, sig)
	return nil
}
