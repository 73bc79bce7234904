package router

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pagerd/pagerd/internal/testenv"
	"github.com/pagerd/pagerd/pagers"
	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router/store"
	"github.com/pagerd/pagerd/schedules"
)

// sentNotice is one notification a recorder got, and when (by the fake
// clock) it got it.
type sentNotice struct {
	at time.Time
	n  pagers.Notification
}

// recorder is a Pager that remembers what it was asked to send.
type recorder struct {
	clock *testenv.Clock
	mu    sync.Mutex
	sent  []sentNotice
}

func (r *recorder) Send(_ context.Context, n pagers.Notification) (pagers.Receipt, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, sentNotice{at: r.clock.Now(), n: n})
	return pagers.Receipt{Channel: n.Channel, ProviderID: fmt.Sprintf("rec-%d", len(r.sent))}, nil
}

func (r *recorder) Sent() []sentNotice {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]sentNotice(nil), r.sent...)
}

// noticeWorld is one Redis shared by engines ("replicas") with one config
// and one fake clock; each engine has its own recording pagers.
type noticeWorld struct {
	t     *testing.T
	redis *testenv.RedisServer
	clock *testenv.Clock
	cfg   *policies.Config
}

func newNoticeWorld(t *testing.T, start time.Time, cfg *policies.Config) *noticeWorld {
	return &noticeWorld{t: t, redis: testenv.StartRedis(t), clock: testenv.NewClock(start), cfg: cfg}
}

// engine starts a replica; its pagers record into the returned map, by
// channel ("sms", "console").
func (w *noticeWorld) engine(name string) (*Engine, map[string]*recorder) {
	st := store.New(w.redis.Client(w.t), "notices")
	st.Clock = w.clock.Now
	recs := map[string]*recorder{"sms": {clock: w.clock}, "console": {clock: w.clock}}
	ps := pagers.Set{}
	for ch, r := range recs {
		ps[ch] = r
	}
	e := &Engine{
		Store:  st,
		Config: func() *policies.Config { return w.cfg },
		Pagers: func() pagers.Set { return ps },
		Log:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		Owner:  name,
	}
	return e, recs
}

func utc(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

// dailyConfig: alice and bob take turns daily at 09:00 UTC from 28 Nov
// (alice on 28, 30 Nov and 2 Dec); alice wants an SMS an hour before.
func dailyConfig(notices ...policies.ShiftNotice) *policies.Config {
	sched := &schedules.Schedule{Name: "primary", Location: time.UTC, Layers: []schedules.Layer{{
		Name: "daily", Users: []string{"alice", "bob"}, Start: utc("2026-11-28 09:00"),
		Every: schedules.ShiftLength{Days: 1}, OnCall: 1,
	}}}
	if len(notices) == 0 {
		notices = []policies.ShiftNotice{{Before: time.Hour, Via: "sms"}}
	}
	return &policies.Config{
		Users: map[string]*policies.User{
			"alice": {Name: "alice", Contacts: map[string]string{"phone": "+15550000001"}, ShiftNotices: notices},
			"bob":   {Name: "bob", Contacts: map[string]string{"phone": "+15550000002"}},
		},
		Schedules: map[string]*schedules.Schedule{"primary": sched},
	}
}

// describe is a sent notice in one line, for comparing with want.
func describe(s sentNotice) string {
	n := s.n
	if n.Shift == nil {
		return fmt.Sprintf("at %s %s to %s via %s: no shift", s.at.Format("01-02 15:04"), n.Kind, n.Address, n.Channel)
	}
	return fmt.Sprintf("at %s %s to %s via %s: %s %s..%s in %s",
		s.at.Format("01-02 15:04"), n.Kind, n.Address, n.Channel, n.Shift.Schedule,
		n.Shift.Start.Format("01-02 15:04"), n.Shift.End.Format("01-02 15:04"), n.Shift.StartsIn)
}

func describeAll(sent []sentNotice) string {
	var lines []string
	for _, s := range sent {
		lines = append(lines, describe(s))
	}
	return strings.Join(lines, "\n")
}

// run calls SendShiftNotices on every engine, calls times each, all at once,
// at every step from the clock's time to until.
func (w *noticeWorld) run(until time.Time, step time.Duration, calls int, engines ...*Engine) {
	w.t.Helper()
	ctx := context.Background()
	for ; !w.clock.Now().After(until); w.clock.Advance(step) {
		var wg sync.WaitGroup
		errs := make(chan error, calls*len(engines))
		for _, e := range engines {
			for range calls {
				wg.Go(func() { errs <- e.SendShiftNotices(ctx) })
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				w.t.Fatalf("SendShiftNotices at %s: %v", w.clock.Now(), err)
			}
		}
	}
}

func TestShiftNoticeOncePerShift(t *testing.T) {
	w := newNoticeWorld(t, utc("2026-11-29 06:00"), dailyConfig())
	e, recs := w.engine("r1")
	w.run(utc("2026-12-02 06:00"), 5*time.Minute, 3, e)

	want := strings.Join([]string{
		"at 11-30 08:00 shift_notice to +15550000001 via sms: primary 11-30 09:00..12-01 09:00 in 1h0m0s",
	}, "\n")
	if got := describeAll(recs["sms"].Sent()); got != want {
		t.Errorf("sent by SMS:\n%s\nwant\n%s", got, want)
	}
	// Carry on into the next of alice's shifts.
	w.run(utc("2026-12-03 06:00"), 5*time.Minute, 3, e)
	want += "\nat 12-02 08:00 shift_notice to +15550000001 via sms: primary 12-02 09:00..12-03 09:00 in 1h0m0s"
	if got := describeAll(recs["sms"].Sent()); got != want {
		t.Errorf("sent by SMS:\n%s\nwant\n%s", got, want)
	}
	if got := recs["console"].Sent(); len(got) != 0 {
		t.Errorf("sent to the console:\n%s\nwant nothing", describeAll(got))
	}
	sent := recs["sms"].Sent()[0].n
	if want := "shift:primary:alice:" + fmt.Sprint(utc("2026-11-30 09:00").Unix()) + ":1h0m0s:sms"; sent.Key != want {
		t.Errorf("Key = %q, want %q", sent.Key, want)
	}
	if sent.User != "alice" || sent.Shift.Location != time.UTC {
		t.Errorf("User, Location = %q, %v; want alice, UTC", sent.User, sent.Shift.Location)
	}
}

func TestShiftNoticeTwoReplicas(t *testing.T) {
	w := newNoticeWorld(t, utc("2026-11-29 06:00"), dailyConfig())
	e1, recs1 := w.engine("r1")
	e2, recs2 := w.engine("r2")
	w.run(utc("2026-12-03 06:00"), 5*time.Minute, 2, e1, e2)

	all := append(recs1["sms"].Sent(), recs2["sms"].Sent()...)
	var starts []string
	for _, s := range all {
		starts = append(starts, s.n.Shift.Start.Format("01-02 15:04"))
	}
	got := strings.Join(starts, ",")
	if got != "11-30 09:00,12-02 09:00" && got != "12-02 09:00,11-30 09:00" {
		t.Errorf("notices sent by both replicas for shifts starting %s, want one each for 11-30 09:00 and 12-02 09:00:\n%s", got, describeAll(all))
	}
}

func TestShiftNoticeNotForAStartedShift(t *testing.T) {
	// Alice's shift started at 09:00; the next one is two days away.
	w := newNoticeWorld(t, utc("2026-11-30 09:00"), dailyConfig())
	e, recs := w.engine("r1")
	w.run(utc("2026-11-30 12:00"), 30*time.Second, 1, e)
	if got := recs["sms"].Sent(); len(got) != 0 {
		t.Errorf("sent:\n%s\nwant nothing for a shift that already started", describeAll(got))
	}
}

func TestShiftNoticeLateStillBeforeTheShift(t *testing.T) {
	// No replica ran at 08:00; the one that starts at 08:40 still warns.
	w := newNoticeWorld(t, utc("2026-11-30 08:40"), dailyConfig())
	e, recs := w.engine("r1")
	w.run(utc("2026-11-30 10:00"), 5*time.Minute, 1, e)
	want := "at 11-30 08:40 shift_notice to +15550000001 via sms: primary 11-30 09:00..12-01 09:00 in 20m0s"
	if got := describeAll(recs["sms"].Sent()); got != want {
		t.Errorf("sent:\n%s\nwant\n%s", got, want)
	}
}

func TestShiftNoticeForAnOverride(t *testing.T) {
	// Bob alone is on the rotation; alice covers 15:00–18:00 on 1 Dec.
	cfg := dailyConfig()
	sched := cfg.Schedules["primary"]
	sched.Layers[0].Users = []string{"bob"}
	sched.Overrides = []schedules.Override{{User: "alice", From: utc("2026-12-01 15:00"), To: utc("2026-12-01 18:00")}}
	w := newNoticeWorld(t, utc("2026-11-30 00:00"), cfg)
	e, recs := w.engine("r1")
	w.run(utc("2026-12-02 12:00"), 5*time.Minute, 2, e)
	want := "at 12-01 14:00 shift_notice to +15550000001 via sms: primary 12-01 15:00..12-01 18:00 in 1h0m0s"
	if got := describeAll(recs["sms"].Sent()); got != want {
		t.Errorf("sent:\n%s\nwant\n%s", got, want)
	}
}

func TestShiftNoticeSeveralRemindersAndFallback(t *testing.T) {
	// A day and an hour before by SMS, and an email alice has no address
	// (and pagerd no provider) for, which goes to the console.
	cfg := dailyConfig(
		policies.ShiftNotice{Before: 24 * time.Hour, Via: "sms"},
		policies.ShiftNotice{Before: time.Hour, Via: "sms"},
		policies.ShiftNotice{Before: 30 * time.Minute, Via: "email"},
	)
	w := newNoticeWorld(t, utc("2026-11-29 06:00"), cfg)
	e, recs := w.engine("r1")
	w.run(utc("2026-11-30 12:00"), 5*time.Minute, 2, e)
	want := strings.Join([]string{
		"at 11-29 09:00 shift_notice to +15550000001 via sms: primary 11-30 09:00..12-01 09:00 in 24h0m0s",
		"at 11-30 08:00 shift_notice to +15550000001 via sms: primary 11-30 09:00..12-01 09:00 in 1h0m0s",
	}, "\n")
	if got := describeAll(recs["sms"].Sent()); got != want {
		t.Errorf("sent by SMS:\n%s\nwant\n%s", got, want)
	}
	want = "at 11-30 08:30 shift_notice to alice via console: primary 11-30 09:00..12-01 09:00 in 30m0s"
	if got := describeAll(recs["console"].Sent()); got != want {
		t.Errorf("sent to the console:\n%s\nwant\n%s", got, want)
	}
}

func TestShiftNoticeNobodyOptedIn(t *testing.T) {
	cfg := dailyConfig()
	cfg.Users["alice"].ShiftNotices = nil
	w := newNoticeWorld(t, utc("2026-11-30 07:00"), cfg)
	e, recs := w.engine("r1")
	w.run(utc("2026-11-30 10:00"), 5*time.Minute, 1, e)
	if got := recs["sms"].Sent(); len(got) != 0 {
		t.Errorf("sent:\n%s\nwant nothing", describeAll(got))
	}
}

// A user's own time zone wins over the schedule's in their shift notice:
// the text reads "starts Mon 30 Nov 10:00 CET" for a Berlin engineer on a
// UTC schedule.
func TestShiftNoticeInTheUsersZone(t *testing.T) {
	cfg := dailyConfig()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Users["alice"].Location = berlin
	w := newNoticeWorld(t, utc("2026-11-30 07:59"), cfg)
	e, recs := w.engine("a")
	w.run(utc("2026-11-30 08:01"), time.Minute, 1, e)
	sent := recs["sms"].Sent()
	if len(sent) != 1 || sent[0].n.Shift == nil {
		t.Fatalf("sent %s, want alice's one notice", describeAll(sent))
	}
	if got := pagers.ShortText(sent[0].n, 0); !strings.Contains(got, "Mon 30 Nov 10:00 CET") {
		t.Errorf("notice = %q, want the start in Berlin time, Mon 30 Nov 10:00 CET", got)
	}
}
