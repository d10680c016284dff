// Package handoff runs a city hall's side of cross-city handoffs: the matter
// catalogue, intake at the window, packaging, the case state machine, the signed
// envelopes that carry each step to the partner hall over Kafka (outbox, relay, inbox,
// quarantine), and the hall's HTTP API.
package handoff

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tongban/tongban/internal/bus"
	"github.com/tongban/tongban/internal/obs"
)

// Options wire a hall node.
type Options struct {
	Code   string // division code of this hall
	Name   string
	DB     *pgxpool.Pool
	Bus    bus.Config
	Log    *slog.Logger
	Health *obs.Health
}

// Node is one city's hall.
type Node struct {
	opt Options
	mux *http.ServeMux
}

// NewNode builds a hall node; Run starts its background work.
func NewNode(opt Options) (*Node, error) {
	n := &Node{opt: opt, mux: http.NewServeMux()}
	opt.Health.Register(n.mux)
	return n, nil
}

// Handler serves the hall's HTTP API.
func (n *Node) Handler() http.Handler { return n.mux }

// Run runs the background workers until ctx ends, then returns after they drained.
func (n *Node) Run(ctx context.Context) error {
	<-ctx.Done()
	return nil
}
