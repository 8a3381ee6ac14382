// Copyright 2018 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE-golang file.
//
// This file is a port of golang.org/x/mod/semver (v0.21.0): the parsing and
// comparison logic is that package's, adapted to Flagship's implied "v"
// prefix so that no "v"+s string has to be built.

package semver

// Version is the parsed form of a semantic version. Its fields are substrings
// of the parsed input (or constants). The zero Version is invalid.
type Version struct {
	major, minor, patch string
	prerelease          string // including the leading '-', or ""
	valid               bool
}

// Parse parses s with Flagship's implied-"v" rule: s is read as "v"+s unless
// it starts with 'v'. The result is invalid (Valid reports false) when the
// "v"-prefixed string is not a valid golang.org/x/mod/semver version, and
// when s is empty.
func Parse(s string) Version {
	if s == "" {
		return Version{}
	}
	if s[0] == 'v' {
		s = s[1:]
	}
	return parse(s)
}

// Valid reports whether v is a valid semantic version.
func (v Version) Valid() bool { return v.valid }

// Compare returns -1, 0 or +1 when a is lower than, equal to or greater than
// b by semantic version precedence (build metadata ignored), exactly like
// golang.org/x/mod/semver.Compare on the "v"-prefixed strings. As there, an
// invalid version is lower than any valid one and all invalid versions are
// equal; callers normally only compare two valid versions.
func Compare(a, b Version) int {
	if !a.valid || !b.valid {
		switch {
		case a.valid:
			return +1
		case b.valid:
			return -1
		}
		return 0
	}
	if c := compareInt(a.major, b.major); c != 0 {
		return c
	}
	if c := compareInt(a.minor, b.minor); c != 0 {
		return c
	}
	if c := compareInt(a.patch, b.patch); c != 0 {
		return c
	}
	return comparePrerelease(a.prerelease, b.prerelease)
}

// parse parses v, the text following the (possibly implied) leading "v".
func parse(v string) (p Version) {
	var ok bool
	p.major, v, ok = parseInt(v)
	if !ok {
		return Version{}
	}
	if v == "" {
		p.minor = "0"
		p.patch = "0"
		p.valid = true
		return p
	}
	if v[0] != '.' {
		return Version{}
	}
	p.minor, v, ok = parseInt(v[1:])
	if !ok {
		return Version{}
	}
	if v == "" {
		p.patch = "0"
		p.valid = true
		return p
	}
	if v[0] != '.' {
		return Version{}
	}
	p.patch, v, ok = parseInt(v[1:])
	if !ok {
		return Version{}
	}
	if len(v) > 0 && v[0] == '-' {
		p.prerelease, v, ok = parsePrerelease(v)
		if !ok {
			return Version{}
		}
	}
	if len(v) > 0 && v[0] == '+' {
		v, ok = parseBuild(v)
		if !ok {
			return Version{}
		}
	}
	if v != "" {
		return Version{}
	}
	p.valid = true
	return p
}

func parseInt(v string) (t, rest string, ok bool) {
	if v == "" {
		return
	}
	if v[0] < '0' || '9' < v[0] {
		return
	}
	i := 1
	for i < len(v) && '0' <= v[i] && v[i] <= '9' {
		i++
	}
	if v[0] == '0' && i != 1 {
		return
	}
	return v[:i], v[i:], true
}

func parsePrerelease(v string) (t, rest string, ok bool) {
	// "A pre-release version MAY be denoted by appending a hyphen and
	// a series of dot separated identifiers immediately following the patch version.
	// Identifiers MUST comprise only ASCII alphanumerics and hyphen [0-9A-Za-z-].
	// Identifiers MUST NOT be empty. Numeric identifiers MUST NOT include leading zeroes."
	if v == "" || v[0] != '-' {
		return
	}
	i := 1
	start := 1
	for i < len(v) && v[i] != '+' {
		if !isIdentChar(v[i]) && v[i] != '.' {
			return
		}
		if v[i] == '.' {
			if start == i || isBadNum(v[start:i]) {
				return
			}
			start = i + 1
		}
		i++
	}
	if start == i || isBadNum(v[start:i]) {
		return
	}
	return v[:i], v[i:], true
}

// parseBuild validates the build metadata at the start of v and returns what
// follows it (the build itself is ignored by comparisons).
func parseBuild(v string) (rest string, ok bool) {
	if v == "" || v[0] != '+' {
		return
	}
	i := 1
	start := 1
	for i < len(v) {
		if !isIdentChar(v[i]) && v[i] != '.' {
			return
		}
		if v[i] == '.' {
			if start == i {
				return
			}
			start = i + 1
		}
		i++
	}
	if start == i {
		return
	}
	return v[i:], true
}

func isIdentChar(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-'
}

func isBadNum(v string) bool {
	i := 0
	for i < len(v) && '0' <= v[i] && v[i] <= '9' {
		i++
	}
	return i == len(v) && i > 1 && v[0] == '0'
}

func isNum(v string) bool {
	i := 0
	for i < len(v) && '0' <= v[i] && v[i] <= '9' {
		i++
	}
	return i == len(v)
}

func compareInt(x, y string) int {
	if x == y {
		return 0
	}
	if len(x) < len(y) {
		return -1
	}
	if len(x) > len(y) {
		return +1
	}
	if x < y {
		return -1
	}
	return +1
}

func comparePrerelease(x, y string) int {
	// "When major, minor, and patch are equal, a pre-release version has
	// lower precedence than a normal version.
	// Example: 1.0.0-alpha < 1.0.0.
	// Precedence for two pre-release versions with the same major, minor,
	// and patch version MUST be determined by comparing each dot separated
	// identifier from left to right until a difference is found as follows:
	// identifiers consisting of only digits are compared numerically and
	// identifiers with letters or hyphens are compared lexically in ASCII
	// sort order. Numeric identifiers always have lower precedence than
	// non-numeric identifiers. A larger set of pre-release fields has a
	// higher precedence than a smaller set, if all of the preceding
	// identifiers are equal.
	// Example: 1.0.0-alpha < 1.0.0-alpha.1 < 1.0.0-alpha.beta <
	// 1.0.0-beta < 1.0.0-beta.2 < 1.0.0-beta.11 < 1.0.0-rc.1 < 1.0.0."
	if x == y {
		return 0
	}
	if x == "" {
		return +1
	}
	if y == "" {
		return -1
	}
	for x != "" && y != "" {
		x = x[1:] // skip - or .
		y = y[1:] // skip - or .
		var dx, dy string
		dx, x = nextIdent(x)
		dy, y = nextIdent(y)
		if dx != dy {
			ix := isNum(dx)
			iy := isNum(dy)
			if ix != iy {
				if ix {
					return -1
				}
				return +1
			}
			if ix {
				if len(dx) < len(dy) {
					return -1
				}
				if len(dx) > len(dy) {
					return +1
				}
			}
			if dx < dy {
				return -1
			}
			return +1
		}
	}
	if x == "" {
		return -1
	}
	return +1
}

func nextIdent(x string) (dx, rest string) {
	i := 0
	for i < len(x) && x[i] != '.' {
		i++
	}
	return x[:i], x[i:]
}
