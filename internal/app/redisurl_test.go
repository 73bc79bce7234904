package app

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseRedisURL(t *testing.T) {
	tests := []struct {
		in      string
		addrs   []string
		master  string
		db      int
		pass    string
		tls     bool
		cluster bool
		wait    int
		waitFor time.Duration
		wantErr bool
	}{
		{in: "redis://localhost:6380", addrs: []string{"localhost:6380"}},
		{in: "redis://:pw@10.0.0.1/2", addrs: []string{"10.0.0.1:6379"}, db: 2, pass: "pw"},
		{in: "redis://s1:26379,s2:26379?master_name=mymaster", addrs: []string{"s1:26379", "s2:26379"}, master: "mymaster"},
		{in: "rediss://n1:7000,n2:7000,n3:7000", addrs: []string{"n1:7000", "n2:7000", "n3:7000"}, tls: true},
		{in: "redis://cfg.example:6379?cluster=true", addrs: []string{"cfg.example:6379"}, cluster: true},
		{in: "redis://cfg.example?cluster=maybe", wantErr: true},
		{in: "redis://a,b?cluster=true&master_name=m", wantErr: true},
		{in: "http://localhost", wantErr: true},
		{in: "redis://", wantErr: true},
		{in: "redis://h/x", wantErr: true},
		{in: "redis://a,b/3", wantErr: true},
		{in: "redis://s1:26379?master_name=m&wait_replicas=1", addrs: []string{"s1:26379"}, master: "m", wait: 1, waitFor: 100 * time.Millisecond},
		{in: "redis://h?wait_replicas=2&wait_timeout=250ms", addrs: []string{"h:6379"}, wait: 2, waitFor: 250 * time.Millisecond},
		{in: "redis://h?wait_replicas=x", wantErr: true},
		{in: "redis://h?wait_replicas=1&wait_timeout=soon", wantErr: true},
		{in: "redis://n1,n2,n3?wait_replicas=1", wantErr: true}, // Cluster
		{in: "redis://cfg?cluster=true&wait_replicas=1", wantErr: true},
	}
	for _, tc := range tests {
		got, err := ParseRedisURL(tc.in)
		if tc.wantErr {
			if err == nil {
				t.Errorf("ParseRedisURL(%q) = %+v, want error", tc.in, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseRedisURL(%q): %v", tc.in, err)
			continue
		}
		o := got.Options
		if !reflect.DeepEqual(o.Addrs, tc.addrs) || o.MasterName != tc.master || o.DB != tc.db ||
			o.Password != tc.pass || (o.TLSConfig != nil) != tc.tls || o.IsClusterMode != tc.cluster ||
			got.Durability.Replicas != tc.wait || got.Durability.Timeout != tc.waitFor ||
			o.PoolSize < minPoolSize {
			t.Errorf("ParseRedisURL(%q) = %+v, durability %+v", tc.in, o, got.Durability)
		}
	}
}

// Errors end up in logs and on the terminal: they must not quote a password.
func TestParseRedisURLErrorsHidePasswords(t *testing.T) {
	for _, in := range []string{
		"redis://:hunter2@/0",
		"redis://user:hunter2@",
		"redis://:hunter2@host:6379/%zz",
		"redis://:hunter2@host:port\x7f",
		"redis://:hunter2@host:6379/db",
	} {
		_, err := ParseRedisURL(in)
		if err == nil {
			t.Errorf("ParseRedisURL(%q) succeeded, want an error", in)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("ParseRedisURL(%q) error shows the password: %v", in, err)
		}
	}
}
