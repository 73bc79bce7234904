package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
)

func TestIncidentTableListsFoldedUnderTheirStorm(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	view := func(id, into int64, title string, storm *incident.Storm, flapping bool) incidentView {
		return incidentView{Incident: incident.Incident{ID: id, Status: incident.Triggered, Service: "checkout",
			Title: title, CreatedAt: t0, FoldedInto: into, Storm: storm, Flapping: flapping, FiringCount: 1}}
	}
	incs := []incidentView{view(12, 0, "Lonely", nil, true)}
	for id := int64(11); id >= 4; id-- {
		incs = append(incs, view(id, 3, "Down"+string(rune('A'+id)), nil, false))
	}
	incs = append(incs, view(3, 0, "Alert storm in checkout", &incident.Storm{Folded: 9, Open: 8}, false),
		view(2, 99, "FoldedElsewhere", nil, false))
	var out bytes.Buffer
	if err := writeIncidentTable(&out, incs, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	want := `ID    STATUS     SEV  SERVICE   FIRING  AGE   NEXT UPDATE  TITLE
12    triggered  -    checkout  1       1m0s  -            Lonely [flapping]
3     triggered  -    checkout  1       1m0s  -            Alert storm in checkout [storm: 9 folded, 8 open]
└ 11  triggered  -    checkout  1       1m0s  -            DownL
└ 10  triggered  -    checkout  1       1m0s  -            DownK
└ 9   triggered  -    checkout  1       1m0s  -            DownJ
└ 8   triggered  -    checkout  1       1m0s  -            DownI
└ 7   triggered  -    checkout  1       1m0s  -            DownH
└ …                                                        3 more folded: pagerd show 3
2     triggered  -    checkout  1       1m0s  -            FoldedElsewhere [folded into #99]
`
	if got := out.String(); got != want {
		t.Errorf("table:\n%s\nwant:\n%s", got, want)
	}
}

func TestShowSaysWhatFoldingDid(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.Local)
	storm := incidentView{Incident: incident.Incident{ID: 3, Status: incident.Acknowledged, Service: "checkout",
		Title: "Alert storm in checkout", Summary: "2 incidents folded: DiskFull (2)",
		Storm: &incident.Storm{Folded: 2, Open: 1, LastFoldedAt: t0, Window: 5 * time.Minute}},
		Folded: []incidentView{
			{Incident: incident.Incident{ID: 5, Status: incident.Acknowledged, Title: "DiskFull host=b", FoldedInto: 3, FiringCount: 1}},
			{Incident: incident.Incident{ID: 4, Status: incident.Resolved, Title: "DiskFull host=a", FoldedInto: 3}},
		}}
	folded := incidentView{Incident: incident.Incident{ID: 5, Status: incident.Acknowledged, Title: "DiskFull host=b", FoldedInto: 3, Flapping: true}}
	tests := []struct {
		name string
		inc  incidentView
		want []string
	}{
		{"storm", storm, []string{
			"summary: 2 incidents folded: DiskFull (2)\nstorm:   2 incidents folded, 1 open; passes if no new incident comes by 2026-11-27 10:05:00\n",
			"folded incidents (2):\n  #5      acknowledged 1 firing  DiskFull host=b\n  #4      resolved     0 firing  DiskFull host=a\n",
		}},
		{"folded and flapping", folded, []string{
			"folded:  into storm #3, which pages for it (pagerd show 3)\n",
			"flapping: an alert flaps; it paged once, its flips do not page, it resolves once it stays resolved\n",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := writeIncident(&out, tc.inc); err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("show lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}
