package eventqueue

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/seed27eed597/flagship-go/hits"
)

// Any damaged byte, including inside the fields' JSON (which a read no
// longer parses), is caught; only the attempts may change in place.
func TestChecksumCatchesEveryFlippedByte(t *testing.T) {
	r, err := hits.NewRecord(uuid.New(), "env", "v1", "a1", time.Now(), hits.Event{Category: hits.ActionTracking, Action: "buy", Label: "sku"})
	if err != nil {
		t.Fatal(err)
	}
	good := appendEnvelope(nil, &r, 0)
	for i := range good {
		b := append([]byte(nil), good...)
		b[i] ^= 0x20
		_, attempts, err := decodeEnvelope(b)
		if i >= attemptsOffset && i < attemptsOffset+4 {
			if err != nil || attempts == 0 {
				t.Errorf("byte %d (attempts): got %d, %v; want a changed count", i, attempts, err)
			}
			continue
		}
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("byte %d flipped: err = %v, want ErrCorrupt", i, err)
		}
	}
}
