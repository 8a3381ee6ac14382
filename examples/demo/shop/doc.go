// Package demo runs the SDK end to end, offline: a local Flagship server
// (package flagshiptest) on 127.0.0.1 serving the bundled bucketing file,
// a client in BUCKETING mode with its durable queue, and thousands of
// simulated visitors going through a shop. It backs `make demo`
// (examples/demo) and `make demo-kafka` (kafkatest/cmd/demo-kafka).
package demo
