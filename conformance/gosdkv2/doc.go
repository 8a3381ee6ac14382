// Package gosdkv2 is a conformance suite: it runs Flagship's own Go SDK v2
// (github.com/flagship-io/flagship-go-sdk/v2 v2.1.1) against "flagship serve"
// on 127.0.0.1, in DECISION_API and BUCKETING modes, and checks that its
// decisions equal this SDK's bucketing engine where v2's known limits allow,
// and that every request it makes is answered 2xx and recorded. It has no
// code outside its tests; see README.md.
package gosdkv2
