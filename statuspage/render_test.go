package statuspage

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/incident"
	"github.com/pagerd/pagerd/links"
	"github.com/pagerd/pagerd/policies"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/")

const goldenConfig = viewConfig + `
status_page "internal" {
  title      = "Example Status (employees)"
  components = ["Checkout API"]
  public     = false
  public_url = "https://status.example.com/internal"
}
`

// goldenIncidents are a resolved incident of yesterday and an active one
// of today.
func goldenIncidents() []*incident.PageIncident {
	old := published(1, "Card payments failing", "0 investigating:Card_payments=major_outage,Checkout_API=partial_outage",
		"45 identified:", "90 resolved:Card_payments=operational,Checkout_API=operational")
	old.Code = "k3x9a1b2c3d4"
	for i := range old.Updates {
		old.Updates[i].At = old.Updates[i].At.Add(-24 * time.Hour)
		old.Updates[i].Body = []string{"Payments are failing for some cards.", "A certificate expired; renewing it.", "Payments work again."}[i]
	}
	old.CreatedAt, old.UpdatedAt, old.ResolvedAt = old.Updates[0].At, old.Updates[2].At, old.Updates[2].At
	slow := published(2, "Slow search <results>", "0 investigating:Search=degraded_performance", "20 monitoring:")
	slow.Code = "p8q7r6s5t4u3"
	slow.MonitoringAt = slow.Updates[1].At
	slow.Updates[0].Body = "Search is slow & some results are missing."
	slow.Updates[1].Body = "A fix is out; we are watching."
	return []*incident.PageIncident{old, slow}
}

func goldenCache(t testing.TB) (*Cache, *snapshot) {
	t.Helper()
	cfg := loadConfig(t, strings.Replace(goldenConfig, `title      = "Example Status"`,
		"title      = \"Example Status\"\n  public_url = \"https://status.example.com\"", 1))
	c := &Cache{Config: func() *policies.Config { return cfg },
		Links: func() links.Builder { return links.Builder{Signer: links.Signer{Key: []byte("k")}} }}
	c.defaults()
	return c, c.render(cfg, goldenIncidents(), t0.Add(time.Hour))
}

func TestGoldenAPIAndFeeds(t *testing.T) {
	_, snap := goldenCache(t)
	pub := snap.pages["public"]
	for _, path := range []string{
		"api/v2/summary.json", "api/v2/status.json", "api/v2/components.json", "api/v2/incidents.json",
		"api/v2/incidents/unresolved.json", "api/v2/scheduled-maintenances.json",
		"history.atom", "components/checkout-api.atom", "badge.svg", "components/search/badge.svg",
	} {
		t.Run(path, func(t *testing.T) {
			a := pub.assets[path]
			if a == nil {
				t.Fatalf("no asset %s", path)
			}
			golden := filepath.Join("testdata", strings.ReplaceAll(path, "/", "_"))
			if *update {
				if err := os.WriteFile(golden, a.body, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a.body, want) {
				t.Errorf("%s differs from %s (go test -run TestGoldenAPIAndFeeds -update to accept):\n%s", path, golden, a.body)
			}
			if strings.HasSuffix(path, ".json") && !json.Valid(a.body) {
				t.Errorf("%s is not JSON", path)
			}
		})
	}
}

// atom is what RFC 4287 requires of a feed and its entries.
type atom struct {
	XMLName xml.Name `xml:"feed"`
	NS      string   `xml:"xmlns,attr"`
	ID      string   `xml:"id"`
	Title   string   `xml:"title"`
	Updated string   `xml:"updated"`
	Author  *struct {
		Name string `xml:"name"`
	} `xml:"author"`
	Links []struct {
		Rel  string `xml:"rel,attr"`
		Href string `xml:"href,attr"`
	} `xml:"link"`
	Entries []struct {
		ID      string `xml:"id"`
		Title   string `xml:"title"`
		Updated string `xml:"updated"`
		Link    struct {
			Href string `xml:"href,attr"`
		} `xml:"link"`
		Content struct {
			Type string `xml:"type,attr"`
			Body string `xml:",chardata"`
		} `xml:"content"`
	} `xml:"entry"`
}

func TestFeedsAreAtom(t *testing.T) {
	_, snap := goldenCache(t)
	for page, r := range snap.pages {
		for path, a := range r.assets {
			if !strings.HasSuffix(path, ".atom") {
				continue
			}
			var f atom
			if err := xml.Unmarshal(a.body, &f); err != nil {
				t.Fatalf("%s %s: %v", page, path, err)
			}
			check := func(what, v string, ok bool) {
				if !ok {
					t.Errorf("%s %s: %s %q is missing or invalid", page, path, what, v)
				}
			}
			rfc3339 := func(s string) bool { _, err := time.Parse(time.RFC3339, s); return err == nil }
			check("namespace", f.NS, f.NS == "http://www.w3.org/2005/Atom")
			check("feed id", f.ID, strings.HasPrefix(f.ID, "tag:status.example.com,2026:"))
			check("feed title", f.Title, f.Title != "")
			check("feed updated", f.Updated, rfc3339(f.Updated))
			check("feed author", "", f.Author != nil && f.Author.Name != "")
			self := false
			for _, l := range f.Links {
				self = self || (l.Rel == "self" && strings.HasPrefix(l.Href, "https://status.example.com"))
			}
			check("self link", "", self)
			ids := map[string]bool{}
			for _, e := range f.Entries {
				check("entry id", e.ID, e.ID != "" && !ids[e.ID])
				ids[e.ID] = true
				check("entry title", e.Title, e.Title != "")
				check("entry updated", e.Updated, rfc3339(e.Updated))
				check("entry link", e.Link.Href, strings.HasPrefix(e.Link.Href, "https://status.example.com"))
				check("entry content", e.Content.Type, e.Content.Type == "html" && e.Content.Body != "")
			}
			// An internal page's links carry its token, a public one's none.
			if page == "internal" && len(f.Links) > 0 && !strings.Contains(f.Links[0].Href, "?t=") {
				t.Errorf("internal feed links carry no token: %v", f.Links)
			}
		}
	}
}

func TestHTMLPage(t *testing.T) {
	_, snap := goldenCache(t)
	pub := snap.pages["public"]
	html := string(pub.assets[""].body)
	for _, want := range []string{
		`<html lang="en">`, `<meta name="viewport"`,
		`<h2 id="overall">Minor Service Outage</h2>`,
		`Slow search &lt;results&gt;`, // escaped, not markup
		`Search is slow &amp; some results are missing.`,
		`<span class="state s-degraded_performance">Degraded performance</span>`,
		`Scheduled: db-upgrade`, `We are upgrading the payments database.`,
		`Card payments failing`, // yesterday, in past incidents
		`<h3 id="group-payments">Payments`,
		`href="https://status.example.com/history"`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	// Updates newest first.
	if i, j := strings.Index(html, "A fix is out"), strings.Index(html, "Search is slow"); i < 0 || j < 0 || i > j {
		t.Errorf("updates not newest first: %d %d", i, j)
	}
	// No scripts: the page needs none.
	if strings.Contains(html, "<script") {
		t.Error("the page has a script")
	}
	for _, path := range []string{"history", "incidents/k3x9a1b2c3d4", "incidents/p8q7r6s5t4u3", "embed"} {
		if a := pub.assets[path]; a == nil || !bytes.Contains(a.body, []byte("</html>")) {
			t.Errorf("%s not rendered", path)
		}
	}
	internal := snap.pages["internal"]
	if internal.token == "" || !strings.Contains(string(internal.assets[""].body), `?t=`+internal.token) ||
		!strings.Contains(string(internal.assets[""].body), `noindex`) {
		t.Errorf("internal page links lack the token, or it is indexed")
	}
	if internal.assets["incidents/p8q7r6s5t4u3"] != nil {
		t.Error("the internal page shows an incident published only on the public one")
	}
}
