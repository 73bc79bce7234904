package command_test

import (
	"testing"
	"time"

	"github.com/pagerd/pagerd/command"
	"github.com/pagerd/pagerd/incident"
)

func TestClocks(t *testing.T) {
	cfg := loadConfig(t, matrixConfig) // defaults: SEV1 30m, SEV2 1h, SEV3 4h; a manager for SEV1 and SEV2 within 5m
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	tests := []struct {
		name        string
		inc         incident.Incident
		nextUpdate  time.Time
		managerAt   time.Time
		overdueView bool // at t0+45m
	}{
		{"SEV1 just opened", incident.Incident{Status: incident.Triggered, CreatedAt: t0, Severity: "SEV1", SeverityAt: t0},
			at(30 * time.Minute), at(5 * time.Minute), true},
		{"SEV1 with a manager and an update at +20m", incident.Incident{Status: incident.Acknowledged, CreatedAt: t0, Severity: "SEV1",
			SeverityAt: t0, Roles: map[incident.Role]string{incident.RoleManager: "dana"}, LastUpdateAt: at(20 * time.Minute)},
			at(50 * time.Minute), time.Time{}, false},
		{"raised to SEV2 at +10m: the clocks start again", incident.Incident{Status: incident.Triggered, CreatedAt: t0, Severity: "SEV2",
			SeverityAt: at(10 * time.Minute)}, at(70 * time.Minute), at(15 * time.Minute), false},
		{"SEV4: no rhythm, no manager needed", incident.Incident{Status: incident.Triggered, CreatedAt: t0, Severity: "SEV4", SeverityAt: t0},
			time.Time{}, time.Time{}, false},
		{"no severity", incident.Incident{Status: incident.Triggered, CreatedAt: t0}, time.Time{}, time.Time{}, false},
		{"resolved", incident.Incident{Status: incident.Resolved, CreatedAt: t0, Severity: "SEV1", SeverityAt: t0}, time.Time{}, time.Time{}, false},
		{"folded into a storm", incident.Incident{Status: incident.Triggered, CreatedAt: t0, Severity: "SEV1", SeverityAt: t0, FoldedInto: 7},
			time.Time{}, time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inc := tt.inc
			if got := command.NextUpdateAt(cfg, &inc); !got.Equal(tt.nextUpdate) {
				t.Errorf("NextUpdateAt = %v, want %v", got, tt.nextUpdate)
			}
			if got := command.ManagerNeededAt(cfg, &inc); !got.Equal(tt.managerAt) {
				t.Errorf("ManagerNeededAt = %v, want %v", got, tt.managerAt)
			}
			if !tt.nextUpdate.IsZero() {
				if got := command.OverdueAt(cfg, &inc); !got.Equal(tt.nextUpdate.Add(10 * time.Minute)) {
					t.Errorf("OverdueAt = %v, want 10m after %v", got, tt.nextUpdate)
				}
			}
			if got := command.ViewOf(cfg, &inc, at(45*time.Minute)).UpdateOverdue; got != tt.overdueView {
				t.Errorf("ViewOf(+45m).UpdateOverdue = %v, want %v", got, tt.overdueView)
			}
		})
	}
}
