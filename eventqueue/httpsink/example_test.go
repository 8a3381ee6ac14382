package httpsink_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/google/uuid"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/eventqueue/httpsink"
	"github.com/seed27eed597/flagship-go/flagshiptest"
	"github.com/seed27eed597/flagship-go/hits"
)

func Example() {
	// A local Flagship API standing in for events.flagship.io and
	// decision.flagship.io.
	api, err := flagshiptest.NewHandler(flagshiptest.EnvID)
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(api)
	defer srv.Close()

	sink, err := httpsink.New(httpsink.Options{
		EventsURL:   srv.URL + "/events",
		ActivateURL: srv.URL + "/v2/activate",
		APIKey:      "my-api-key",
	})
	if err != nil {
		panic(err)
	}
	defer sink.Close()

	now := time.Now()
	pageView, _ := hits.NewRecord(uuid.New(), flagshiptest.EnvID, "visitor-1", "", now, hits.Page{URL: "https://shop.example/"})
	exposure, _ := hits.NewRecord(uuid.New(), flagshiptest.EnvID, "visitor-1", "", now,
		hits.Activation{VariationGroupID: "vg-checkout", VariationID: "var-blue"})

	// The queue calls Send; a test or a tool may call it directly.
	err = sink.Send(context.Background(), []eventqueue.Record{
		{Record: pageView, Seq: 1},
		{Record: exposure, Seq: 2},
	})
	fmt.Println("send:", err)
	for _, h := range api.Hits() {
		fmt.Println("hit:", h.Type, h.Fields["dl"])
	}
	for _, a := range api.Activations() {
		fmt.Println("activation:", a.VariationGroupID, a.VariationID)
	}

	// A refusal of the content is final: the queue sets the records at
	// fault aside.
	_ = api.FailNext(1, flagshiptest.Fault{Route: flagshiptest.RouteEvents, Status: 400, Body: `{"message":"h[0].dl: required"}`})
	err = sink.Send(context.Background(), []eventqueue.Record{{Record: pageView, Seq: 3}})
	fmt.Println("permanent:", eventqueue.IsPermanent(err))
	fmt.Println(err)

	// A refusal of the destination (a revoked key) is systemic: the queue
	// retries it and sets nothing aside.
	_ = api.FailNext(1, flagshiptest.Fault{Route: flagshiptest.RouteActivate, Status: 401, Body: `{"message":"revoked key"}`})
	err = sink.Send(context.Background(), []eventqueue.Record{{Record: exposure, Seq: 4}})
	fmt.Println("systemic:", eventqueue.IsSystemic(err), "permanent:", eventqueue.IsPermanent(err))
	fmt.Println(err)
	// Output:
	// send: <nil>
	// hit: PAGEVIEW https://shop.example/
	// activation: vg-checkout var-blue
	// permanent: true
	// httpsink: events: status 400 Bad Request: {"message":"h[0].dl: required"}
	// systemic: true permanent: false
	// httpsink: activate: status 401 Unauthorized: {"message":"revoked key"}
}
