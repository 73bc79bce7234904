package policies

import (
	"maps"
	"regexp"
	"slices"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/prometheus/common/model"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// minHeartbeatEvery keeps a heartbeat from turning into a poll: a sender
// that beats more often than once a minute is a monitor, not a job.
const minHeartbeatEvery = time.Minute

// heartbeatName is what a heartbeat's name may hold: it is one segment of
// the URL it is beaten at.
var heartbeatName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// heartbeatLabels are the labels every missed heartbeat's alert carries.
const (
	HeartbeatAlertName = "HeartbeatMissed"
	HeartbeatLabel     = "heartbeat"
)

func (l *loader) heartbeats(cfg *Config, blocks []heartbeatBlock) {
	names := map[string]hcl.Range{}
	beaters := false
	for _, in := range cfg.Integrations {
		beaters = beaters || in.Type == HeartbeatIntegration
	}
	for i := range blocks {
		b := &blocks[i]
		if !l.unique(names, "heartbeat", b.Name, b.DefRange) {
			continue
		}
		if !heartbeatName.MatchString(b.Name) {
			l.errorf(b.DefRange, "Invalid heartbeat name",
				`%q cannot be beaten at /v1/heartbeats/NAME: use letters, digits, ".", "_" and "-", starting with a letter or digit.`, b.Name)
		}
		h := &Heartbeat{Name: b.Name, Service: b.Service, Summary: b.Summary, Labels: map[string]string{}}
		var ok bool
		if h.Every, ok = l.duration(b.Every, b.EveryRange, "every", 0); ok && h.Every < minHeartbeatEvery {
			l.errorf(b.EveryRange, "Invalid duration",
				`every = %q is shorter than 1m: a heartbeat expects a job or a pipeline, not a poll.`, b.Every)
		}
		// A job is never exactly on time: without a grace, one a second
		// late would page. A tenth of the period, by default.
		h.Grace, _ = l.duration(b.Grace, b.GraceRange, "grace", (h.Every / 10).Round(time.Second))
		if cfg.declaredService(b.Service) == nil {
			l.errorf(b.ServiceRange, "Unknown service", "No service %q is defined.", b.Service)
		}
		if written(b.Integrations) {
			vals, ranges, ok := l.stringList(b.Integrations, "integrations")
			if ok && len(vals) == 0 {
				l.errorf(b.Integrations.Range(), "Empty list",
					"integrations must name at least one integration; leave it out to let integrations of type %q beat it.", HeartbeatIntegration)
			}
			for j, v := range vals {
				if in := cfg.Integration(v); in == nil {
					l.errorf(ranges[j], "Unknown integration", "No integration %q is defined.", v)
				}
				h.Integrations = append(h.Integrations, v)
			}
		} else if !beaters {
			l.errorf(b.DefRange, "Heartbeat nobody can beat",
				`No integration may beat heartbeat %q, so it would always be missed: add an integration of type %q, or list the integrations that beat it in integrations = [...].`,
				b.Name, HeartbeatIntegration)
		}
		l.heartbeatLabels(b, h)
		cfg.Heartbeats = append(cfg.Heartbeats, h)
	}
}

// heartbeatLabels reads the labels a missed beat's alert adds.
func (l *loader) heartbeatLabels(b *heartbeatBlock, h *Heartbeat) {
	if !written(b.Labels) {
		return
	}
	v, diags := b.Labels.Value(l.ctx)
	l.diags = append(l.diags, diags...)
	if diags.HasErrors() {
		return
	}
	m, err := convert.Convert(v, cty.Map(cty.String))
	if err != nil || m.IsNull() {
		l.errorf(b.Labels.Range(), "Invalid value", `labels must be an object of strings, such as { severity = "critical" }.`)
		return
	}
	// Point at the label's name where it is written as { name = ... }.
	where := map[string]hcl.Range{}
	if obj, ok := b.Labels.(*hclsyntax.ObjectConsExpr); ok {
		for _, item := range obj.Items {
			if k, d := item.KeyExpr.Value(nil); !d.HasErrors() && k.Type() == cty.String && k.IsKnown() && !k.IsNull() {
				where[k.AsString()] = item.KeyExpr.Range()
			}
		}
	}
	vals := m.AsValueMap()
	for _, name := range slices.Sorted(maps.Keys(vals)) {
		r, ok := where[name]
		if !ok {
			r = b.Labels.Range()
		}
		switch val := vals[name]; {
		case !model.LegacyValidation.IsValidLabelName(name):
			l.errorf(r, "Invalid label name",
				`%q is not a label name: write it like "severity" (letters, digits and _, not first a digit).`, name)
		case name == HeartbeatLabel:
			l.errorf(r, "Reserved label",
				`The label %q names the heartbeat itself (%q); choose another name.`, name, b.Name)
		case !val.IsNull() && val.AsString() != "":
			h.Labels[name] = val.AsString()
		}
	}
}
