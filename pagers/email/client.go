package email

import gomail "github.com/wneessen/go-mail"

// NewClient is an SMTP client for cfg, dialled as the email pager dials:
// for pagerd's other senders of mail (status page subscribers), which
// write messages of their own.
func NewClient(cfg Config) (*gomail.Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return (&Email{cfg: cfg}).client()
}

// Classify marks the failures of sending through such a client that
// sending again cannot fix as permanent (pagers.Permanent), as Send does.
func Classify(err error) error { return classify(err) }
