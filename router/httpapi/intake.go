package httpapi

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/pagerd/pagerd/policies"
	"github.com/pagerd/pagerd/router/ingest"
)

// intake serves one registered payload format: it authenticates, decodes
// and stores one request. It answers 2xx only once every alert is in
// Redis; a Redis failure answers 503 so the sender retries, and a bad
// payload a 4xx that names the problem — each in the format's own shape.
func (s *Server) intake(f *ingest.Format) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		cfg := s.Config()
		refuse := func(code int, msg string, problems []string, cause error) {
			if f.Refuse == nil {
				if code == http.StatusUnauthorized {
					w.Header().Set("WWW-Authenticate", `Bearer realm="pagerd"`)
				}
				s.failWith(w, r, code, msg, problems, cause)
				return
			}
			s.logFailure(r, code, msg, cause)
			setRetryAfter(w, code)
			f.Refuse(w, ingest.Refusal{Status: code, Message: msg, Problems: problems, RequestID: requestID(r)})
		}
		var in *policies.Integration
		if !f.TokenInBody {
			var code int
			var msg string
			if in, code, msg = s.integration(bearerToken(r), f.Integration); in == nil {
				refuse(code, msg, nil, nil)
				return
			}
		}
		if msg, err := jsonContentType(r); msg != "" {
			refuse(http.StatusUnsupportedMediaType, msg, nil, err)
			return
		}
		body, err := intakeBody(w, r, s.MaxBody)
		var batch *ingest.Batch
		if err == nil {
			batch, err = f.Decode(body, ingest.Options{Now: s.Now(), ResolveTimeout: cfg.Settings.ResolveTimeout, Integration: in})
		}
		if err != nil {
			var tooBig *http.MaxBytesError
			var badEncoding *encodingError
			var bad *ingest.DecodeError
			switch {
			case errors.As(err, &tooBig):
				msg := "body larger than the limit of " + formatBytes(s.MaxBody)
				if r.Header.Get("Content-Encoding") != "" {
					msg += " once decompressed"
				}
				refuse(http.StatusRequestEntityTooLarge, msg, nil, err)
			case errors.Is(err, errUnknownEncoding):
				w.Header().Set("Accept-Encoding", "gzip") // RFC 7694
				refuse(http.StatusUnsupportedMediaType, err.Error(), nil, nil)
			case errors.As(err, &badEncoding):
				refuse(http.StatusBadRequest, badEncoding.Error(), nil, err)
			case errors.As(err, &bad):
				refuse(bad.HTTPStatus(), "invalid payload: "+bad.Error(), bad.Problems, err)
			default:
				refuse(http.StatusBadRequest, "could not read payload", nil, err)
			}
			return
		}
		if f.TokenInBody {
			var code int
			var msg string
			if in, code, msg = s.integration(batch.Token, f.Integration); in == nil {
				refuse(code, msg, []string{msg}, nil)
				return
			}
		}
		wait, err := s.overLimit(r.Context(), in, len(batch.Alerts)+len(batch.Changes))
		switch {
		case err != nil:
			refuse(http.StatusServiceUnavailable, "alerts not stored: state store unavailable, retry later", nil, err)
			return
		case wait > 0:
			w.Header().Set("Retry-After", retryAfter(wait))
			refuse(http.StatusTooManyRequests, "integration "+in.Name+" is over its rate_limit of "+in.RateLimit.String()+
				"; retry in "+retryAfter(wait)+"s", nil, nil)
			return
		}
		stored, err := s.Router.Ingest(r.Context(), in, batch)
		var bad *ingest.DecodeError
		switch {
		case errors.As(err, &bad):
			// What a change holds, not the store: retrying cannot help.
			refuse(bad.HTTPStatus(), "alerts not stored: "+bad.Error(), []string{bad.Error()}, err)
			return
		case err != nil:
			refuse(http.StatusServiceUnavailable, "alerts not stored: state store unavailable, retry later", nil, err)
			return
		}
		results, status := ingest.Answer(batch, stored)
		var problems []string
		for _, res := range results {
			s.Metrics.AlertReceived(in.Name, string(res.Outcome))
			if res.Err != nil {
				problems = append(problems, res.Err.Error())
			}
		}
		if len(problems) > 0 && len(problems) == len(results) {
			refuse(status, refusedAlerts(problems), problems, nil)
			return
		}
		if len(problems) > 0 {
			s.Log.Warn("alerts refused, the rest of the request stored", "integration", in.Name, "format", f.Name,
				"refused", len(problems), "stored", len(results)-len(problems), "problems", problems, "request_id", requestID(r))
		}
		s.Log.Info("alerts stored", "integration", in.Name, "format", f.Name, "count", len(results)-len(problems),
			"changes", len(batch.Changes), "request_id", requestID(r))
		f.Respond(w, batch, results, status)
	}
}

// refusedAlerts says that every alert of a request was refused, and why.
func refusedAlerts(problems []string) string {
	if len(problems) == 1 {
		return "invalid payload: " + problems[0]
	}
	return fmt.Sprintf("invalid payload: all %d alerts refused: %s", len(problems), strings.Join(problems, "; "))
}

// jsonContentType says why a request's body is not to be read as JSON
// in UTF-8 (answered 415), or "" when it is: no Content-Type, or
// application/json in UTF-8.
func jsonContentType(r *http.Request) (string, error) {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return "", nil
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return "content type must be application/json, not " + ct, err
	}
	msg, _ := utf8Charset(params)
	return msg, nil
}

// utf8Charset checks the charset parameter of a body's media type: pagerd
// reads every body as UTF-8, so any other charset (UTF-16, Latin-1...) is
// refused rather than misread. US-ASCII, a subset of UTF-8, passes; names
// are case-insensitive; no charset means UTF-8, as RFC 8259 says of JSON.
// When refused, msg names the charset.
func utf8Charset(params map[string]string) (msg string, ok bool) {
	cs, set := params["charset"]
	if !set || strings.EqualFold(cs, "utf-8") || strings.EqualFold(cs, "us-ascii") {
		return "", true
	}
	return "charset " + strconv.Quote(cs) + " is not supported: send UTF-8 (charset=utf-8)", false
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}
