// Package pagerduty takes events the way PagerDuty's Events API v2 does, so
// that a sender built for PagerDuty — a client library, Alertmanager's
// pagerduty_configs, Grafana's PagerDuty contact point, a curl script —
// pages through pagerd when only its URL changes: alert events at
// /v2/enqueue and change events at /v2/change/enqueue. The routing_key in
// the body is the token of an integration of type "pagerduty".
//
// PagerDuty's contract, as this package reads it:
// https://developer.pagerduty.com/docs/events-api-v2/overview/ (response
// codes and retries), .../trigger-events/ (fields and limits),
// .../send-change-events/, and the OpenAPI description in
// github.com/PagerDuty/api-schema reference/events-v2/openapiv3.json.
package pagerduty

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/router/ingest"
)

// PagerDuty's documented limits, in characters.
const (
	MaxDedupKey = 255
	MaxSummary  = 1024
)

// Severities are payload.severity's values, in PagerDuty's order of
// documentation.
var Severities = []string{"critical", "error", "warning", "info"}

var actions = map[string]incident.AlertAction{
	"trigger":     incident.AlertTrigger,
	"acknowledge": incident.AlertAcknowledge,
	"resolve":     incident.AlertResolve,
}

// event is the body of a POST to /v2/enqueue. Fields stay raw until they
// are checked one by one, so that a value of the wrong JSON type is one
// problem among the others in the answer, as PagerDuty lists them all,
// rather than the end of decoding.
type event struct {
	RoutingKey  json.RawMessage `json:"routing_key"`
	EventAction json.RawMessage `json:"event_action"`
	DedupKey    json.RawMessage `json:"dedup_key"`
	Payload     json.RawMessage `json:"payload"`
	Images      json.RawMessage `json:"images"`
	Links       json.RawMessage `json:"links"`
	Client      json.RawMessage `json:"client"`
	ClientURL   json.RawMessage `json:"client_url"`
}

// payload is an alert event's payload, and a change event's (which has
// summary, source, timestamp and custom_details only).
type payload struct {
	Summary       json.RawMessage `json:"summary"`
	Source        json.RawMessage `json:"source"`
	Severity      json.RawMessage `json:"severity"`
	Timestamp     json.RawMessage `json:"timestamp"`
	Component     json.RawMessage `json:"component"`
	Group         json.RawMessage `json:"group"`
	Class         json.RawMessage `json:"class"`
	CustomDetails json.RawMessage `json:"custom_details"`
}

type image struct {
	Src  json.RawMessage `json:"src"`
	Href json.RawMessage `json:"href"`
	Alt  json.RawMessage `json:"alt"`
}

type link struct {
	Href json.RawMessage `json:"href"`
	Text json.RawMessage `json:"text"`
}

// checker collects the problems of one event. A checker that is not
// strict reads what it can and keeps quiet: PagerDuty uses the payload,
// links and images of trigger events only, so those of an acknowledge or
// resolve are kept when they make sense and never refused.
type checker struct {
	strict   bool
	problems []string
}

func (c *checker) add(format string, args ...any) {
	if c.strict {
		c.problems = append(c.problems, fmt.Sprintf(format, args...))
	}
}

// absent reports whether a raw field was left out or is JSON null, which
// PagerDuty's senders use interchangeably.
func absent(raw json.RawMessage) bool {
	return len(raw) == 0 || bytes.Equal(raw, []byte("null"))
}

func blank(s string) bool { return strings.TrimSpace(s) == "" }

// text reads a string field; absent reads as "". ok is false when the
// field holds another JSON type, a problem already added.
func (c *checker) text(name string, raw json.RawMessage) (s string, ok bool) {
	if absent(raw) {
		return "", true
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		c.add("'%s' must be a string", name)
		return "", false
	}
	return s, true
}

// str reads an optional string field.
func (c *checker) str(name string, raw json.RawMessage) string {
	s, _ := c.text(name, raw)
	return s
}

// required reads a string field that must not be blank.
func (c *checker) required(name string, raw json.RawMessage) string {
	s, ok := c.text(name, raw)
	if ok && blank(s) {
		c.add("'%s' is missing or blank", name)
	}
	return s
}

// routingKey reads the routing_key, which every event needs. Its length is
// not checked: PagerDuty's keys have 32 characters, a pagerd token has
// whatever the operator configured.
func (c *checker) routingKey(raw json.RawMessage) string {
	s, ok := c.text("routing_key", raw)
	if ok && blank(s) {
		// PagerDuty's wording for this one.
		c.add("'routing_key' cannot be blank")
	}
	return s
}

// object reads a field that must be a JSON object into v. An absent field
// reads as false and is not reported: the caller knows whether it was
// required.
func (c *checker) object(name string, raw json.RawMessage, v any) bool {
	if absent(raw) {
		return false
	}
	if json.Unmarshal(raw, v) != nil {
		c.add("'%s' must be an object", name)
		return false
	}
	return true
}

// maxLen checks a length limit in characters, as PagerDuty counts them.
func (c *checker) maxLen(name, s string, limit int) {
	if utf8.RuneCountInString(s) > limit {
		c.add("'%s' is too long (maximum is %d characters)", name, limit)
	}
}

// timestamp reads an ISO 8601 time; absent (or not strict and invalid)
// reads as the zero time.
func (c *checker) timestamp(name string, raw json.RawMessage) time.Time {
	s := c.str(name, raw)
	if s == "" {
		return time.Time{}
	}
	t, ok := parseISO8601(s)
	switch {
	case !ok:
		c.add("'%s' is not a valid ISO 8601 timestamp", name)
	case !ingest.StorableTime(t):
		c.add("'%s' is out of range: %s", name, ingest.TimeRange)
		return time.Time{}
	}
	return t
}

// isoLayouts are the ISO 8601 date-times senders write: RFC 3339, the
// basic offset PagerDuty's own examples use ("2015-07-17T08:42:58.315+0000"),
// an hour-only offset, and no offset at all (read as UTC). time.Parse takes
// a fraction of a second after the seconds without the layout naming it.
var isoLayouts = []string{
	"2006-01-02T15:04:05Z07:00",
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05Z07",
	"2006-01-02T15:04:05",
}

func parseISO8601(s string) (time.Time, bool) {
	for _, layout := range isoLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// links reads the links and images of an event as pagerd links: each link
// as sent, each image as a link to the picture and, when it has one, a
// link to where clicking it leads, both with its alt text.
func (c *checker) links(rawLinks, rawImages json.RawMessage) []incident.Link {
	var out []incident.Link
	var ls []json.RawMessage
	if !absent(rawLinks) && json.Unmarshal(rawLinks, &ls) != nil {
		c.add("'links' must be an array")
	}
	for i, raw := range ls {
		name := fmt.Sprintf("links[%d]", i)
		var l link
		if !c.object(name, raw, &l) {
			if absent(raw) {
				c.add("'%s' must be an object", name)
			}
			continue
		}
		href := c.required(name+".href", l.Href)
		text := c.str(name+".text", l.Text)
		if !blank(href) {
			out = append(out, incident.Link{Href: href, Text: text})
		}
	}
	var is []json.RawMessage
	if !absent(rawImages) && json.Unmarshal(rawImages, &is) != nil {
		c.add("'images' must be an array")
	}
	for i, raw := range is {
		name := fmt.Sprintf("images[%d]", i)
		var im image
		if !c.object(name, raw, &im) {
			if absent(raw) {
				c.add("'%s' must be an object", name)
			}
			continue
		}
		src := c.required(name+".src", im.Src)
		href := c.str(name+".href", im.Href)
		alt := c.str(name+".alt", im.Alt)
		if !blank(src) {
			out = append(out, incident.Link{Href: src, Text: alt})
		}
		if !blank(src) && !blank(href) {
			out = append(out, incident.Link{Href: href, Text: alt})
		}
	}
	return out
}

// details keeps custom_details as sent. PagerDuty documents an object;
// any other JSON value is kept as well, because refusing it would turn an
// event into a lost page over a detail.
func details(raw json.RawMessage) json.RawMessage {
	if absent(raw) {
		return nil
	}
	return slices.Clone(raw)
}

// readBody decodes the one JSON object a request carries into v.
func readBody(r io.Reader, v any) error {
	cr := &ingest.CountingReader{R: r}
	dec := json.NewDecoder(cr)
	if err := dec.Decode(v); err != nil {
		return ingest.JSONError(-1, err, cr.N)
	}
	return ingest.ExpectEOF(dec)
}

// invalid is the error for an event that breaks PagerDuty's rules: every
// problem, in the order of the fields.
func invalid(problems []string) error {
	return &ingest.DecodeError{Kind: ingest.Invalid, Index: -1, Offset: -1,
		Reason: strings.Join(problems, "; "), Problems: problems}
}

// DecodeEvent decodes the body of a POST to /v2/enqueue: one alert event,
// which triggers, acknowledges or resolves the alert its dedup_key names.
// now is the receive time.
//
// It checks what PagerDuty checks, and reports every problem at once:
// routing_key present (of any length: a pagerd token is whatever the
// operator configured, not PagerDuty's 32 characters), event_action one of
// trigger, acknowledge and resolve, dedup_key at most 255 characters and
// present unless the event triggers; for a trigger, a payload with a
// summary of at most 1024 characters, a source, a severity among
// Severities and, when present, an ISO 8601 timestamp (in the years 0000
// to 9999 in UTC, the times pagerd can keep); each image with a src and
// each link with an href.
//
// A trigger without a dedup_key gets a new random one (32 hex digits, as
// PagerDuty's are), which the answer returns. The payload's summary,
// source, severity, component, group and class become labels (empty ones
// left out), which services match as they match any alert's; summary is
// the alert's summary annotation too. StartsAt is the payload's timestamp,
// or now; a trigger or an acknowledgement has no end, a resolve ends when
// it starts.
func DecodeEvent(r io.Reader, now time.Time) (*ingest.Batch, error) {
	var ev event
	if err := readBody(r, &ev); err != nil {
		return nil, err
	}
	c := &checker{strict: true}
	token := c.routingKey(ev.RoutingKey)
	name, ok := c.text("event_action", ev.EventAction)
	action, known := actions[name]
	switch {
	case !ok:
	case blank(name):
		c.add("'event_action' is missing or blank")
	case !known:
		c.add("'event_action' is invalid (must be one of: trigger acknowledge resolve)")
	}
	key, ok := c.text("dedup_key", ev.DedupKey)
	c.maxLen("dedup_key", key, MaxDedupKey)
	if ok && blank(key) && known && action != incident.AlertTrigger {
		c.add("'dedup_key' is missing or blank")
	}

	// Only a trigger's payload, links and images are held to the rules.
	// Without a valid event_action there is no telling which rules apply:
	// only the envelope's problems are named, as PagerDuty answers an
	// empty event with the routing_key and event_action problems alone.
	content := &checker{strict: known && action == incident.AlertTrigger}
	var p payload
	hasPayload := content.object("payload", ev.Payload, &p)
	if !hasPayload && absent(ev.Payload) {
		content.add("'payload' is missing or blank")
	}
	labels := map[string]string{}
	var summary string
	var at time.Time
	if hasPayload {
		summary = content.required("payload.summary", p.Summary)
		content.maxLen("payload.summary", summary, MaxSummary)
		source := content.required("payload.source", p.Source)
		severity := content.required("payload.severity", p.Severity)
		if !blank(severity) && !slices.Contains(Severities, severity) {
			content.add("'payload.severity' is invalid (must be one of: %s)", strings.Join(Severities, " "))
		}
		at = content.timestamp("payload.timestamp", p.Timestamp)
		component := content.str("payload.component", p.Component)
		group := content.str("payload.group", p.Group)
		class := content.str("payload.class", p.Class)
		for _, l := range [][2]string{{"summary", summary}, {"source", source}, {"severity", severity},
			{"component", component}, {"group", group}, {"class", class}} {
			// Prometheus's rule, which ingest.Labels applies to every other
			// format: an empty value is no label. Values stay as sent.
			if l[1] != "" {
				labels[l[0]] = l[1]
			}
		}
	}
	links := content.links(ev.Links, ev.Images)
	client := content.str("client", ev.Client)
	clientURL := content.str("client_url", ev.ClientURL)

	if problems := slices.Concat(c.problems, content.problems); len(problems) > 0 {
		return nil, invalid(problems)
	}
	if blank(key) {
		key = newDedupKey()
	}
	if at.IsZero() {
		at = now
	}
	a := ingest.Alert{
		Action:      action,
		Labels:      labels,
		Annotations: map[string]string{},
		StartsAt:    at.UTC(),
		DedupKey:    key,
		Links:       links,
		Client:      client,
		ClientURL:   clientURL,
	}
	if summary != "" {
		a.Annotations["summary"] = summary
	}
	if hasPayload {
		a.Details = details(p.CustomDetails)
	}
	if action == incident.AlertResolve {
		a.EndsAt = a.StartsAt
	}
	return &ingest.Batch{Token: token, Alerts: []ingest.Alert{a}}, nil
}

// change is the body of a POST to /v2/change/enqueue.
type change struct {
	RoutingKey json.RawMessage `json:"routing_key"`
	Payload    json.RawMessage `json:"payload"`
	Links      json.RawMessage `json:"links"`
	Images     json.RawMessage `json:"images"`
}

// DecodeChange decodes the body of a POST to /v2/change/enqueue: a change
// (a deploy, a config push) to record with the service, paging nobody. It
// checks what PagerDuty checks — a routing_key, a payload with a summary
// of at most 1024 characters, an ISO 8601 timestamp when present (in the
// years 0000 to 9999 in UTC), an href for each link and a src for each
// image — and reports every problem at once. At is the payload's timestamp, or now.
func DecodeChange(r io.Reader, now time.Time) (*ingest.Batch, error) {
	var ch change
	if err := readBody(r, &ch); err != nil {
		return nil, err
	}
	c := &checker{strict: true}
	token := c.routingKey(ch.RoutingKey)
	var p payload
	hasPayload := c.object("payload", ch.Payload, &p)
	if !hasPayload && absent(ch.Payload) {
		c.add("'payload' is missing or blank")
	}
	out := incident.Change{}
	if hasPayload {
		out.Summary = c.required("payload.summary", p.Summary)
		c.maxLen("payload.summary", out.Summary, MaxSummary)
		out.Source = c.str("payload.source", p.Source)
		out.At = c.timestamp("payload.timestamp", p.Timestamp)
		out.Details = details(p.CustomDetails)
	}
	out.Links = c.links(ch.Links, ch.Images)
	if len(c.problems) > 0 {
		return nil, invalid(c.problems)
	}
	if out.At.IsZero() {
		out.At = now.UTC()
	}
	return &ingest.Batch{Token: token, Changes: []incident.Change{out}}, nil
}

// newDedupKey is a dedup_key for a trigger that came without one: 128
// random bits in 32 lower-case hex digits, the form of the keys PagerDuty
// generates (a UUID without its dashes).
func newDedupKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}
