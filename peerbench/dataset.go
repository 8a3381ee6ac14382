package peerbench

import (
	"fmt"
	"math/rand/v2"
)

// NumUsers is the number of users the benchmarks cycle through.
const NumUsers = 1024

// MaxFlags is the number of flags [Flags] can make; smaller sets are its
// prefixes, so the flags of the 10-flag set are also in the 100-flag set.
const MaxFlags = 100

// Values served by every flag: Control and Treatment to the users its
// targeting matches (50/50), Default to everyone else.
const (
	Control   = "control"
	Treatment = "treatment"
	Default   = "off"
)

// User is one user and its 8 attributes. Strings are lower case, so that
// case-insensitive (Flagship) and case-sensitive (LaunchDarkly,
// GrowthBook) string matching agree.
type User struct {
	ID        string
	Country   string
	Device    string
	Plan      string
	Browser   string
	Age       int
	Loyalty   int // tier, 0 to 5
	Visits    int
	Returning bool
}

// Attrs returns the user's attributes by name, with Go int and bool values.
func (u User) Attrs() map[string]any {
	return map[string]any{
		"country":   u.Country,
		"device":    u.Device,
		"plan":      u.Plan,
		"browser":   u.Browser,
		"age":       u.Age,
		"loyalty":   u.Loyalty,
		"visits":    u.Visits,
		"returning": u.Returning,
	}
}

// The values of the string attributes.
var (
	countries = []string{"fr", "de", "es", "it", "gb", "us", "ca", "br", "jp", "in"}
	devices   = []string{"desktop", "mobile", "tablet"}
	plans     = []string{"free", "silver", "gold", "platinum"}
	browsers  = []string{"chrome", "firefox", "safari", "edge"}
)

// Users returns n users, the same for every call.
func Users(n int) []User {
	r := rand.New(rand.NewPCG(1, 2))
	out := make([]User, n)
	for i := range out {
		out[i] = User{
			ID:        fmt.Sprintf("user-%04d", i),
			Country:   countries[r.IntN(len(countries))],
			Device:    devices[r.IntN(len(devices))],
			Plan:      plans[r.IntN(len(plans))],
			Browser:   browsers[r.IntN(len(browsers))],
			Age:       18 + r.IntN(62),
			Loyalty:   r.IntN(6),
			Visits:    1 + r.IntN(200),
			Returning: r.IntN(2) == 1,
		}
	}
	return out
}

// Op is a targeting operator every system has.
type Op uint8

const (
	// OpIn: the string attribute is one of Clause.Strings (equality when
	// there is one).
	OpIn Op = iota
	// OpGTE: the number attribute is >= Clause.Number.
	OpGTE
	// OpLT: the number attribute is < Clause.Number.
	OpLT
	// OpIs: the bool attribute is Clause.Bool.
	OpIs
)

// Clause is one condition of a flag's targeting.
type Clause struct {
	Attr    string
	Op      Op
	Strings []string // OpIn
	Number  float64  // OpGTE, OpLT
	Bool    bool     // OpIs
}

// Flag is an A/B test: users matching every clause are split 50/50
// between Control and Treatment; the others get Default.
type Flag struct {
	Key     string
	Clauses []Clause // 1 or 2, ANDed
}

// attribute describes how clauses on one attribute are drawn.
type attribute struct {
	name   string
	values []string // string attributes
	lo, hi int      // number attributes: thresholds drawn in [lo, hi)
	isBool bool
}

var attributes = []attribute{
	{name: "country", values: countries},
	{name: "device", values: devices},
	{name: "plan", values: plans},
	{name: "browser", values: browsers},
	{name: "age", lo: 25, hi: 60},
	{name: "loyalty", lo: 1, hi: 5},
	{name: "visits", lo: 40, hi: 160},
	{name: "returning", isBool: true},
}

// Flags returns n flags (n <= MaxFlags), the same for every call. Even
// flags have one clause and odd ones two, on different attributes; each
// clause matches roughly a quarter to three quarters of the users.
func Flags(n int) []Flag {
	if n > MaxFlags {
		panic(fmt.Sprintf("peerbench: %d flags, want at most %d", n, MaxFlags))
	}
	r := rand.New(rand.NewPCG(3, 4))
	out := make([]Flag, MaxFlags)
	for i := range out {
		f := Flag{Key: fmt.Sprintf("flag-%03d", i)}
		perm := r.Perm(len(attributes))
		for _, a := range perm[:1+i%2] {
			f.Clauses = append(f.Clauses, drawClause(r, attributes[a]))
		}
		out[i] = f
	}
	return out[:n]
}

func drawClause(r *rand.Rand, a attribute) Clause {
	switch {
	case a.isBool:
		return Clause{Attr: a.name, Op: OpIs, Bool: r.IntN(2) == 1}
	case a.values != nil:
		// One value (an equality) or about half of them.
		k := 1
		if len(a.values) > 3 && r.IntN(3) > 0 {
			k = len(a.values) / 2
		}
		var vals []string
		for _, j := range r.Perm(len(a.values))[:k] {
			vals = append(vals, a.values[j])
		}
		return Clause{Attr: a.name, Op: OpIn, Strings: vals}
	default:
		op := OpGTE
		if r.IntN(2) == 1 {
			op = OpLT
		}
		return Clause{Attr: a.name, Op: op, Number: float64(a.lo + r.IntN(a.hi-a.lo))}
	}
}

// Matches reports whether u matches every clause of f: the reference the
// SDKs are checked against.
func (f Flag) Matches(u User) bool {
	attrs := u.Attrs()
	for _, c := range f.Clauses {
		if !c.matches(attrs[c.Attr]) {
			return false
		}
	}
	return true
}

func (c Clause) matches(v any) bool {
	switch c.Op {
	case OpIn:
		for _, s := range c.Strings {
			if v == s {
				return true
			}
		}
		return false
	case OpGTE:
		return float64(v.(int)) >= c.Number
	case OpLT:
		return float64(v.(int)) < c.Number
	case OpIs:
		return v == c.Bool
	}
	return false
}
