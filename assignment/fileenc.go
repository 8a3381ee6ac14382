package assignment

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// The value stored under a key in a [File]'s assignments bucket is
//
//	varint  saved-at, unix milliseconds
//	uvarint count of variation groups
//	count × ( uvarint len, variation group id,
//	          uvarint len, variation id,
//	          byte activated: 0 or 1 )
//
// with nothing after the last group. The expiry bucket's key for it is
// the saved-at time as 8 big-endian bytes followed by the store key.

// fileGroupMin is the fewest bytes one encoded variation group takes: two
// empty ids and the activated byte.
const fileGroupMin = 3

// errFileTrailing is a value with bytes after its last variation group.
var errFileTrailing = errors.New("trailing bytes")

// appendFileValue appends the encoding of a saved at savedAt (unix ms)
// to dst.
func appendFileValue(dst []byte, savedAt int64, a Assignments) []byte {
	dst = binary.AppendVarint(dst, savedAt)
	dst = binary.AppendUvarint(dst, uint64(len(a)))
	for vg, x := range a {
		dst = binary.AppendUvarint(dst, uint64(len(vg)))
		dst = append(dst, vg...)
		dst = binary.AppendUvarint(dst, uint64(len(x.VariationID)))
		dst = append(dst, x.VariationID...)
		if x.Activated {
			dst = append(dst, 1)
		} else {
			dst = append(dst, 0)
		}
	}
	return dst
}

// decodeFileSavedAt returns the saved-at time of an encoded value and the
// bytes after it, without decoding the variation groups.
func decodeFileSavedAt(b []byte) (int64, []byte, error) {
	ms, n := binary.Varint(b)
	if n <= 0 {
		return 0, nil, fmt.Errorf("%w: bad saved-at", ErrCorrupt)
	}
	return ms, b[n:], nil
}

// decodeFileValue decodes a value written by appendFileValue into a new
// map, copying every string out of b. It never panics, and allocates at
// most in proportion to len(b). Errors wrap [ErrCorrupt].
func decodeFileValue(b []byte) (savedAt int64, a Assignments, err error) {
	savedAt, b, err = decodeFileSavedAt(b)
	if err != nil {
		return 0, nil, err
	}
	count, n := binary.Uvarint(b)
	if n <= 0 || count > uint64(len(b)-n)/fileGroupMin {
		return 0, nil, fmt.Errorf("%w: bad count", ErrCorrupt)
	}
	b = b[n:]
	a = make(Assignments, count)
	for range count {
		var vg, v string
		if vg, b, err = decodeFileString(b); err != nil {
			return 0, nil, err
		}
		if v, b, err = decodeFileString(b); err != nil {
			return 0, nil, err
		}
		if len(b) == 0 || b[0] > 1 {
			return 0, nil, fmt.Errorf("%w: bad activated flag", ErrCorrupt)
		}
		if _, dup := a[vg]; dup {
			return 0, nil, fmt.Errorf("%w: variation group %q twice", ErrCorrupt, vg)
		}
		a[vg] = Assignment{VariationID: v, Activated: b[0] == 1}
		b = b[1:]
	}
	if len(b) != 0 {
		return 0, nil, fmt.Errorf("%w: %w", ErrCorrupt, errFileTrailing)
	}
	return savedAt, a, nil
}

// decodeFileString decodes a length-prefixed string and returns the
// bytes after it.
func decodeFileString(b []byte) (string, []byte, error) {
	l, n := binary.Uvarint(b)
	if n <= 0 || l > uint64(len(b)-n) {
		return "", nil, fmt.Errorf("%w: bad string length", ErrCorrupt)
	}
	b = b[n:]
	return string(b[:l]), b[l:], nil
}

// appendFileExpiryKey appends the expiry-index key of store key k saved
// at savedAt (unix ms, never negative: [File] clamps its clock at 0, so
// cursor order is time order).
func appendFileExpiryKey(dst []byte, savedAt int64, k string) []byte {
	dst = binary.BigEndian.AppendUint64(dst, uint64(savedAt))
	return append(dst, k...)
}
