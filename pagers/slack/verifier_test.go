package slack

import (
	"net/http"

	"github.com/slack-go/slack"
)

// slackVerifier is slack-go's own check, to hold pagerd's to it.
func slackVerifier(h http.Header, secret string) (slack.SecretsVerifier, error) {
	return slack.NewSecretsVerifier(h, secret)
}
