// Package all links in every intake format pagerd ships: importing it
// registers them. Adding a format is adding its line here.
package all

import (
	_ "github.com/pagerd/pagerd/router/ingest/alertmanager"
	_ "github.com/pagerd/pagerd/router/ingest/generic"
	_ "github.com/pagerd/pagerd/router/ingest/grafana"
	_ "github.com/pagerd/pagerd/router/ingest/pagerduty"
)
