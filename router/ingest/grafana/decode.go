// Package grafana takes the webhook of Grafana's unified alerting (Grafana
// 9 and later): a webhook contact point posting to /v1/webhooks/grafana
// with the token of an integration of type "grafana" in its Authorization
// header. Grafana groups alerts by their labels as Alertmanager does (its
// alerting runs a copy of Alertmanager), so its alerts are grouped and
// deduplicated exactly as Alertmanager's: by the fingerprint of their
// labels.
package grafana

import (
	"encoding/json"
	"io"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/router/ingest"
)

// message is the envelope of Grafana's webhook payload, version "1". The
// group fields (groupLabels, commonLabels, groupKey...) are derived from
// the alerts and carry nothing new; title, state and message (which
// Grafana's documentation marks for removal) are texts templated from the
// alerts, which pagerd shows its own way.
type message struct {
	Version string            `json:"version"`
	OrgID   *int64            `json:"orgId"`
	Alerts  []json.RawMessage `json:"alerts"`
	// ExternalURL is Grafana's own address: the alerts' client link.
	ExternalURL string `json:"externalURL"`
}

// alert is one alert of the payload: the fields every Alertmanager-style
// notifier sends, and Grafana's own.
type alert struct {
	ingest.NotifiedAlert
	// Fingerprint is Grafana's, computed over labels that the payload
	// leaves out (the rule's UID and other "__private__" ones): it cannot
	// be checked against the labels sent, and differs from the one
	// Alertmanager would compute for the same alert. It is kept in the
	// details, to find the alert in Grafana, and the alert is identified
	// by its labels as every other.
	Fingerprint  string `json:"fingerprint"`
	SilenceURL   string `json:"silenceURL"`
	DashboardURL string `json:"dashboardURL"`
	PanelURL     string `json:"panelURL"`
	ImageURL     string `json:"imageURL"`
	// Values are the query results that decided the alert's state, by
	// the query's or expression's ref ID.
	Values      map[string]float64 `json:"values"`
	ValueString string             `json:"valueString"`
	OrgID       *int64             `json:"orgId"` // newer Grafanas set it per alert
}

// details is what an alert keeps of Grafana's own fields, under Grafana's
// names: shown with it, never routed on.
type details struct {
	Values      map[string]float64 `json:"values,omitempty"`
	ValueString string             `json:"valueString,omitempty"`
	Fingerprint string             `json:"fingerprint,omitempty"`
	OrgID       *int64             `json:"orgId,omitempty"`
}

// Decode decodes the body of a Grafana webhook notification (payload
// version "1"). now is the receive time.
//
// Each alert's status is authoritative (see ingest.NotifiedAlert) and its
// fingerprint is computed from its labels, as for Alertmanager's webhook,
// so the same alert reaching pagerd through Grafana's webhook or through
// an Alertmanager has one identity. Its dashboard, panel, silence and
// image URLs become its Links, its generatorURL (the alert rule) its
// source; values, valueString, Grafana's fingerprint and orgId its
// Details. An alert that breaks a rule is rejected alone; an empty list
// of alerts is an empty batch. Only a payload wrong as a whole is an
// error.
//
// The caller limits the body size; the whole body is read.
func Decode(r io.Reader, now time.Time) (*ingest.Batch, error) {
	var msg message
	if err := ingest.DecodeBody(r, &msg); err != nil {
		return nil, err
	}
	if msg.Version != "1" {
		return nil, ingest.Invalidf(-1, "version", "unsupported Grafana webhook version %q, want \"1\" (a custom payload template replaces the whole payload: leave it unset)", msg.Version)
	}
	return ingest.CollectAlerts(msg.Alerts, func(index int, raw []byte) (ingest.Alert, error) {
		return decodeAlert(index, raw, now, &msg)
	})
}

func decodeAlert(index int, raw []byte, now time.Time, msg *message) (ingest.Alert, error) {
	var ga alert
	if err := ingest.UnmarshalAlert(index, raw, &ga); err != nil {
		return ingest.Alert{}, err
	}
	a, err := ga.Alert(index, now)
	if err != nil {
		return ingest.Alert{}, err
	}
	for _, l := range []incident.Link{
		{Text: "Dashboard", Href: ga.DashboardURL},
		{Text: "Panel", Href: ga.PanelURL},
		{Text: "Silence", Href: ga.SilenceURL},
		{Text: "Image", Href: ga.ImageURL},
	} {
		if l.Href != "" {
			a.Links = append(a.Links, l)
		}
	}
	d := details{Values: ga.Values, ValueString: ga.ValueString, Fingerprint: ga.Fingerprint, OrgID: ga.OrgID}
	if d.OrgID == nil {
		d.OrgID = msg.OrgID
	}
	a.Details, _ = json.Marshal(d) // finite numbers and strings: cannot fail
	a.Client, a.ClientURL = "Grafana", msg.ExternalURL
	return a, nil
}
