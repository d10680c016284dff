package obs

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Check is one readiness condition; it returns nil when the dependency is fine.
type Check struct {
	Name string
	Func func(ctx context.Context) error
}

// Health serves /healthz, /readyz and /metrics for a node.
type Health struct {
	Registry *prometheus.Registry

	mu       sync.Mutex
	checks   []Check
	draining bool
}

// NewHealth returns a Health with a fresh registry that already holds the Go runtime
// and process collectors.
func NewHealth() *Health {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return &Health{Registry: reg}
}

// AddCheck adds a readiness condition.
func (h *Health) AddCheck(name string, f func(ctx context.Context) error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.checks = append(h.checks, Check{name, f})
}

// Drain makes /readyz fail so load balancers stop sending work during shutdown.
func (h *Health) Drain() {
	h.mu.Lock()
	h.draining = true
	h.mu.Unlock()
}

// Register mounts the three endpoints on mux.
func (h *Health) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "alive"})
	})
	mux.HandleFunc("GET /readyz", h.ready)
	mux.Handle("GET /metrics", promhttp.HandlerFor(h.Registry, promhttp.HandlerOpts{}))
}

func (h *Health) ready(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	checks, draining := append([]Check(nil), h.checks...), h.draining
	h.mu.Unlock()
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	status, out := http.StatusOK, map[string]string{}
	if draining {
		status, out["shutdown"] = http.StatusServiceUnavailable, "draining"
	}
	results := make([]error, len(checks))
	var wg sync.WaitGroup
	for i, c := range checks {
		wg.Add(1)
		go func() { defer wg.Done(); results[i] = c.Func(ctx) }()
	}
	wg.Wait()
	for i, c := range checks {
		if results[i] != nil {
			status, out[c.Name] = http.StatusServiceUnavailable, results[i].Error()
		} else {
			out[c.Name] = "ok"
		}
	}
	writeJSON(w, status, out)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
