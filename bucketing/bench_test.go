package bucketing_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/seed27eed597/flagship-go/bucketing"
)

// BenchmarkDecideVectors decides the published vectors' visitors (31
// campaigns, every operator). The side-by-side comparison with
// flagship-common lives in the bench module.
func BenchmarkDecideVectors(b *testing.B) {
	e := loadEngine(b, "bucketing.json", bucketing.Options{})
	lines := loadVectors(b, "vectors.jsonl.gz")[:1024]
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		l := &lines[i%len(lines)]
		if _, err := e.Decide(ctx, request(l.VisitorID, l.Context)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseConfig(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(vectorsDir, "bucketing.json"))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("impl=ours", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := bucketing.ParseConfig(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=json-map", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			var m map[string]any
			if err := json.Unmarshal(data, &m); err != nil {
				b.Fatal(err)
			}
		}
	})
}
