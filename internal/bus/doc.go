// Package bus is how Tongban sites talk to Kafka: one Config for every node, a
// Writer that returns only once the brokers have acknowledged, a consumer-group
// Reader whose commits are explicit, topic provisioning that reports drift
// instead of "fixing" a shared cluster, and an embedded Kafka-protocol broker for
// demos and tests.
//
// The package speaks the real protocol over TCP in every case (the embedded
// broker included), so what the tests exercise is what production runs.
// Message meaning (envelopes, signatures, the outbox and inbox) belongs to the
// callers; bus only moves bytes with a key and headers.
package bus
