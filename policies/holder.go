package policies

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/hcl/v2"
)

// Holder holds the current config of a directory for a running daemon.
// Readers call Current on every use and never see a half-built config;
// Reload swaps in a new one only when it is valid, so a bad edit leaves the
// daemon paging with the last good config.
type Holder struct {
	dir    string
	mu     sync.Mutex // one reload at a time
	config atomic.Pointer[Config]
}

// NewHolder loads dir. When the config is invalid the holder is nil and the
// diagnostics say why; a daemon must not start without a config.
func NewHolder(dir string) (*Holder, hcl.Diagnostics) {
	cfg, diags := Load(dir)
	if cfg == nil {
		return nil, diags
	}
	h := &Holder{dir: dir}
	h.config.Store(cfg)
	return h, diags
}

// Current returns the config in force. It is safe for concurrent use and
// the result must not be modified.
func (h *Holder) Current() *Config { return h.config.Load() }

// Dir is the directory the holder loads.
func (h *Holder) Dir() string { return h.dir }

// Reload loads the directory again. When the new config is valid it
// replaces the current one; when not, the current one stays and the error
// says so. The diagnostics (warnings too) are returned either way.
func (h *Holder) Reload() (hcl.Diagnostics, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	cfg, diags := Load(h.dir)
	if cfg == nil {
		return diags, fmt.Errorf("policies: %s is invalid, keeping the last good config: %w", h.dir, Errors(diags))
	}
	h.config.Store(cfg)
	return diags, nil
}

// Errors is the error diagnostics of diags as one error, the first first,
// leaving the warnings out; nil when there is none.
func Errors(diags hcl.Diagnostics) error {
	return errors.Join(diags.Errs()...)
}
