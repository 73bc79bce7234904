package postmortem

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/pagerd/pagerd/incident"
)

// Export formats of the backlog, so that a team can push it to its
// tracker: the same columns in both, one item per row.

// ExportItem is an action item as exports show it: every field present,
// times in RFC 3339 UTC ("" when not yet), and its status at the time of
// the export ("open", "overdue", "done").
type ExportItem struct {
	ID        int64  `json:"id"`
	Incident  int64  `json:"incident"`
	Service   string `json:"service"`
	Title     string `json:"title"`
	Owner     string `json:"owner"`
	Kind      string `json:"kind"`
	Due       string `json:"due"`
	Status    string `json:"status"`
	CreatedAt string `json:"created_at"`
	CreatedBy string `json:"created_by"`
	DoneAt    string `json:"done_at"`
	DoneBy    string `json:"done_by"`
}

// csvHeader names ExportItem's columns, in its order.
var csvHeader = []string{"id", "incident", "service", "title", "owner", "kind", "due", "status", "created_at", "created_by", "done_at", "done_by"}

// Export is a at now as exports show it.
func Export(a incident.ActionItem, now time.Time) ExportItem {
	status := a.Status()
	if a.Overdue(now) {
		status = "overdue"
	}
	return ExportItem{ID: a.ID, Incident: a.Incident, Service: a.Service, Title: a.Title, Owner: a.Owner,
		Kind: string(a.Kind), Due: a.Due, Status: status, CreatedAt: rfc3339(a.CreatedAt), CreatedBy: a.CreatedBy,
		DoneAt: rfc3339(a.DoneAt), DoneBy: a.DoneBy}
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// WriteJSON writes {"action_items": [...]}.
func WriteJSON(w io.Writer, items []incident.ActionItem, now time.Time) error {
	out := struct {
		Items []ExportItem `json:"action_items"`
	}{Items: []ExportItem{}}
	for _, a := range items {
		out.Items = append(out.Items, Export(a, now))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("export action items: %w", err)
	}
	return nil
}

// WriteCSV writes a header row and one row per item (RFC 4180). A cell a
// spreadsheet would take for a formula (starting with =, +, - or @) is
// prefixed with a quote, so an exported title cannot run as one.
func WriteCSV(w io.Writer, items []incident.ActionItem, now time.Time) error {
	cw := csv.NewWriter(w)
	_ = cw.Write(csvHeader)
	for _, a := range items {
		e := Export(a, now)
		_ = cw.Write([]string{strconv.FormatInt(e.ID, 10), strconv.FormatInt(e.Incident, 10), safeCell(e.Service),
			safeCell(e.Title), safeCell(e.Owner), e.Kind, e.Due, e.Status, e.CreatedAt, safeCell(e.CreatedBy), e.DoneAt, safeCell(e.DoneBy)})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("export action items: %w", err)
	}
	return nil
}

func safeCell(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@') {
		return "'" + s
	}
	return s
}
