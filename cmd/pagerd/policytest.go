package main

import (
	"fmt"
	"io"
	"regexp"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router/policytest"
)

func (c *cli) testCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "test [DIR]",
		GroupID: groupConfig,
		Short:   "Run the policy tests of a config directory",
		Long: `Run the policy tests of a config directory: test "NAME" blocks in its
*_test.hcl files and in the *.hcl files of its tests/ subdirectory. Each
sends an alert (labels, or a sender's body through an integration) at a
time and says what must happen: which service takes it, which escalation
pages, who each step of each round pages (schedule gaps and overrides
included), when the policy runs out and whom that pages. Cases are checked
with the planner the engine pages by, the one 'pagerd route' prints.

The directory is --config (or PAGERD_CONFIG); a single DIR argument wins
over both. The config must be valid first (see 'pagerd check', which runs
these tests too). Every failure is printed with the file:line:column of
the expectation it breaks, quoted from the test file.

Exit code 0 when every test passes; 1 when one fails, when a test file is
invalid, when the config is, and when there is no test at all (a CI job
pointing at the wrong directory must not pass).

With -o json it prints one object:
  {"passed": false, "summary": "policy tests: 1 of 3 failed",
   "tests": [{"name": "night page", "file": "conf/tests/night.hcl", "line": 3,
     "passed": false, "failures": [{"message": "Step 1 of round 1 ... pages bob; want alice.",
       "file": "conf/tests/night.hcl", "line": 9, "column": 15}]}]}`,
		Example: `  pagerd test --config /etc/pagerd
  pagerd test deploy/examples/config -v
  pagerd test --run 'night|weekend'
  pagerd test -o json | jq -r '.tests[] | select(.passed | not) | .name'`,
		Args: rangeArgs(0, 1, "at most one config directory"),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return nil, cobra.ShellCompDirectiveFilterDirs
		},
	}
	output := formatFlag(cmd)
	verbose := cmd.Flags().BoolP("verbose", "v", false, "list the tests that pass too")
	run := cmd.Flags().String("run", "", "run only the tests whose name matches `REGEXP`")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		dir := c.config.String()
		if len(args) == 1 {
			dir = args[0]
		}
		var only *regexp.Regexp
		if *run != "" {
			var err error
			if only, err = regexp.Compile(*run); err != nil {
				return usagef("--run %q: %v", *run, err)
			}
		}
		if err := checkConfigDir(dir); err != nil {
			return err
		}
		loaded := policies.LoadDir(dir)
		if loaded.Config == nil {
			_ = loaded.WriteDiagnostics(c.stdout)
			fmt.Fprintln(c.stdout, loaded.Summary())
			return fmt.Errorf("the config is invalid, so its policy tests cannot run")
		}
		suite, diags := policytest.Load(dir)
		if diags.HasErrors() {
			_ = policies.WriteDiagnostics(c.stdout, suite.Files, diags)
			return fmt.Errorf("the policy tests of %s are invalid: %d error%s", dir, len(diags.Errs()), plural(len(diags.Errs())))
		}
		if only != nil {
			var kept []*policytest.Case
			for _, tc := range suite.Cases {
				if only.MatchString(tc.Name) {
					kept = append(kept, tc)
				}
			}
			suite.Cases = kept
		}
		if len(suite.Cases) == 0 {
			return fmt.Errorf("no policy tests to run in %s (test blocks in *_test.hcl, or in tests/*.hcl)", dir)
		}
		results := suite.Run(loaded.Config)
		if structured(output) {
			rep := testJSON(results)
			if err := writeData(c.stdout, output, rep); err != nil {
				return err
			}
			if !rep.Passed {
				return errReported
			}
			return nil
		}
		failed, err := policytest.Write(c.stdout, suite, results, *verbose)
		if err != nil {
			return err
		}
		if failed > 0 {
			return errReported
		}
		return nil
	}
	return cmd
}

// checkTests runs the policy tests of dir after a check found its config
// valid, when it has any: 'pagerd check' in CI tests the policies too. It
// reports whether they all passed.
func checkTests(w io.Writer, dir string, cfg *policies.Config) bool {
	files, err := policytest.Files(dir)
	if err != nil {
		fmt.Fprintln(w, err)
		return false
	}
	if len(files) == 0 {
		return true
	}
	suite, diags := policytest.Load(dir)
	if diags.HasErrors() {
		_ = policies.WriteDiagnostics(w, suite.Files, diags)
		fmt.Fprintf(w, "policy tests invalid: %d error%s\n", len(diags.Errs()), plural(len(diags.Errs())))
		return false
	}
	failed, err := policytest.Write(w, suite, suite.Run(cfg), false)
	return err == nil && failed == 0
}

// checkTestsJSON is checkTests for check -o json: nil without tests.
func checkTestsJSON(dir string, cfg *policies.Config) *testReport {
	files, err := policytest.Files(dir)
	if err != nil || len(files) == 0 {
		if err != nil {
			return &testReport{Summary: err.Error(), Tests: []testResultJSON{}}
		}
		return nil
	}
	suite, diags := policytest.Load(dir)
	if diags.HasErrors() {
		rep := &testReport{Summary: fmt.Sprintf("policy tests invalid: %d error%s", len(diags.Errs()), plural(len(diags.Errs()))), Tests: []testResultJSON{}}
		return rep
	}
	rep := testJSON(suite.Run(cfg))
	return &rep
}

// testReport is `pagerd test -o json` (and check's "tests").
type testReport struct {
	Passed  bool             `json:"passed"`
	Summary string           `json:"summary"`
	Tests   []testResultJSON `json:"tests"`
}

type testResultJSON struct {
	Name     string            `json:"name"`
	File     string            `json:"file"`
	Line     int               `json:"line"`
	Passed   bool              `json:"passed"`
	Failures []testFailureJSON `json:"failures"`
}

type testFailureJSON struct {
	Message string `json:"message"`
	File    string `json:"file"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
}

func testJSON(results []policytest.Result) testReport {
	rep := testReport{Passed: true, Summary: policytest.Summary(results), Tests: []testResultJSON{}}
	for _, r := range results {
		tj := testResultJSON{Name: r.Case.Name, File: r.Case.Range.Filename, Line: r.Case.Range.Start.Line,
			Passed: r.Passed(), Failures: []testFailureJSON{}}
		for _, d := range r.Failures {
			tj.Failures = append(tj.Failures, failureJSON(d))
		}
		rep.Passed = rep.Passed && r.Passed()
		rep.Tests = append(rep.Tests, tj)
	}
	return rep
}

func failureJSON(d *hcl.Diagnostic) testFailureJSON {
	f := testFailureJSON{Message: d.Detail}
	if s := d.Subject; s != nil {
		f.File, f.Line, f.Column = s.Filename, s.Start.Line, s.Start.Column
	}
	return f
}
