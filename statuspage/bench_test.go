package statuspage

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkServePage is one cached page served from memory, as a
// browser asks for it (gzip): what every request during an outage costs
// the handler itself.
func BenchmarkServePage(b *testing.B) {
	for _, path := range []string{"/status/public", "/status/public/api/v2/summary.json"} {
		b.Run(path, func(b *testing.B) {
			c, snap := goldenCache(b)
			c.snap.Store(snap)
			h := (&Handler{Cache: c}).Handler()
			req := httptest.NewRequest(http.MethodGet, path, nil)
			req.Header.Set("Accept-Encoding", "gzip")
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatal(w.Code)
				}
			}
		})
	}
}

// BenchmarkServePageHTTP is the same over loopback HTTP, many clients.
func BenchmarkServePageHTTP(b *testing.B) {
	c, snap := goldenCache(b)
	c.snap.Store(snap)
	srv := httptest.NewServer((&Handler{Cache: c}).Handler())
	defer srv.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}
	client := &http.Client{Transport: tr}
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/status/public", nil)
			req.Header.Set("Accept-Encoding", "gzip")
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
}
