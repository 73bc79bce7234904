// Package all links in every channel pagerd ships: importing it registers
// them. Adding a channel is adding its line here.
package all

import (
	_ "github.com/pagerd/pagerd/pagers/console"
	_ "github.com/pagerd/pagerd/pagers/discord"
	_ "github.com/pagerd/pagerd/pagers/email"
	_ "github.com/pagerd/pagerd/pagers/googlechat"
	_ "github.com/pagerd/pagerd/pagers/mattermost"
	_ "github.com/pagerd/pagerd/pagers/slack"
	_ "github.com/pagerd/pagerd/pagers/teams"
	_ "github.com/pagerd/pagerd/pagers/telegram"
	_ "github.com/pagerd/pagerd/pagers/twilio"
	_ "github.com/pagerd/pagerd/pagers/webhook"
)
