package eventqueue_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/eventqueue"
)

// TestStartSend: each Send, failed or not, is bracketed by StartSend
// with the sink's name and the batch's size, runs under the context it
// returns, and ends with Send's error.
func TestStartSend(t *testing.T) {
	type key struct{}
	var mu sync.Mutex
	var underCtx, fails int
	sink := &recorder{fail: func(ctx context.Context, _ []eventqueue.Record) error {
		mu.Lock()
		defer mu.Unlock()
		if ctx.Value(key{}) != nil {
			underCtx++
		}
		if fails < 1 {
			fails++
			return errors.New("down")
		}
		return nil
	}}
	type send struct {
		sink string
		n    int
		err  error
	}
	var sends []send
	opts := oneSink("s", sink)
	opts.StartSend = func(ctx context.Context, name string, n int) (context.Context, func(error)) {
		return context.WithValue(ctx, key{}, true), func(err error) {
			mu.Lock()
			sends = append(sends, send{name, n, err})
			mu.Unlock()
		}
	}
	q := openQueue(t, queuePath(t), opts)
	for _, id := range []string{"a", "b"} {
		require.NoError(t, q.Enqueue(t.Context(), pageRecord(t, id)))
	}
	startRun(t, q)
	ctx, cancel := context.WithTimeout(t.Context(), waitLimit)
	defer cancel()
	require.NoError(t, q.Flush(ctx))
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, sends, 2)
	assert.Equal(t, "s", sends[0].sink)
	assert.Equal(t, 2, sends[0].n)
	assert.EqualError(t, sends[0].err, "down")
	assert.NoError(t, sends[1].err)
	assert.Equal(t, 2, underCtx)
}
