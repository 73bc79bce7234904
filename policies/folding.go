package policies

import (
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// Storm is a service's storm folding: once more than Incidents new
// incidents opened within Window, the next ones fold into one storm
// incident, which pages once, until none has come for Window. A network
// partition or a dependency going down opens dozens of incidents at once;
// the people on call need one page that says so, not dozens.
type Storm struct {
	Incidents int // more than this many new incidents start a storm; 0: never
	Window    time.Duration
}

// Flapping is a service's flap folding: an alert that changed between
// firing and resolved more than Changes times within Window is flapping.
// Its next firing pages once, saying so; its flips stay on that incident
// without paging again, and it resolves only once it stayed resolved for
// Hold.
type Flapping struct {
	Changes int // more than this many changes make an alert flapping; 0: never
	Window  time.Duration
	Hold    time.Duration
}

// The defaults of the `storm` and `flapping` blocks; docs/config.md says
// where they come from.
var (
	DefaultStorm    = Storm{Incidents: 5, Window: 5 * time.Minute}
	DefaultFlapping = Flapping{Changes: 4, Window: time.Hour, Hold: 15 * time.Minute}
)

// Lower bounds of the folding durations: below them a storm or a flap
// could not be told from alerts that merely arrive together.
const (
	minStormWindow = time.Minute
	minFlapWindow  = time.Minute
	minFlapHold    = time.Minute
)

// On reports whether storm folding is switched on.
func (s Storm) On() bool { return s.Incidents > 0 }

// On reports whether flap folding is switched on.
func (f Flapping) On() bool { return f.Changes > 0 }

func (s Storm) String() string {
	if !s.On() {
		return "off"
	}
	return fmt.Sprintf("more than %d new incidents within %s fold into one storm incident, until none comes for %s",
		s.Incidents, shortDuration(s.Window), shortDuration(s.Window))
}

func (f Flapping) String() string {
	if !f.On() {
		return "off"
	}
	return fmt.Sprintf("an alert changing state more than %d times within %s is flapping: it pages once, and resolves once it stayed resolved for %s",
		f.Changes, shortDuration(f.Window), shortDuration(f.Hold))
}

// shortDuration writes d without zero units: "5m", "1h", "1h30m".
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// stormBlock and flapBlock are the `storm` and `flapping` blocks of the
// pagerd block (the defaults) and of a service; an attribute left out
// keeps the value from above.
type stormBlock struct {
	Incidents      int
	IncidentsRange hcl.Range
	Window         string
	WindowRange    hcl.Range
}

type flapBlock struct {
	Changes      int
	ChangesRange hcl.Range
	Window       string
	WindowRange  hcl.Range
	Hold         string
	HoldRange    hcl.Range
}

// foldingHeaders are the nested blocks decodeFolding reads.
var foldingHeaders = []hcl.BlockHeaderSchema{{Type: "storm"}, {Type: "flapping"}}

// decodeFolding reads the `storm` and `flapping` blocks nested in b, at
// most one of each.
func (l *loader) decodeFolding(b *Block) (*stormBlock, *flapBlock) {
	var storm *stormBlock
	var flap *flapBlock
	seen := map[string]*hcl.Block{}
	for _, nb := range b.c.Blocks {
		if first := seen[nb.Type]; first != nil {
			l.errorf(nb.DefRange, "Duplicate "+nb.Type+" block",
				"Only one %s block is allowed here; the first is at %s.", nb.Type, at(first.DefRange))
			continue
		}
		seen[nb.Type] = nb
		switch nb.Type {
		case "storm":
			s := l.block(nb, attrs("incidents", "window"))
			storm = &stormBlock{}
			storm.IncidentsRange = s.int("incidents", &storm.Incidents)
			storm.WindowRange = s.str("window", &storm.Window)
		case "flapping":
			f := l.block(nb, attrs("changes", "window", "hold"))
			flap = &flapBlock{}
			flap.ChangesRange = f.int("changes", &flap.Changes)
			flap.WindowRange = f.str("window", &flap.Window)
			flap.HoldRange = f.str("hold", &flap.Hold)
		}
	}
	return storm, flap
}

// storm compiles a storm block over the values it inherits.
func (l *loader) storm(b *stormBlock, inherit Storm) Storm {
	s := inherit
	if b == nil {
		return s
	}
	if present(b.IncidentsRange) {
		if b.Incidents < 0 {
			l.errorf(b.IncidentsRange, "Invalid number", "incidents = %d must not be negative (0 turns storm folding off).", b.Incidents)
		}
		s.Incidents = b.Incidents
	}
	if d, ok := l.duration(b.Window, b.WindowRange, "window", s.Window); ok {
		if present(b.WindowRange) && d < minStormWindow {
			l.errorf(b.WindowRange, "Invalid duration",
				"window = %q is shorter than 1m: incidents of one cause arrive over minutes (Alertmanager's group_interval is 5m).", b.Window)
		}
		s.Window = d
	}
	return s
}

// flapping compiles a flapping block over the values it inherits.
func (l *loader) flapping(b *flapBlock, inherit Flapping) Flapping {
	f := inherit
	if b == nil {
		return f
	}
	if present(b.ChangesRange) {
		if b.Changes < 0 {
			l.errorf(b.ChangesRange, "Invalid number", "changes = %d must not be negative (0 turns flap folding off).", b.Changes)
		}
		f.Changes = b.Changes
	}
	if d, ok := l.duration(b.Window, b.WindowRange, "window", f.Window); ok {
		if present(b.WindowRange) && d < minFlapWindow {
			l.errorf(b.WindowRange, "Invalid duration", "window = %q is shorter than 1m: flips are counted over a longer stretch than one alert's repeat.", b.Window)
		}
		f.Window = d
	}
	if d, ok := l.duration(b.Hold, b.HoldRange, "hold", f.Hold); ok {
		if present(b.HoldRange) && d < minFlapHold {
			l.errorf(b.HoldRange, "Invalid duration", "hold = %q is shorter than 1m: a flapping alert would resolve between two of its flips.", b.Hold)
		}
		f.Hold = d
	}
	return f
}
