// Package mastodon posts a status page's public updates to a Mastodon
// account (the page's mastodon block), through Mastodon's REST API with
// an access token: one post per update, each with an Idempotency-Key so
// a retry never posts twice.
package mastodon

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/statuspage/notify"
)

// MaxChars is what a post holds on a default server.
const MaxChars = 500

func init() {
	notify.Register("mastodon", func(_ *policies.Config, env notify.Env) (notify.Channel, error) {
		c := env.HTTPClient
		if c == nil {
			c = &http.Client{Timeout: 15 * time.Second}
		}
		return &Mastodon{client: c}, nil
	})
}

// Mastodon posts to the account of the message's page.
type Mastodon struct {
	client *http.Client
}

// Send implements notify.Channel: POST /api/v1/statuses.
func (ma *Mastodon) Send(ctx context.Context, m notify.Message) error {
	acct := m.Page.Mastodon
	if acct == nil {
		return pagers.Permanent(fmt.Errorf("status page %s posts to no Mastodon account (any more)", m.Page.Name))
	}
	body, _ := json.Marshal(map[string]string{"status": notify.Short(m, MaxChars), "visibility": acct.Visibility, "language": "en"})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, acct.Server+"/api/v1/statuses", bytes.NewReader(body))
	if err != nil {
		return pagers.Permanent(err)
	}
	sum := sha256.Sum256([]byte(m.Key + "\x00" + m.To.Subscriber))
	req.Header.Set("Authorization", "Bearer "+acct.Token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", hex.EncodeToString(sum[:16]))
	req.Header.Set("User-Agent", "pagerd-status")
	resp, err := ma.client.Do(req)
	if err != nil {
		// The token is in a header, never in what an error quotes.
		return fmt.Errorf("mastodon %s: %w", acct.Server, err)
	}
	defer resp.Body.Close()
	excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	err = fmt.Errorf("mastodon %s answered %d: %s", acct.Server, resp.StatusCode, strings.TrimSpace(string(excerpt)))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		if reset, perr := time.Parse(time.RFC3339, resp.Header.Get("X-RateLimit-Reset")); perr == nil {
			return pagers.RetryAfter(err, min(max(time.Until(reset), time.Second), 30*time.Minute))
		}
		if s, perr := strconv.Atoi(resp.Header.Get("Retry-After")); perr == nil {
			return pagers.RetryAfter(err, time.Duration(s)*time.Second)
		}
		return err
	}
	return pagers.Permanent(err)
}
