// Package chat is what every chat platform shares (Slack, Mattermost,
// Telegram, Microsoft Teams, Discord, Google Chat): rooms as destinations,
// people paged by direct message, one message model, messages that follow
// their incident, rate limits kept across replicas, and acting from chat.
// A platform is one package under pagers/ that registers a Platform; this
// package turns it into a channel whose pager (Pager) is the same for all.
//
// # What a platform package writes
//
// One package, pagers/<name>, with an init function calling Register and
// a line in pagers/all. Nothing outside the package names the platform.
//
//	func init() {
//		chat.Register(chat.Platform{
//			Name:    "mattermost",          // channel, block type, "mattermost:NAME" targets, via
//			Contact: contact,               // the user attribute of a DM address; nil: rooms only
//			Rank:    26,                    // where it sits in a person's channel order
//			Attributes: []hcl.AttributeSchema{{Name: "url"}, {Name: "bot_token"}, {Name: "webhook_url"}},
//			Rooms:      hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "channel_id"}, {Name: "channel"}}},
//			Decode:     decode,             // the block's own attributes; nil = off (warn) or invalid (error)
//			DecodeRoom: decodeRoom,         // one room "NAME" { ... } block
//			Connect:    connect,            // the Client for a compiled block
//			RoomRate:      policies.Rate{Events: 5, Per: time.Second},
//			WorkspaceRate: policies.Rate{Events: 10, Per: time.Second},
//			EditsMessages: true,            // false: every change is a follow-up message
//			Interactive:   true,            // its messages carry buttons that call back
//			Dialect:       chat.Dialect{Escape: escape, TextLimit: 8000, MessageLimit: 16383},
//			Routes:        []pagers.Route{{Pattern: "POST /v1/mattermost/action", Serve: serveAction}},
//		})
//	}
//
// The config it gets is one block with the platform's credentials and its
// rooms:
//
//	mattermost {
//	  url       = "https://chat.example.com"
//	  bot_token = env("MATTERMOST_BOT_TOKEN")
//	  room "payments" { channel_id = "q8xw3kz6ojbn5mzgd8fd9ez7ah" }
//	}
//
// A room is a target ("mattermost:payments") of an escalation step (it is
// paged) and of a service's subscribers (it is kept informed of every
// incident of the service). Decode returning nil switches the platform off
// with the warning it writes: rooms stay defined, so configs naming them
// still load, and their pages go to the console. Validation lives in
// Decode and DecodeRoom, reported on the block (b.Errorf, b.Warnf), so that
// `pagerd check` points at the line; Contact.Check checks a person's id.
//
// # The Client
//
// Client is the platform's API, one call per method, no retries:
//
//   - Post posts a Message to a Recipient (a room, or a person's Address)
//     and returns a Ref, the platform's way to find it again (Slack:
//     "<channel>/<ts>"; a Telegram chat id and message id).
//   - Edit replaces it (ErrCannotEdit where the platform cannot, as
//     incoming webhooks).
//   - Reply posts under it: a thread reply, or a follow-up in the same room.
//   - Find looks a message up by Message.Key, which the platform should
//     store with the message where it can (Slack's message metadata), so
//     that a post a crash kept from being recorded is found rather than
//     posted twice; ErrCannotFind where it cannot (then, rarely, twice).
//
// A Client renders the Message in its own markup, passing every text
// pagerd did not write through its Dialect (Dialect.Fit escapes, defuses
// mentions and links, and cuts to a size). Its errors say what sending
// again can do: pagers.Permanent when nothing (an unknown room: the
// person's page falls back to their next channel), pagers.RetryAfter for
// a 429 with its Retry-After, anything else transient (5xx, timeouts).
//
// # What the layer does with it
//
// Pager.Send, for every platform: a page posts once per idempotency key,
// its Ref kept in the incident's message log in Redis (pagers.MessageLog,
// beside its send records, for as long as the incident); an update to an
// informed room posts its message the first time and follows it after; a
// follow (router/events.Follow, one consumer group per platform, in order,
// at least once, across replicas) edits every page message of the incident
// and replies with the event's fact, each reply once. Every call first
// takes a slot of the room's and the workspace's rate limits, shared by
// every replica through pagers.Limiter (the store's GCRA); a 429 holds the
// room's limit for its Retry-After. A page never waits longer than
// MaxPageWait: past it the send goes back to the engine (pagers.Later),
// which pages everyone else meanwhile.
//
// # Acting from chat
//
// A Route checks that the request is the platform's (its signature; for a
// platform that does not sign, a callback token pagerd signed into the
// button: links.Builder.CallbackToken and Signer.VerifyCallback), reads
// who pressed what, and hands over to Act (a button) or Command (typed
// text: "ack 42", "oncall payments", "incidents"). FindUser maps the
// person by the platform's id in their user block, else by email;
// WhoAreYou is the answer when neither maps, and nothing changes. Actions
// go through pagers.Inbound.Act, the same typed actions and responders
// rule as an SMS reply, so they land on the timeline with the mapped user
// and stop pending pages at once; the message itself changes when the
// event comes back through the follow consumer, on whichever replica.
// MessageOf offers Take command (incident.Assign: the presser becomes the
// incident manager, as "ic 42") on platforms that say who pressed
// (Interactive), until the incident has a manager; a callback token may
// carry it, an ack link never.
//
// # Replies are notes
//
// A platform whose people reply to its messages sets Platform.Place: the
// pager files every message it posts under that place (the store's
// MessageLog.KeepMessageAt, for as long as the incident is kept), with
// the log key of its thread's first message. The platform's route, once
// it has checked the request, hands a person's reply to ThreadNote, which
// finds the incident by the place replied to (pagers.Inbound.MessageAt),
// maps the person, and adds their note through Inbound.Act naming the
// thread (incident.Request.Thread). The follow consumer then replies the
// note in every other message's thread, and not in that one
// (incident.Event.Thread); the platform tells the writer it was taken in
// its own way (an ephemeral message, a reaction).
//
// Tests: a loopback fake of the platform's API reached through the real
// client (see internal/slackfake), chat.NewPager over the real store, and
// an end-to-end test in internal/app pressing a button on a message.
package chat
