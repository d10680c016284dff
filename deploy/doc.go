// Package deploy holds no code: it is the home of the compose and Kubernetes manifests
// and of the tests that check them against the code (config structs, topic names,
// consumer groups) without Docker or a cluster.
package deploy
