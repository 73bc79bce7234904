package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pagerd/pagerd/policies"
)

// apiClient talks to a running pagerd's incident API.
type apiClient struct {
	server       string
	serverSource string // where server came from, for "cannot reach" messages
	token        string
	http         *http.Client
}

// client builds the API client from --server and --token. Without a token
// it takes the first "api" integration of --config, so on a machine with
// the config nothing else is needed.
// incidentClient reads a verb's incident argument ("42" or "#42") and
// makes the API client, the two things every verb about one incident needs
// first.
func (c *cli) incidentClient(arg string) (int64, *apiClient, error) {
	id, err := parseIncidentID(arg)
	if err != nil {
		return 0, nil, err
	}
	api, err := c.client()
	return id, api, err
}

func (c *cli) client() (*apiClient, error) {
	tok := c.token.String()
	if tok == "" {
		var err error
		if tok, err = c.tokenFromConfig(); err != nil {
			return nil, err
		}
	}
	return &apiClient{
		server:       strings.TrimRight(c.server.String(), "/"),
		serverSource: c.server.source(),
		token:        tok,
		http:         &http.Client{Timeout: 15 * time.Second},
	}, nil
}

func (c *cli) tokenFromConfig() (string, error) {
	const need = "no API token: pass --token or set " + envToken
	cfg, err := c.loadConfig()
	if err != nil {
		return "", fmt.Errorf("%s (the fallback, an \"api\" integration of --config, is unavailable: %w)", need, err)
	}
	for _, in := range cfg.Integrations {
		if in.Type == policies.APIIntegration {
			return in.Token, nil
		}
	}
	return "", fmt.Errorf("%s, or add an integration of type \"api\" to config directory %q", need, c.config.String())
}

// do sends one request and decodes the JSON answer into out. Its errors say
// what to change: the server URL when nobody answers, the token when it is
// refused.
func (a *apiClient) do(ctx context.Context, method, path string, body, out any) error {
	data, err := a.request(ctx, method, path, body)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: answer is not the JSON expected: %w", method, path, err)
	}
	return nil
}

// request sends one request and returns the answer's body, or an error
// that says what to change (see do).
func (a *apiClient) request(ctx context.Context, method, path string, body any) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("encode request: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.server+path, rd)
	if err != nil {
		return nil, fmt.Errorf("server URL %q: %w", a.server, err)
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.http.Do(req)
	if err != nil {
		// url.Error repeats the method and URL; say them once, our way.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("cannot reach pagerd at %s (%s): %w; is it running there? Set the URL with --server or %s",
			a.server, a.serverSource, err, envServer)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, fmt.Errorf("read answer of %s %s: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		var e struct{ Error string }
		msg := fmt.Sprintf("HTTP %d", resp.StatusCode)
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			msg = fmt.Sprintf("%s (HTTP %d)", e.Error, resp.StatusCode)
		}
		switch {
		case resp.StatusCode == http.StatusUnauthorized:
			return nil, fmt.Errorf("%s %s: %s: pass the token of an \"api\" integration with --token or %s", method, path, msg, envToken)
		case resp.StatusCode == http.StatusNotFound && e.Error == "":
			// Not pagerd's own "no such incident": the route itself is unknown.
			return nil, fmt.Errorf("%s %s: %s: is %s a pagerd as new as this CLI?", method, path, msg, a.server)
		}
		return nil, fmt.Errorf("%s %s: %s", method, path, msg)
	}
	return data, nil
}
