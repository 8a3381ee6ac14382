package httpx

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Redacted replaces a secret removed by [RedactToken].
const Redacted = "REDACTED"

// RedactToken returns s with every occurrence of secret that stands as a
// whole token replaced by [Redacted]: an occurrence whose neighbours, if
// any, are not token characters (letters, digits, '_' and '-', the
// characters of an API key). With the secret "k", "invalid key k",
// "key=k" and `"k"` lose it, "unknown" and "k_2" keep their k: a short
// secret never garbles the words around it. An empty secret changes
// nothing. s is returned as is when nothing is replaced.
func RedactToken(s, secret string) string {
	if secret == "" {
		return s
	}
	var b strings.Builder
	done := 0 // s[:done] is written to b
	for from := 0; from <= len(s)-len(secret); {
		i := strings.Index(s[from:], secret)
		if i < 0 {
			break
		}
		start, end := from+i, from+i+len(secret)
		if !tokenBefore(s, start) && !tokenAfter(s, end) {
			b.WriteString(s[done:start])
			b.WriteString(Redacted)
			done, from = end, end
			continue
		}
		// Part of a longer word: look again one rune further.
		_, size := utf8.DecodeRuneInString(s[start:])
		from = start + size
	}
	if done == 0 {
		return s
	}
	b.WriteString(s[done:])
	return b.String()
}

// tokenBefore reports whether the rune before s[i] is a token character.
func tokenBefore(s string, i int) bool {
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return i > 0 && isTokenRune(r)
}

// tokenAfter reports whether the rune at s[i] is a token character.
func tokenAfter(s string, i int) bool {
	r, _ := utf8.DecodeRuneInString(s[i:])
	return i < len(s) && isTokenRune(r)
}

func isTokenRune(r rune) bool {
	return r == '_' || r == '-' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

// PublicURL returns u as errors, logs and traces show it: without user
// information, query or fragment, which may hold secrets.
func PublicURL(u *url.URL) string {
	c := *u
	c.User, c.RawQuery, c.ForceQuery, c.Fragment, c.RawFragment = nil, "", false, "", ""
	return c.String()
}
