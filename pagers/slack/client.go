package slack

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/pagers/chat"
)

// client is the chat.Client of one slack block, over slack-go.
type client struct {
	api *slack.Client
}

var _ chat.Client = (*client)(nil)

func newClient(c Config, hc *http.Client) *client {
	return &client{api: api(c, hc)}
}

// api is slack-go's client for c.
func api(c Config, hc *http.Client) *slack.Client {
	return slack.New(c.BotToken, slack.OptionAPIURL(c.APIURL), slack.OptionHTTPClient(httpClient(hc)))
}

// metadataType marks the messages pagerd posts; their payload's "key" is
// the message's chat key, which Find looks for.
const metadataType = "pagerd_message"

// channelOf is where a message to to is posted: the room's channel, or
// the person's member id (Slack opens the app's direct message with them).
func channelOf(to chat.Recipient) (string, error) {
	if to.Room == nil {
		return to.Address, nil
	}
	rc, ok := to.Room.Settings.(RoomConfig)
	if !ok {
		return "", pagers.Permanent(fmt.Errorf("slack room %q has no channel", to.Room.Name))
	}
	return rc.Channel, nil
}

// ref is a posted message's chat.Ref: "<channel id>/<ts>".
func ref(channel, ts string) chat.Ref { return chat.Ref(channel + "/" + ts) }

func splitRef(r chat.Ref) (channel, ts string, err error) {
	channel, ts, ok := strings.Cut(string(r), "/")
	if !ok || channel == "" || ts == "" {
		return "", "", pagers.Permanent(fmt.Errorf("slack: %q is not a message reference", r))
	}
	return channel, ts, nil
}

// Post implements chat.Client: chat.postMessage.
func (c *client) Post(ctx context.Context, to chat.Recipient, m chat.Message) (chat.Ref, error) {
	channel, err := channelOf(to)
	if err != nil {
		return "", err
	}
	ch, ts, err := c.api.PostMessageContext(ctx, channel, render(m)...)
	if err != nil {
		return "", classify("chat.postMessage", err)
	}
	return ref(ch, ts), nil
}

// Edit implements chat.Client: chat.update.
func (c *client) Edit(ctx context.Context, _ chat.Recipient, r chat.Ref, m chat.Message) error {
	channel, ts, err := splitRef(r)
	if err != nil {
		return err
	}
	if _, _, _, err := c.api.UpdateMessageContext(ctx, channel, ts, render(m)...); err != nil {
		return classify("chat.update", err)
	}
	return nil
}

// Reply implements chat.Client: chat.postMessage into the message's
// thread.
func (c *client) Reply(ctx context.Context, _ chat.Recipient, parent chat.Ref, m chat.Message) (chat.Ref, error) {
	channel, ts, err := splitRef(parent)
	if err != nil {
		return "", err
	}
	ch, rts, err := c.api.PostMessageContext(ctx, channel, append(render(m), slack.MsgOptionTS(ts))...)
	if err != nil {
		return "", classify("chat.postMessage", err)
	}
	return ref(ch, rts), nil
}

// findDepth is how many of a conversation's latest messages Find reads:
// a message lost to a crash was posted moments before.
const findDepth = 50

// Find implements chat.Client: the latest messages of the conversation
// (or the parent's thread), with their metadata, for pagerd's key.
func (c *client) Find(ctx context.Context, to chat.Recipient, parent chat.Ref, key string) (chat.Ref, bool, error) {
	var msgs []slack.Message
	if parent != "" {
		channel, ts, err := splitRef(parent)
		if err != nil {
			return "", false, err
		}
		replies, _, _, err := c.api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{
			ChannelID: channel, Timestamp: ts, Limit: findDepth, IncludeAllMetadata: true,
		})
		if err != nil {
			return "", false, classify("conversations.replies", err)
		}
		for _, m := range replies {
			if m.Metadata.EventPayload["key"] == key {
				return ref(channel, m.Timestamp), true, nil
			}
		}
		return "", false, nil
	}
	channel, err := channelOf(to)
	if err != nil {
		return "", false, err
	}
	if to.Room == nil {
		// A person's direct messages: their conversation with the app.
		im, _, _, err := c.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{channel}, ReturnIM: true})
		if err != nil {
			return "", false, classify("conversations.open", err)
		}
		channel = im.ID
	}
	hist, err := c.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
		ChannelID: channel, Limit: findDepth, IncludeAllMetadata: true,
	})
	if err != nil {
		return "", false, classify("conversations.history", err)
	}
	msgs = hist.Messages
	for _, m := range msgs {
		if m.Metadata.EventType == metadataType && m.Metadata.EventPayload["key"] == key {
			return ref(channel, m.Timestamp), true, nil
		}
	}
	return "", false, nil
}

// Errors Slack answers in its body ("ok": false) that sending again may
// cure; every other one will not (channel_not_found, not_in_channel,
// invalid_auth, is_archived, msg_too_long, ...).
var transient = map[string]bool{
	"internal_error": true, "fatal_error": true, "service_unavailable": true,
	"request_timeout": true, "team_added_to_org": true,
}

// classify says what sending again can do about err.
func classify(method string, err error) error {
	var (
		limited *slack.RateLimitedError
		status  slack.StatusCodeError
		refused slack.SlackErrorResponse
		netErr  net.Error
	)
	switch {
	case errors.As(err, &limited):
		return pagers.RetryAfter(fmt.Errorf("%s: 429 rate limited: %w", method, err), limited.RetryAfter)
	case errors.As(err, &status):
		switch {
		case status.Code == http.StatusTooManyRequests:
			return pagers.RetryAfter(fmt.Errorf("%s: %w", method, err), time.Second)
		case status.Code >= 500 || status.Code == http.StatusRequestTimeout:
			return fmt.Errorf("%s: %w", method, err)
		}
		return pagers.Permanent(fmt.Errorf("%s: %w", method, err))
	case errors.As(err, &refused):
		if refused.Err == "ratelimited" {
			return pagers.RetryAfter(fmt.Errorf("%s: %w", method, err), time.Second)
		}
		if transient[refused.Err] {
			return fmt.Errorf("%s: %w", method, err)
		}
		return pagers.Permanent(fmt.Errorf("%s: %s", method, refusal(refused.Err)))
	case errors.As(err, &netErr), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%s: %w", method, err)
	}
	return fmt.Errorf("%s: %w", method, err)
}

// refusal says what Slack's error code means for whoever reads the
// timeline.
func refusal(code string) string {
	switch code {
	case "not_in_channel":
		return "not_in_channel: invite the app to the channel (/invite @your-app)"
	case "channel_not_found":
		return "channel_not_found: check the room's channel id, and that the app was invited to a private channel"
	case "invalid_auth", "not_authed", "token_revoked", "account_inactive":
		return code + ": check bot_token"
	case "missing_scope":
		return "missing_scope: give the app the scopes docs/chat.md lists, and reinstall it"
	case "user_not_found":
		return "user_not_found: check the person's slack_id"
	}
	return code
}
