package chat

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/policies"
)

// Platform is what a chat platform's package registers: its block, its
// rooms, how a person is reached, its limits, its API client and the
// webhooks it calls back. Register makes a pagers.Channel of it, whose
// pager (Pager) is the same for every platform.
type Platform struct {
	// Name is the channel's name, its block's type, the kind of its room
	// targets ("slack:#payments") and what `via` names.
	Name string
	// Title is how people call it ("Slack", "Microsoft Teams"); default
	// Name.
	Title string
	// Contact is the user attribute holding a person's address for direct
	// messages (a member id, a chat id); nil when the platform does not
	// message people.
	Contact *policies.Contact
	// Rank orders the channel among a person's channels (see
	// policies.ChannelSpec).
	Rank int
	// Attributes are the platform block's own attributes (credentials, an
	// API URL); Rooms is the schema of its nested `room "NAME"` blocks.
	Attributes []hcl.AttributeSchema
	Rooms      hcl.BodySchema
	// Decode compiles the platform block's own attributes, reporting
	// every problem on b. nil means switched off (a secret unset: Decode
	// warns) or invalid (Decode reports an error); its rooms stay defined.
	Decode func(b *policies.Block) any
	// DecodeRoom compiles one room block; nil when invalid (it reports
	// why). ws is what Decode returned, nil when the platform is off.
	DecodeRoom func(b *policies.Block, ws any) any
	// Connect returns the API client for a compiled platform block.
	Connect func(ws any, env pagers.Env) (Client, error)
	// RoomRate and WorkspaceRate are the platform's sending limits: per
	// room (or person's chat) and for the whole workspace or bot. Every
	// replica shares them; a zero Rate is no limit.
	RoomRate, WorkspaceRate policies.Rate
	// EditsMessages: the platform edits a message it posted, so the
	// messages about an incident change as it moves (else a follow-up
	// message tells each change).
	EditsMessages bool
	// Interactive: its messages carry buttons whose presses come back to
	// Routes.
	Interactive bool
	// Dialect is how the platform's markup is escaped and how long a
	// message may be.
	Dialect Dialect
	// Routes are the webhooks the platform calls (button presses, slash
	// commands).
	Routes []pagers.Route
}

// Room is one compiled `room "NAME"` block: Name is its label, Settings
// what the platform's DecodeRoom made of it.
type Room struct {
	Name     string
	Settings any
}

// Config is a compiled platform block: its own settings and its rooms.
type Config struct {
	Settings any
	Rooms    map[string]Room
}

// Recipient is where a message goes: one of the platform's rooms, or a
// person's direct messages at Address (the platform's id for them).
type Recipient struct {
	Room    *Room
	User    string // the pagerd user, for a person
	Address string
}

// Name names the recipient for keys and logs: "room:NAME" or "dm:ADDRESS".
func (r Recipient) Name() string {
	if r.Room != nil {
		return "room:" + r.Room.Name
	}
	return "dm:" + r.Address
}

// Ref is where a posted message is, as the platform finds it again (for
// Slack its channel and timestamp); the platform encodes it.
type Ref string

// Client is a platform's API as the chat layer uses it. Each method is one
// attempt: waiting for rate limits and retrying is the layer's. Errors say
// what sending again can do: pagers.Permanent when nothing, a
// pagers.RetryAfter for a 429 (the layer holds the limit for every replica
// that long), anything else is transient (a 5xx, a timeout).
type Client interface {
	// Post posts m to to and returns where it landed.
	Post(ctx context.Context, to Recipient, m Message) (Ref, error)
	// Edit replaces the message at ref with m; ErrCannotEdit when the
	// platform cannot.
	Edit(ctx context.Context, to Recipient, ref Ref, m Message) error
	// Reply posts m as a thread reply to the message at ref, or as a
	// follow-up in the same place where the platform has no threads.
	Reply(ctx context.Context, to Recipient, ref Ref, m Message) (Ref, error)
	// Find looks for a message pagerd posted with m.Key at to (under
	// parent for a reply; "" for a message of its own), so a post that a
	// crash kept from being recorded is not posted twice. ok is false
	// when there is none, or the platform cannot tell (ErrCannotFind).
	Find(ctx context.Context, to Recipient, parent Ref, key string) (ref Ref, ok bool, err error)
}

// Errors a Client returns for what its platform cannot do.
var (
	ErrCannotEdit = errors.New("the platform cannot edit a message")
	ErrCannotFind = errors.New("the platform cannot look a message up")
)

// Register registers a platform as a channel: its block (with nested
// rooms) for the config language, and its pager. Call it from the
// platform package's init function.
func Register(p Platform) {
	if p.Name == "" || p.Connect == nil || p.Decode == nil {
		panic("chat: platform " + p.Name + " needs a Name, Decode and Connect")
	}
	if p.Dialect.Escape == nil {
		p.Dialect.Escape = func(s string) string { return s }
	}
	if p.Title == "" {
		p.Title = p.Name
	}
	plat := &p
	platforms[p.Name] = plat
	schema := hcl.BodySchema{
		Attributes: p.Attributes,
		Blocks:     []hcl.BlockHeaderSchema{{Type: "room", LabelNames: []string{"name"}}},
	}
	policies.RegisterBlock(policies.BlockSpec{Type: p.Name, Schema: schema, Decode: plat.decode})
	pagers.Register(pagers.Channel{
		ChannelSpec: policies.ChannelSpec{
			Name: p.Name, Contact: p.Contact, Rank: p.Rank, Block: p.Name,
			Destinations: true, Updates: true, Rooms: true,
		},
		Interactive:   p.Interactive,
		EditsMessages: p.EditsMessages,
		Follows:       true,
		Build:         plat.build,
		Routes:        p.Routes,
	})
}

var platforms = map[string]*Platform{}

// decode compiles the platform block and defines its rooms, even when the
// platform is off: steps and services naming them still load.
func (p *Platform) decode(b *policies.Block) any {
	ws := p.Decode(b)
	c := Config{Settings: ws, Rooms: map[string]Room{}}
	ok := ws != nil
	for _, rb := range b.Nested("room", &p.Rooms) {
		name := rb.Label()
		if strings.TrimSpace(name) == "" || strings.ContainsAny(name, " \t\n") {
			rb.Errorf(rb.Range(), "Invalid room name", `room %q: a room's name is how steps and services name it ("%s:NAME"): no spaces.`, name, p.Name)
			continue
		}
		var room any
		if p.DecodeRoom != nil {
			if s := p.DecodeRoom(rb, ws); s != nil {
				room = Room{Name: name, Settings: s}
			}
		} else {
			room = Room{Name: name}
		}
		if room == nil || ws == nil {
			rb.Define(p.Name, name, rb.Range(), nil)
			continue
		}
		if rb.Define(p.Name, name, rb.Range(), room) {
			c.Rooms[name] = room.(Room)
		}
	}
	if !ok {
		return nil
	}
	return c
}

// build returns the platform's pager for cfg, or nil when its block is
// absent or off.
func (p *Platform) build(cfg *policies.Config, env pagers.Env) (pagers.Pager, error) {
	c, ok := cfg.Block(p.Name).(Config)
	if !ok {
		return nil, nil
	}
	client, err := p.Connect(c.Settings, env)
	if err != nil {
		return nil, err
	}
	pg := newPager(p, c, client, env)
	pg.zones = zonesOf(p, cfg)
	return pg, nil
}

// zonesOf maps the address on platform p of each person who set a time
// zone to it.
func zonesOf(p *Platform, cfg *policies.Config) map[string]*time.Location {
	zones := map[string]*time.Location{}
	if p.Contact == nil {
		return zones
	}
	for _, u := range cfg.Users {
		if addr := u.Contact(p.Contact.Attr); addr != "" && u.Location != nil {
			zones[addr] = u.Location
		}
	}
	return zones
}

// ConfigOf returns the platform's compiled block in cfg, if it is on.
func ConfigOf(cfg *policies.Config, platform string) (Config, bool) {
	c, ok := cfg.Block(platform).(Config)
	return c, ok
}

// Title is how people call the registered platform named name.
func Title(name string) string {
	if p := platforms[name]; p != nil {
		return p.Title
	}
	return name
}
