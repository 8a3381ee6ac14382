// Package jsonenc holds the JSON string encoder the SDK's hand-written
// encoders share (hits' wire bodies, the Kafka sink's messages).
package jsonenc
