package twilio

import (
	"errors"
	"fmt"
	"testing"

	"github.com/pagerd/pagerd/pagers"
	"github.com/twilio/twilio-go/client"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		wantPerm bool
	}{
		{"nil", nil, false},
		{"invalid number", &client.TwilioRestError{Status: 400, Code: 21211}, true},
		{"auth", &client.TwilioRestError{Status: 401, Code: 20003}, true},
		{"not found", &client.TwilioRestError{Status: 404}, true},
		{"request timeout", &client.TwilioRestError{Status: 408}, false},
		{"rate limited", &client.TwilioRestError{Status: 429, Code: 20429}, false},
		{"server", &client.TwilioRestError{Status: 500}, false},
		{"v1 format 400", &client.RestErrorV1{HttpStatusCode: 400}, true},
		{"v1 format 503", &client.RestErrorV1{HttpStatusCode: 503}, false},
		{"wrapped", fmt.Errorf("sms: %w", &client.TwilioRestError{Status: 400}), true},
		{"undecodable answer", errors.New("error decoding the response for an HTTP error code: 502"), false},
	}
	for _, tt := range tests {
		if got := pagers.IsPermanent(classify(tt.err)); got != tt.wantPerm {
			t.Errorf("%s: IsPermanent(classify(%v)) = %v, want %v", tt.name, tt.err, got, tt.wantPerm)
		}
	}
	if classify(nil) != nil {
		t.Error("classify(nil) != nil")
	}
}
