# Run `make test` for the full test suite (what CI runs) and `make demo` for
# the offline end-to-end demo.
GO ?= go
FUZZTIME ?= 2m
# The race detector needs cgo (a C compiler); without it the tests run
# without -race rather than not at all.
RACE ?= $(shell [ "$$($(GO) env CGO_ENABLED)" = 1 ] && echo -race)

.PHONY: test test-root test-bench test-kafka test-redis test-openfeature test-otel bench bench-kafka lint fmt demo demo-kafka fuzz test-peers bench-peers conformance conformance-go conformance-js

test: test-root test-bench test-kafka test-peers test-redis test-openfeature test-otel

test-root:
	$(GO) test $(RACE) -count=1 ./...
	# Allocation counts need the race detector off (it randomizes sync.Pool).
	$(GO) test -count=1 -run '^TestDecideAllocations(WithStore)?$$' ./bucketing/

# The bench module holds the differential tests against flagship-common.
test-bench:
	cd bench && $(GO) test $(RACE) -count=1 ./...

# The kafkatest module runs the Kafka sink against a Kafka-protocol broker
# (kfake) on 127.0.0.1; it is a module of its own because kfake needs
# Go 1.26, and the SDK does not.
test-kafka:
	cd kafkatest && $(GO) test $(RACE) -count=1 ./...

# The Redis assignment store (contrib/redis, a module of its own so that
# only its users compile go-redis) runs against miniredis and a real
# redis-server it starts on 127.0.0.1; with FLAGSHIP_REQUIRE_REDIS=1 (CI)
# a missing redis-server fails instead of skipping.
test-redis:
	cd contrib/redis && $(GO) test $(RACE) -count=1 ./...

# The OpenFeature provider (contrib/openfeature, a module of its own so
# that only its users compile OpenFeature's SDK, which needs Go 1.26)
# runs end to end against flagshiptest on 127.0.0.1.
test-openfeature:
	cd contrib/openfeature && $(GO) test $(RACE) -count=1 ./...

# The OpenTelemetry Observer (contrib/otel, a module of its own so that
# only its users compile OpenTelemetry; Go 1.26) runs against flagshiptest
# on 127.0.0.1, and its Prometheus example is scraped over loopback HTTP.
test-otel:
	cd contrib/otel && $(GO) test $(RACE) -count=1 ./...

# The conformance suite runs Flagship's own SDKs against `flagship serve`
# on 127.0.0.1: Go SDK v2 (conformance/gosdkv2, a module of its own so
# that the SDK never depends on it) and the JS SDK.
conformance: conformance-go conformance-js

conformance-go:
	cd conformance/gosdkv2 && $(GO) test -count=1 ./...

# Flagship's JS SDK (@flagship.io/js-sdk, pinned by package-lock.json) in
# both modes against `flagship serve`, its hosts rewritten to 127.0.0.1
# (conformance/jssdk/README.md); needs Node 18+ and npm.
conformance-js:
	cd conformance/jssdk && npm ci --no-audit --no-fund && npm test

bench-kafka:
	cd kafkatest && $(GO) test -run '^$$' -bench . -benchmem -count 5 ./...

# The peerbench module compares evaluating every flag for one user with
# LaunchDarkly's and GrowthBook's Go SDKs on equivalent flags
# (peerbench/README.md); a module of its own so the SDK never depends on
# them.
test-peers:
	cd peerbench && $(GO) test $(RACE) -count=1 ./...

bench-peers:
	cd peerbench && $(GO) test -run '^$$' -bench . -benchmem -count 5 ./...

bench:
	cd bench && $(GO) test -run '^$$' -bench . -benchmem -count 5 -cpu 1,2 ./...
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./internal/... ./bucketing/...

# staticcheck is pinned and run with `go run pkg@version`, so that no
# go.mod depends on it; Go caches the build after the first run.
STATICCHECK ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2

lint:
	$(GO) vet ./...
	$(STATICCHECK) ./...
	cd bench && $(GO) vet ./...
	cd bench && $(STATICCHECK) ./...
	cd kafkatest && $(GO) vet ./...
	cd kafkatest && $(STATICCHECK) ./...
	cd contrib/redis && $(GO) vet ./...
	cd contrib/redis && $(STATICCHECK) ./...
	cd contrib/openfeature && $(GO) vet ./...
	cd contrib/openfeature && $(STATICCHECK) ./...
	cd contrib/otel && $(GO) vet ./...
	cd contrib/otel && $(STATICCHECK) ./...
	cd peerbench && $(GO) vet ./...
	cd peerbench && $(STATICCHECK) ./...
	cd conformance/gosdkv2 && $(GO) vet ./...
	cd conformance/gosdkv2 && $(STATICCHECK) ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

fmt:
	gofmt -w $$(git ls-files '*.go')

fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./bucketing/
	$(GO) test -run '^$$' -fuzz '^FuzzTargeting$$' -fuzztime $(FUZZTIME) ./bucketing/
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./internal/jsontree/
	$(GO) test -run '^$$' -fuzz '^FuzzAppendString$$' -fuzztime $(FUZZTIME) ./internal/jsonenc/
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeResponse$$' -fuzztime $(FUZZTIME) ./admin/

# The SDK end to end, offline: a local Flagship server, 10,000 simulated
# visitors in BUCKETING mode, the durable queue (examples/demo).
demo:
	$(GO) run ./examples/demo

# The same with the Kafka sink to a local Kafka-protocol broker (kfake).
demo-kafka:
	cd kafkatest && $(GO) run ./cmd/demo-kafka
