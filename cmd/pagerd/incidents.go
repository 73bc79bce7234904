package main

import (
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"
)

// foldedPerStorm bounds the folded incidents `pagerd incidents` lists
// under each storm; `pagerd show STORM` lists them all.
const foldedPerStorm = 5

// writeIncidentTable is `pagerd incidents` as a table, newest first. The
// incidents folded into a storm are listed under it (a few, then how many
// more), not on their own.
func writeIncidentTable(w io.Writer, incs []incidentView, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATUS\tSEV\tSERVICE\tFIRING\tAGE\tNEXT UPDATE\tTITLE")
	listed := map[int64]bool{}
	under := map[int64][]incidentView{}
	for _, inc := range incs {
		listed[inc.ID] = true
	}
	for _, inc := range incs {
		if inc.FoldedInto != 0 && listed[inc.FoldedInto] {
			under[inc.FoldedInto] = append(under[inc.FoldedInto], inc)
		}
	}
	row := func(id string, inc incidentView, title string) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", id, statusText(inc.Incident), orDash(inc.Severity),
			oneLine(inc.Service), inc.FiringCount, now.Sub(inc.CreatedAt).Round(time.Second), nextUpdateText(inc.View, now), title)
	}
	for _, inc := range incs {
		if inc.FoldedInto != 0 && listed[inc.FoldedInto] {
			continue // under its storm
		}
		row(strconv.FormatInt(inc.ID, 10), inc, tableTitle(inc, false))
		folded := under[inc.ID]
		for i, f := range folded {
			if i == foldedPerStorm {
				fmt.Fprintf(tw, "└ …\t\t\t\t\t\t\t%d more folded: pagerd show %d\n", len(folded)-i, inc.ID)
				break
			}
			row("└ "+strconv.FormatInt(f.ID, 10), f, tableTitle(f, true))
		}
	}
	return tw.Flush()
}

// tableTitle is an incident's title with what folding says of it; one
// listed under its storm needs not say it was folded.
func tableTitle(inc incidentView, underStorm bool) string {
	t := oneLine(inc.Title)
	switch {
	case inc.Storm != nil:
		t += fmt.Sprintf(" [storm: %d folded, %d open]", inc.Storm.Folded, inc.Storm.Open)
	case inc.FoldedInto != 0 && !underStorm:
		t += fmt.Sprintf(" [folded into #%d]", inc.FoldedInto)
	}
	if inc.Flapping {
		t += " [flapping]"
	}
	return t
}
