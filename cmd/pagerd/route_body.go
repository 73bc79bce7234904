package main

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router/ingest"
)

// routeBody is `pagerd route --integration NAME --body FILE`: what a
// sender's body becomes, alert by alert, and where each alert goes. It
// decodes with the intake the daemon uses for the integration's type, so
// a body it accepts here is one the daemon accepts.
func (c *cli) routeBody(name, file, atFlag, tz string, output *choice) error {
	loc, err := parseTZ(tz)
	if err != nil {
		return err
	}
	at := time.Now().In(loc)
	if atFlag != "" {
		if at, err = parseTimeFlag("at", atFlag, loc); err != nil {
			return err
		}
	}
	loaded, err := c.loadConfigFiles()
	if err != nil {
		return err
	}
	cfg := loaded.Config
	in := cfg.Integration(name)
	if in == nil {
		var all []string
		for _, i := range cfg.Integrations {
			all = append(all, i.Name)
		}
		return fmt.Errorf("no integration %q in %s; there are %s", name, c.config.String(), strings.Join(all, ", "))
	}
	body, err := readBody(file)
	if err != nil {
		return err
	}
	_, batch, err := ingest.DecodeAs(in.Type, body, ingest.Options{Now: at, ResolveTimeout: cfg.Settings.ResolveTimeout, Integration: in})
	if errors.Is(err, ingest.ErrNoFormat) {
		return fmt.Errorf("integration %q is of type %s, which posts no alerts", name, in.Type)
	}
	if err != nil {
		// A mapping that fails on this body: show its line too.
		var diags hcl.Diagnostics
		if errors.As(err, &diags) {
			_ = policies.WriteDiagnostics(c.stderr, loaded.Files, diags)
		}
		return fmt.Errorf("integration %q would refuse this body: %w", name, err)
	}
	if structured(output) {
		out := routeBodyResult{Integration: in.Name, Alerts: []routeAlertJSON{}}
		for _, a := range batch.Alerts {
			aj := routeAlertJSON{Status: statusOf(a.Action), Fingerprint: a.Fingerprint, DedupKey: a.DedupKey,
				Labels: a.Labels, Annotations: a.Annotations, StartsAt: jsonTime(a.StartsAt.In(loc)),
				EndsAt: jsonTime(a.EndsAt), SourceURL: a.GeneratorURL, Links: a.Links}
			if !a.EndsAt.IsZero() {
				aj.EndsAt = jsonTime(a.EndsAt.In(loc))
			}
			if aj.Links == nil {
				aj.Links = []incident.Link{}
			}
			if a.Action == incident.AlertTrigger {
				r := routeJSON(planRouteFrom(cfg, in, a.Labels, at))
				aj.Route = &r
			}
			out.Alerts = append(out.Alerts, aj)
		}
		return writeData(c.stdout, output, out)
	}
	w := c.stdout
	if len(batch.Alerts) == 0 {
		_, err := fmt.Fprintf(w, "no alerts: integration %q would store nothing and answer 200\n", name)
		return err
	}
	for i, a := range batch.Alerts {
		if i > 0 {
			fmt.Fprintln(w)
		}
		writeDecodedAlert(w, i, len(batch.Alerts), a, loc)
		switch a.Action {
		case incident.AlertResolve:
			fmt.Fprintln(w, "resolves the alert of this fingerprint if it fires (its incident closes with its last alert); pages nobody")
			continue
		case incident.AlertAcknowledge:
			fmt.Fprintln(w, "acknowledges the incident the alert of this fingerprint fires in; pages nobody")
			continue
		}
		if err := writeRouteTable(w, planRouteFrom(cfg, in, a.Labels, at)); err != nil {
			return err
		}
	}
	return nil
}

func readBody(file string) ([]byte, error) {
	if file == "-" {
		return io.ReadAll(os.Stdin)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("--body: %w", err)
	}
	return b, nil
}

// statusOf names an alert's action as an Alertmanager alert's status.
func statusOf(a incident.AlertAction) string {
	switch a {
	case incident.AlertResolve:
		return "resolved"
	case incident.AlertAcknowledge:
		return "acknowledged"
	}
	return "firing"
}

func writeDecodedAlert(w io.Writer, i, n int, a ingest.Alert, loc *time.Location) {
	fmt.Fprintf(w, "alert %d of %d: %s\n", i+1, n, statusOf(a.Action))
	fp := a.Fingerprint
	if a.DedupKey != "" {
		fp += " (dedup_key " + strconv.Quote(a.DedupKey) + ")"
	}
	fmt.Fprintf(w, "  fingerprint: %s\n", fp)
	fmt.Fprintf(w, "  labels:      %s\n", pairs(a.Labels))
	if len(a.Annotations) > 0 {
		fmt.Fprintf(w, "  annotations: %s\n", pairs(a.Annotations))
	}
	fmt.Fprintf(w, "  starts_at:   %s\n", a.StartsAt.In(loc).Format(time.RFC3339Nano))
	if !a.EndsAt.IsZero() {
		fmt.Fprintf(w, "  ends_at:     %s\n", a.EndsAt.In(loc).Format(time.RFC3339Nano))
	}
	if a.GeneratorURL != "" {
		fmt.Fprintf(w, "  source_url:  %s\n", a.GeneratorURL)
	}
	for _, l := range a.Links {
		fmt.Fprintf(w, "  link:        %s\n", link(l))
	}
}

// pairs renders a label set as name="value", ..., by name.
func pairs(m map[string]string) string {
	if len(m) == 0 {
		return "(none)"
	}
	var out []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, k+"="+strconv.Quote(m[k]))
	}
	return strings.Join(out, ", ")
}

// routeBodyResult is `pagerd route --body -o json`.
type routeBodyResult struct {
	Integration string           `json:"integration"`
	Alerts      []routeAlertJSON `json:"alerts"`
}

type routeAlertJSON struct {
	Status      string            `json:"status"`
	Fingerprint string            `json:"fingerprint"`
	DedupKey    string            `json:"dedup_key"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	StartsAt    jsonTime          `json:"starts_at"`
	EndsAt      jsonTime          `json:"ends_at"`
	SourceURL   string            `json:"source_url"`
	Links       []incident.Link   `json:"links"`
	Route       *routeResult      `json:"route"` // null: the alert pages nobody
}
