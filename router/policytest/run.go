package policytest

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router/escalation"
	"github.com/pagerd/pagerd/router/ingest"
)

// Result is how one case went.
type Result struct {
	Case *Case
	// Failures say what differs from what the case expects, each at the
	// expectation it breaks; none when the case passed.
	Failures hcl.Diagnostics
}

// Passed reports whether the case holds.
func (r Result) Passed() bool { return len(r.Failures) == 0 }

// Run checks every case of the suite against cfg.
func (s *Suite) Run(cfg *policies.Config) []Result {
	out := make([]Result, 0, len(s.Cases))
	for _, tc := range s.Cases {
		out = append(out, Result{Case: tc, Failures: check(cfg, tc)})
	}
	return out
}

// check runs one case.
func check(cfg *policies.Config, tc *Case) hcl.Diagnostics {
	f := &failures{tc: tc}
	labels, in, ok := alertOf(cfg, tc, f)
	if !ok {
		return f.diags
	}
	pv := escalation.PreviewAlert(cfg, in, labels, tc.At)
	e := tc.Expect
	svc, pol := "", ""
	if pv.Service != nil {
		svc, pol = pv.Service.Name, pv.Service.Escalation
	}
	if e.Service != nil && e.Service.Want != svc {
		switch {
		case svc == "":
			f.add(e.Service.Range, "no service takes the alert (it would be stored as unrouted and page nobody); want service %q", e.Service.Want)
		case e.Service.Want == "":
			f.add(e.Service.Range, "service %q takes the alert; want none (unrouted)", svc)
		default:
			f.add(e.Service.Range, "service %q takes the alert; want %q", svc, e.Service.Want)
		}
	}
	if e.Owner != nil {
		owner := ""
		if pv.Service != nil && pv.Service.Owner != "" {
			owner = "team:" + pv.Service.Owner
		}
		if owner != e.Owner.Want {
			f.add(e.Owner.Range, "the alert's owner is %s; want %s", orNone(owner), orNone(e.Owner.Want))
		}
	}
	if e.Escalation != nil && e.Escalation.Want != pol {
		f.add(e.Escalation.Range, "escalation %s pages for it; want %q", orNone(pol), e.Escalation.Want)
	}
	if e.Held != nil && e.Held.Want != pv.Held {
		f.add(e.Held.Range, "it is held by %s; want %s", orNone(pv.Held), orNone(e.Held.Want))
	}
	if e.Steps != nil && e.Steps.Want != len(pv.Plan.Steps) {
		f.add(e.Steps.Range, "%d steps start, every round together; want %d", len(pv.Plan.Steps), e.Steps.Want)
	}
	for _, p := range e.Pages {
		checkPage(f, pv, p)
	}
	if x := e.Exhausted; x != nil {
		if pv.Plan.Exhausted.IsZero() {
			f.add(x.Range, "the alert starts no escalation, so none runs out")
		} else {
			if x.After != nil && pv.Plan.Exhausted.Sub(tc.At) != x.After.Want {
				f.add(x.After.Range, "the escalation runs out %s after the alert (%s); want %s",
					pv.Plan.Exhausted.Sub(tc.At), clock(pv.Plan.Exhausted, tc.At), x.After.Want)
			}
			if x.LastResort != nil && !slices.Equal(names(pv.LastResort), names(x.LastResort.Want)) {
				why := ""
				if pv.LastResortWhy != "" {
					why = " (" + pv.LastResortWhy + ")"
				}
				f.add(x.LastResort.Range, "its end pages %s%s; want %s", people(pv.LastResort), why, people(x.LastResort.Want))
			}
		}
	}
	return f.diags
}

// checkPage holds one step of one round to what p expects.
func checkPage(f *failures, pv escalation.Preview, p Page) {
	var step *escalation.Step
	for i := range pv.Plan.Steps {
		if s := &pv.Plan.Steps[i]; s.Round == p.Round-1 && s.Index == p.Step-1 {
			step = s
		}
	}
	if step == nil {
		switch {
		case pv.Service == nil:
			f.add(p.Range, "nobody is paged: no service takes the alert")
		case pv.Policy == nil || len(pv.Policy.Steps) == 0:
			f.add(p.Range, "nobody is paged: service %q has no escalation policy", pv.Service.Name)
		default:
			f.add(p.Range, "escalation %s has no step %d of round %d: it has %s and runs %s",
				pv.Policy.Name, p.Step, p.Round, plural(len(pv.Policy.Steps), "step"), plural(pv.Policy.Repeat+1, "round"))
		}
		return
	}
	at := clock(step.Start, f.tc.At)
	if p.Users != nil && !slices.Equal(names(step.People), names(p.Users.Want)) {
		f.add(p.Users.Range, "step %d of round %d (%s) pages %s; want %s", p.Step, p.Round, at, people(step.People), people(p.Users.Want))
	}
	if p.Destinations != nil {
		var got []string
		for _, d := range step.Destinations {
			got = append(got, d.String())
		}
		if !slices.Equal(names(got), names(p.Destinations.Want)) {
			f.add(p.Destinations.Range, "step %d of round %d notifies %s; want %s", p.Step, p.Round, destinations(got), destinations(p.Destinations.Want))
		}
	}
	if p.After != nil && step.Start.Sub(f.tc.At) != p.After.Want {
		f.add(p.After.Range, "step %d of round %d starts %s after the alert (%s); want %s", p.Step, p.Round, step.Start.Sub(f.tc.At), at, p.After.Want)
	}
}

// alertOf is the alert a case sends: its labels, or what its integration
// makes of its body — the first alert of it that fires.
func alertOf(cfg *policies.Config, tc *Case, f *failures) (map[string]string, *policies.Integration, bool) {
	if tc.Integration == "" {
		return tc.Labels, nil, true
	}
	in := cfg.Integration(tc.Integration)
	if in == nil {
		var all []string
		for _, i := range cfg.Integrations {
			all = append(all, fmt.Sprintf("%q", i.Name))
		}
		f.add(tc.IntegRange, "no integration %q in the config; it has %s", tc.Integration, strings.Join(all, ", "))
		return nil, nil, false
	}
	if tc.Body == nil {
		return tc.Labels, in, true
	}
	_, batch, err := ingest.DecodeAs(in.Type, tc.Body, ingest.Options{Now: tc.At, ResolveTimeout: cfg.Settings.ResolveTimeout, Integration: in})
	switch {
	case errors.Is(err, ingest.ErrNoFormat):
		f.add(tc.IntegRange, "integration %q is of type %s, which posts no alerts", in.Name, in.Type)
		return nil, nil, false
	case err != nil:
		hint := ""
		if !jsonBody(tc.Body) {
			hint = " (the body is not JSON)"
		}
		f.add(tc.IntegRange, "integration %q would refuse the body%s: %v", in.Name, hint, err)
		return nil, nil, false
	}
	for _, a := range batch.Alerts {
		if a.Action == incident.AlertTrigger {
			return a.Labels, in, true
		}
	}
	if len(batch.Rejected) > 0 {
		f.add(tc.IntegRange, "integration %q would refuse the body's alert: %v", in.Name, batch.Rejected[0])
		return nil, nil, false
	}
	f.add(tc.IntegRange, "the body fires no alert through integration %q (it resolves or acknowledges, or holds none)", in.Name)
	return nil, nil, false
}

// failures gathers one case's failures.
type failures struct {
	tc    *Case
	diags hcl.Diagnostics
}

func (f *failures) add(r hcl.Range, format string, args ...any) {
	f.diags = append(f.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  fmt.Sprintf("Test %q failed", f.tc.Name),
		Detail:   capitalize(fmt.Sprintf(format, args...)) + ".",
		Subject:  r.Ptr(),
	})
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// people renders a list of names for a message: "alice, bob", or nobody.
func people(s []string) string {
	if len(s) == 0 {
		return "nobody"
	}
	return strings.Join(names(s), ", ")
}

// destinations renders a list of destinations for a message.
func destinations(s []string) string {
	if len(s) == 0 {
		return "no destination"
	}
	return strings.Join(names(s), ", ")
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return fmt.Sprintf("%q", s)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// clock shows t in the zone the case's time is written in.
func clock(t, ref time.Time) string {
	return t.In(ref.Location()).Format("Mon 2 Jan 15:04 MST")
}

// Summary is one line about the results: "policy tests: 12 passed", or
// "policy tests: 1 of 12 failed".
func Summary(results []Result) string {
	failed := 0
	for _, r := range results {
		if !r.Passed() {
			failed++
		}
	}
	if failed == 0 {
		return fmt.Sprintf("policy tests: %d passed", len(results))
	}
	return fmt.Sprintf("policy tests: %d of %d failed", failed, len(results))
}

// Write reports results for people: each failed case as "FAIL file:line
// name" and its failures quoted from the test files; with verbose, each
// passed case as "ok   file:line name"; then the summary. It returns how
// many failed.
func Write(w io.Writer, s *Suite, results []Result, verbose bool) (failed int, err error) {
	for _, r := range results {
		where := fmt.Sprintf("%s:%d", r.Case.Range.Filename, r.Case.Range.Start.Line)
		if r.Passed() {
			if verbose {
				fmt.Fprintf(w, "ok   %s %s\n", where, r.Case.Name)
			}
			continue
		}
		failed++
		fmt.Fprintf(w, "FAIL %s %s\n\n", where, r.Case.Name)
		if err := policies.WriteDiagnostics(w, s.Files, r.Failures); err != nil {
			return failed, err
		}
	}
	_, err = fmt.Fprintln(w, Summary(results))
	return failed, err
}
