package httpx_test

import (
	"net/url"
	"testing"

	"github.com/seed27eed597/flagship-go/internal/httpx"
)

func TestRedactToken(t *testing.T) {
	tests := []struct {
		name       string
		give       string
		giveSecret string
		want       string
	}{
		{name: "empty secret", give: "a b", giveSecret: "", want: "a b"},
		{name: "absent", give: "unknown environment id", giveSecret: "x", want: "unknown environment id"},
		{name: "inside words only", give: "unknown kk k_ -k 2k", giveSecret: "k", want: "unknown kk k_ -k 2k"},
		{name: "whole tokens", give: `k key=k "k" (k). k`, giveSecret: "k", want: `REDACTED key=REDACTED "REDACTED" (REDACTED). REDACTED`},
		{name: "overlapping candidates", give: "aaa aa", giveSecret: "aa", want: "aaa REDACTED"},
		{name: "non-ASCII neighbours", give: "ékey key é key", giveSecret: "key", want: "ékey REDACTED é REDACTED"},
		{name: "control characters delimit", give: "a\nkey\tb", giveSecret: "key", want: "a\nREDACTED\tb"},
		{name: "secret with a dot", give: "x a.b y", giveSecret: "a.b", want: "x REDACTED y"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := httpx.RedactToken(tt.give, tt.giveSecret); got != tt.want {
				t.Errorf("RedactToken(%q, %q) = %q, want %q", tt.give, tt.giveSecret, got, tt.want)
			}
		})
	}
}

func TestPublicURL(t *testing.T) {
	u, err := url.Parse("https://user:pass@cdn.example:8443/env/bucketing.json?token=s3cret#frag")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := httpx.PublicURL(u), "https://cdn.example:8443/env/bucketing.json"; got != want {
		t.Errorf("PublicURL = %q, want %q", got, want)
	}
}
