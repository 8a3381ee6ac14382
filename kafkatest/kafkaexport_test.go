package kafkatest_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/flagshiptest"
)

// exportVisitors is how many visitors the example serves. Each queues,
// in this order: the SEGMENT hit of its context (Synchronize, BUCKETING
// mode), the activation of "btn-color", a PAGEVIEW and an EVENT.
const exportVisitors = 50

// exportTypes are the hit types of one visitor's messages, in order.
var exportTypes = []string{"SEGMENT", "ACTIVATION", "PAGEVIEW", "EVENT"}

// exportBuildTimeout bounds building the example: a cold build cache
// compiles kafka-go and bbolt, which the run itself does not wait for.
const exportBuildTimeout = 3 * time.Minute

// TestKafkaExport builds examples/kafka-export, runs it against a broker
// beside the in-process Flagship server and without it (-kafka-only), and
// reads back every message it exported.
func TestKafkaExport(t *testing.T) {
	bin := buildKafkaExport(t)
	b := startTestBroker(t, map[string]int32{"export-beside": 4, "export-kafka-only": 4})
	n := exportVisitors
	enqueued := fmt.Sprintf("enqueued %d records: %d hits (%d PAGEVIEW, %d EVENT, %d SEGMENT), %d activations", 4*n, 3*n, n, n, n, n)

	tests := []struct {
		name      string
		topic     string
		giveArgs  []string
		wantLines []string
		// wantDelivered is the summary's table: delivered, waiting and
		// dead-lettered per destination.
		wantDelivered map[string][3]int
	}{
		{
			name:  "beside Flagship",
			topic: "export-beside",
			wantLines: []string{enqueued,
				fmt.Sprintf("the in-process Flagship server received %d hits and %d activations", 3*n, n)},
			wantDelivered: map[string][3]int{
				"kafka (topic export-beside)": {4 * n, 0, 0},
				"http-hits":                   {3 * n, 0, 0},
				"http-activations":            {n, 0, 0},
			},
		},
		{
			name:     "Kafka only",
			topic:    "export-kafka-only",
			giveArgs: []string{"-kafka-only"},
			wantLines: []string{enqueued,
				"the in-process Flagship server received 0 hits and 0 activations"},
			wantDelivered: map[string][3]int{
				"kafka (topic export-kafka-only)": {4 * n, 0, 0},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"-brokers", b.Addr(), "-topic", tt.topic,
				"-visitors", strconv.Itoa(n), "-cache-dir", t.TempDir()}, tt.giveArgs...)
			out := runKafkaExport(t, bin, args...)
			lines := strings.Split(out, "\n")
			for _, l := range tt.wantLines {
				assert.Contains(t, lines, l, "output:\n%s", out)
			}
			assert.Equal(t, tt.wantDelivered, exportDelivered(t, out), "output:\n%s", out)

			msgs := checkMessages(t, readTopic(t, b.Addr(), tt.topic, nil))
			require.Len(t, msgs, 4*n)
			checkExported(t, msgs, n)
		})
	}
}

// checkExported checks that msgs are the messages of n visitors of the
// example, each once: per visitor, in its partition's order, its SEGMENT,
// ACTIVATION, PAGEVIEW and EVENT, the value read and the variation
// activated agreeing.
func checkExported(t *testing.T, msgs []message, n int) {
	t.Helper()
	ids := map[string]bool{}
	for _, m := range msgs {
		assert.False(t, ids[m.ID], "record %s delivered twice", m.ID)
		ids[m.ID] = true
		assert.Equal(t, flagshiptest.EnvID, m.EnvID)
		assert.False(t, m.HasAnonymousID, "no visitor authenticates")
	}
	byKey := requireKeyInOnePartition(t, msgs)
	require.Len(t, byKey, n, "one key per visitor")
	plans := []string{"free", "pro", "enterprise"}
	for i := range n {
		id := fmt.Sprintf("visitor-%04d", i)
		ms := byKey[id]
		var types, kinds []string
		for _, m := range ms {
			types = append(types, m.Type)
			kinds = append(kinds, m.Kind)
		}
		if !assert.Equal(t, exportTypes, types, "messages of %s, in order", id) {
			continue
		}
		assert.Equal(t, []string{"hit", "activation", "hit", "hit"}, kinds, "kinds of %s", id)
		segment, activation, page, event := ms[0].Fields, ms[1].Fields, ms[2].Fields, ms[3].Fields

		ctx, ok := segment["context"].(map[string]any)
		if assert.True(t, ok, "SEGMENT context of %s: %v", id, segment) {
			assert.Equal(t, plans[i%len(plans)], ctx["plan"], "plan of %s", id)
		}
		assert.Equal(t, "vg_btn-color-test", activation["variation_group_id"], id)
		variation := activation["variation_id"]
		assert.Contains(t, []any{"blue", "green"}, variation, id)
		assert.Equal(t, map[string]any{"url": fmt.Sprintf("https://shop.example/products/%d", i)}, page, id)
		assert.Equal(t, map[string]any{
			"category": "Action Tracking", "action": "add_to_cart",
			"label": variation, // the value read is the variation's
			"value": float64(i%5 + 1),
		}, event, id)
	}
}

// buildKafkaExport builds the example from the repository root (it
// belongs to the SDK's module, not to this one) into a temporary
// directory and returns the binary's path.
func buildKafkaExport(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go") // go test puts its GOROOT/bin first in PATH
	require.NoError(t, err)
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	bin := filepath.Join(t.TempDir(), "kafka-export")
	ctx, cancel := context.WithTimeout(context.Background(), exportBuildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, "build", "-o", bin, "./examples/kafka-export")
	cmd.Dir = root
	// TestMain points XDG_CACHE_HOME at a temporary directory for the
	// SDK's files; the go command would take its build cache from there
	// too, and compile everything, the standard library included.
	cmd.Env = environWithout("XDG_CACHE_HOME=")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build ./examples/kafka-export:\n%s", out)
	return bin
}

// environWithout returns the environment without the variables whose
// "NAME=" or prefix is given.
func environWithout(prefixes ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(kv, p) }) {
			env = append(env, kv)
		}
	}
	return env
}

// runKafkaExport runs the example with args, with no FLAGSHIP_* variables
// (so that its Flagship is the in-process server), requires that it
// exits 0, and returns its standard output.
func runKafkaExport(t *testing.T, bin string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(timeout(t), bin, args...)
	cmd.Env = environWithout("FLAGSHIP_")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	require.NoError(t, err, "kafka-export %s\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), stdout.String(), stderr.String())
	t.Logf("kafka-export %s\n%s", strings.Join(args, " "), stdout.String())
	if stderr.Len() > 0 {
		t.Logf("kafka-export stderr:\n%s", stderr.String())
	}
	return stdout.String()
}

// exportRowRE is a row of the example's destination table: name,
// delivered, waiting, dead-lettered, retried.
var exportRowRE = regexp.MustCompile(`^(\S.*?)\s{2,}(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$`)

// exportDelivered returns the delivered, waiting and dead-lettered
// records of each destination of the example's summary.
func exportDelivered(t *testing.T, out string) map[string][3]int {
	t.Helper()
	got := map[string][3]int{}
	inTable := false
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "destination ") {
			inTable = true
			continue
		}
		m := exportRowRE.FindStringSubmatch(l)
		if !inTable || m == nil {
			continue
		}
		var row [3]int
		for i := range row {
			row[i], _ = strconv.Atoi(m[i+2])
		}
		got[m[1]] = row
	}
	return got
}
