package assignment

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// A [File] holds two buckets. The value stored under a key in the
// assignments bucket is
//
//	varint  saved-at, unix milliseconds
//	uvarint count of variation groups
//	count × ( uvarint len, variation group id,
//	          uvarint len, variation id,
//	          byte activated: 0 or 1 )
//
// with nothing after the last group. The expiry bucket indexes it under
// the saved-at time as 8 big-endian bytes followed by the store key,
// with an empty value: cursor order is oldest first.
const (
	fileAssignments = "assignments"
	fileExpiry      = "expiry"
	// fileMaxKey is the longest store key: bbolt's limit less the
	// expiry index's time prefix.
	fileMaxKey = bolt.MaxKeySize - 8
	// filePruneLimit bounds the expired keys one Save removes, so that a
	// Save after a long pause does not stall; the next Saves finish.
	filePruneLimit = 10_000
	// filePruneChunk is how many expiry index keys prune collects in one
	// cursor pass before deleting them.
	filePruneChunk = 1024
)

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

// checkFileKey reports whether bbolt can store key k.
func checkFileKey(k string) error {
	switch {
	case k == "":
		return errors.New("empty key")
	case len(k) > fileMaxKey:
		return fmt.Errorf("key of %d bytes, more than %d", len(k), fileMaxKey)
	}
	return nil
}

// prune removes from tx the keys saved before the TTL (at most limit of
// them; all if limit < 0), then the oldest keys while *n, the number of
// keys, exceeds the maximum. It keeps *n up to date.
func (f *File) prune(tx *bolt.Tx, now int64, limit int, n *int64) error {
	as, ex := tx.Bucket([]byte(fileAssignments)), tx.Bucket([]byte(fileExpiry))
	cutoff := f.cutoff(now)
	expired := 0
	for {
		// Collect a chunk with one cursor pass, then delete it: deleting
		// under a cursor skips keys, and a fresh First per key would walk
		// the emptied pages again and again.
		var victims [][]byte
		c := ex.Cursor()
		for k, _ := c.First(); k != nil && len(victims) < filePruneChunk; k, _ = c.Next() {
			malformed := len(k) <= 8 // not a key this package writes: it goes
			isExpired := !malformed && int64(binary.BigEndian.Uint64(k)) < cutoff && (limit < 0 || expired < limit)
			if !malformed && !isExpired && *n-int64(len(victims)) <= f.maxEntries {
				break
			}
			if isExpired {
				expired++
			}
			victims = append(victims, bytes.Clone(k))
		}
		if len(victims) == 0 {
			return nil
		}
		for _, k := range victims {
			if err := ex.Delete(k); err != nil {
				return err
			}
			if len(k) <= 8 {
				continue
			}
			// An index entry whose time is not the value's is stale (left
			// by a corrupt value): only the index entry goes.
			v := as.Get(k[8:])
			if v == nil {
				continue
			}
			savedAt, _, err := decodeFileSavedAt(v)
			if err == nil && uint64(savedAt) != binary.BigEndian.Uint64(k) {
				continue
			}
			if err := as.Delete(k[8:]); err != nil {
				return err
			}
			*n--
		}
	}
}
