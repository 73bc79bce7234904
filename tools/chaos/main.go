// Command chaos is pagerd's chaos harness: it runs N `pagerd serve`
// replicas against a real Redis, drives incidents through escalation while
// it restarts and kills replicas and takes Redis away, and then counts,
// per idempotency key, the pages expected, delivered, missing and
// duplicated, how late they were, and whether every alert pagerd answered
// 2xx for is stored.
//
//	go run ./tools/chaos                                     # 3 replicas, 2 minutes, rolling,kill,redis
//	go run ./tools/chaos --faults kill --duration 5m --max-late 10s
//	go run ./tools/chaos --sentinel --faults redis --json > report.json
//
// Exit status: 0 when the run passed; 1 when a page was missing, an
// alert or acknowledgement answered 2xx was lost, a page went out after
// an acknowledgement, or a threshold flag (--max-late, --max-duplicates,
// --max-resume) was exceeded; 2 when the harness itself could not run.
//
// # What runs
//
// The pagerd binary is built from the tree (go build ./cmd/pagerd into the
// work directory) and run as separate processes, the way production runs
// it: `pagerd serve --redis URL --listen 127.0.0.1:PORT --config DIR`. The
// harness never links the daemon in; it is an outside observer that
// talks to pagerd only through its HTTP API and the providers' ends of
// the wire.
//
//   - Redis: redis-server with AOF (appendfsync everysec), as
//     deploy/redis/redis.conf runs it; with --sentinel a primary, a
//     replica and three Sentinels (quorum 2), pagerd given the
//     redis://s1,s2,s3?master_name= URL.
//   - Twilio: internal/twiliofake's server, which pagerd reaches through
//     the twilio block's api_url: pagerd processes cannot be handed a
//     test HTTP client.
//   - SMTP: aiosmtpd (/usr/bin/python3 -m aiosmtpd) storing a Maildir, as
//     the test suite runs it.
//   - Webhooks: an HTTP receiver in the harness, which checks each
//     delivery's Standard Webhooks signature.
//
// The generated config (work directory's config/) has one policy of three
// steps, --step-after apart: alice by SMS; bob by email at once and again
// half a step later; carol by SMS. Every step pages webhook:pager too.
// Each person is in one step, so a text — whose body names its incident
// ("#42") but not its step — maps to one idempotency key.
//
// # What is expected
//
// The pages expected of an incident come from the planner the engine uses,
// router/escalation.Walk over the same config, from the run start pagerd
// stored (run_started_at, read through GET /v1/incidents/{id}: Redis's
// clock, which on one host is the harness's). Every page of the policy is
// expected, unless it was due after the incident was acknowledged. A
// receipt is tied to its key exactly: a webhook by its webhook-id (derived
// from the key and the destination), an email by its X-Pagerd-Key, a text
// by (incident, phone number). Lateness is the receiver's clock at receipt
// minus the due time; a text's receipt is when the Twilio fake accepted
// it, an email's when aiosmtpd wrote it.
//
// # What is driven
//
// --incidents incidents open evenly over --duration, each by its own
// alertname (the service groups by alertname), its first alert sent until
// a replica answers 2xx. A stream of Alertmanager webhooks (--alert-rate
// per second, 1-3 new alerts each, to a random open incident) runs
// meanwhile; every alert answered 2xx is checked at the end against the
// incident's stored alerts. Requests go to a random replica in the pool
// (the replicas running and ready), as through a load balancer; a replica
// leaves the pool before it is stopped.
//
// --ack-share of the incidents are acknowledged through the API mid-way
// (half into step 1, or a quarter into step 2), as the person paged would:
// only once every page due by then has arrived, and never within a fifth
// of a step of the next page, so an acknowledgement does not race a page.
// A page due between the acknowledgement's request and its effect may
// rightly not be sent; it is counted apart ("raced"), not as missing. A
// page due after the acknowledgement that arrives anyway is "unexpected",
// a failure.
//
// # Faults
//
// --faults gives the kinds, one phase each over --duration, in order; in
// its phase a kind recurs every --fault-every, first at a seeded random
// moment (--seed). --schedule gives exact times instead ("5s:rolling,20s:kill").
//
//   - rolling: each replica in turn leaves the pool, gets SIGTERM, is
//     started again once it exits (SIGKILL after 30s) and rejoins when
//     ready.
//   - kill: SIGKILL of a replica mid-escalation, started again a second
//     later.
//   - redis: redis-server stopped (SIGTERM: the AOF is written out) for
//     --redis-down and started again; with --sentinel, SIGKILL of the
//     primary and a Sentinel failover, the old primary back as a replica.
//   - redis-kill: SIGKILL of redis-server (appendfsync everysec may lose
//     up to a second of acknowledged writes), started again.
//
// A fault at a random moment would rarely hit a replica doing anything:
// an escalation step takes milliseconds. So kill and the first replica of
// rolling are aimed: the webhook receiver holds the next page it gets,
// the harness finds which replica holds the other end of that connection
// (/proc/net/tcp and /proc/PID/fd; Linux) and signals it while the send is
// in flight — with the incident's timer and the page's send claimed.
// Rolling answers the held page 200ms after the SIGTERM (a graceful
// shutdown has a send to finish); kill never does. Without a page within
// 10s, or without /proc, the victim is picked at random and the report
// says so.
//
// # Waiting and counting
//
// After --duration no incident is opened, no alert sent, no fault
// started. The harness then waits, up to --grace, on observable state:
// every expected page received, and past being sent again: recorded by
// pagerd (its provider id on the incident's timeline), or its incident
// acknowledged (a send not recorded is then refused). So a duplicate
// still to come is not missed, and nothing sleeps to prove an absence.
// (A send in flight when its incident was acknowledged can still land
// after the run: pagerd bounds it by its send timeout.)
//
// Pages are counted under the fault that last started before they were
// due ("none" before the first) — or, when their incident was held up by
// an earlier fault (a page of it over a second late and not yet received
// when they came due), under that fault: a replica killed mid-escalation
// delays the rest of its incident whatever happens meanwhile. With one
// phase per kind, a row is what that kind did; the problem list gives
// every late key with its times. For each Redis outage the report gives how long after
// Redis answered again the pages due during the outage went out.
//
// Duplicates are receipts of a key beyond the first. A webhook receiver
// that drops repeated webhook-ids would hide them from its users, but they
// are counted alike: they measure what the engine sent, as a second text
// would.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	opts, asJSON, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "chaos:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := Run(ctx, opts)
	if err != nil {
		fmt.Fprintln(stderr, "chaos:", err)
		return 2
	}
	if asJSON {
		if err := rep.WriteJSON(stdout); err != nil {
			fmt.Fprintln(stderr, "chaos:", err)
			return 2
		}
	} else {
		rep.WriteText(stdout)
	}
	if !rep.Pass {
		return 1
	}
	return 0
}

func parseFlags(args []string, stderr io.Writer) (Options, bool, error) {
	o := DefaultOptions()
	fs := flag.NewFlagSet("chaos", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, `Usage: go run ./tools/chaos [flags]

Runs pagerd replicas against a real Redis, drives incidents through
escalation while injecting faults, and reports per idempotency key the
pages expected, delivered, missing and duplicated, their lateness, and
whether every alert answered 2xx is stored. Exit 1 on a missed page or a
lost alert (or a threshold flag exceeded), 2 when the harness cannot run.

Flags:`)
		fs.PrintDefaults()
	}
	fs.IntVar(&o.Replicas, "replicas", o.Replicas, "pagerd serve processes")
	fs.DurationVar(&o.Duration, "duration", o.Duration, "how long to open incidents, send alerts and inject faults")
	fs.IntVar(&o.Incidents, "incidents", o.Incidents, "incidents to open, evenly over --duration")
	faults := fs.String("faults", "rolling,kill,redis", "fault kinds, one phase each in order: rolling, kill, redis, redis-kill; or none")
	schedule := fs.String("schedule", "", "exact faults instead of --faults: OFFSET:KIND,... (e.g. 5s:rolling,20s:kill)")
	fs.BoolVar(&o.Sentinel, "sentinel", o.Sentinel, "run Redis as a primary, a replica and 3 Sentinels; a redis fault is a failover")
	fs.IntVar(&o.WaitReplicas, "wait-replicas", o.WaitReplicas, "with --sentinel: pagerd's wait_replicas, how many replicas must hold a write before it is answered 2xx")
	fs.Uint64Var(&o.Seed, "seed", o.Seed, "seed of fault times, victims picked at random and acknowledgements")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	fs.Float64Var(&o.AlertRate, "alert-rate", o.AlertRate, "alert webhooks per second (1-3 alerts each)")
	fs.DurationVar(&o.StepAfter, "step-after", o.StepAfter, "delay between escalation steps")
	fs.Float64Var(&o.AckShare, "ack-share", o.AckShare, "share of incidents acknowledged mid-escalation")
	fs.DurationVar(&o.FaultEach, "fault-every", o.FaultEach, "how often a fault recurs within its phase")
	fs.DurationVar(&o.RedisDown, "redis-down", o.RedisDown, "how long redis-server stays stopped in a redis fault")
	fs.DurationVar(&o.Grace, "grace", o.Grace, "after --duration, how long pages due may take to arrive before they count as missing")
	fs.DurationVar(&o.Poll, "poll", o.Poll, "pagerd serve --poll (0: pagerd's default)")
	fs.IntVar(&o.Shards, "redis-shards", o.Shards, "pagerd serve --redis-shards: shards of the keyspace, all on the one Redis")
	fs.DurationVar(&o.MaxLate, "max-late", o.MaxLate, "fail when a page is later than this (0: report only)")
	fs.IntVar(&o.MaxDuplicates, "max-duplicates", o.MaxDuplicates, "fail when more pages than this are sent twice (-1: report only)")
	fs.DurationVar(&o.MaxResume, "max-resume", o.MaxResume, "fail when pages resume later than this after Redis is back (0: report only)")
	fs.StringVar(&o.Pagerd, "pagerd", "", "pagerd binary to run (default: go build ./cmd/pagerd)")
	fs.StringVar(&o.WorkDir, "workdir", "", "directory for config, logs and Redis data (default: a temporary one, removed unless the run fails or --keep)")
	fs.BoolVar(&o.Keep, "keep", false, "keep the temporary work directory")
	quiet := fs.Bool("quiet", false, "no progress lines on stderr")
	if err := fs.Parse(args); err != nil {
		return o, false, err
	}
	if fs.NArg() > 0 {
		return o, false, fmt.Errorf("unexpected argument %q: the harness takes flags only", fs.Arg(0))
	}
	var err error
	if o.Faults, err = parseKinds(*faults); err != nil {
		return o, false, fmt.Errorf("--faults: %w", err)
	}
	if *schedule != "" {
		if o.Schedule, err = parseSchedule(*schedule); err != nil {
			return o, false, fmt.Errorf("--schedule: %w", err)
		}
	}
	if !*quiet {
		o.Log = stderr
	}
	if o.Grace < time.Second {
		return o, false, fmt.Errorf("--grace must be at least 1s")
	}
	return o, *asJSON, nil
}
