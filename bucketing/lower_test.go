package bucketing

import (
	"strings"
	"testing"
)

// FuzzLower checks that context strings are lower-cased exactly like
// strings.ToLower, which flagship-common uses, invalid UTF-8 included.
func FuzzLower(f *testing.F) {
	for _, s := range []string{"", "ABC", "Ünïcode", "ſK\u212a", "\xff\xfeA", "İ", "ΣΑΣ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := string(appendLower(nil, s)), strings.ToLower(s); got != want {
			t.Fatalf("appendLower(%q) = %q, want %q", s, got, want)
		}
	})
}
