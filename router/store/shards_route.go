package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/pagerd/pagerd/incident"
)

// The Store methods about one incident (or one action item) run on its
// shard: see Store.

func (s *Store) AddAction(ctx context.Context, a NewAction) (int64, error) {
	return s.idShard(a.Incident).AddAction(ctx, a)
}

func (s *Store) ActionDone(ctx context.Context, n int64, by, via string) (bool, error) {
	return s.actionShard(n).ActionDone(ctx, n, by, via)
}

func (s *Store) ActionReminded(ctx context.Context, n int64, next time.Time) error {
	return s.actionShard(n).ActionReminded(ctx, n, next)
}

func (s *Store) Action(ctx context.Context, n int64) (incident.ActionItem, error) {
	return s.actionShard(n).Action(ctx, n)
}

func (s *Store) Actions(ctx context.Context, inc int64) ([]incident.ActionItem, error) {
	return s.idShard(inc).Actions(ctx, inc)
}

func (s *Store) NamePostmortemOwner(ctx context.Context, id int64, owner, why string, required bool, detail string) (string, error) {
	return s.idShard(id).NamePostmortemOwner(ctx, id, owner, why, required, detail)
}

func (s *Store) PostmortemDone(ctx context.Context, id int64, by, via string) (bool, error) {
	return s.idShard(id).PostmortemDone(ctx, id, by, via)
}

func (s *Store) PostmortemWritten(ctx context.Context, id int64, path, sum string) error {
	return s.idShard(id).PostmortemWritten(ctx, id, path, sum)
}

func (s *Store) Postmortem(ctx context.Context, id int64) (incident.Postmortem, error) {
	return s.idShard(id).Postmortem(ctx, id)
}

func (s *Store) Assign(ctx context.Context, id int64, role incident.Role, user, by, via string) (CommandResult, error) {
	return s.idShard(id).Assign(ctx, id, role, user, by, via)
}

func (s *Store) SetSeverity(ctx context.Context, id int64, name string, rank int, by, via string) (CommandResult, error) {
	return s.idShard(id).SetSeverity(ctx, id, name, rank, by, via)
}

func (s *Store) PostUpdate(ctx context.Context, id int64, u incident.StatusUpdate, retention time.Duration) (CommandResult, error) {
	return s.idShard(id).PostUpdate(ctx, id, u, retention)
}

func (s *Store) Updates(ctx context.Context, id int64) ([]incident.StatusUpdate, error) {
	return s.idShard(id).Updates(ctx, id)
}

func (s *Store) TimelinePage(ctx context.Context, id int64, after string, limit int64) ([]incident.Fact, string, error) {
	return s.idShard(id).TimelinePage(ctx, id, after, limit)
}

func (s *Store) Folded(ctx context.Context, id int64, limit int64) ([]*incident.Incident, int64, error) {
	return s.idShard(id).Folded(ctx, id, limit)
}

func (s *Store) SettleStorm(ctx context.Context, id int64, retention time.Duration) (passed, resolved bool, err error) {
	return s.idShard(id).SettleStorm(ctx, id, retention)
}

func (s *Store) Incident(ctx context.Context, id int64) (*incident.Incident, error) {
	return s.idShard(id).Incident(ctx, id)
}

func (s *Store) Alerts(ctx context.Context, id int64) ([]json.RawMessage, error) {
	return s.idShard(id).Alerts(ctx, id)
}

func (s *Store) Timeline(ctx context.Context, id int64) ([]incident.Fact, error) {
	return s.idShard(id).Timeline(ctx, id)
}

func (s *Store) Act(ctx context.Context, req incident.Request, retention time.Duration) (incident.Result, error) {
	return s.idShard(req.Incident).Act(ctx, req, retention)
}

func (s *Store) Refused(ctx context.Context, req incident.Request, why string) error {
	return s.idShard(req.Incident).Refused(ctx, req, why)
}

func (s *Store) Reopen(ctx context.Context, id int64, ackedAt time.Time, by string) (bool, error) {
	return s.idShard(id).Reopen(ctx, id, ackedAt, by)
}

func (s *Store) ExpireAlerts(ctx context.Context, id int64, retention time.Duration) (closed bool, err error) {
	return s.idShard(id).ExpireAlerts(ctx, id, retention)
}

func (s *Store) Append(ctx context.Context, id int64, kind incident.Kind, detail, once string, onceTTL time.Duration) (bool, error) {
	return s.idShard(id).Append(ctx, id, kind, detail, once, onceTTL)
}

func (s *Store) Message(ctx context.Context, id int64, key string) (string, bool, error) {
	return s.idShard(id).Message(ctx, id, key)
}

func (s *Store) KeepMessage(ctx context.Context, id int64, key, ref string) error {
	return s.idShard(id).KeepMessage(ctx, id, key, ref)
}

func (s *Store) Messages(ctx context.Context, id int64, prefix string) (map[string]string, error) {
	return s.idShard(id).Messages(ctx, id, prefix)
}

func (s *Store) KeepMessageAt(ctx context.Context, id int64, key, ref, place, thread string) error {
	return s.idShard(id).KeepMessageAt(ctx, id, key, ref, place, thread)
}

func (s *Store) Reroute(ctx context.Context, id int64, unrouted string, targets []RerouteTarget, stay bool, by string, retention time.Duration) ([]int64, error) {
	return s.idShard(id).Reroute(ctx, id, unrouted, targets, stay, by, retention)
}

func (s *Store) ClaimSend(ctx context.Context, id int64, status incident.Status, run int, key string, lease time.Duration, owner string) (SendState, time.Duration, error) {
	return s.idShard(id).ClaimSend(ctx, id, status, run, key, lease, owner)
}

func (s *Store) RenewSend(ctx context.Context, id int64, key, owner string, lease time.Duration) (bool, error) {
	return s.idShard(id).RenewSend(ctx, id, key, owner, lease)
}

func (s *Store) ReleaseSend(ctx context.Context, id int64, key, owner string) error {
	return s.idShard(id).ReleaseSend(ctx, id, key, owner)
}

func (s *Store) FinishSend(ctx context.Context, id int64, r SendResult) error {
	return s.idShard(id).FinishSend(ctx, id, r)
}

func (s *Store) SendsDone(ctx context.Context, id int64) (map[string]bool, error) {
	return s.idShard(id).SendsDone(ctx, id)
}

func (s *Store) Status(ctx context.Context, id int64) (status incident.Status, run int, err error) {
	return s.idShard(id).Status(ctx, id)
}

func (s *Store) Notified(ctx context.Context, id int64) ([]incident.Reached, error) {
	return s.idShard(id).Notified(ctx, id)
}

func (s *Store) IncidentSnapshot(ctx context.Context, id int64) (Snapshot, error) {
	return s.idShard(id).IncidentSnapshot(ctx, id)
}

func (s *Store) PostPage(ctx context.Context, post PagePost) (PagePosted, error) {
	return s.idShard(post.Incident).PostPage(ctx, post)
}

func (s *Store) PageIncident(ctx context.Context, id int64) (*incident.PageIncident, error) {
	return s.idShard(id).PageIncident(ctx, id)
}

func (s *Store) AlertDocs(ctx context.Context, id int64, fingerprints []string) (map[string]json.RawMessage, error) {
	return s.idShard(id).AlertDocs(ctx, id, fingerprints)
}

func (s *Store) Review(ctx context.Context, id int64, service, silences string, reviewAt time.Time, alerts []ReviewedAlert) error {
	return s.idShard(id).Review(ctx, id, service, silences, reviewAt, alerts)
}
