package policies

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// pageName is what a status page may be called: it is the last part of
// its URL (/status/NAME).
var pageName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// e164Number is a phone number as Twilio takes it.
var e164Number = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)

// maxComponentName bounds a component's name: it is a heading on a phone.
const maxComponentName = 64

// defaultComponentStates gives the most severe severity a major outage,
// the next a partial one, and the rest degraded performance.
func defaultComponentStates(sevs []string) map[string]string {
	out := map[string]string{}
	for i, s := range sevs {
		switch i {
		case 0:
			out[s] = StateMajor
		case 1:
			out[s] = StatePartial
		default:
			out[s] = StateDegraded
		}
	}
	return out
}

// components compiles the `component "NAME"` blocks, once services are
// known.
func (l *loader) components(cfg *Config, blocks []*hcl.Block) {
	names := map[string]hcl.Range{}
	ids := map[string]string{}
	for _, hb := range blocks {
		b := l.block(hb, append(required("services"), attrs("group", "description")...))
		name := b.Label()
		if !l.unique(names, "component", name, hb.DefRange) {
			continue
		}
		c := &Component{Name: name, ID: ComponentID(name)}
		switch {
		case strings.TrimSpace(name) != name || name == "" || strings.ContainsFunc(name, unicode.IsControl):
			l.errorf(hb.LabelRanges[0], "Invalid component name",
				"Component %q: a name is what customers read; no control characters, nor spaces around it.", name)
		case len([]rune(name)) > maxComponentName:
			l.errorf(hb.LabelRanges[0], "Invalid component name", "Component %q is longer than %d characters.", name, maxComponentName)
		case c.ID == "":
			l.errorf(hb.LabelRanges[0], "Invalid component name", "Component %q needs a letter or a digit: its id is made of them.", name)
		case ids[c.ID] != "":
			l.errorf(hb.LabelRanges[0], "Duplicate component id",
				"Components %q and %q both have the id %q (their names in lower case, punctuation made '-'): rename one.", ids[c.ID], name, c.ID)
		default:
			ids[c.ID] = name
		}
		c.Group, _ = b.String("group")
		if strings.ContainsFunc(c.Group, unicode.IsControl) {
			l.errorf(b.Attr("group"), "Invalid group", "group %q has control characters.", c.Group)
		}
		c.Description, _ = b.String("description")
		services, ranges, ok := b.Strings("services")
		if ok && len(services) == 0 {
			l.errorf(b.Attr("services"), "Empty list", "services must name at least one service: incidents of it affect the component.")
		}
		for i, s := range services {
			if cfg.Service(s) == nil {
				l.errorf(ranges[i], "Unknown service", "No service %q is defined.", s)
				continue
			}
			c.Services = append(c.Services, s)
		}
		cfg.Components = append(cfg.Components, c)
	}
}

// statusPages compiles the `status_page "NAME"` blocks, once components,
// severities, rooms and services are known.
func (l *loader) statusPages(cfg *Config, blocks []*hcl.Block) {
	names := map[string]hcl.Range{}
	onPage := map[string]bool{}
	for _, hb := range blocks {
		b := l.block(hb, append(required("title", "components"),
			attrs("public", "public_url", "auto_publish", "prompt", "component_state", "subscriptions", "sms_from", "rooms", "timezone")...),
			hcl.BlockHeaderSchema{Type: "mastodon"}, hcl.BlockHeaderSchema{Type: "reports"})
		if !l.unique(names, "status page", b.Label(), hb.DefRange) {
			continue
		}
		p := &StatusPage{Name: b.Label(), Public: true, Location: time.UTC,
			ComponentState: defaultComponentStates(cfg.Command.Severities)}
		if !pageName.MatchString(p.Name) {
			l.errorf(hb.LabelRanges[0], "Invalid name",
				"Status page %q: its name is part of its URL (/status/NAME): use lower-case letters, digits and '-' only.", p.Name)
		}
		var titleRange hcl.Range
		p.Title, titleRange = b.String("title")
		if present(titleRange) && (strings.TrimSpace(p.Title) == "" || strings.ContainsFunc(p.Title, unicode.IsControl)) {
			l.errorf(titleRange, "Invalid title", "title must be text readers see, without control characters.")
		}
		comps, ranges, ok := b.Strings("components")
		if ok && len(comps) == 0 {
			l.errorf(b.Attr("components"), "Empty list", "components must name at least one component.")
		}
		for i, name := range comps {
			switch {
			case cfg.Component(name) == nil:
				l.errorf(ranges[i], "Unknown component", `No component %q is defined; add component %q { services = [...] }.`, name, name)
			case slices.Contains(p.Components, name):
				l.errorf(ranges[i], "Duplicate component", "Component %q is already on status page %q.", name, p.Name)
			default:
				p.Components = append(p.Components, name)
				onPage[name] = true
			}
		}
		if v, _, ok := b.value("public", cty.Bool); ok {
			p.Public = v.True()
		}
		p.PublicURL = cfg.Settings.PublicURL + "/status/" + p.Name
		if s, r := b.String("public_url"); present(r) {
			u, err := url.Parse(s)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
				l.errorf(r, "Invalid URL", `public_url = %q is not an http(s) URL without a query; write it like "https://status.example.com".`, s)
			}
			p.PublicURL = strings.TrimRight(s, "/")
		}
		if p.Public && len(cfg.Command.Severities) > 1 {
			p.Prompt = cfg.Command.Severities[1]
		}
		if s, r := b.String("prompt"); present(r) {
			p.Prompt = ""
			if s != "" && l.knownSeverity(cfg, s, r) {
				p.Prompt = s
			}
		}
		if s, r := b.String("auto_publish"); present(r) && l.knownSeverity(cfg, s, r) {
			p.AutoPublish = s
		}
		if b.Written("component_state") {
			for _, kv := range l.stringMap(b.expr("component_state"), "component_state") {
				if !l.knownSeverity(cfg, kv.key, kv.keyRange) {
					continue
				}
				if !slices.Contains(ComponentStates[1:], kv.value) {
					l.errorf(kv.valueRange, "Invalid component state", "component_state %s = %q: use %s.",
						kv.key, kv.value, orList(quoted(ComponentStates[1:])))
					continue
				}
				p.ComponentState[kv.key] = kv.value
			}
		}
		l.subscriptions(cfg, p, b)
		if b.Written("rooms") {
			p.Rooms = l.targets(cfg, b.expr("rooms"), "rooms", false, func(c *ChannelSpec) bool { return c.Updates })
		}
		if s, r := b.String("timezone"); present(r) {
			p.Location = l.location(s, r, time.UTC)
		}
		for i, mb := range b.blocks("mastodon") {
			if i > 0 {
				l.errorf(mb.DefRange, "Duplicate mastodon block", "Status page %q posts to one Mastodon account.", p.Name)
				continue
			}
			p.Mastodon = l.mastodon(mb)
		}
		for i, rb := range b.blocks("reports") {
			if i > 0 {
				l.errorf(rb.DefRange, "Duplicate reports block", "Status page %q has one reports block.", p.Name)
				continue
			}
			p.Reports = l.reports(cfg, rb)
		}
		cfg.StatusPages = append(cfg.StatusPages, p)
	}
	for _, c := range cfg.Components {
		if !onPage[c.Name] && len(blocks) > 0 {
			l.warnf(nil, "Component on no page", "Component %q is on no status_page's components: nobody sees it.", c.Name)
		}
	}
}

// subscriptions reads what readers of p may subscribe with: e-mail by
// default when pagerd can send it.
func (l *loader) subscriptions(cfg *Config, p *StatusPage, b *Block) {
	smtp := cfg.Block("smtp") != nil
	if smtp {
		p.Subscriptions = []string{SubscribeEmail}
	}
	if kinds, ranges, ok := b.Strings("subscriptions"); ok {
		p.Subscriptions = nil
		for i, k := range kinds {
			switch {
			case !slices.Contains(SubscriptionKinds, k):
				l.errorf(ranges[i], "Invalid subscription", "subscriptions = %q: use %s.", k, orList(quoted(SubscriptionKinds)))
				continue
			case slices.Contains(p.Subscriptions, k):
				l.errorf(ranges[i], "Duplicate subscription", "%q is already listed.", k)
				continue
			case k == SubscribeEmail && !smtp:
				l.warnf(ranges[i].Ptr(), "Email subscriptions without email",
					"Status page %q offers email subscriptions, but no smtp block is configured (or it is switched off): subscribing by email is refused until one is.", p.Name)
			case k == SubscribeSMS && cfg.Block("twilio") == nil:
				l.warnf(ranges[i].Ptr(), "SMS subscriptions without Twilio",
					"Status page %q offers SMS subscriptions, but no twilio block is configured (or it is switched off): subscribing by SMS is refused until one is.", p.Name)
			}
			p.Subscriptions = append(p.Subscriptions, k)
		}
	}
	s, r := b.String("sms_from")
	if present(r) {
		if !e164Number.MatchString(s) {
			l.errorf(r, "Invalid phone number", `sms_from = %q is not an E.164 number; write it like "+15550000000".`, s)
		}
		p.SMSFrom = s
	}
	if p.Offers(SubscribeSMS) && !present(r) {
		l.errorf(b.Attr("subscriptions"), "SMS subscriptions need a number",
			`Status page %q offers SMS subscriptions: set sms_from = "+1555..." to a Twilio number of its own, whose incoming messages go to <public_url>/status/%s/sms (STOP replies), not to the paging number's.`,
			p.Name, p.Name)
	}
}

// mastodon reads a page's Mastodon account; nil when its token is unset
// (a warning says so) or the block is invalid.
func (l *loader) mastodon(hb *hcl.Block) *Mastodon {
	b := l.block(hb, append(required("server", "token"), attrs("visibility")...))
	m := &Mastodon{Visibility: "public"}
	server, r := b.String("server")
	u, err := url.Parse(server)
	if present(r) && (err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || (u.Path != "" && u.Path != "/")) {
		l.errorf(r, "Invalid URL", `server = %q is not a server's address; write it like "https://mastodon.social".`, server)
	}
	m.Server = strings.TrimRight(server, "/")
	if v, r := b.String("visibility"); present(r) {
		if !slices.Contains([]string{"public", "unlisted", "private"}, v) {
			l.errorf(r, "Invalid visibility", `visibility = %q: use "public", "unlisted" or "private".`, v)
		}
		m.Visibility = v
	}
	tok, ok := b.Secret("token")
	if !ok {
		return nil
	}
	if !tok.Set {
		l.warnf(hb.DefRange.Ptr(), "Mastodon disabled", "token %s %s, so public updates are not posted to %s.", tok.Source, tok.Missing(), m.Server)
		return nil
	}
	m.Token = tok.Value
	return m
}

// reports reads a page's "report a problem" form.
func (l *loader) reports(cfg *Config, hb *hcl.Block) *Reports {
	b := l.block(hb, attrs("service", "rate_limit"))
	r := &Reports{RateLimit: DefaultReportRate}
	if s, sr := b.String("service"); present(sr) {
		if cfg.Service(s) == nil {
			l.errorf(sr, "Unknown service", "No service %q is defined.", s)
		}
		r.Service = s
	}
	if s, rr := b.String("rate_limit"); present(rr) {
		rate, err := ParseRate(s)
		if err != nil {
			l.errorf(rr, "Invalid rate", "rate_limit: %s.", err)
		} else {
			r.RateLimit = rate
		}
	}
	return r
}

func quoted(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = `"` + s + `"`
	}
	return out
}
