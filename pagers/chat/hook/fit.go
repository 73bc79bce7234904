package hook

import (
	"encoding/json"
	"fmt"
)

// Fit is the JSON of the fullest rendering of a message that holds in
// limit bytes: render is given a budget of runes for the message's
// longest text (its summary, which it cuts with a pointer to the rest),
// halved until the JSON fits. A rendering still too large with a budget
// of 64 is an error: something else in it is too long, and the platform
// would refuse it.
func Fit(limit, budget int, render func(budget int) any) ([]byte, error) {
	for {
		b, err := json.Marshal(render(budget))
		if err != nil {
			return nil, err
		}
		if len(b) <= limit {
			return b, nil
		}
		if budget <= 64 {
			return nil, fmt.Errorf("the message has %d bytes, over the platform's %d", len(b), limit)
		}
		budget /= 2
	}
}
