package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/hits"
)

// exampleBucketing is a bucketing file with an A/B test every visitor
// enters and a toggle for visitors with plan "gold".
const exampleBucketing = `{"campaigns":[
 {"id":"c-checkout","type":"ab","bucketRanges":[{"r":[0,100]}],
  "variationGroups":[{"id":"vg-checkout",
   "targeting":{"targetingGroups":[{"targetings":[{"key":"fs_all_users","operator":"EQUALS","value":""}]}]},
   "variations":[{"id":"var-blue","allocation":50,"modifications":{"type":"FLAG","value":{"btn-color":"blue"}}},
                 {"id":"var-green","allocation":50,"modifications":{"type":"FLAG","value":{"btn-color":"green"}}}]}]},
 {"id":"c-gold","type":"toggle","bucketRanges":[{"r":[0,100]}],
  "variationGroups":[{"id":"vg-gold",
   "targeting":{"targetingGroups":[{"targetings":[{"key":"plan","operator":"EQUALS","value":"gold"}]}]},
   "variations":[{"id":"var-gold","allocation":100,"modifications":{"type":"FLAG","value":{"free-shipping":true}}}]}]}
]}`

// flagshipCLI runs the command line args as the flagship command does,
// with stdin as standard input and both outputs on os.Stdout, and prints
// a non-zero exit status.
func flagshipCLI(stdin string, args ...string) {
	if code := run(context.Background(), args, strings.NewReader(stdin), os.Stdout, os.Stdout); code != 0 {
		fmt.Println("exit status", code)
	}
}

// exampleDir returns a temporary directory holding bucketing.json and a
// function that removes it.
func exampleDir() (string, func()) {
	dir, err := os.MkdirTemp("", "flagship-cli-example")
	if err != nil {
		panic(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bucketing.json"), []byte(exampleBucketing), 0o600); err != nil {
		panic(err)
	}
	return dir, func() { os.RemoveAll(dir) }
}

// flagship decide, for one visitor described by flags and for a JSON Lines
// file of visitors (here standard input).
func Example_decide() {
	dir, cleanup := exampleDir()
	defer cleanup()
	file := filepath.Join(dir, "bucketing.json")

	flagshipCLI("", "decide", "--bucketing", file, "--visitor", "alice", "--context", "plan=gold")
	flagshipCLI(`{"visitorId":"bob","context":{"plan":"free"}}
{"visitorId":"carol"}
`, "decide", "--bucketing", file, "--visitors", "-")
	flagshipCLI(`{"visitorId":""}`, "decide", "--bucketing", file, "--visitors", "-")
	// Output:
	// {"visitorId":"alice","campaigns":[{"campaignId":"c-checkout","variationGroupId":"vg-checkout","variationId":"var-green"},{"campaignId":"c-gold","variationGroupId":"vg-gold","variationId":"var-gold"}]}
	// {"visitorId":"bob","campaigns":[{"campaignId":"c-checkout","variationGroupId":"vg-checkout","variationId":"var-green"}]}
	// {"visitorId":"carol","campaigns":[{"campaignId":"c-checkout","variationGroupId":"vg-checkout","variationId":"var-blue"}]}
	// flagship: stdin:1: empty visitorId
	// exit status 2
}

// flagship explain prints, campaign by campaign, why a visitor got or
// missed it.
func Example_explain() {
	dir, cleanup := exampleDir()
	defer cleanup()

	flagshipCLI("", "explain", "--bucketing", filepath.Join(dir, "bucketing.json"), "--visitor", "bob", "--context", "plan=free")
	// Output:
	// visitor "bob"
	//
	// campaign c-checkout (ab): assigned
	//   variation group vg-checkout: matched
	//     group 0 rule 0: fs_all_users EQUALS "" -> all users
	//   visitor bucket 94; bucket ranges [0,100)
	//   -> variation group vg-checkout, variation var-green (allocated at bucket 89)
	//
	// campaign c-gold (toggle): no variation group matched
	//   variation group vg-gold: not matched
	//     group 0 rule 0: plan EQUALS "gold" against "free" -> false
}

// flagship queue inspects and repairs the queue file of an SDK that is
// not running: here, a file whose only record a sink refused.
func Example_queue() {
	dir, cleanup := exampleDir()
	defer cleanup()
	db := filepath.Join(dir, "queue.db")
	if err := exampleQueueFile(db); err != nil {
		panic(err)
	}

	flagshipCLI("", "queue", "dead", "--db", db, "--json")
	flagshipCLI("", "queue", "replay", "--db", db)
	flagshipCLI("", "queue", "peek", "--db", db, "--json")
	// Output:
	// {"seq":1,"sink":"events","reason":"400: h[0].dl: want an absolute URL","at":"2026-03-14T15:09:27Z","id":"0b6c1f1e-6a55-4c59-9d0e-3d6f0f1c2a01","kind":"hit","type":"PAGEVIEW","envId":"env","visitorId":"visitor-1","created":"2026-03-14T15:09:26Z","fields":{"dl":"https://shop.example/"}}
	// moved 1 dead letter back to its backlog
	// {"sink":"events","seq":2,"attempts":0,"size":89,"id":"0b6c1f1e-6a55-4c59-9d0e-3d6f0f1c2a01","kind":"hit","type":"PAGEVIEW","envId":"env","visitorId":"visitor-1","created":"2026-03-14T15:09:26Z","fields":{"dl":"https://shop.example/"}}
}

// exampleQueueFile writes a queue file at path whose sink "events" moved
// its only record to the dead letters.
func exampleQueueFile(path string) error {
	created := time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
	r, err := hits.NewRecord(uuid.MustParse("0b6c1f1e-6a55-4c59-9d0e-3d6f0f1c2a01"), "env", "visitor-1", "", created,
		hits.Page{URL: "https://shop.example/"})
	if err != nil {
		return err
	}
	refuse := eventqueue.SinkFunc(func(context.Context, []eventqueue.Record) error {
		return eventqueue.Permanent(errors.New("400: h[0].dl: want an absolute URL"))
	})
	q, err := eventqueue.Open(path, eventqueue.Options{
		Sinks:  []eventqueue.SinkConfig{{Name: "events", Sink: refuse}},
		Now:    func() time.Time { return created.Add(time.Second) },
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return err
	}
	defer q.Close()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	go func() { _ = q.Run(ctx) }()
	if err := q.Enqueue(ctx, r); err != nil {
		return err
	}
	return q.Flush(ctx)
}
