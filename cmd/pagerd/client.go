package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pagerd/pagerd/policies"
)

// apiClient talks to a running pagerd's incident API.
type apiClient struct {
	server, token string
	http          *http.Client
}

// clientFlags adds --server, --token and --config; the token falls back to
// PAGERD_API_TOKEN, then to the first "api" integration of --config.
func clientFlags(fs *flag.FlagSet) func() (*apiClient, error) {
	server := fs.String("server", envOr("PAGERD_SERVER", "http://localhost:8080"), "pagerd base URL (env PAGERD_SERVER)")
	token := fs.String("token", os.Getenv("PAGERD_API_TOKEN"), "API integration token (env PAGERD_API_TOKEN)")
	configDir := configFlag(fs)
	return func() (*apiClient, error) {
		tok := *token
		if tok == "" {
			cfg, _ := policies.Load(*configDir)
			if cfg != nil {
				for _, in := range cfg.Integrations {
					if in.Type == "api" {
						tok = in.Token
						break
					}
				}
			}
		}
		if tok == "" {
			return nil, fmt.Errorf("%w: no API token: pass --token, set PAGERD_API_TOKEN, or --config a directory with an \"api\" integration", errUsage)
		}
		return &apiClient{server: strings.TrimRight(*server, "/"), token: tok, http: &http.Client{Timeout: 15 * time.Second}}, nil
	}
}

func (c *apiClient) do(method, path string, out any) error {
	req, err := http.NewRequest(method, c.server+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("reach pagerd: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return fmt.Errorf("read answer: %w", err)
	}
	if resp.StatusCode >= 300 {
		var e struct{ Error string }
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			return fmt.Errorf("%s %s: %s (HTTP %d)", method, path, e.Error, resp.StatusCode)
		}
		return fmt.Errorf("%s %s: HTTP %d", method, path, resp.StatusCode)
	}
	return json.Unmarshal(body, out)
}

type incidentView struct {
	ID           int64     `json:"id"`
	Service      string    `json:"service"`
	Title        string    `json:"title"`
	Summary      string    `json:"summary"`
	Status       string    `json:"status"`
	CreatedAt    time.Time `json:"created_at"`
	AckedBy      string    `json:"acknowledged_by"`
	ResolvedBy   string    `json:"resolved_by"`
	AlertsFiring int       `json:"alerts_firing"`
	Timeline     []struct {
		At     time.Time `json:"at"`
		Event  string    `json:"event"`
		Detail string    `json:"detail"`
	} `json:"timeline"`
}

func incidents(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("incidents", flag.ContinueOnError)
	fs.SetOutput(stderr)
	all := fs.Bool("all", false, "include acknowledged-and-resolved incidents still kept")
	client := clientFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	c, err := client()
	if err != nil {
		return err
	}
	path := "/v1/incidents"
	if *all {
		path += "?status=all"
	}
	var out struct{ Incidents []incidentView }
	if err := c.do(http.MethodGet, path, &out); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATUS\tSERVICE\tFIRING\tAGE\tTITLE")
	for _, inc := range out.Incidents {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%s\n", inc.ID, inc.Status, inc.Service, inc.AlertsFiring,
			time.Since(inc.CreatedAt).Round(time.Second), inc.Title)
	}
	return tw.Flush()
}

func incidentArg(fs *flag.FlagSet, args []string) (int64, error) {
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return 0, err
	}
	if len(pos) != 1 {
		return 0, fmt.Errorf("%w: want exactly one incident ID", errUsage)
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(pos[0], "#"), 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%w: incident ID must be a positive number, not %q", errUsage, pos[0])
	}
	return id, nil
}

func show(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("show", flag.ContinueOnError)
	fs.SetOutput(stderr)
	client := clientFlags(fs)
	id, err := incidentArg(fs, args)
	if err != nil {
		return err
	}
	c, err := client()
	if err != nil {
		return err
	}
	var inc incidentView
	if err := c.do(http.MethodGet, "/v1/incidents/"+strconv.FormatInt(id, 10), &inc); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "#%d %s\nservice: %s\nstatus:  %s\nfiring:  %d\n", inc.ID, inc.Title, inc.Service, inc.Status, inc.AlertsFiring)
	if inc.Summary != "" {
		fmt.Fprintf(stdout, "summary: %s\n", inc.Summary)
	}
	fmt.Fprintln(stdout, "\ntimeline:")
	for _, e := range inc.Timeline {
		fmt.Fprintf(stdout, "  %s  %-16s %s\n", e.At.Local().Format("2006-01-02 15:04:05"), e.Event, e.Detail)
	}
	return nil
}

func act(action string, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet(action, flag.ContinueOnError)
	fs.SetOutput(stderr)
	by := fs.String("by", os.Getenv("USER"), "who acts, recorded in the timeline")
	client := clientFlags(fs)
	id, err := incidentArg(fs, args)
	if err != nil {
		return err
	}
	c, err := client()
	if err != nil {
		return err
	}
	var out struct {
		Outcome        string
		PreviousStatus string `json:"previous_status"`
	}
	path := fmt.Sprintf("/v1/incidents/%d/%s", id, action)
	if *by != "" {
		path += "?by=" + url.QueryEscape(*by)
	}
	if err := c.do(http.MethodPost, path, &out); err != nil {
		return err
	}
	if out.Outcome == "unchanged" {
		fmt.Fprintf(stdout, "incident #%d was already %s\n", id, out.PreviousStatus)
		return nil
	}
	fmt.Fprintf(stdout, "incident #%d %s\n", id, out.Outcome)
	return nil
}
