// Package shop is the engine of the demo application, not part of the
// SDK's API: it runs the SDK end to end, offline, with a local Flagship
// server (package flagshiptest) on 127.0.0.1 serving the bundled bucketing
// file (examples/data), a client in BUCKETING mode with its durable queue,
// and thousands of simulated visitors going through a shop. It backs
// `make demo` (examples/demo) and `make demo-kafka`
// (kafkatest/cmd/demo-kafka, in the kafkatest module, which is why it is
// not under an internal directory). Its exported names may change with the
// demo at any time.
package shop
