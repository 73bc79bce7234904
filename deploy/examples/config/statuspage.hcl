# Status pages (docs/status-page.md): what customers read about incidents,
# served by pagerd itself at /status/NAME, with a Statuspage-shaped JSON
# API, Atom feeds, badges, a widget, and subscriptions.
#
# A component is a part of the product as customers know it, tied to the
# services whose incidents affect it; components with the same group are
# shown together.
component "Checkout API" {
  group       = "Payments"
  services    = ["checkout"]
  description = "Placing orders and paying for them"
}
component "Card payments" {
  group    = "Payments"
  services = ["checkout", "payments-other"]
}
component "Website" {
  services = ["catch-all"]
}

# The page customers read: http://localhost:8080/status/public. Nothing
# goes on it unless someone publishes it (pagerd publish 42 ...) — or it
# is a SEV1 (auto_publish), which publishes itself with a first update of
# pagerd's wording. A SEV2 asks its responders on the timeline whether to
# publish it (prompt). Once published, the manager's status updates
# (pagerd update 42 --public "...") follow onto the page in their public
# wording, and resolving the incident resolves it there; notes never do.
status_page "public" {
  title        = "Example Status"
  components   = ["Checkout API", "Card payments", "Website"]
  auto_publish = "SEV1"

  # Behind a reverse proxy at a domain of its own, say where readers
  # reach it: every link in the page, its feeds and its emails starts
  # with it. Default: pagerd's public_url + /status/public.
  # public_url = "https://status.example.com"

  # What readers may subscribe with: by default email, once the smtp
  # block can send; "sms" needs the twilio block and a number of the
  # page's own (sms_from), whose incoming messages go to <public_url>/sms;
  # "webhook" deliveries are signed as outgoing webhooks are.
  # subscriptions = ["email", "webhook", "sms"]

  # The state an incident of each severity gives the components it
  # affects, unless whoever publishes it says otherwise.
  component_state = { SEV1 = "major_outage", SEV2 = "partial_outage", SEV3 = "degraded_performance" }

  # Post every public update to a Mastodon account too:
  # mastodon {
  #   server = "https://mastodon.social"
  #   token  = env("MASTODON_TOKEN")  # an access token with write:statuses
  # }

  # A "report a problem" form: each report gets a reference the customer
  # sees and waits for the team (pagerd reports); it pages nobody unless
  # service = "NAME" says which service's incident each one opens.
  reports {
    rate_limit = "5/h"
  }
}

# The same components for employees: internal pages answer only links
# that carry their token (pagerd status-url internal).
status_page "internal" {
  title      = "Example Status (employees)"
  components = ["Checkout API", "Card payments", "Website"]
  public     = false
}
