package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Console sign-in: a magic link may be used once (`magic:<id>`, kept as
// long as the link could still be valid), and a session is a hash
// `session:<digest>` under the SHA-256 of its cookie, so that what Redis
// holds cannot be replayed as a cookie.

// ErrNoSession is the error for a session that does not exist or expired.
var ErrNoSession = errors.New("no such session")

// UseMagicLink marks the magic link id used for ttl and reports whether
// this was its first use.
func (s *shard) UseMagicLink(ctx context.Context, id string, ttl time.Duration) (bool, error) {
	ok, err := s.rdb.SetNX(ctx, s.key("magic", id), 1, max(ttl, time.Millisecond)).Result()
	if err != nil {
		return false, fmt.Errorf("use magic link: %w", err)
	}
	return ok, nil
}

// Session is a signed-in console user.
type Session struct {
	User string
	// CSRF is the token every form of the session must carry.
	CSRF      string
	CreatedAt time.Time
}

// CreateSession keeps a session under digest for ttl.
func (s *shard) CreateSession(ctx context.Context, digest string, sess Session, ttl time.Duration) error {
	k := s.key("session", digest)
	pipe := s.rdb.TxPipeline()
	pipe.HSet(ctx, k, "user", sess.User, "csrf", sess.CSRF, "created_ms", sess.CreatedAt.UnixMilli())
	pipe.PExpire(ctx, k, max(ttl, time.Millisecond))
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// Session returns the session under digest, or ErrNoSession.
func (s *shard) Session(ctx context.Context, digest string) (Session, error) {
	h, err := s.rdb.HGetAll(ctx, s.key("session", digest)).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return Session{}, fmt.Errorf("load session: %w", err)
	}
	if h["user"] == "" {
		return Session{}, ErrNoSession
	}
	return Session{User: h["user"], CSRF: h["csrf"], CreatedAt: msTime(h["created_ms"])}, nil
}

// EndSession deletes the session under digest.
func (s *shard) EndSession(ctx context.Context, digest string) error {
	if err := s.rdb.Del(ctx, s.key("session", digest)).Err(); err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// MagicLinkUsed reports whether the magic link id was used.
func (s *shard) MagicLinkUsed(ctx context.Context, id string) (bool, error) {
	n, err := s.rdb.Exists(ctx, s.key("magic", id)).Result()
	if err != nil {
		return false, fmt.Errorf("look up magic link: %w", err)
	}
	return n == 1, nil
}
