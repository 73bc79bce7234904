package postmortem

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/router/events"
)

// Drafts writes the post-mortem draft of each resolved incident into the
// directory the config names (a git checkout the team keeps them in), one
// file per incident under a stable name (FileName), and brings it up to
// date as notes, updates and action items arrive — as long as nobody
// edited it: a file that is no longer the one pagerd wrote is the team's,
// and stays as they left it. It is a consumer of the event stream (group
// "postmortem-drafts"), so one replica writes each draft.
type Drafts struct {
	Service *Service
}

var _ events.Consumer = (*Drafts)(nil)

// Group implements events.Consumer.
func (d *Drafts) Group() string { return "postmortem-drafts" }

// FileName is the draft's file name: the day the incident opened and its
// number, so that a directory lists them in order and a name never
// changes.
func FileName(inc *incident.Incident) string {
	return fmt.Sprintf("%s-incident-%d.md", inc.CreatedAt.UTC().Format("2006-01-02"), inc.ID)
}

// Handle implements events.Consumer.
func (d *Drafts) Handle(ctx context.Context, ev incident.Event) error {
	dir := d.Service.Config().Postmortem.Directory
	if dir == "" || ev.Incident == 0 {
		return nil
	}
	switch ev.Kind {
	case incident.KindResolved, incident.KindNote, incident.KindStatusUpdate, incident.KindRoleAssigned,
		incident.KindSeverity, incident.KindActionAdded, incident.KindActionDone,
		incident.KindPostmortemOwner, incident.KindPostmortemDone:
	default:
		return nil
	}
	draft, err := d.Service.Load(ctx, ev.Incident, ev.At)
	switch {
	case errors.Is(err, incident.ErrNotFound):
		return nil // its retention ran out: what was written stays
	case err != nil:
		return err
	case draft.Incident.Open():
		return nil // a draft is for a resolved incident
	}
	path := filepath.Join(dir, FileName(draft.Incident))
	content := []byte(Render(draft))
	was, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("read post-mortem draft: %w", err)
	case sum(was) != draft.Postmortem.DraftSum:
		d.Service.Log.Info("post-mortem draft edited by people; leaving it as it is", "incident", ev.Incident, "path", path)
		return nil
	case sum(was) == sum(content):
		return nil
	}
	if err := writeFile(path, content); err != nil {
		d.Service.Log.Error("cannot write post-mortem draft; retrying", "incident", ev.Incident, "path", path, "err", err)
		return err
	}
	d.Service.Log.Info("post-mortem draft written", "incident", ev.Incident, "path", path)
	return d.Service.Store.PostmortemWritten(ctx, ev.Incident, path, sum(content))
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// writeFile replaces path with content at once (a temporary file renamed
// over it), so that a reader — git, an editor — never sees half a draft.
func writeFile(path string, content []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".pagerd-draft-*")
	if err != nil {
		return fmt.Errorf("write post-mortem draft: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(content); err != nil {
		tmp.Close()
		return fmt.Errorf("write post-mortem draft: %w", err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("write post-mortem draft: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write post-mortem draft: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write post-mortem draft: %w", err)
	}
	return nil
}
