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
	Twilio       *twilioBlock
	SMTP         *smtpBlock
	Users        []userBlock
	Teams        []teamBlock
	Schedules    []scheduleBlock
	Escalations  []escalationBlock
	Services     []serviceBlock
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
	DefRange               hcl.Range
}

type integrationBlock struct {
	Name      string
	Type      string
	TypeRange hcl.Range
	Token     hcl.Expression
	DefRange  hcl.Range
}

type twilioBlock struct {
	AccountSID hcl.Expression
	AuthToken  hcl.Expression
	From       string
	FromRange  hcl.Range
	DefRange   hcl.Range
}

type smtpBlock struct {
	Host      string
	Port      int
	PortRange hcl.Range
	From      string
	FromRange hcl.Range
	Username  hcl.Expression
	Password  hcl.Expression
	TLS       string
	TLSRange  hcl.Range
	DefRange  hcl.Range
}

type userBlock struct {
	Name         string
	Email        string
	EmailRange   hcl.Range
	Phone        string
	PhoneRange   hcl.Range
	Notify       []notifyBlock
	ShiftNotices []shiftNoticeBlock
	DefRange     hcl.Range
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
	Name     string
	Members  hcl.Expression
	DefRange hcl.Range
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
	DefRange        hcl.Range
}
