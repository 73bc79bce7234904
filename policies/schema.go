package policies

import "github.com/hashicorp/hcl/v2"

// The structs below mirror the HCL schema (docs/config.md) one to one:
// decode fills them, compile turns them into the model. Values that need
// more than a type check keep their expression (to point diagnostics at
// single list elements, and to see how a secret was written) or the range of
// their value; an absent attribute leaves its range zero and its expression
// nil.

type fileSchema struct {
	Pagerd       *pagerdBlock
	Integrations []integrationBlock
	Users        []userBlock
	Teams        []teamBlock
	Schedules    []scheduleBlock
	Escalations  []escalationBlock
	Services     []serviceBlock
	Heartbeats   []heartbeatBlock
	// Maintenance and Inhibits are compiled straight from their blocks
	// (compile_suppress.go).
	Maintenance []*hcl.Block
	Inhibits    []*hcl.Block
	// Ownerships are compiled straight from their blocks
	// (compile_ownership.go).
	Ownerships []*hcl.Block
	// Command (the incident_command block) and Stakeholders are compiled
	// straight from their blocks (compile_command.go).
	Command      *hcl.Block
	Stakeholders []*hcl.Block
	// Components and StatusPages too (compile_statuspage.go).
	Components  []*hcl.Block
	StatusPages []*hcl.Block
	// Postmortem and Console are compiled straight from their blocks
	// (postmortem.go).
	Postmortem, Console *hcl.Block
	// Extensions are the blocks registered extensions own, in file order;
	// their own BlockSpec.Decode reads them.
	Extensions []*hcl.Block
}

type pagerdBlock struct {
	PublicURL              string
	PublicURLRange         hcl.Range
	LinkSecret             hcl.Expression
	LinkTTL                string
	LinkTTLRange           hcl.Range
	AckTimeout             string
	AckTimeoutRange        hcl.Range
	ResolvedRetention      string
	ResolvedRetentionRange hcl.Range
	ResolveTimeout         string
	ResolveTimeoutRange    hcl.Range
	EventRetention         string
	EventRetentionRange    hcl.Range
	Unrouted               string
	UnroutedRange          hcl.Range
	Storm                  *stormBlock // the defaults of every service
	Flapping               *flapBlock
	LastResort             string
	LastResortRange        hcl.Range
	DefRange               hcl.Range
}

type integrationBlock struct {
	Name         string
	Type         string
	TypeRange    hcl.Range
	Token        hcl.Expression
	Service      string
	ServiceRange hcl.Range
	RateLimit    string
	RateRange    hcl.Range
	DefRange     hcl.Range
	// Extra holds the attributes and blocks of the type's own schema;
	// Decode, when the type has one, compiles them.
	Extra  *Block
	Decode func(*Block) any
}

type userBlock struct {
	Name          string
	Contacts      []contactAttr // the channels' contact attributes written
	Notify        []notifyBlock
	ShiftNotices  []shiftNoticeBlock
	Timezone      string
	TimezoneRange hcl.Range
	DefRange      hcl.Range
}

type contactAttr struct {
	Contact *Contact
	Value   string
	Range   hcl.Range
}

type notifyBlock struct {
	After      string
	AfterRange hcl.Range
	Via        string
	ViaRange   hcl.Range
	DefRange   hcl.Range
}

type shiftNoticeBlock struct {
	Before      string
	BeforeRange hcl.Range
	Via         string
	ViaRange    hcl.Range
	DefRange    hcl.Range
}

type teamBlock struct {
	Name      string
	Members   hcl.Expression
	Lead      string
	LeadRange hcl.Range
	// Escalation and Chat are what the team's services get from it.
	Escalation      string
	EscalationRange hcl.Range
	Chat            string
	ChatRange       hcl.Range
	DefRange        hcl.Range
}

type scheduleBlock struct {
	Name          string
	Timezone      string
	TimezoneRange hcl.Range
	Rotations     []rotationBlock
	Overrides     []overrideBlock
	DefRange      hcl.Range
}

type rotationBlock struct {
	Name          string
	Users         hcl.Expression
	Every         string
	EveryRange    hcl.Range
	Start         string
	StartRange    hcl.Range
	OnCall        *int
	OnCallRange   hcl.Range
	Timezone      string
	TimezoneRange hcl.Range
	Restrict      []restrictBlock
	DefRange      hcl.Range
}

type restrictBlock struct {
	Days      hcl.Expression
	From      string
	FromRange hcl.Range
	To        string
	ToRange   hcl.Range
	DefRange  hcl.Range
}

type overrideBlock struct {
	User      string
	UserRange hcl.Range
	From      string
	FromRange hcl.Range
	To        string
	ToRange   hcl.Range
	DefRange  hcl.Range
}

type escalationBlock struct {
	Name             string
	Steps            []stepBlock
	Repeat           int
	RepeatRange      hcl.Range
	RepeatAfter      string
	RepeatAfterRange hcl.Range
	LastResort       string
	LastResortRange  hcl.Range
	DefRange         hcl.Range
}

type stepBlock struct {
	After      string
	AfterRange hcl.Range
	Notify     hcl.Expression
	DefRange   hcl.Range
}

type serviceBlock struct {
	Name            string
	Escalation      string
	EscalationRange hcl.Range
	Match           hcl.Expression
	GroupBy         hcl.Expression
	Subscribers     hcl.Expression
	Responders      string
	RespondersRange hcl.Range
	KnownLabels     hcl.Expression
	MatchAny        hcl.Expression
	Owner           string
	OwnerRange      hcl.Range
	// Incident command: severity rules and manager rotation.
	Severity           hcl.Expression
	SeverityLabel      string
	SeverityLabelRange hcl.Range
	Managers           string
	ManagersRange      hcl.Range
	Storm              *stormBlock
	Flapping           *flapBlock
	DefRange           hcl.Range
}

type heartbeatBlock struct {
	Name         string
	Every        string
	EveryRange   hcl.Range
	Grace        string
	GraceRange   hcl.Range
	Service      string
	ServiceRange hcl.Range
	Integrations hcl.Expression
	Labels       hcl.Expression
	Summary      string
	SummaryRange hcl.Range
	DefRange     hcl.Range
}
