package policies

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
)

// maxSnippetLines bounds the source quoted for one diagnostic.
const maxSnippetLines = 6

// WriteDiagnostics writes diags as text for people: severity and summary,
// then file:line:column with the enclosing block, the source lines of the
// subject with the subject underlined, then the detail. It is the layout of
// hcl.NewDiagnosticTextWriter plus the column and the underline, which the
// hcl writer shows only with terminal colors.
func WriteDiagnostics(w io.Writer, files map[string]*hcl.File, diags hcl.Diagnostics) error {
	bw := bufio.NewWriter(w)
	for _, d := range diags {
		writeDiagnostic(bw, files, d)
	}
	return bw.Flush()
}

func writeDiagnostic(w *bufio.Writer, files map[string]*hcl.File, d *hcl.Diagnostic) {
	severity := "Error"
	if d.Severity == hcl.DiagWarning {
		severity = "Warning"
	}
	fmt.Fprintf(w, "%s: %s\n\n", severity, d.Summary)
	if s := d.Subject; s != nil {
		fmt.Fprintf(w, "  on %s:%d:%d", s.Filename, s.Start.Line, s.Start.Column)
		f := files[s.Filename]
		if f == nil || f.Bytes == nil {
			fmt.Fprintf(w, ":\n  (source not available)\n\n")
		} else {
			if b := f.OutermostBlockAtPos(s.Start); b != nil {
				fmt.Fprintf(w, ", in %s", blockName(b))
			}
			fmt.Fprintf(w, ":\n")
			writeSnippet(w, f.Bytes, *s)
			fmt.Fprintln(w)
		}
	}
	if d.Detail != "" {
		fmt.Fprintf(w, "%s\n\n", d.Detail)
	}
}

// blockName renders a block header the way it is written: schedule "ops".
func blockName(b *hcl.Block) string {
	name := b.Type
	for _, l := range b.Labels {
		name += fmt.Sprintf(" %q", l)
	}
	return name
}

// writeSnippet quotes the lines of src that subject covers and underlines
// the subject on each.
func writeSnippet(w *bufio.Writer, src []byte, subject hcl.Range) {
	if subject.Empty() {
		// Point at one character, even past the end of a line.
		subject.End.Byte++
		subject.End.Column++
	}
	sc := hcl.NewRangeScanner(src, subject.Filename, bufio.ScanLines)
	n := 0
	for sc.Scan() {
		line := sc.Range()
		if !line.Overlaps(subject) && line.Start.Line != subject.Start.Line {
			continue
		}
		if n++; n > maxSnippetLines {
			fmt.Fprintf(w, "%6s\n", "...")
			return
		}
		text := string(sc.Bytes())
		fmt.Fprintf(w, "%4d: %s\n", line.Start.Line, text)
		// Underline the part of the subject on this line, keeping tabs
		// so the marks line up under tab-indented source.
		from := max(subject.Start.Byte, line.Start.Byte) - line.Start.Byte
		to := min(subject.End.Byte, line.End.Byte) - line.Start.Byte
		from, to = min(from, len(text)), min(to, len(text))
		var pad strings.Builder
		for _, r := range text[:from] {
			if r == '\t' {
				pad.WriteRune('\t')
			} else {
				pad.WriteRune(' ')
			}
		}
		marks := max(utf8.RuneCountInString(text[from:to]), 1)
		fmt.Fprintf(w, "      %s%s\n", pad.String(), strings.Repeat("^", marks))
	}
}
