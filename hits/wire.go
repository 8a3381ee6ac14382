package hits

import (
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"
)

// AppendEventsBatch appends to b the body of a request to the events
// endpoint carrying recs (spec §7.1) and returns the extended buffer:
//
//	{"cid":<envID>,"ds":"APP","t":"BATCH","qt":0,"h":[<item>,...]}
//
// Each item is
//
//	{"t":<Type>,"vid":<vid>,"cuid":<cuid>,"qt":<ms>,<Fields members>}
//
// with the members in exactly that order and the Fields members in the
// order they were stored. vid is the AnonymousID when it is set (the
// visitor is authenticated) and cuid is then the VisitorID; otherwise vid
// is the VisitorID and cuid is null. qt is now minus Created in whole
// milliseconds, 0 if Created is after now: call AppendEventsBatch at send
// time, and again for each retry.
//
// Every record must be built (not the zero Record), of kind [KindHit]
// or [KindConsent], and belong to envID. Otherwise the error wraps
// [ErrInvalidRecord], names the record's index and field, and b is
// returned with its original length. An empty recs gives an empty "h".
// It is safe for concurrent use.
func AppendEventsBatch(b []byte, envID string, recs []Record, now time.Time) ([]byte, error) {
	if rule := checkEnvID(envID); rule != "" {
		return b, fmt.Errorf("%w: %s", ErrInvalidRecord, rule)
	}
	n := len(b)
	b = append(b, `{"cid":`...)
	b = appendString(b, envID)
	b = append(b, `,"ds":"APP","t":"BATCH","qt":0,"h":[`...)
	for i := range recs {
		r := &recs[i]
		rule := ""
		switch {
		case r.bin == nil:
			rule = "the zero Record"
		case r.kind == KindActivation:
			rule = "Kind activation does not belong in an events batch"
		case r.envID != envID:
			rule = fmt.Sprintf("EnvID %q is not the batch's %q", r.envID, envID)
		}
		if rule != "" {
			return b[:n], fmt.Errorf("%w: recs[%d]: %s", ErrInvalidRecord, i, rule)
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"t":`...)
		b = appendString(b, r.typ)
		b = append(b, `,"vid":`...)
		if r.anonymousID != "" {
			b = appendString(b, r.anonymousID)
			b = append(b, `,"cuid":`...)
			b = appendString(b, r.visitorID)
		} else {
			b = appendString(b, r.visitorID)
			b = append(b, `,"cuid":null`...)
		}
		b = append(b, `,"qt":`...)
		b = strconv.AppendInt(b, queueTime(now, r.created), 10)
		if members := r.members(); len(members) > 0 {
			b = append(b, ',')
			b = append(b, members...)
		}
		b = append(b, '}')
	}
	return append(b, ']', '}'), nil
}

// AppendActivationBatch appends to b the body of a request to the
// activation endpoint carrying recs (spec §3.1, batch shape) and returns
// the extended buffer:
//
//	{"cid":<envID>,"batch":[{"vid":<VisitorID>,"aid":<AnonymousID>,"caid":<..>,"vaid":<..>,"qt":<ms>},...]}
//
// with the members in exactly that order; "aid" is omitted when the
// AnonymousID is empty. caid and vaid come from the record's typed ids
// ([Record.Activation]).
// qt is computed as for [AppendEventsBatch].
//
// Every record must be built (not the zero Record), of kind
// [KindActivation], and belong to envID. Otherwise the error wraps
// [ErrInvalidRecord], names the record's index and field, and b is
// returned with its original length. An empty recs gives an empty
// "batch". It is safe for concurrent use.
func AppendActivationBatch(b []byte, envID string, recs []Record, now time.Time) ([]byte, error) {
	if rule := checkEnvID(envID); rule != "" {
		return b, fmt.Errorf("%w: %s", ErrInvalidRecord, rule)
	}
	n := len(b)
	b = append(b, `{"cid":`...)
	b = appendString(b, envID)
	b = append(b, `,"batch":[`...)
	for i := range recs {
		r := &recs[i]
		rule := ""
		switch {
		case r.bin == nil:
			rule = "the zero Record"
		case r.kind != KindActivation:
			rule = "Kind " + r.kind.String() + " does not belong in an activation batch"
		case r.envID != envID:
			rule = fmt.Sprintf("EnvID %q is not the batch's %q", r.envID, envID)
		}
		if rule != "" {
			return b[:n], fmt.Errorf("%w: recs[%d]: %s", ErrInvalidRecord, i, rule)
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"vid":`...)
		b = appendString(b, r.visitorID)
		b = appendOptString(b, "aid", r.anonymousID)
		b = appendStringMember(b, "caid", r.caid)
		b = appendStringMember(b, "vaid", r.vaid)
		b = append(b, `,"qt":`...)
		b = strconv.AppendInt(b, queueTime(now, r.created), 10)
		b = append(b, '}')
	}
	return append(b, ']', '}'), nil
}

// checkEnvID checks a batch's envID and returns the broken rule, or "".
func checkEnvID(envID string) string {
	switch {
	case envID == "":
		return "envID must not be empty"
	case !utf8.ValidString(envID):
		return "envID must be valid UTF-8"
	}
	return ""
}

// queueTime returns now - created in whole milliseconds, at least 0.
func queueTime(now, created time.Time) int64 {
	d := now.Sub(created)
	if d < 0 {
		return 0
	}
	return d.Milliseconds()
}
