package jsonenc

import "unicode/utf8"

// StringLen returns len(AppendString(nil, s)) without encoding s: the
// size of s as a JSON string, quotes included. Size limits use it to
// measure a record's wire form without building it.
func StringLen[S ~[]byte | ~string](s S) int {
	n := len(s) + 2
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			switch {
			case c >= 0x20 && c != '"' && c != '\\':
			case c == '\\' || c == '"' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t':
				n++ // a two-byte escape
			default:
				n += 5 // \u00XX
			}
			i++
			continue
		}
		m := min(len(s)-i, utf8.UTFMax)
		r, size := utf8.DecodeRuneInString(string(s[i : i+m]))
		switch {
		case r == utf8.RuneError && size == 1:
			n += 5 // one byte becomes \ufffd
		case r == '\u2028' || r == '\u2029':
			n += 3 // three bytes become \u202X
		}
		i += size
	}
	return n
}
