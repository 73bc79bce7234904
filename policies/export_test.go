package policies

import "testing"

// Exported for the tests of package policies_test, which link in the real
// channels and intake formats (they import this package, so its own tests
// cannot import them).

// CheckAt is Check with "now" pinned, for reproducible schedule-gap
// warnings.
var CheckAt = check

// WriteDir writes files (name → content) into a new temporary directory.
func WriteDir(t *testing.T, files map[string]string) string { return writeDir(t, files) }
