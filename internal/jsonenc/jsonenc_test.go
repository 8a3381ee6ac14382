package jsonenc_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/seed27eed597/flagship-go/internal/jsonenc"
)

// stdString is what encoding/json writes for s with HTML escaping off,
// the output AppendString promises to match.
func stdString(tb testing.TB, s string) string {
	tb.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		tb.Fatalf("encoding/json: %v", err)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// replaceInvalid replaces each byte of s that is not part of a valid
// UTF-8 sequence with U+FFFD, one per byte, as encoding/json does
// (strings.ToValidUTF8 would replace a run of them with one).
func replaceInvalid(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func TestAppendString(t *testing.T) {
	tests := []struct {
		name string
		give string
		want string
	}{
		{name: "empty", give: "", want: `""`},
		{name: "ascii", give: "hello, world", want: `"hello, world"`},
		{name: "quote", give: `say "hi"`, want: `"say \"hi\""`},
		{name: "backslash", give: `a\b`, want: `"a\\b"`},
		{name: "slash is not escaped", give: "a/b", want: `"a/b"`},
		{name: "short escapes", give: "\b\f\n\r\t", want: `"\b\f\n\r\t"`},
		{name: "NUL", give: "a\x00b", want: `"a\u0000b"`},
		{name: "other control characters", give: "\x01\x0b\x1f", want: `"\u0001\u000b\u001f"`},
		{name: "DEL is not escaped", give: "\x7f", want: "\"\x7f\""},
		{name: "HTML is not escaped", give: "<a href='x'>&</a>", want: `"<a href='x'>&</a>"`},
		{name: "multi-byte runes pass through", give: "é€😀", want: `"é€😀"`},
		{name: "U+2028 and U+2029 are escaped", give: "a\u2028b\u2029c", want: `"a\u2028b\u2029c"`},
		{name: "U+FFFD in the input passes through", give: "\ufffd", want: "\"\ufffd\""},
		{name: "highest rune", give: "\U0010ffff", want: "\"\U0010ffff\""},
		{name: "invalid byte", give: "\xff", want: `"\ufffd"`},
		{name: "invalid byte between ascii", give: "a\xffb", want: `"a\ufffdb"`},
		{name: "each invalid byte replaced", give: "\xff\xfe", want: `"\ufffd\ufffd"`},
		{name: "truncated sequence", give: "\xe2\x82", want: `"\ufffd\ufffd"`},
		{name: "truncated sequence at the end", give: "ab\xf0\x9f\x98", want: `"ab\ufffd\ufffd\ufffd"`},
		{name: "overlong encoding", give: "\xc0\x80", want: `"\ufffd\ufffd"`},
		{name: "UTF-8 encoded surrogate", give: "\xed\xa0\x80", want: `"\ufffd\ufffd\ufffd"`},
		{name: "beyond U+10FFFF", give: "\xf4\x90\x80\x80", want: `"\ufffd\ufffd\ufffd\ufffd"`},
		{name: "lone continuation byte", give: "\x80", want: `"\ufffd"`},
		{name: "escape after a multi-byte rune", give: "é\n", want: `"é\n"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(jsonenc.AppendString(nil, tt.give)); got != tt.want {
				t.Errorf("AppendString(nil, %q) = %s, want %s", tt.give, got, tt.want)
			}
			if got := string(jsonenc.AppendString(nil, []byte(tt.give))); got != tt.want {
				t.Errorf("AppendString(nil, []byte(%q)) = %s, want %s", tt.give, got, tt.want)
			}
			if std := stdString(t, tt.give); std != tt.want {
				t.Errorf("encoding/json writes %q as %s, the table says %s", tt.give, std, tt.want)
			}
		})
	}
}

func TestAppendStringAppends(t *testing.T) {
	b := make([]byte, 0, 64)
	b = append(b, `{"k":`...)
	b = jsonenc.AppendString(b, "v\n")
	b = append(b, '}')
	if want := `{"k":"v\n"}`; string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
}

// text and bytez are named string and byte-slice types, which
// AppendString takes as they are.
type (
	text  string
	bytez []byte
)

func TestAppendStringNamedTypes(t *testing.T) {
	if got := string(jsonenc.AppendString(nil, text("a\"b"))); got != `"a\"b"` {
		t.Errorf("AppendString(text) = %s", got)
	}
	if got := string(jsonenc.AppendString(nil, bytez("a\"b"))); got != `"a\"b"` {
		t.Errorf("AppendString(bytez) = %s", got)
	}
}

func TestAppendStringAllocations(t *testing.T) {
	buf := make([]byte, 0, 256)
	s := "plain ascii, an escape\n, a rune é and an invalid byte \xff"
	if n := testing.AllocsPerRun(100, func() { _ = jsonenc.AppendString(buf[:0], s) }); n != 0 {
		t.Errorf("AppendString into a large enough buffer allocates %v times", n)
	}
}

// FuzzAppendString checks AppendString against encoding/json: the same
// bytes, valid JSON that decodes back to s with each invalid UTF-8 byte
// replaced by U+FFFD, and the same output for a string and a []byte.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{
		"", "hello", `"\/`, "\b\f\n\r\t\x00\x1f\x7f", "<>&", "é€😀\U0010ffff",
		"\u2028\u2029", "\ufffd", "\xff", "a\xffb", "\xe2\x82", "\xc0\x80", "\xed\xa0\x80",
		"\xf4\x90\x80\x80", "ab\xf0\x9f\x98", strings.Repeat("x\"", 100),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := jsonenc.AppendString(nil, s)
		if want := stdString(t, s); string(got) != want {
			t.Fatalf("AppendString(%q) = %s, encoding/json writes %s", s, got, want)
		}
		if !json.Valid(got) {
			t.Fatalf("AppendString(%q) = %s: not valid JSON", s, got)
		}
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("decoding %s: %v", got, err)
		}
		if want := replaceInvalid(s); back != want {
			t.Fatalf("AppendString(%q) decodes to %q, want %q", s, back, want)
		}
		if gotBytes := jsonenc.AppendString([]byte("prefix"), []byte(s)); string(gotBytes) != "prefix"+string(got) {
			t.Fatalf("AppendString(prefix, []byte(%q)) = %s, want prefix%s", s, gotBytes, got)
		}
	})
}
