package kafkatest_test

import (
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/eventqueue/kafkasink"
	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
	"github.com/seed27eed597/flagship-go/hits"
	"github.com/seed27eed597/flagship-go/visitor"
)

// abServer serves an A/B campaign ("btn-color") and a toggle
// ("show-banner") to every visitor.
func abServer(t *testing.T) *flagshiptest.Server {
	return flagshiptest.NewServer(t, flagshiptest.WithCampaigns(
		flagshiptest.Campaign("checkout", flagshiptest.Variation("var_green", 100, map[string]any{"btn-color": "green"})),
		flagshiptest.Toggle("banner", map[string]any{"show-banner": true}),
	))
}

// sent is a record a visitor script sent, as the test expects to find
// it: under key (the visitor id), with anon the anonymous id, and wire
// the hit's members under Flagship's wire names.
type sent struct {
	key, anon string
	kind      string // "hit", "activation" or "consent"
	typ       string
	wire      map[string]any
}

// runVisitor runs the script of visitor i on c: a sequence of hits of
// every user type and activations; visitors i%3 == 0 authenticate half
// way, visitors i%5 == 1 consent explicitly (a consent record). It
// returns the records sent, in order. With cst, the TRANSACTION hit also
// carries a SessionTimestamp ("cst").
func runVisitor(t *testing.T, c *flagship.Client, i int, cst bool) []sent {
	ctx := timeout(t)
	id := visitorName(i)
	var opts []visitor.Option
	if i%5 == 1 {
		opts = append(opts, visitor.WithConsent(true))
	}
	v, err := c.NewVisitor(id, visitor.Attributes{"plan": "gold"}, opts...)
	require.NoError(t, err)
	require.NoError(t, v.Synchronize(ctx))
	key, anon := id, ""
	var out []sent
	add := func(kind, typ string, wire map[string]any) {
		out = append(out, sent{key: key, anon: anon, kind: kind, typ: typ, wire: wire})
	}
	send := func(h hits.Hit, wire map[string]any) {
		require.NoError(t, v.SendHit(ctx, h))
		add("hit", string(h.HitType()), wire)
	}
	if i%5 == 1 {
		add("consent", "EVENT", map[string]any{"ec": "User Engagement", "ea": "fs_consent", "el": "go:true"})
	}
	send(hits.Page{URL: fmt.Sprintf("https://shop.example/v%d/home", i), Common: hits.Common{Language: "fr-fr", ScreenResolution: "1280x720"}},
		map[string]any{"dl": fmt.Sprintf("https://shop.example/v%d/home", i), "ul": "fr-fr", "sr": "1280x720"})
	require.Equal(t, "green", v.Activating(ctx).String("btn-color", "blue"))
	add("activation", "ACTIVATION", map[string]any{"caid": "vg_checkout", "vaid": "var_green"})
	send(hits.Screen{Name: fmt.Sprintf("cart-%d", i), Common: hits.Common{UserIP: "203.0.113.7", SessionNumber: 3}},
		map[string]any{"dl": fmt.Sprintf("cart-%d", i), "uip": "203.0.113.7", "sn": 3.0})
	if i%3 == 0 {
		key, anon = fmt.Sprintf("customer-%d", i), id
		require.NoError(t, v.Authenticate(key))
	}
	require.True(t, v.Activating(ctx).Bool("show-banner", false))
	add("activation", "ACTIVATION", map[string]any{"caid": "vg_banner", "vaid": "var_banner"})
	tr := hits.Transaction{ID: fmt.Sprintf("T-%d", i), Affiliation: "checkout", Revenue: 59.9, Shipping: 4.5, Tax: 9.98,
		Currency: "EUR", CouponCode: "SPRING", PaymentMethod: "card", ShippingMethod: "post", ItemCount: 2}
	trWire := map[string]any{"tid": fmt.Sprintf("T-%d", i), "ta": "checkout", "tr": 59.9, "ts": 4.5, "tt": 9.98, "tc": "EUR",
		"tcc": "SPRING", "pm": "card", "sm": "post", "icn": 2.0}
	if cst {
		tr.SessionTimestamp, trWire["cst"] = 1700000000, 1700000000.0
	}
	send(tr, trWire)
	send(hits.Item{TransactionID: fmt.Sprintf("T-%d", i), Name: "shoe", Code: fmt.Sprintf("SKU-%d", i), Price: 21.25, Quantity: 2, Category: "shoes"},
		map[string]any{"tid": fmt.Sprintf("T-%d", i), "in": "shoe", "ic": fmt.Sprintf("SKU-%d", i), "ip": 21.25, "iq": 2.0, "iv": "shoes"})
	send(hits.Event{Category: hits.ActionTracking, Action: "add_to_cart", Label: fmt.Sprintf("v%d-1", i), Value: int64(i + 1)},
		map[string]any{"ec": "Action Tracking", "ea": "add_to_cart", "el": fmt.Sprintf("v%d-1", i), "ev": float64(i + 1)})
	send(hits.Event{Category: hits.UserEngagement, Action: "newsletter", Label: fmt.Sprintf("v%d-2", i)},
		map[string]any{"ec": "User Engagement", "ea": "newsletter", "el": fmt.Sprintf("v%d-2", i)})
	return out
}

// runVisitors runs n visitor scripts concurrently and returns what each
// key was sent, in order.
func runVisitors(t *testing.T, c *flagship.Client, n int, cst bool) map[string][]sent {
	var mu sync.Mutex
	byKey := map[string][]sent{}
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out := runVisitor(t, c, i, cst) // a failed require ends this goroutine only
			mu.Lock()
			defer mu.Unlock()
			for _, s := range out {
				byKey[s.key] = append(byKey[s.key], s)
			}
		}()
	}
	wg.Wait()
	require.False(t, t.Failed(), "the visitor scripts failed")
	return byKey
}

// checkDelivered checks that the messages are exactly the records sent:
// each once, with the documented schema, each key's in one partition and
// in the order sent.
func checkDelivered(t *testing.T, envID string, start time.Time, want map[string][]sent, msgs []message) {
	total := 0
	for _, s := range want {
		total += len(s)
	}
	seen := map[string]bool{}
	for _, m := range msgs {
		require.False(t, seen[m.ID], "record %s delivered twice", m.ID)
		seen[m.ID] = true
		assert.Equal(t, envID, m.EnvID)
		assert.False(t, m.Created.Before(start.Truncate(time.Millisecond)), "created %v before the test started", m.Created)
		assert.False(t, m.Created.After(time.Now()), "created %v in the future", m.Created)
		assert.Equal(t, time.UTC, m.Created.Location())
	}
	require.Len(t, msgs, total, "every record sent, exactly once")
	got := requireKeyInOnePartition(t, msgs)
	require.Len(t, got, len(want), "keys")
	partitions := map[int]bool{}
	for key, ws := range want {
		ms := got[key]
		require.Len(t, ms, len(ws), "messages of key %s", key)
		for i, w := range ws {
			m := ms[i]
			partitions[m.Partition] = true
			assert.Equal(t, w.kind, m.Kind, "key %s message %d", key, i)
			assert.Equal(t, w.typ, m.Type, "key %s message %d", key, i)
			assert.Equal(t, key, m.VisitorID, "key %s message %d", key, i)
			assert.Equal(t, w.anon, m.AnonymousID, "key %s message %d", key, i)
			assert.Equal(t, w.anon != "", m.HasAnonymousID, "anonymous_id is present only when authenticated")
			assert.Equal(t, readable(t, w.typ, w.wire), m.Fields, "key %s message %d: fields, in send order", key, i)
		}
	}
	assert.Greater(t, len(partitions), 1, "keys spread over the partitions")
}

// TestProduceThroughSDK: records of every kind and hit type, sent by
// visitors of a flagship client with the Kafka sink beside the HTTP
// delivery, each reach Kafka once, keyed by visitor, with the documented
// value and headers, each visitor's in one partition in send order; and
// Flagship received the same hits and activations.
func TestProduceThroughSDK(t *testing.T) {
	const topic = "flagship-events"
	b := startTestBroker(t, map[string]int32{topic: 6})
	srv := abServer(t)
	ks := newTestSink(t, kafkasink.Options{Brokers: []string{b.Addr()}, Topic: topic})
	c := newClient(t, srv, flagship.WithDelivery(flagship.DeliveryOptions{
		Sinks: []eventqueue.SinkConfig{ks.Config()}, BatchSize: 50, FlushInterval: 20 * time.Millisecond}))
	produced := watchProduce(t, b)
	start := time.Now()
	// No SessionTimestamp: flagshiptest refuses "cst" (400, "unknown field
	// of TRANSACTION hits") although package hits sends it on every user
	// hit type; TestKafkaAlone covers its Kafka name.
	want := runVisitors(t, c, 20, false)
	require.NoError(t, c.Flush(timeout(t)))
	st := sinkStats(t, c.QueueStats(), kafkasink.DefaultName)
	assert.Zero(t, st.Depth)
	assert.Zero(t, st.DeadLettered)

	msgs := checkMessages(t, readTopic(t, b.Addr(), topic, nil))
	checkDelivered(t, srv.EnvID(), start, want, msgs)
	assert.EqualValues(t, len(msgs), st.Sent)
	for _, m := range msgs {
		require.Equal(t, javaPartition(m.Key, 6), m.Partition, "key %s: the partition Java's default partitioner picks", m.Key)
	}
	for _, pb := range produced.take() {
		assert.EqualValues(t, -1, pb.Acks, "acks=all by default")
		assert.Zero(t, pb.Compression, "no compression by default")
	}

	// Flagship received the same hits and activations over HTTP.
	var wantHits, wantActivations, gotHits, gotActivations []string
	for _, ws := range want {
		for _, w := range ws {
			switch w.kind {
			case "activation":
				wantActivations = append(wantActivations, fmt.Sprintf("vid=%s aid=%s caid=%s vaid=%s", w.key, w.anon, w.wire["caid"], w.wire["vaid"]))
			default:
				wantHits = append(wantHits, describeHit(t, w.typ, w.key, w.anon, w.wire))
			}
		}
	}
	for _, h := range srv.Hits() {
		if h.FromDecision {
			continue // the SEGMENT hit the Decision API call makes
		}
		fields := map[string]any{}
		for k, v := range h.Fields {
			fields[k] = v
		}
		for _, k := range []string{"t", "vid", "cuid", "qt"} {
			delete(fields, k)
		}
		key, anon := h.VisitorID, ""
		if h.CustomerID != "" {
			key, anon = h.CustomerID, h.VisitorID
		}
		gotHits = append(gotHits, describeHit(t, h.Type, key, anon, fields))
	}
	for _, a := range srv.Activations() {
		if !a.FromDecision {
			gotActivations = append(gotActivations, fmt.Sprintf("vid=%s aid=%s caid=%s vaid=%s", a.VisitorID, a.AnonymousID, a.VariationGroupID, a.VariationID))
		}
	}
	assert.ElementsMatch(t, wantHits, gotHits, "hits received over HTTP")
	assert.ElementsMatch(t, wantActivations, gotActivations, "activations received over HTTP")
}

// TestJavaPartition checks javaPartition against Kafka's murmur2 vectors
// (UtilsTest.testMurmur2).
func TestJavaPartition(t *testing.T) {
	for key, h := range map[string]int32{
		"21": -973932308, "foobar": -790332482, "a-little-bit-long-string": -985981536,
		"a-little-bit-longer-string": -1486304829, "lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971, "abc": 479470107,
	} {
		assert.Equal(t, int(h&0x7fffffff)%1000003, javaPartition([]byte(key), 1000003), key)
	}
}

func describeHit(t *testing.T, typ, key, anon string, wire map[string]any) string {
	b, err := json.Marshal(wire) // sorted keys
	require.NoError(t, err)
	return fmt.Sprintf("%s key=%s anon=%s %s", typ, key, anon, b)
}

// TestKafkaAlone: with DeliveryOptions.NoHTTP the records reach Kafka and
// Flagship receives none.
func TestKafkaAlone(t *testing.T) {
	const topic = "events"
	b := startTestBroker(t, map[string]int32{topic: 4})
	srv := abServer(t)
	ks := newTestSink(t, kafkasink.Options{Brokers: []string{b.Addr()}, Topic: topic})
	c := newClient(t, srv, flagship.WithDelivery(flagship.DeliveryOptions{Sinks: []eventqueue.SinkConfig{ks.Config()}, NoHTTP: true}))
	start := time.Now()
	want := runVisitors(t, c, 6, true)
	require.NoError(t, c.Flush(timeout(t)))

	msgs := checkMessages(t, readTopic(t, b.Addr(), topic, nil))
	checkDelivered(t, srv.EnvID(), start, want, msgs)
	var names []string
	for _, s := range c.QueueStats().Sinks {
		if s.Configured {
			names = append(names, s.Name)
		}
	}
	sort.Strings(names)
	assert.Equal(t, []string{kafkasink.DefaultName}, names, "the Kafka sink is the only destination")

	assert.Empty(t, srv.Bodies(flagshiptest.RouteEvents), "no hit sent to Flagship")
	assert.Empty(t, srv.Bodies(flagshiptest.RouteActivate), "no activation sent to Flagship")
	for _, h := range srv.Hits() {
		assert.True(t, h.FromDecision, "only the Decision API's own SEGMENT hits: %+v", h)
	}
	assert.Empty(t, srv.Activations())
}
