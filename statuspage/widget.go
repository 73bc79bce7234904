package statuspage

import (
	"fmt"
	"strconv"

	"github.com/pagerd/pagerd/policies"
)

// widget is a script a product embeds to show the page's status in its
// own UI:
//
//	<script src="https://status.example.com/widget.js" async></script>
//
// It puts a link with a coloured dot after itself, reading status.json
// (which answers any origin). Without JavaScript, the same fits in an
// iframe: /embed.
func widget(publicURL, q string) []byte {
	return fmt.Appendf(nil, `(function () {
  var base = %s, q = %s;
  var me = document.currentScript;
  var colors = {none: "#1a7f37", minor: "#8a5a00", major: "#bc4c00", critical: "#cf222e", maintenance: "#0969da"};
  var a = document.createElement("a");
  a.href = base + q;
  a.target = "_blank";
  a.rel = "noopener";
  a.className = "pagerd-status";
  a.style.cssText = "display:inline-flex;align-items:center;gap:.4em;font:inherit;color:inherit;text-decoration:none";
  var dot = document.createElement("span");
  dot.setAttribute("aria-hidden", "true");
  dot.style.cssText = "width:.7em;height:.7em;border-radius:50%%;background:#8c959f";
  var text = document.createElement("span");
  text.textContent = "Status";
  a.appendChild(dot);
  a.appendChild(text);
  me.parentNode.insertBefore(a, me.nextSibling);
  fetch(base + "/api/v2/status.json" + q).then(function (r) { return r.json(); }).then(function (s) {
    text.textContent = s.status.description;
    dot.style.background = colors[s.status.indicator] || "#8c959f";
  }).catch(function () { text.textContent = "Status unavailable"; });
})();
`, strconv.Quote(publicURL), strconv.Quote(q))
}

// Offered reports whether readers of page p may subscribe with kind now:
// the page offers it and pagerd can send it (an smtp block for email, a
// twilio block and the page's number for SMS).
func Offered(cfg *policies.Config, p *policies.StatusPage, kind string) bool {
	if !p.Offers(kind) {
		return false
	}
	switch kind {
	case policies.SubscribeEmail:
		return cfg.Block("smtp") != nil
	case policies.SubscribeSMS:
		return cfg.Block("twilio") != nil && p.SMSFrom != ""
	}
	return true
}
