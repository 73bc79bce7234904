package testenv

import (
	"context"
	"strings"
	"testing"
)

func TestRedisClusterSpreadsSlotsOverEveryMaster(t *testing.T) {
	c := StartRedisCluster(t, 3)
	if len(c.Addrs) != 3 || c.URL() != "redis://"+strings.Join(c.Addrs, ",") {
		t.Fatalf("Addrs = %v, URL = %s", c.Addrs, c.URL())
	}
	ctx := context.Background()
	shards, err := c.Client(t).ClusterShards(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	slots := 0
	for _, sh := range shards {
		for _, r := range sh.Slots {
			slots += int(r.End-r.Start) + 1
		}
	}
	if len(shards) != 3 || slots != 16384 {
		t.Errorf("cluster has %d shards serving %d slots, want 3 serving 16384", len(shards), slots)
	}
}

func TestRedisSentinelHandsOutTheMaster(t *testing.T) {
	s := StartRedisSentinel(t)
	if want := "redis://" + s.SentinelAddr + "?master_name=mymaster"; s.URL() != want {
		t.Errorf("URL = %s, want %s", s.URL(), want)
	}
	ctx := context.Background()
	c := s.Client(t)
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Master.Client(t).Get(ctx, "k").Result(); err != nil || v != "v" {
		t.Errorf("master has k = %q, %v; want the value written through the Sentinel", v, err)
	}
}
