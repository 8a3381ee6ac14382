// Package bench holds the differential tests and benchmarks that compare
// the bucketing engine of github.com/seed27eed597/flagship-go with
// Flagship's own decision library, github.com/flagship-io/flagship-common.
// It is a separate module so that the SDK never depends on flagship-common.
package bench
