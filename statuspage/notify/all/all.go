// Package all links in every kind of status page subscriber.
package all

import (
	_ "github.com/pagerd/pagerd/statuspage/notify/email"
	_ "github.com/pagerd/pagerd/statuspage/notify/mastodon"
	_ "github.com/pagerd/pagerd/statuspage/notify/room"
	_ "github.com/pagerd/pagerd/statuspage/notify/sms"
	_ "github.com/pagerd/pagerd/statuspage/notify/webhook"
)
