package app

import (
	"reflect"
	"testing"
)

func TestParseRedisURL(t *testing.T) {
	tests := []struct {
		in      string
		addrs   []string
		master  string
		db      int
		pass    string
		tls     bool
		wantErr bool
	}{
		{in: "redis://localhost:6380", addrs: []string{"localhost:6380"}},
		{in: "redis://:pw@10.0.0.1/2", addrs: []string{"10.0.0.1:6379"}, db: 2, pass: "pw"},
		{in: "redis://s1:26379,s2:26379?master_name=mymaster", addrs: []string{"s1:26379", "s2:26379"}, master: "mymaster"},
		{in: "rediss://n1:7000,n2:7000,n3:7000", addrs: []string{"n1:7000", "n2:7000", "n3:7000"}, tls: true},
		{in: "http://localhost", wantErr: true},
		{in: "redis://", wantErr: true},
		{in: "redis://h/x", wantErr: true},
		{in: "redis://a,b/3", wantErr: true},
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
		if !reflect.DeepEqual(got.Addrs, tc.addrs) || got.MasterName != tc.master || got.DB != tc.db ||
			got.Password != tc.pass || (got.TLSConfig != nil) != tc.tls {
			t.Errorf("ParseRedisURL(%q) = %+v", tc.in, got)
		}
	}
}
