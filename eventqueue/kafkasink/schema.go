package kafkasink

import (
	"bytes"
	"errors"
	"time"

	"github.com/seed27eed597/flagship-go/hits"
	"github.com/seed27eed597/flagship-go/internal/jsonenc"
)

// SchemaVersion is the version of the message value's JSON schema,
// carried in the value ("schema") and in the [HeaderSchemaVersion] header.
// It changes only when a change could break a consumer: new members may
// appear within a version.
const SchemaVersion = 1

// Message headers, so that consumers can route and de-duplicate without
// parsing the value.
const (
	HeaderSchemaVersion = "fs-schema-version" // "1"
	HeaderKind          = "fs-kind"           // "hit", "activation" or "consent"
	HeaderHitType       = "fs-hit-type"       // "PAGEVIEW", ..., "ACTIVATION"
	HeaderRecordID      = "fs-record-id"      // the record UUID: the idempotency key
)

// fieldNames maps, per hit type, the wire member names that records
// store to the readable names of the message value. Members not listed
// keep their wire name.
var fieldNames = func() map[hits.Type]map[string]string {
	common := map[string]string{
		"uip": "user_ip",
		"sr":  "screen_resolution",
		"ul":  "language",
		"sn":  "session_number",
		"cst": "session_timestamp",
	}
	with := func(m map[string]string) map[string]string {
		for k, v := range common {
			m[k] = v
		}
		return m
	}
	return map[hits.Type]map[string]string{
		hits.TypePage:   with(map[string]string{"dl": "url"}),
		hits.TypeScreen: with(map[string]string{"dl": "name"}),
		hits.TypeTransaction: with(map[string]string{
			"tid": "transaction_id", "ta": "affiliation", "tr": "revenue", "ts": "shipping",
			"tt": "tax", "tc": "currency", "tcc": "coupon_code", "pm": "payment_method",
			"sm": "shipping_method", "icn": "item_count",
		}),
		hits.TypeItem: with(map[string]string{
			"tid": "transaction_id", "in": "name", "ic": "code", "ip": "price",
			"iq": "quantity", "iv": "category",
		}),
		hits.TypeEvent:      with(map[string]string{"ec": "category", "ea": "action", "el": "label", "ev": "value"}),
		hits.TypeSegment:    {"s": "context"},
		hits.TypeActivation: {"caid": "variation_group_id", "vaid": "variation_id"},
	}
}()

// errMalformedFields is the reason of a record whose stored fields are
// not a JSON object.
var errMalformedFields = errors.New("kafkasink: record fields are not a JSON object")

// appendValue appends r's message value (schema version 1):
//
//	{"schema":1,"id":"<uuid>","kind":"hit","type":"EVENT","env_id":"..",
//	 "visitor_id":"..","anonymous_id":"..","created":"<RFC 3339, UTC, ms>",
//	 "fields":{<readable name>:<value>,...}}
//
// anonymous_id is present only for an authenticated visitor (visitor_id
// is then its authenticated id).
func appendValue(b []byte, r *hits.Record) ([]byte, error) {
	start := len(b)
	b = append(b, `{"schema":1,"id":"`...)
	b = appendUUID(b, r)
	b = append(b, `","kind":`...)
	b = appendString(b, r.Kind().String())
	b = append(b, `,"type":`...)
	b = appendString(b, string(r.Type()))
	b = append(b, `,"env_id":`...)
	b = appendString(b, r.EnvID())
	b = append(b, `,"visitor_id":`...)
	b = appendString(b, r.VisitorID())
	if r.AnonymousID() != "" {
		b = append(b, `,"anonymous_id":`...)
		b = appendString(b, r.AnonymousID())
	}
	b = append(b, `,"created":"`...)
	b = appendTime(b, r.Created())
	b = append(b, `","fields":`...)
	var buf [512]byte // most records' fields fit: no copy on the heap
	b, err := appendFields(b, r.AppendFields(buf[:0]), fieldNames[r.Type()])
	if err != nil {
		return b[:start], err
	}
	return append(b, '}'), nil
}

// appendTime appends t in UTC as RFC 3339 with milliseconds, like
// t.UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z07:00") for years 0 to
// 9999, in a quarter of the time.
func appendTime(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(b, "2006-01-02T15:04:05.000Z07:00")
	}
	hour, minute, sec := t.Clock()
	ms := t.Nanosecond() / 1e6
	b = append(b, byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-',
		byte('0'+int(month)/10), byte('0'+int(month)%10), '-', byte('0'+day/10), byte('0'+day%10), 'T',
		byte('0'+hour/10), byte('0'+hour%10), ':', byte('0'+minute/10), byte('0'+minute%10), ':',
		byte('0'+sec/10), byte('0'+sec%10), '.', byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10), 'Z')
	return b
}

// appendUUID appends r.ID() in its canonical form (8-4-4-4-12 hex digits).
func appendUUID(b []byte, r *hits.Record) []byte {
	for i, c := range r.ID() {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, hexDigits[c>>4], hexDigits[c&0xf])
	}
	return b
}

// appendFields appends the JSON object fields with its member names
// renamed by names. Values are copied as they are: the queue checked on
// enqueue that fields is valid JSON, and its checksum that it is intact.
func appendFields(b, fields []byte, names map[string]string) ([]byte, error) {
	n := len(b)
	i := skipSpace(fields, 0)
	if i >= len(fields) || fields[i] != '{' {
		return b[:n], errMalformedFields
	}
	b = append(b, '{')
	i = skipSpace(fields, i+1)
	if i < len(fields) && fields[i] == '}' {
		return append(b, '}'), nil
	}
	for first := true; ; first = false {
		if i >= len(fields) || fields[i] != '"' {
			return b[:n], errMalformedFields
		}
		end := skipString(fields, i)
		if end < 0 {
			return b[:n], errMalformedFields
		}
		if !first {
			b = append(b, ',')
		}
		if name, ok := names[string(fields[i+1:end-1])]; ok {
			b = append(b, '"')
			b = append(b, name...)
			b = append(b, '"')
		} else {
			b = append(b, fields[i:end]...)
		}
		i = skipSpace(fields, end)
		if i >= len(fields) || fields[i] != ':' {
			return b[:n], errMalformedFields
		}
		i = skipSpace(fields, i+1)
		end = skipValue(fields, i)
		if end < 0 {
			return b[:n], errMalformedFields
		}
		b = append(b, ':')
		b = append(b, fields[i:end]...)
		i = skipSpace(fields, end)
		if i >= len(fields) {
			return b[:n], errMalformedFields
		}
		switch fields[i] {
		case ',':
			i = skipSpace(fields, i+1)
		case '}':
			if skipSpace(fields, i+1) != len(fields) {
				return b[:n], errMalformedFields
			}
			return append(b, '}'), nil
		default:
			return b[:n], errMalformedFields
		}
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the JSON string starting at b[i],
// or -1.
func skipString(b []byte, i int) int {
	for j := i + 1; j < len(b); {
		q := bytes.IndexByte(b[j:], '"')
		if q < 0 {
			return -1
		}
		j += q
		// The quote ends the string unless an odd number of backslashes
		// escapes it.
		k := j
		for k > i+1 && b[k-1] == '\\' {
			k--
		}
		if (j-k)%2 == 0 {
			return j + 1
		}
		j++
	}
	return -1
}

// skipValue returns the index after the JSON value starting at b[i], or
// -1. Nested values are delimited by counting brackets outside strings.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end := skipString(b, j)
				if end < 0 {
					return -1
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	}
	j := i
	for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\t' && b[j] != '\n' && b[j] != '\r' {
		j++
	}
	if !literal(b[i:j]) {
		return -1
	}
	return j
}

// literal reports whether v looks like a JSON number, true, false or
// null (a number's digits are not checked in detail: fields were valid
// JSON when they were enqueued).
func literal(v []byte) bool {
	switch string(v) {
	case "":
		return false
	case "true", "false", "null":
		return true
	}
	for _, c := range v {
		if !('0' <= c && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E') {
			return false
		}
	}
	return true
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string.
func appendString(b []byte, s string) []byte { return jsonenc.AppendString(b, s) }
