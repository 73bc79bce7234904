package policies_test

import (
	"testing"
	"time"

	. "github.com/pagerd/pagerd/policies"
)

// A service folds as the pagerd block says unless its own blocks say
// otherwise, attribute by attribute; without either, the defaults hold.
func TestFoldingInheritsAndOverrides(t *testing.T) {
	const services = `
user "alice" {}
escalation "e" {
  step { notify = ["user:alice"] }
}
service "own" {
  escalation = "e"
  match      = ["service=own"]
  storm { incidents = 20 }
  flapping {
    changes = 0
    hold    = "30m"
  }
}
service "rest" { escalation = "e" }
`
	tests := []struct {
		name        string
		pagerd      string
		own, rest   Storm
		ownF, restF Flapping
	}{
		{
			name: "defaults", pagerd: "",
			own: Storm{20, 5 * time.Minute}, rest: DefaultStorm,
			ownF: Flapping{0, time.Hour, 30 * time.Minute}, restF: DefaultFlapping,
		},
		{
			name: "global settings",
			pagerd: `pagerd {
  storm { window = "10m" }
  flapping {
    changes = 6
    window  = "2h"
  }
}`,
			own: Storm{20, 10 * time.Minute}, rest: Storm{5, 10 * time.Minute},
			ownF: Flapping{0, 2 * time.Hour, 30 * time.Minute}, restF: Flapping{6, 2 * time.Hour, 15 * time.Minute},
		},
		{
			name:   "switched off globally",
			pagerd: "pagerd {\n  storm { incidents = 0 }\n}\n",
			own:    Storm{20, 5 * time.Minute}, rest: Storm{0, 5 * time.Minute},
			ownF: Flapping{0, time.Hour, 30 * time.Minute}, restF: DefaultFlapping,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := mustLoad(t, tt.pagerd+services)
			own, rest := cfg.Service("own"), cfg.Service("rest")
			if own.Storm != tt.own || rest.Storm != tt.rest {
				t.Errorf("storm: own %+v, rest %+v; want %+v, %+v", own.Storm, rest.Storm, tt.own, tt.rest)
			}
			if own.Flapping != tt.ownF || rest.Flapping != tt.restF {
				t.Errorf("flapping: own %+v, rest %+v; want %+v, %+v", own.Flapping, rest.Flapping, tt.ownF, tt.restF)
			}
		})
	}
}

func TestFoldingInWords(t *testing.T) {
	tests := []struct {
		in   interface{ String() string }
		want string
	}{
		{DefaultStorm, "more than 5 new incidents within 5m fold into one storm incident, until none comes for 5m"},
		{Storm{Incidents: 0, Window: time.Minute}, "off"},
		{DefaultFlapping, "an alert changing state more than 4 times within 1h is flapping: it pages once, and resolves once it stayed resolved for 15m"},
		{Flapping{Changes: 2, Window: 90 * time.Minute, Hold: 90 * time.Second}, "an alert changing state more than 2 times within 1h30m is flapping: it pages once, and resolves once it stayed resolved for 1m30s"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.in, got, tt.want)
		}
	}
}
