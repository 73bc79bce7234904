package main

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/pagerd/pagerd/policies"
)

// checkConfigDir says, before anything is parsed, when dir is not a
// directory at all: the default path only exists inside the repository, so
// this is the first thing someone running pagerd elsewhere meets.
func checkConfigDir(dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("config directory %q not found: pass --config DIR or set %s", dir, envConfig)
	case err != nil:
		return fmt.Errorf("config directory %q: %w", dir, err)
	case !fi.IsDir():
		return fmt.Errorf("config directory %q is a file, not a directory: pass --config DIR or set %s", dir, envConfig)
	}
	return nil
}

// loadConfig loads the --config directory for a verb that reads it.
func (c *cli) loadConfig() (*policies.Config, error) {
	l, err := c.loadConfigFiles()
	if err != nil {
		return nil, err
	}
	return l.Config, nil
}

// loadConfigFiles is loadConfig keeping the parsed files, for verbs that
// quote them.
func (c *cli) loadConfigFiles() (*policies.Loaded, error) {
	dir := c.config.String()
	if err := checkConfigDir(dir); err != nil {
		return nil, err
	}
	l := policies.LoadDir(dir)
	if l.Config == nil {
		return nil, fmt.Errorf("config directory %q is invalid: %s; run 'pagerd check --config %s' to see every problem",
			dir, firstError(l.Diags), dir)
	}
	return l, nil
}

// firstError renders the first error of diags on one line, with how many
// more there are. hcl's own Error() prints "<nil>:" for a diagnostic that
// has no source position (an empty directory, say).
func firstError(diags hcl.Diagnostics) string {
	var errs hcl.Diagnostics
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			errs = append(errs, d)
		}
	}
	if len(errs) == 0 {
		return "no error reported"
	}
	d := errs[0]
	s := d.Summary
	if d.Detail != "" {
		s += ": " + strings.TrimSuffix(d.Detail, ".")
	}
	if d.Subject != nil {
		s = fmt.Sprintf("%s:%d:%d: %s", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column, s)
	}
	if n := len(errs) - 1; n > 0 {
		s += fmt.Sprintf(" (and %d more error%s)", n, plural(n))
	}
	return s
}

// keys returns the names of m, sorted: for completion, and for messages
// that say what does exist.
func keys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// names is keys as one comma-separated line.
func names[V any](m map[string]V) string { return strings.Join(keys(m), ", ") }
