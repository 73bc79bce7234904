package statuspage

import "net/http"

// Forms takes what readers of the pages post: subscriptions and their
// confirmations, unsubscriptions, problem reports.
type Forms struct{}

func (f *Forms) routes(mux *http.ServeMux, h *Handler) {}
