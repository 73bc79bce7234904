// Package statuspage is pagerd's status pages: what customers and
// employees read about incidents, served by pagerd itself.
//
// The config names components (parts of the product, tied to services)
// and pages (policies.StatusPage). An incident reaches a page when someone
// publishes it (Publisher, from the CLI or the API), when its severity
// asks for it (auto_publish), or as the manager's status updates of an
// incident already published (Consumer, on the event stream); what its
// responders write for each other never does. What a page shows is a pure
// function of the config, the published incidents and the time (Build);
// each replica keeps every page rendered in memory (Cache) and refreshes
// it when the store says the pages changed, so a request never touches
// Redis. Subscribers are told of each public update through outboxes in
// Redis (package subscribe).
package statuspage
