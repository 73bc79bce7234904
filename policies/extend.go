package policies

import (
	"cmp"
	"fmt"
	"slices"
	"sync"

	"github.com/hashicorp/hcl/v2"
)

// Extensions add to the config language without this package naming them:
// a channel package (pagers/<name>) registers the block that configures it
// and the channel itself, an intake format (router/ingest/<format>) its
// integration type. Each registers from its init function; a binary links
// in the ones it wants by importing them (pagers/all, router/ingest/all).

// BlockSpec is a top-level block an extension owns, such as `twilio { ... }`
// or `webhook "audit" { ... }`.
type BlockSpec struct {
	Type string
	// Labeled blocks have a name (`webhook "audit"`), and there may be any
	// number of them; unlabeled ones may appear once.
	Labeled bool
	// Schema lists the block's attributes and nested blocks; hcl reports
	// unknown, missing and duplicate ones.
	Schema hcl.BodySchema
	// Decode compiles one block, reporting every problem on b with its
	// source range. It returns the block's compiled settings, which the
	// extension's runtime side reads back from Config; nil means the block
	// is unusable or switched off (a credential's variable is unset, say),
	// which Decode says in a diagnostic.
	Decode func(b *Block) any
}

// Contact is a user attribute that holds a person's address on a channel,
// such as `phone` or `email`.
type Contact struct {
	Attr    string // the attribute in a user block
	Noun    string // how messages call it: "phone number"
	Example string // a valid value, for "write it like ..."
	// Check returns why v is not a valid address ("is not an E.164
	// number"), or "" when it is.
	Check func(v string) string
}

// ChannelSpec is what the config language knows of a channel: the name
// `via` and targets use, where a person's address comes from, and what it
// may be used for.
type ChannelSpec struct {
	Name string
	// Contact is the user attribute holding a person's address on this
	// channel; nil when the channel does not read one.
	Contact *Contact
	// Address overrides how a person's address is found (the console's is
	// the user's name); nil reads Contact.
	Address func(u *User) string
	// Rank orders a person's channels: a user without notify rules is paged
	// through the lowest-ranked channel they have an address for, and a
	// failed page falls back through the rest in this order.
	Rank int
	// Block is the block type that must be configured for the channel to
	// send; "" when it needs none.
	Block string
	// Destinations: steps and services may name the channel's own
	// destinations as "<name>:<block label>" (the labeled blocks of Block),
	// not only people.
	Destinations bool
	// Updates: a destination may subscribe to every incident event of a
	// service (`subscribers = [...]`).
	Updates bool
}

// AddressOf is u's address on the channel, "" when they have none.
func (c *ChannelSpec) AddressOf(u *User) string {
	switch {
	case c.Address != nil:
		return c.Address(u)
	case c.Contact != nil:
		return u.Contacts[c.Contact.Attr]
	}
	return ""
}

// ReachesPeople reports whether the channel can page a person.
func (c *ChannelSpec) ReachesPeople() bool { return c.Address != nil || c.Contact != nil }

// IntegrationType is one kind of inbound integration: what `type =` names.
type IntegrationType struct {
	Name string
	// Doc says what may use an integration of this type, for help texts.
	Doc string
	// Schema lists the attributes and nested blocks an integration of this
	// type takes besides the common ones (type, token, service,
	// rate_limit); nil: none. hcl reports unknown, missing and duplicate
	// ones.
	Schema *hcl.BodySchema
	// Decode compiles them, reporting every problem on b with its source
	// range, into the settings the type's intake reads back from
	// Integration.Settings. Called only when Schema is set.
	Decode func(b *Block) any
}

var registry struct {
	sync.Mutex
	blocks       map[string]*BlockSpec
	channels     map[string]*ChannelSpec
	integrations map[string]IntegrationType
}

// RegisterBlock adds a top-level block type. It panics on a duplicate or a
// built-in type: both are programming errors.
func RegisterBlock(spec BlockSpec) {
	registry.Lock()
	defer registry.Unlock()
	if builtinBlocks[spec.Type] || registry.blocks[spec.Type] != nil {
		panic("policies: block " + spec.Type + " registered twice")
	}
	if registry.blocks == nil {
		registry.blocks = map[string]*BlockSpec{}
	}
	registry.blocks[spec.Type] = &spec
}

// RegisterChannel adds a channel. It panics on a duplicate name or a name
// that is a built-in target kind.
func RegisterChannel(spec ChannelSpec) {
	registry.Lock()
	defer registry.Unlock()
	if slices.Contains(personTargets, spec.Name) || registry.channels[spec.Name] != nil {
		panic("policies: channel " + spec.Name + " registered twice")
	}
	if registry.channels == nil {
		registry.channels = map[string]*ChannelSpec{}
	}
	registry.channels[spec.Name] = &spec
}

// RegisterIntegrationType adds an integration type.
func RegisterIntegrationType(t IntegrationType) {
	registry.Lock()
	defer registry.Unlock()
	if registry.integrations[t.Name].Name != "" {
		panic("policies: integration type " + t.Name + " registered twice")
	}
	if registry.integrations == nil {
		registry.integrations = map[string]IntegrationType{}
	}
	registry.integrations[t.Name] = t
}

// APIIntegration is the built-in integration type of the REST API and the
// CLI.
const APIIntegration = "api"

func init() {
	RegisterIntegrationType(IntegrationType{Name: APIIntegration, Doc: "the REST API and the pagerd CLI"})
	RegisterIntegrationType(IntegrationType{Name: HeartbeatIntegration, Doc: "beats of heartbeat blocks (/v1/heartbeats/NAME)"})
}

// Channels returns every registered channel, lowest Rank first.
func Channels() []*ChannelSpec {
	registry.Lock()
	defer registry.Unlock()
	out := make([]*ChannelSpec, 0, len(registry.channels))
	for _, c := range registry.channels {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b *ChannelSpec) int {
		return cmp.Or(cmp.Compare(a.Rank, b.Rank), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// Channel returns the registered channel called name, or nil.
func Channel(name string) *ChannelSpec {
	registry.Lock()
	defer registry.Unlock()
	return registry.channels[name]
}

// IntegrationTypes returns every registered integration type, by name.
func IntegrationTypes() []IntegrationType {
	registry.Lock()
	defer registry.Unlock()
	out := make([]IntegrationType, 0, len(registry.integrations))
	for _, t := range registry.integrations {
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b IntegrationType) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

func integrationType(name string) (IntegrationType, bool) {
	registry.Lock()
	defer registry.Unlock()
	t, ok := registry.integrations[name]
	return t, ok
}

func blockSpecs() []*BlockSpec {
	registry.Lock()
	defer registry.Unlock()
	out := make([]*BlockSpec, 0, len(registry.blocks))
	for _, b := range registry.blocks {
		out = append(out, b)
	}
	slices.SortFunc(out, func(a, b *BlockSpec) int { return cmp.Compare(a.Type, b.Type) })
	return out
}

// contacts returns the distinct contact attributes of the registered
// channels, in channel order.
func contacts() []*Contact {
	var out []*Contact
	for _, c := range Channels() {
		if c.Contact != nil && !slices.ContainsFunc(out, func(o *Contact) bool { return o.Attr == c.Contact.Attr }) {
			out = append(out, c.Contact)
		}
	}
	return out
}

func channelNames(keep func(*ChannelSpec) bool) []string {
	var names []string
	for _, c := range Channels() {
		if keep(c) {
			names = append(names, c.Name)
		}
	}
	return names
}

func (s *BlockSpec) header() hcl.BlockHeaderSchema {
	h := hcl.BlockHeaderSchema{Type: s.Type}
	if s.Labeled {
		h.LabelNames = []string{"name"}
	}
	return h
}

func (s *BlockSpec) String() string {
	if s.Labeled {
		return fmt.Sprintf("%s %q", s.Type, "NAME")
	}
	return s.Type
}
