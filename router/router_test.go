package router

import (
	"testing"

	"github.com/pagerd/pagerd/router/ingest"
)

func TestTitleAndGroupLabels(t *testing.T) {
	lset := map[string]string{"alertname": "CheckoutDown", "cluster": "eu1", "instance": "a:9090"}
	group := groupLabels([]string{"alertname", "cluster", "missing"}, lset)
	if len(group) != 3 || group["missing"] != "" || group["cluster"] != "eu1" {
		t.Errorf("groupLabels = %v", group)
	}
	tests := []struct {
		name  string
		alert ingest.Alert
		group map[string]string
		want  string
	}{
		{"alertname and group labels", ingest.Alert{Labels: lset}, group, "CheckoutDown cluster=eu1"},
		{"a sender's summary when no label names it", ingest.Alert{Labels: map[string]string{"source": "db1"},
			Annotations: map[string]string{"summary": "Disk full on db1"}}, map[string]string{}, "Disk full on db1"},
		{"the labels as a last resort", ingest.Alert{Labels: map[string]string{"job": "x"}}, map[string]string{}, `alert {job="x"}`},
	}
	for _, tc := range tests {
		if got := title(&tc.alert, tc.group); got != tc.want {
			t.Errorf("%s: title = %q, want %q", tc.name, got, tc.want)
		}
	}
}
