package twilio

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/twilio/twilio-go/client"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"
)

// SendText texts body from one of the account's numbers to another
// number, for pagerd's other senders of texts (status page subscribers),
// whose words are their own. Errors are classified as the pagers' are:
// Twilio's 4xx are permanent. It returns the message's SID.
func SendText(ctx context.Context, cred Config, hc *http.Client, from, to, body string) (string, error) {
	cred.From = from
	if cred.AccountSID == "" || cred.AuthToken == "" {
		return "", classify(errors.New("twilio account SID and auth token are required"))
	}
	params := &openapi.CreateMessageParams{}
	params.SetTo(to).SetFrom(from).SetBody(body)
	msg, err := api(ctx, cred, hc).CreateMessage(params)
	if err != nil {
		return "", fmt.Errorf("sms to %s: %w", to, classify(err))
	}
	if msg.Sid == nil {
		return "", nil
	}
	return *msg.Sid, nil
}

// Unsubscribed reports whether Twilio refused a text because its
// recipient replied STOP to the sender (error 21610): they must not be
// texted again.
func Unsubscribed(err error) bool {
	var rest *client.TwilioRestError
	return errors.As(err, &rest) && rest.Code == 21610
}
