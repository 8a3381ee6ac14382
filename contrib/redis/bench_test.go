package fsredis_test

import (
	"strconv"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/assignment"
	fsredis "github.com/seed27eed597/flagship-go/contrib/redis"
	"github.com/seed27eed597/flagship-go/contrib/redis/internal/redistest"
)

// benchClient returns a client of a real redis-server when there is one,
// else of a miniredis, with the name of what it talks to.
func benchClient(b *testing.B) (string, *redis.Client) {
	b.Helper()
	if redistest.Available(b) {
		_, c := newReal(b)
		return "redis-server", c
	}
	_, c := newMini(b)
	return "miniredis", c
}

// benchAssignments is a visitor in a few campaigns.
func benchAssignments() assignment.Assignments {
	return assignment.Assignments{
		"c5k0vg1": {VariationID: "c5k0var1", Activated: true},
		"c5k0vg2": {VariationID: "c5k0var2"},
		"c5k0vg3": {VariationID: "c5k0var3"},
		"c5k0vg4": {VariationID: "c5k0var4", Activated: true},
	}
}

func BenchmarkLoad(b *testing.B) {
	name, client := benchClient(b)
	s, err := fsredis.New(client, "env")
	require.NoError(b, err)
	ctx := b.Context()
	require.NoError(b, s.Save(ctx, []assignment.Entry{{Key: "visitor-1", Assignments: benchAssignments()}}))
	keys := []string{"visitor-1"}
	into := make([]assignment.Assignments, 1)

	b.Run(name+"/one-key", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := s.Load(ctx, keys, into); err != nil {
				b.Fatal(err)
			}
		}
		require.Len(b, into[0], 4)
	})
}

func BenchmarkSave(b *testing.B) {
	name, client := benchClient(b)
	s, err := fsredis.New(client, "env")
	require.NoError(b, err)
	ctx := b.Context()
	const batch = 100
	entries := make([]assignment.Entry, batch)
	for i := range entries {
		entries[i] = assignment.Entry{Key: "visitor-" + strconv.Itoa(i), Assignments: benchAssignments()}
	}
	require.NoError(b, s.Save(ctx, entries)) // load the script

	b.Run(name+"/batch-100", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := s.Save(ctx, entries); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/entry")
	})
}
