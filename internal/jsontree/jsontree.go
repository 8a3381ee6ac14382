package jsontree

import (
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Kind is the JSON type of a [Node].
type Kind uint8

// JSON kinds.
const (
	Null Kind = iota
	Bool
	Number
	String
	Array
	Object
)

var kindNames = [...]string{Null: "null", Bool: "bool", Number: "number", String: "string", Array: "array", Object: "object"}

func (k Kind) String() string { return kindNames[k] }

// Node is one JSON value.
type Node struct {
	Kind Kind
	Bool bool
	// Str is the unescaped string of a String, or the raw text of a Number.
	Str     string
	Items   []Node
	Members []Member
}

// Member is one name/value pair of an object.
type Member struct {
	Key   string
	Value Node
}

// DefaultMaxDepth is the nesting limit used by protobuf's JSON decoder.
const DefaultMaxDepth = 10000

// SyntaxError reports malformed JSON.
type SyntaxError struct {
	Off int
	Msg string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at offset %d: %s", e.Off, e.Msg)
}

// Parse parses data as exactly one JSON value surrounded by optional
// whitespace. maxDepth <= 0 means DefaultMaxDepth.
func Parse(data []byte, maxDepth int) (Node, error) {
	if maxDepth <= 0 {
		maxDepth = DefaultMaxDepth
	}
	p := parser{data: data, maxDepth: maxDepth}
	p.skipSpace()
	n, err := p.value(0)
	if err != nil {
		return Node{}, err
	}
	p.skipSpace()
	if p.pos != len(p.data) {
		return Node{}, p.errorf("unexpected data after the value")
	}
	return n, nil
}

type parser struct {
	data     []byte
	pos      int
	maxDepth int
	buf      []byte
	// Children are collected on stacks while a container is parsed, then
	// copied into slab arenas: a whole document costs a few allocations.
	mstack []Member
	nstack []Node
	marena []Member
	narena []Node
	keys   map[string]string // interned object keys
}

func (p *parser) members(src []Member) []Member {
	if len(src) == 0 {
		return nil
	}
	if cap(p.marena)-len(p.marena) < len(src) {
		p.marena = make([]Member, 0, max(2*cap(p.marena), len(src), 64))
	}
	start := len(p.marena)
	p.marena = append(p.marena, src...)
	return p.marena[start:len(p.marena):len(p.marena)]
}

func (p *parser) nodes(src []Node) []Node {
	if len(src) == 0 {
		return nil
	}
	if cap(p.narena)-len(p.narena) < len(src) {
		p.narena = make([]Node, 0, max(2*cap(p.narena), len(src), 64))
	}
	start := len(p.narena)
	p.narena = append(p.narena, src...)
	return p.narena[start:len(p.narena):len(p.narena)]
}

// key parses an object key, interning it: keys repeat across objects.
func (p *parser) key() (string, error) {
	start := p.pos + 1
	for i := start; i < len(p.data) && i-start < 64; i++ {
		c := p.data[i]
		if c == '"' {
			if k, ok := p.keys[string(p.data[start:i])]; ok {
				p.pos = i + 1
				return k, nil
			}
			break
		}
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			break
		}
	}
	k, err := p.string()
	if err == nil && len(k) <= 64 && len(p.keys) < 4096 {
		if p.keys == nil {
			p.keys = make(map[string]string)
		}
		p.keys[k] = k
	}
	return k, err
}

func (p *parser) errorf(format string, args ...any) error {
	return &SyntaxError{Off: p.pos, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) value(depth int) (Node, error) {
	if p.pos >= len(p.data) {
		return Node{}, p.errorf("unexpected end of input")
	}
	switch c := p.data[p.pos]; {
	case c == '{':
		return p.object(depth + 1)
	case c == '[':
		return p.array(depth + 1)
	case c == '"':
		s, err := p.string()
		return Node{Kind: String, Str: s}, err
	case c == 't':
		return Node{Kind: Bool, Bool: true}, p.literal("true")
	case c == 'f':
		return Node{Kind: Bool}, p.literal("false")
	case c == 'n':
		return Node{Kind: Null}, p.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		s, err := p.number()
		return Node{Kind: Number, Str: s}, err
	default:
		return Node{}, p.errorf("unexpected character %q", c)
	}
}

func (p *parser) literal(lit string) error {
	if len(p.data)-p.pos < len(lit) || string(p.data[p.pos:p.pos+len(lit)]) != lit {
		return p.errorf("invalid literal")
	}
	p.pos += len(lit)
	return nil
}

func (p *parser) object(depth int) (Node, error) {
	n := Node{Kind: Object}
	if depth > p.maxDepth {
		return n, p.errorf("nesting deeper than %d", p.maxDepth)
	}
	p.pos++ // {
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		return n, nil
	}
	mark := len(p.mstack)
	defer func() { p.mstack = p.mstack[:mark] }()
	for {
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return n, p.errorf("expected a string key")
		}
		key, err := p.key()
		if err != nil {
			return n, err
		}
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return n, p.errorf("expected ':' after key")
		}
		p.pos++
		p.skipSpace()
		v, err := p.value(depth)
		if err != nil {
			return n, err
		}
		p.mstack = append(p.mstack, Member{Key: key, Value: v})
		p.skipSpace()
		if p.pos >= len(p.data) {
			return n, p.errorf("unexpected end of input in object")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			n.Members = p.members(p.mstack[mark:])
			return n, nil
		default:
			return n, p.errorf("expected ',' or '}' in object")
		}
	}
}

func (p *parser) array(depth int) (Node, error) {
	n := Node{Kind: Array}
	if depth > p.maxDepth {
		return n, p.errorf("nesting deeper than %d", p.maxDepth)
	}
	p.pos++ // [
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		return n, nil
	}
	mark := len(p.nstack)
	defer func() { p.nstack = p.nstack[:mark] }()
	for {
		p.skipSpace()
		v, err := p.value(depth)
		if err != nil {
			return n, err
		}
		p.nstack = append(p.nstack, v)
		p.skipSpace()
		if p.pos >= len(p.data) {
			return n, p.errorf("unexpected end of input in array")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			n.Items = p.nodes(p.nstack[mark:])
			return n, nil
		default:
			return n, p.errorf("expected ',' or ']' in array")
		}
	}
}

func (p *parser) number() (string, error) {
	start := p.pos
	d := p.data
	i := p.pos
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && d[i] >= '1' && d[i] <= '9':
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	default:
		p.pos = i
		return "", p.errorf("invalid number")
	}
	if i < len(d) && d[i] == '.' {
		i++
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			p.pos = i
			return "", p.errorf("invalid number")
		}
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			p.pos = i
			return "", p.errorf("invalid number")
		}
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	}
	p.pos = i
	return string(d[start:i]), nil
}

// string parses a JSON string starting at the opening quote.
func (p *parser) string() (string, error) {
	p.pos++ // opening quote
	start := p.pos
	d := p.data
	// Fast path: no escapes, ASCII or valid UTF-8.
	for i := start; i < len(d); {
		c := d[i]
		switch {
		case c == '"':
			p.pos = i + 1
			return string(d[start:i]), nil
		case c == '\\':
			return p.slowString(start)
		case c < 0x20:
			p.pos = i
			return "", p.errorf("control character in string")
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(d[i:])
			if r == utf8.RuneError && size == 1 {
				p.pos = i
				return "", p.errorf("invalid UTF-8 in string")
			}
			i += size
		}
	}
	p.pos = len(d)
	return "", p.errorf("unterminated string")
}

func (p *parser) slowString(start int) (string, error) {
	buf := p.buf[:0]
	d := p.data
	i := start
	for i < len(d) {
		c := d[i]
		switch {
		case c == '"':
			p.pos = i + 1
			p.buf = buf
			return string(buf), nil
		case c == '\\':
			if i+1 >= len(d) {
				p.pos = i
				return "", p.errorf("unterminated escape")
			}
			switch e := d[i+1]; e {
			case '"', '\\', '/':
				buf = append(buf, e)
				i += 2
			case 'b':
				buf = append(buf, '\b')
				i += 2
			case 'f':
				buf = append(buf, '\f')
				i += 2
			case 'n':
				buf = append(buf, '\n')
				i += 2
			case 'r':
				buf = append(buf, '\r')
				i += 2
			case 't':
				buf = append(buf, '\t')
				i += 2
			case 'u':
				r, ok := hex4(d, i+2)
				if !ok {
					p.pos = i
					return "", p.errorf("invalid \\u escape")
				}
				i += 6
				if utf16.IsSurrogate(r) {
					r2, ok := rune(0), false
					if i+1 < len(d) && d[i] == '\\' && d[i+1] == 'u' {
						r2, ok = hex4(d, i+2)
					}
					dec := utf16.DecodeRune(r, r2)
					if !ok || dec == utf8.RuneError {
						p.pos = i
						return "", p.errorf("invalid surrogate pair in \\u escape")
					}
					r = dec
					i += 6
				}
				buf = utf8.AppendRune(buf, r)
			default:
				p.pos = i
				return "", p.errorf("invalid escape %q", e)
			}
		case c < 0x20:
			p.pos = i
			return "", p.errorf("control character in string")
		case c < utf8.RuneSelf:
			buf = append(buf, c)
			i++
		default:
			r, size := utf8.DecodeRune(d[i:])
			if r == utf8.RuneError && size == 1 {
				p.pos = i
				return "", p.errorf("invalid UTF-8 in string")
			}
			buf = append(buf, d[i:i+size]...)
			i += size
		}
	}
	p.pos = len(d)
	return "", p.errorf("unterminated string")
}

func hex4(d []byte, i int) (rune, bool) {
	if i+4 > len(d) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(d[i:i+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	return rune(n), true
}

// Interface converts n to the encoding/json generic form: nil, bool,
// float64, string, []any, map[string]any. Number conversion errors (out of
// float64 range) are reported; duplicate object keys are an error.
func (n *Node) Interface() (any, error) {
	switch n.Kind {
	case Null:
		return nil, nil
	case Bool:
		return n.Bool, nil
	case Number:
		return n.Float()
	case String:
		return n.Str, nil
	case Array:
		out := make([]any, len(n.Items))
		for i := range n.Items {
			v, err := n.Items[i].Interface()
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	default:
		out := make(map[string]any, len(n.Members))
		for i := range n.Members {
			m := &n.Members[i]
			if _, dup := out[m.Key]; dup {
				return nil, fmt.Errorf("duplicate key %q", m.Key)
			}
			v, err := m.Value.Interface()
			if err != nil {
				return nil, err
			}
			out[m.Key] = v
		}
		return out, nil
	}
}

// Float parses a Number node as float64; out-of-range values are an error.
func (n *Node) Float() (float64, error) {
	f, err := strconv.ParseFloat(n.Str, 64)
	if err != nil {
		return 0, fmt.Errorf("number %s out of range", n.Str)
	}
	return f, nil
}
