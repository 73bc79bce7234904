package httpapi

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// errUnknownEncoding is a Content-Encoding pagerd does not decode: 415.
var errUnknownEncoding = errors.New("unsupported content encoding")

// encodingError is a body that claims an encoding it does not have (not
// gzip, or corrupt): 400.
type encodingError struct{ err error }

func (e *encodingError) Error() string { return "body is not valid gzip: " + e.err.Error() }
func (e *encodingError) Unwrap() error { return e.err }

// intakeBody is an intake request's body as its decoder reads it: decoded
// from its Content-Encoding — none, identity or gzip (x-gzip) — and limited
// to max bytes after decoding, read as the decoder goes. A gzip body that
// would inflate past the limit (a zip bomb) is cut off there with an
// *http.MaxBytesError, never inflated further; the compressed body is
// held to the limit too. Any other encoding, or several, is
// errUnknownEncoding; a body that is not the gzip it says is an
// *encodingError, whether at once or at its first corrupt block.
func intakeBody(w http.ResponseWriter, r *http.Request, max int64) (io.Reader, error) {
	raw := http.MaxBytesReader(w, r.Body, max)
	var codings []string
	for _, v := range r.Header.Values("Content-Encoding") {
		for c := range strings.SplitSeq(v, ",") {
			if c = strings.ToLower(strings.TrimSpace(c)); c != "" && c != "identity" {
				codings = append(codings, c)
			}
		}
	}
	switch {
	case len(codings) == 0:
		return raw, nil
	case len(codings) > 1 || (codings[0] != "gzip" && codings[0] != "x-gzip"):
		return nil, fmt.Errorf("%w %q: send the body as is or gzip-encoded", errUnknownEncoding, strings.Join(codings, ", "))
	}
	zr, err := gzip.NewReader(raw)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, err
		}
		return nil, &encodingError{err}
	}
	return http.MaxBytesReader(w, gzipBody{zr}, max), nil
}

// gzipBody reads a gzip stream, marking its format errors as the
// sender's.
type gzipBody struct{ zr *gzip.Reader }

func (g gzipBody) Read(p []byte) (int, error) {
	n, err := g.zr.Read(p)
	var tooBig *http.MaxBytesError
	if err != nil && err != io.EOF && !errors.As(err, &tooBig) {
		err = &encodingError{err}
	}
	return n, err
}

func (g gzipBody) Close() error { return g.zr.Close() }
