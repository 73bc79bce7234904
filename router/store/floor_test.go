package store

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/pagerd/pagerd/internal/testenv"
)

// floorScript is the least a deduplicating store can do, atomically, for
// a new alert joining an open group: look its fingerprint up, find the
// group's incident, record the alert as firing, keep its document, index
// its fingerprint. With a last argument "facts" it also does the three
// writes ingest.lua adds for such an alert: the incident's alert count,
// its timeline fact and its timer.
const floorScript = `
local facts = ARGV[#ARGV] == 'facts'
local out = {}
for i = 1, #KEYS / 2 do
  local fp, doc, ends = ARGV[3 * i - 2], ARGV[3 * i - 1], ARGV[3 * i]
  local fpx = KEYS[2 * i]
  local id = redis.call('HGET', fpx, fp)
  if not id then
    id = redis.call('GET', KEYS[2 * i - 1])
    local ik = '{pagerd}:inc:' .. id
    redis.call('HSETNX', ik .. ':firing', fp, ends)
    redis.call('HSET', ik .. ':alerts', fp, doc)
    redis.call('HSET', fpx, fp, id)
    if facts then
      redis.call('HINCRBY', ik, 'alerts_total', '1')
      redis.call('XADD', ik .. ':timeline', '*', 'at', ends, 'event', 'alert_firing',
        'detail', fp, 'actor', '', 'via', '')
      redis.call('ZADD', '{pagerd}:timers', 'LT', ends, id)
    end
  end
  out[i] = id
end
return out
`

// BenchmarkIngestFloor is BenchmarkIngestNew100's load at the floor of
// the work, on Redis's own clock: floorScript in one call per 100 alerts,
// without ("script") and with ("script+facts") the writes ingest.lua
// adds, and the floor's writes as plain pipelined commands with the
// incident already known ("commands", which gives up atomic dedup). Next
// to BenchmarkIngestNew100 it says where ingest.lua's time goes, and how
// far below it any layout could go (issue 13, target 1; docs/performance.md).
func BenchmarkIngestFloor(b *testing.B) {
	for _, mode := range []string{"script", "script+facts", "commands"} {
		b.Run(mode, func(b *testing.B) {
			srv := testenv.StartRedis(b)
			rdb := srv.Client(b)
			s := New(rdb, "pagerd")
			ctx := context.Background()
			// 1,000 open groups, each pointing at its incident.
			incidents := map[string]string{}
			for g := range 1000 {
				a := loadAlert(g, 1000)
				incidents[a.GroupID] = strconv.Itoa(g + 1)
				if err := rdb.Set(ctx, s.key("grp", a.GroupID), g+1, 0).Err(); err != nil {
					b.Fatal(err)
				}
			}
			script := redis.NewScript(floorScript)
			if err := rdb.ConfigResetStat(ctx).Err(); err != nil {
				b.Fatal(err)
			}
			for i := 0; b.Loop(); i++ {
				var keys []string
				var args []any
				pipe := rdb.Pipeline()
				for j := range 100 {
					a := loadAlert(1000+i*100+j, 1000)
					ends := strconv.FormatInt(a.EndsAt.UnixMilli(), 10)
					doc := packDoc(a.Fingerprint, a.Doc)
					if mode == "commands" {
						ik := s.key("inc", incidents[a.GroupID])
						pipe.HSetNX(ctx, ik+":firing", a.Fingerprint, ends)
						pipe.HSet(ctx, ik+":alerts", a.Fingerprint, doc)
						pipe.HSet(ctx, s.fpIndexKey(a.Fingerprint), a.Fingerprint, incidents[a.GroupID])
						continue
					}
					keys = append(keys, s.key("grp", a.GroupID), s.fpIndexKey(a.Fingerprint))
					args = append(args, a.Fingerprint, doc, ends)
				}
				var err error
				if mode == "commands" {
					_, err = pipe.Exec(ctx)
				} else {
					err = script.Run(ctx, rdb, keys, append(args, strings.TrimPrefix(mode, "script+"))...).Err()
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(redisMicrosPerAlert(b, rdb, b.N*100), "redis-µs/alert")
		})
	}
}

// redisMicrosPerAlert is the time Redis spent running commands since
// CONFIG RESETSTAT, per alert, apart from what the client and the
// machine's other work took. When scripts ran, only their time counts:
// the commands a script calls are counted inside it too.
func redisMicrosPerAlert(tb testing.TB, rdb *redis.Client, alerts int) float64 {
	tb.Helper()
	stats, err := testenv.CommandStats(context.Background(), rdb)
	if err != nil {
		tb.Fatal(err)
	}
	_, evalsha := stats["evalsha"]
	_, eval := stats["eval"]
	var total int64
	for name, st := range stats {
		if name == "info" || (evalsha || eval) && name != "evalsha" && name != "eval" {
			continue
		}
		total += st.Usec
	}
	return float64(total) / float64(alerts)
}
