package policies

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/prometheus/alertmanager/pkg/labels"
	"github.com/prometheus/common/model"
)

// labelUse is one place a service names a label: a matcher (m set) or a
// group_by entry.
type labelUse struct {
	service string
	name    string
	raw     string // as written
	m       *labels.Matcher
	rng     hcl.Range
}

// serviceLabels is what a service says of labels: where it names them,
// and the names its alerts carry when it lists them (known_labels).
type serviceLabels struct {
	uses     []labelUse
	known    []string
	knownSet bool
}

// lintLabels warns about matchers and label names that parse but probably
// do not say what their author meant — each a silent mis-route, since an
// alert a service's matcher misses goes on to the next service, and in
// the end to the catch-all:
//
//   - a value that starts with "=", "!" or "~": "service==checkout" is
//     service equal to "=checkout";
//   - a regex without regex characters, on a label other matchers compare
//     with literal values, none of them this one: "env=~prod" matches only
//     "prod" (regexes are anchored), where "production" was likely meant;
//   - in a service that lists known_labels, a label name not among them:
//     "sevrity=critical" never matches.
func (l *loader) lintLabels(services []serviceLabels) {
	literals := map[string]map[string][]*labelUse{} // label → value → the matchers that name it
	for i := range services {
		for j := range services[i].uses {
			u := &services[i].uses[j]
			if u.m != nil && typoValue(u) != "" {
				continue // its value is not what its author meant
			}
			for _, v := range literalValues(u.m) {
				if literals[u.name] == nil {
					literals[u.name] = map[string][]*labelUse{}
				}
				literals[u.name][v] = append(literals[u.name][v], u)
			}
		}
	}
	for _, s := range services {
		for i := range s.uses {
			u := &s.uses[i]
			if s.knownSet && !slices.Contains(s.known, u.name) {
				l.unknownLabel(u, s.known)
				continue
			}
			if u.m == nil {
				continue
			}
			if l.operatorTypo(u) {
				continue
			}
			l.literalRegex(u, literals[u.name])
		}
	}
}

// literalValues are the values a matcher plainly compares its label with:
// an equality's, or the alternatives of a regex made of two or more
// literal alternatives ("critical|page"). A regex of one literal is what
// lintLabels questions, so it vouches for nothing.
func literalValues(m *labels.Matcher) []string {
	if m == nil || m.Value == "" {
		return nil
	}
	if m.Type == labels.MatchEqual || m.Type == labels.MatchNotEqual {
		return []string{m.Value}
	}
	parts := strings.Split(m.Value, "|")
	if len(parts) < 2 {
		return nil
	}
	for _, p := range parts {
		if p == "" || regexp.QuoteMeta(p) != p {
			return nil
		}
	}
	return parts
}

// typoValue is the matcher's value as written after its operator when
// it is unquoted and starts with an operator's character ("=checkout" in
// "service==checkout"), else "".
func typoValue(u *labelUse) string {
	op := u.m.Type.String()
	i := strings.Index(u.raw, op)
	if i < 0 {
		return ""
	}
	rest := strings.TrimSpace(u.raw[i+len(op):])
	if rest == "" || !strings.ContainsRune("=!~", rune(rest[0])) {
		return ""
	}
	return rest
}

// operatorTypo warns about a matcher whose unquoted value starts with an
// operator's character, and reports whether it did.
func (l *loader) operatorTypo(u *labelUse) bool {
	op := u.m.Type.String()
	rest := typoValue(u)
	if rest == "" {
		return false
	}
	fix := ""
	switch {
	case u.m.Type == labels.MatchEqual && rest[0] == '=':
		fix = u.name + "=" + rest[1:]
	case u.m.Type == labels.MatchEqual && rest[0] == '!':
		fix = u.name + "!=" + rest[1:]
	case u.m.Type == labels.MatchNotEqual && rest[0] == '=':
		fix = u.name + "!=" + rest[1:]
	case u.m.Type == labels.MatchRegexp && (rest[0] == '=' || rest[0] == '~'):
		fix = u.name + "=~" + rest[1:]
	case u.m.Type == labels.MatchNotRegexp && (rest[0] == '=' || rest[0] == '~'):
		fix = u.name + "!~" + rest[1:]
	}
	detail := fmt.Sprintf("%q compares %s with %q, a value that starts with %q, so it does not match what it seems to.", u.raw, u.name, u.m.Value, rest[:1])
	if fix != "" {
		detail += fmt.Sprintf(" Did you mean %q?", fix)
	}
	detail += fmt.Sprintf(` If the value is meant, quote it: %s%s%q.`, u.name, op, u.m.Value)
	l.warnf(u.rng.Ptr(), "Matcher looks like a typo", "%s", detail)
	return true
}

// literalRegex warns about a regex matcher with no regex characters whose
// value no other matcher of its label names, when others name some.
func (l *loader) literalRegex(u *labelUse, values map[string][]*labelUse) {
	if (u.m.Type != labels.MatchRegexp && u.m.Type != labels.MatchNotRegexp) ||
		u.m.Value == "" || regexp.QuoteMeta(u.m.Value) != u.m.Value {
		return
	}
	var others []string
	for v, users := range values {
		if slices.ContainsFunc(users, func(o *labelUse) bool { return o != u }) {
			if v == u.m.Value {
				return // a value used elsewhere: it means what it says
			}
			others = append(others, fmt.Sprintf("%q", v))
		}
	}
	if len(others) == 0 {
		return
	}
	slices.Sort(others)
	exact, prefix := u.name+"="+u.m.Value, u.name+"=~"+u.m.Value+".*"
	verb := "matches"
	if u.m.Type == labels.MatchNotRegexp {
		exact, prefix, verb = u.name+"!="+u.m.Value, u.name+"!~"+u.m.Value+".*", "excludes"
	}
	l.warnf(u.rng.Ptr(), "Regex without regex characters",
		"%q %s %s only when it is exactly %q: regexes are anchored, and this one has no regex characters. Other matchers compare %s with %s, never %q. Write %q for exactly that value, or %q for values that start with it.",
		u.raw, verb, u.name, u.m.Value, u.name, orList(others), u.m.Value, exact, prefix)
}

// unknownLabel warns about a label name that a service naming its
// known_labels does not list, suggesting the closest one.
func (l *loader) unknownLabel(u *labelUse, known []string) {
	where := "group_by names"
	if u.m != nil {
		where = fmt.Sprintf("matcher %q compares", u.raw)
	}
	detail := fmt.Sprintf("Service %q lists known_labels, and its %s %q, which is not one of them: alerts of this service do not carry it.", u.service, where, u.name)
	if near := nearest(u.name, known); near != "" {
		detail += fmt.Sprintf(" Did you mean %q?", near)
	} else {
		detail += " Add it to known_labels if its alerts do."
	}
	l.warnf(u.rng.Ptr(), "Unknown label", "%s", detail)
}

// nearest is the name of names closest to s (case aside), when it is
// close enough to be a typo of it: at most two edits, fewer than half its
// length; "" otherwise.
func nearest(s string, names []string) string {
	best, bestD := "", 3
	for _, n := range names {
		d := editDistance(strings.ToLower(s), strings.ToLower(n))
		if d < bestD && 2*d < len(n) {
			best, bestD = n, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes
// (label names are ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// knownLabels reads a service's known_labels: label names, at least one.
func (l *loader) knownLabels(b *serviceBlock) ([]string, bool) {
	if !written(b.KnownLabels) {
		return nil, false
	}
	names, ranges, ok := l.stringList(b.KnownLabels, "known_labels")
	if !ok {
		return nil, false
	}
	if len(names) == 0 {
		l.errorf(b.KnownLabels.Range(), "Empty list", "known_labels must name at least one label; leave it out to name none.")
		return nil, false
	}
	for i, n := range names {
		if !model.LegacyValidation.IsValidLabelName(n) {
			l.errorf(ranges[i], "Invalid label name", "%q is not a label name: it must match [a-zA-Z_][a-zA-Z0-9_]*.", n)
		}
	}
	return names, true
}
