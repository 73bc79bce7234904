package store

import (
	"regexp"
	"strings"
	"testing"
)

// A lean script runs without the wrapper that tells the engines when the
// earliest timer moved earlier (store.script), so one that writes the
// timers must say so itself — or push them later only, as a claim does.
func TestLeanScriptsWake(t *testing.T) {
	writes := regexp.MustCompile(`'Z(ADD|ADDLT)', P \.\. 'timers'`)
	for _, tc := range []struct {
		name      string
		laterOnly bool // its ZADDs only push timers later
	}{
		{name: "claim_due", laterOnly: true},
		{name: "claim_send"},
		{name: "finish_send"},
		{name: "reschedule"},
		{name: "layout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, ok := lean[tc.name]; !ok {
				t.Fatalf("%s is not lean", tc.name)
			}
			body, err := luaFiles.ReadFile("lua/" + tc.name + ".lua")
			if err != nil {
				t.Fatal(err)
			}
			src := string(body)
			if writes.MatchString(src) && !tc.laterOnly && !strings.Contains(src, "wake_if_earlier(") &&
				!strings.Contains(src, "'PUBLISH', P .. 'wake'") {
				t.Errorf("%s writes the timers and never wakes the engines", tc.name)
			}
		})
	}
	if len(lean) != 5 {
		t.Errorf("lean has %d scripts; this test knows 5", len(lean))
	}
}
