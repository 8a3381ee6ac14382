package fsredis_test

import (
	"context"
	"fmt"
	"log"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/seed27eed597/flagship-go/assignment"
	fsredis "github.com/seed27eed597/flagship-go/contrib/redis"
)

func Example() {
	mr, err := miniredis.Run() // stands for your Redis
	if err != nil {
		log.Fatal(err)
	}
	defer mr.Close()

	// The client is yours: the store never closes it.
	client := redis.NewClient(&redis.Options{Addr: mr.Addr(), ContextTimeoutEnabled: true})
	defer client.Close()
	store, err := fsredis.New(client, "env-123")
	if err != nil {
		log.Fatal(err)
	}

	ctx := context.Background()
	err = store.Save(ctx, []assignment.Entry{{
		Key: "visitor-1",
		Assignments: assignment.Assignments{
			"vg-home": {VariationID: "var-blue", Activated: true},
		},
	}})
	if err != nil {
		log.Fatal(err)
	}
	// Saving the same variation non-activated does not undo the
	// activation (another process may have saved it before activating).
	err = store.Save(ctx, []assignment.Entry{{
		Key: "visitor-1",
		Assignments: assignment.Assignments{
			"vg-home": {VariationID: "var-blue"},
			"vg-cart": {VariationID: "var-fast"},
		},
	}})
	if err != nil {
		log.Fatal(err)
	}

	into := make([]assignment.Assignments, 2)
	if err := store.Load(ctx, []string{"visitor-1", "visitor-2"}, into); err != nil {
		log.Fatal(err)
	}
	fmt.Println(into[0]["vg-home"], into[0]["vg-cart"], into[1] == nil)
	fmt.Println(mr.HGet("fs:env-123:visitor-1", "vg-home"))
	// Output:
	// {var-blue true} {var-fast false} true
	// {"VariationID":"var-blue","Activated":true}
}
