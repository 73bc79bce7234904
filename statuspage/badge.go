package statuspage

import (
	"fmt"
	"html"
	"unicode/utf8"

	"github.com/pagerd/pagerd/policies"
)

// badgeColors are the badge's right-hand side, by state: dark enough for
// white text (4.5:1).
var badgeColors = map[string]string{
	policies.StateOperational: "#1a7f37",
	policies.StateMaintenance: "#0969da",
	policies.StateDegraded:    "#8a5a00",
	policies.StatePartial:     "#bc4c00",
	policies.StateMajor:       "#cf222e",
}

// indicatorStates are the component state whose colour an indicator
// takes.
var indicatorStates = map[string]string{
	"none": policies.StateOperational, "maintenance": policies.StateMaintenance,
	"minor": policies.StateDegraded, "major": policies.StatePartial, "critical": policies.StateMajor,
}

// Badge is an SVG status badge, "label | status": the page's overall
// status, or one component's (by ID; ok false for an unknown one).
func (v *View) Badge(component string) ([]byte, bool) {
	label, state, words := "status", indicatorStates[v.Indicator], v.Description
	if v.Indicator == "none" {
		words = "operational"
	}
	if component != "" {
		c := v.componentByID(component)
		if c == nil {
			return nil, false
		}
		label, state, words = c.Name, c.State, StateWords(c.State)
	}
	return badge(label, words, badgeColors[state]), true
}

func (v *View) componentByID(id string) *ComponentView {
	for i := range v.Components {
		if v.Components[i].ID == id {
			return &v.Components[i]
		}
	}
	return nil
}

// badge draws a flat badge. Widths are estimated at 6.5 px a character of
// 11 px Verdana, which is what such badges are drawn in.
func badge(label, value, color string) []byte {
	w := func(s string) int { return utf8.RuneCountInString(s)*13/2 + 12 }
	lw, vw := w(label), w(value)
	l, v := html.EscapeString(label), html.EscapeString(value)
	return fmt.Appendf(nil, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="20" role="img" aria-label="%s: %s">
<title>%s: %s</title>
<rect width="%d" height="20" rx="3" fill="#555"/>
<rect x="%d" width="%d" height="20" rx="3" fill="%s"/>
<rect x="%d" width="4" height="20" fill="%s"/>
<g fill="#fff" text-anchor="middle" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">
<text x="%d" y="14">%s</text>
<text x="%d" y="14">%s</text>
</g>
</svg>
`, lw+vw, l, v, l, v, lw+vw, lw, vw, color, lw, color, lw/2, l, lw+vw/2, v)
}
