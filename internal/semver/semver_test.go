package semver

import (
	"testing"

	xsemver "golang.org/x/mod/semver"
)

// goSemver is Flagship's implied-"v" rule: s is prefixed with "v" unless it
// already starts with 'v'; "" stays "" (invalid).
func goSemver(s string) string {
	if s == "" || s[0] == 'v' {
		return s
	}
	return "v" + s
}

var validity = []struct {
	in    string
	valid bool
}{
	{"", false},
	{"v", false},
	{"vv1", false},
	{"1", true},
	{"v1", true},
	{"1.2", true},
	{"v1.2", true},
	{"1.2.3", true},
	{"v1.2.3", true},
	{"0.0.0", true},
	{"01.2.3", false},
	{"1.02.3", false},
	{"1.2.03", false},
	{"V2.0.0", false},
	{"1.2.3.4", false},
	{"latest", false},
	{"1.2-beta", false},
	{"1-beta", false},
	{"1.2+build", false},
	{"1.2.3-beta.2", true},
	{"1.2.3-0", true},
	{"1.2.3-01", false},
	{"1.2.3-beta.01", false},
	{"1.2.3-beta.0a", true},
	{"1.2.3-01a", true},
	{"1.2.3-", false},
	{"1.2.3-a..b", false},
	{"1.2.3-a.", false},
	{"1.2.3-a_b", false},
	{"1.2.3+", false},
	{"1.2.3+build.01", true},
	{"1.2.3+a..b", false},
	{"1.2.3-rc.1+build.5", true},
	{"1.2.3+build-rc", true},
	{"1.2.3+build+more", false},
	{" 1.2.3", false},
	{"1.2.3 ", false},
	{"-1.2.3", false},
	{"1..3", false},
	{"1.", false},
	{".1", false},
	{"1.2.", false},
	{"1.2.3-ü", false},
	{"99999999999999999999.0.0", true},
}

func TestValid(t *testing.T) {
	for _, tc := range validity {
		if got := Parse(tc.in).Valid(); got != tc.valid {
			t.Errorf("Parse(%q).Valid() = %v, want %v", tc.in, got, tc.valid)
		}
		if want := xsemver.IsValid(goSemver(tc.in)); want != tc.valid {
			t.Errorf("table disagrees with x/mod/semver for %q", tc.in)
		}
	}
}

var ordering = []struct {
	a, b string
	want int
}{
	{"1.2", "1.2.0", 0},
	{"v1.2", "1.2.0", 0},
	{"1", "1.0.0", 0},
	{"v1", "v1.0.0", 0},
	{"1.2.3-beta.2", "1.2.3", -1},
	{"1.0.0-alpha", "1.0.0-alpha.1", -1},
	{"1.0.0-alpha.1", "1.0.0-alpha.beta", -1},
	{"1.0.0-alpha.beta", "1.0.0-beta", -1},
	{"1.0.0-beta", "1.0.0-beta.2", -1},
	{"1.0.0-beta.2", "1.0.0-beta.11", -1},
	{"1.0.0-beta.11", "1.0.0-rc.1", -1},
	{"1.0.0-rc.1", "1.0.0", -1},
	{"1.0.0-alpha", "1.0.0-beta", -1},
	{"1.0.0-beta", "1.0.0", -1},
	{"1.0.0-1", "1.0.0-a", -1},
	{"1.0.0-Z", "1.0.0-a", -1},
	{"1.2.3+build.1", "1.2.3+build.2", 0},
	{"1.2.3+build", "1.2.3", 0},
	{"1.2.3-rc+b1", "1.2.3-rc+b2", 0},
	{"1.10.0", "1.9.0", +1},
	{"2.0.0", "10.0.0", -1},
	{"1.2.10", "1.2.9", +1},
	{"99999999999999999999.0.0", "99999999999999999998.0.0", +1},
	{"1.2.3", "1.2.3", 0},
}

func TestCompare(t *testing.T) {
	for _, tc := range ordering {
		a, b := Parse(tc.a), Parse(tc.b)
		if !a.Valid() || !b.Valid() {
			t.Fatalf("%q or %q unexpectedly invalid", tc.a, tc.b)
		}
		if got := Compare(a, b); got != tc.want {
			t.Errorf("Compare(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := Compare(b, a); got != -tc.want {
			t.Errorf("Compare(%q, %q) = %d, want %d", tc.b, tc.a, got, -tc.want)
		}
	}
}

func TestZeroValue(t *testing.T) {
	var z Version
	if z.Valid() {
		t.Fatal("zero Version is valid")
	}
	v := Parse("1.0.0")
	if Compare(z, v) != -1 || Compare(v, z) != 1 || Compare(z, Parse("latest")) != 0 {
		t.Error("invalid versions do not order like x/mod/semver.Compare")
	}
}

// check compares Parse/Compare with x/mod/semver on the implied-"v" strings.
func check(t *testing.T, a, b string) {
	t.Helper()
	pa, pb := Parse(a), Parse(b)
	ga, gb := goSemver(a), goSemver(b)
	if got, want := pa.Valid(), xsemver.IsValid(ga); got != want {
		t.Fatalf("Parse(%q).Valid() = %v, x/mod/semver.IsValid(%q) = %v", a, got, ga, want)
	}
	if got, want := pb.Valid(), xsemver.IsValid(gb); got != want {
		t.Fatalf("Parse(%q).Valid() = %v, x/mod/semver.IsValid(%q) = %v", b, got, gb, want)
	}
	// x/mod/semver.Compare also orders invalid versions (invalid < valid);
	// our Compare mirrors that, so it is checked unconditionally.
	if got, want := Compare(pa, pb), xsemver.Compare(ga, gb); got != want {
		t.Fatalf("Compare(%q, %q) = %d, x/mod/semver.Compare(%q, %q) = %d", a, b, got, ga, gb, want)
	}
}

func corpus() []string {
	var c []string
	for _, tc := range validity {
		c = append(c, tc.in)
	}
	for _, tc := range ordering {
		c = append(c, tc.a, tc.b)
	}
	return c
}

func TestDifferential(t *testing.T) {
	c := corpus()
	for _, a := range c {
		for _, b := range c {
			check(t, a, b)
		}
	}
}

func FuzzCompare(f *testing.F) {
	for _, tc := range ordering {
		f.Add(tc.a, tc.b)
	}
	for _, tc := range validity {
		f.Add(tc.in, "1.2.3-rc.1")
	}
	f.Fuzz(check)
}

func TestAllocs(t *testing.T) {
	a, b := "1.2.3-beta.11+build", "v1.2.3-beta.2"
	var sink int
	if n := testing.AllocsPerRun(1000, func() {
		pa, pb := Parse(a), Parse(b)
		if pa.Valid() && pb.Valid() {
			sink += Compare(pa, pb)
		}
	}); n != 0 {
		t.Errorf("allocs per run = %v, want 0", n)
	}
	_ = sink
}

var sinkInt int

func BenchmarkParseCompare(b *testing.B) {
	x, y := "1.2.3-beta.11+build", "1.2.3-beta.2"
	b.ReportAllocs()
	for b.Loop() {
		sinkInt = Compare(Parse(x), Parse(y))
	}
}
