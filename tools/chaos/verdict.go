package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
)

// verdict fails the run on what the issue makes a hard requirement — a
// missed page, a lost 2xx alert (or acknowledgement), a page after an
// acknowledgement — and on the thresholds set by flags.
func (r *Report) verdict(o Options) {
	all := r.Pages[len(r.Pages)-1]
	fail := func(format string, args ...any) { r.Failures = append(r.Failures, fmt.Sprintf(format, args...)) }
	if all.Missing > 0 {
		fail("%d of %d pages missing", all.Missing, all.Expected)
	}
	if n := len(r.Alerts.Lost); n > 0 {
		fail("%d of %d alerts answered 2xx are not stored", n, r.Alerts.Sent2xx)
	}
	if n := len(r.Alerts.Gone); n > 0 {
		fail("%d incidents answered 2xx for are gone", n)
	}
	if r.Alerts.Unopened > 0 {
		fail("%d incidents never opened (no replica answered 2xx)", r.Alerts.Unopened)
	}
	if n := len(r.Acks.Lost); n > 0 {
		fail("%d acknowledgements answered 200 are not stored", n)
	}
	if all.Unexpected > 0 {
		fail("%d pages nobody should have had (due after an acknowledgement, or matching no planned page)", all.Unexpected)
	}
	if o.MaxLate > 0 && all.LateMax > o.MaxLate.Seconds() {
		fail("a page was %.1fs late, more than --max-late %s", all.LateMax, o.MaxLate)
	}
	if o.MaxDuplicates >= 0 && all.Duplicated > o.MaxDuplicates {
		fail("%d pages sent more than once, more than --max-duplicates %d", all.Duplicated, o.MaxDuplicates)
	}
	for _, rr := range r.Resume {
		if o.MaxResume > 0 && rr.Resume > o.MaxResume.Seconds() {
			fail("pages resumed %.1fs after Redis was back (fault %d), more than --max-resume %s", rr.Resume, rr.Fault+1, o.MaxResume)
		}
	}
	for i, f := range r.Faults {
		if f.Err != "" {
			fail("fault %d (%s) did not complete: %s", i+1, f.Kind, firstLine(f.Err))
		}
	}
	if r.Receivers.BadSignatures > 0 {
		fail("%d webhook deliveries with a bad signature", r.Receivers.BadSignatures)
	}
	r.Pass = len(r.Failures) == 0
	if r.Failures == nil {
		r.Failures = []string{}
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// WriteJSON writes the report as one JSON document.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes the report for people: settings, faults, alerts,
// pages per fault kind, Redis resume times, the keys that went wrong (the
// first 40 of them) and the verdict.
func (r *Report) WriteText(w io.Writer) {
	s := r.Settings
	redis := "redis-server (AOF everysec)"
	if s.Sentinel {
		redis = "Sentinel: primary, replica, 3 sentinels (AOF everysec)"
	}
	if s.WaitReplicas > 0 {
		redis += fmt.Sprintf(", wait_replicas=%d", s.WaitReplicas)
	}
	fmt.Fprintf(w, "pagerd chaos: %d replicas, %s driving, %d incidents, seed %d, %s\n",
		s.Replicas, s.Duration, s.Incidents, s.Seed, redis)
	fmt.Fprintf(w, "faults: %s\n", orNone(strings.Join(s.Schedule, " ")))
	for i, f := range r.Faults {
		line := fmt.Sprintf("  %d. +%5.1fs %-10s %s (%.1fs)", i+1, f.Start.Sub(r.Started).Seconds(), f.Kind, f.Detail, f.End.Sub(f.Start).Seconds())
		if f.Err != "" {
			line += " ERROR: " + firstLine(f.Err)
		}
		fmt.Fprintln(w, line)
	}
	a := r.Alerts
	fmt.Fprintf(w, "alerts: %d answered 2xx, %d stored, %d lost", a.Sent2xx, a.Stored, len(a.Lost))
	if len(a.Refused) > 0 {
		var parts []string
		for k, n := range a.Refused {
			parts = append(parts, fmt.Sprintf("%d %s", n, k))
		}
		sort.Strings(parts)
		fmt.Fprintf(w, "; not accepted: %s", strings.Join(parts, ", "))
	}
	fmt.Fprintf(w, "\nincidents: %d opened of %d, %d followed, %d lost\n", a.Opened, s.Incidents, a.Tracked, len(a.Gone))
	k := r.Acks
	fmt.Fprintf(w, "acknowledgements: %d planned, %d answered 200, %d stored, %d lost; %d pages raced one and were rightly not sent\n",
		k.Planned, k.Acknowledged, k.Stored, len(k.Lost), k.Raced)

	fmt.Fprintln(w, "pages (under the fault that last started before each was due, or that held up its incident; late = received - due):")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "  group\texpected\tdelivered\tmissing\tduplicated\tunexpected\tp50\tp95\tp99\tmax\t")
	for _, p := range r.Pages {
		fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t\n", p.Group, p.Expected, p.Delivered, p.Missing, p.Duplicated, p.Unexpected,
			secs(p.LateP50), secs(p.LateP95), secs(p.LateP99), secs(p.LateMax))
	}
	tw.Flush()
	for _, rr := range r.Resume {
		fmt.Fprintf(w, "redis outage (fault %d, %.1fs): %d pages held up, %d never delivered; the last went out %s after Redis answered again\n",
			rr.Fault+1, rr.Outage, rr.PagesHeld, rr.Undelivered, secs(rr.Resume))
	}
	if n := len(r.Problems); n > 0 {
		fmt.Fprintf(w, "problems (%d):\n", n)
		for i, p := range r.Problems {
			if i == 40 {
				fmt.Fprintf(w, "  ... %d more (--json lists all)\n", n-40)
				break
			}
			var at []string
			for _, t := range p.Received {
				at = append(at, fmt.Sprintf("+%.1fs", t.Sub(r.Started).Seconds()))
			}
			due := ""
			if !p.Due.IsZero() {
				due = fmt.Sprintf(" due +%.1fs", p.Due.Sub(r.Started).Seconds())
			}
			fmt.Fprintf(w, "  %-10s %-8s %s (%s, #%d)%s received [%s]", p.What, p.Group, p.Key, p.Who, p.Incident, due, strings.Join(at, " "))
			if p.What == "late" || p.What == "duplicate" {
				fmt.Fprintf(w, " late %.1fs", p.Late)
			}
			fmt.Fprintln(w)
		}
	}
	if rc := r.Receivers; len(rc.Unreadable) > 0 || rc.BadSignatures > 0 {
		fmt.Fprintf(w, "receivers: %d bad signatures, %d unreadable deliveries\n", rc.BadSignatures, len(rc.Unreadable))
	}
	for _, n := range k.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	if r.Pass {
		fmt.Fprintln(w, "PASS: no page missing, no 2xx alert lost")
		return
	}
	fmt.Fprintf(w, "FAIL: %s\n", strings.Join(r.Failures, "; "))
}

func secs(s float64) string { return fmt.Sprintf("%.2fs", s) }
