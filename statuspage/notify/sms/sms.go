// Package sms tells status page subscribers by text, through Twilio,
// from the page's own number (sms_from), whose replies — YES to confirm,
// STOP to stop — come back to the page (statuspage.Forms).
package sms

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/pagers/twilio"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/statuspage/notify"
)

// MaxRunes bounds a text to two segments, as pages do.
const MaxRunes = twilio.SMSMaxRunes

func init() {
	notify.Register("sms", func(cfg *policies.Config, env notify.Env) (notify.Channel, error) {
		c, ok := cfg.Block("twilio").(twilio.Config)
		if !ok {
			return nil, nil
		}
		return &SMS{cred: c, client: env.HTTPClient}, nil
	})
}

// SMS texts subscribers. It is safe for concurrent use.
type SMS struct {
	cred   twilio.Config
	client *http.Client
}

// Send implements notify.Channel. A recipient who replied STOP to the
// number at Twilio is unsubscribed.
func (s *SMS) Send(ctx context.Context, m notify.Message) error {
	if m.Page.SMSFrom == "" {
		return pagers.Permanent(errors.New("status page " + m.Page.Name + " has no sms_from number"))
	}
	_, err := twilio.SendText(ctx, s.cred, s.client, m.Page.SMSFrom, m.To.Address, notify.Short(m, MaxRunes))
	if twilio.Unsubscribed(err) {
		return fmt.Errorf("%w: %w", notify.ErrUnsubscribed, err)
	}
	return err
}
