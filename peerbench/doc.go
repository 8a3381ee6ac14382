// Package peerbench compares "evaluate every flag for one user" in
// flagship-go (BUCKETING mode) with the Go server SDKs of LaunchDarkly and
// GrowthBook, on equivalent flags: the same users, the same targeting
// rules and the same 50/50 split, expressed in each system's own format.
//
// The package builds the data set ([Users], [Flags]) and renders it for
// each SDK ([BucketingJSON], [LaunchDarklyFlags], [GrowthBookJSON]). The
// benchmarks and the test that checks the three SDKs agree on who is
// targeted are in its test files. Nothing here touches the network: every
// SDK reads local data, and flagship-go's endpoints are loopback servers.
//
// It is a module of its own so that the SDK never depends on its peers.
package peerbench
