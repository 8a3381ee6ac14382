package murmur3

import (
	"math/rand/v2"
	"strings"
	"testing"
)

var reference = []struct {
	a, b string
	want uint32
}{
	{"", "", 0},
	{"a", "", 1009084850},
	{"abcd", "", 1139631978},
	{"vg1", "visitor-1", 3734424581},
	{"c20j8bk3fk9hdphqtd2g", "visitor_1", 1558043948},
	{"bmsor064jaeg0guuuuuu", "visitör-42", 342427624},
	{"vgA", "用户", 2279392320},
	{"visitor-1", "", 2387371919},
	{"vg1", "aG91c2Vob2xkLTQy", 3243547306},
}

func TestReference(t *testing.T) {
	for _, tc := range reference {
		if got := Sum32Concat(tc.a, tc.b); got != tc.want {
			t.Errorf("Sum32Concat(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := Sum32(tc.a + tc.b); got != tc.want {
			t.Errorf("Sum32(%q) = %d, want %d", tc.a+tc.b, got, tc.want)
		}
		// Every split of the same concatenation gives the same hash.
		s := tc.a + tc.b
		for i := 0; i <= len(s); i++ {
			if got := Sum32Concat(s[:i], s[i:]); got != tc.want {
				t.Errorf("Sum32Concat(%q, %q) = %d, want %d", s[:i], s[i:], got, tc.want)
			}
		}
	}
}

func TestConcatProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(27, 42))
	buf := make([]byte, 20)
	for iter := 0; iter < 200; iter++ {
		for n := 0; n <= 20; n++ {
			for i := range buf[:n] {
				buf[i] = byte(r.UintN(256))
			}
			s := string(buf[:n])
			want := Sum32(s)
			for i := 0; i <= n; i++ {
				if got := Sum32Concat(s[:i], s[i:]); got != want {
					t.Fatalf("Sum32Concat(%q, %q) = %d, Sum32 = %d", s[:i], s[i:], got, want)
				}
			}
		}
	}
}

func TestAllocs(t *testing.T) {
	a, b := "c20j8bk3fk9hdphqtd2g", "visitor_1"
	var sink uint32
	if n := testing.AllocsPerRun(1000, func() {
		sink += Sum32Concat(a, b)
		sink += Sum32(a)
	}); n != 0 {
		t.Errorf("allocs per run = %v, want 0", n)
	}
	_ = sink
}

func FuzzConcat(f *testing.F) {
	for _, tc := range reference {
		f.Add(tc.a, tc.b)
	}
	f.Add("abc", "d")
	f.Add("ab", "c")
	f.Add("abcde", "fghij")
	f.Fuzz(func(t *testing.T, a, b string) {
		if got, want := Sum32Concat(a, b), Sum32(a+b); got != want {
			t.Errorf("Sum32Concat(%q, %q) = %d, Sum32(a+b) = %d", a, b, got, want)
		}
	})
}

var sink uint32

func BenchmarkSum32Concat(b *testing.B) {
	vg := "c20j8bk3fk9hdphqtd2g"                  // 20 bytes
	vid := "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0" // 36 bytes
	b.SetBytes(int64(len(vg) + len(vid)))
	b.ReportAllocs()
	for b.Loop() {
		sink = Sum32Concat(vg, vid)
	}
}

func BenchmarkSum32(b *testing.B) {
	s := strings.Repeat("x", 56)
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	for b.Loop() {
		sink = Sum32(s)
	}
}
