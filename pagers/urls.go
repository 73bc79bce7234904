package pagers

import "net/url"

// CheckAPIURL says why raw cannot be the base URL of a provider's API
// (Twilio's, Slack's: for a proxy or a test double), "" when it can. auth
// says what authenticates pagerd there instead of a password in the URL:
// "the bot token authenticates pagerd".
func CheckAPIURL(raw, auth string) string {
	u, err := url.Parse(raw)
	switch {
	case err != nil || !u.IsAbs() || u.Opaque != "":
		return "is not an absolute URL"
	case u.Scheme != "http" && u.Scheme != "https":
		return "is not an http or https URL"
	case u.Host == "":
		return "has no host"
	case u.User != nil:
		return "carries a user name or password (" + auth + ")"
	case u.RawQuery != "" || u.Fragment != "":
		return "has a query or fragment; a base URL takes the API's paths after it"
	}
	return ""
}
