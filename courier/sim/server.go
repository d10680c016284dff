package sim

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"
)

// Server runs a simulator on a listener and, when Config.Speed > 0, moves its clock.
type Server struct {
	Sim *Sim
	// URL is the base URL, e.g. "http://127.0.0.1:8089".
	URL string

	srv  *http.Server
	stop context.CancelFunc
	wg   sync.WaitGroup
}

// Start listens on addr (":0" picks a free port) and serves the simulator.
func (s *Sim) Start(addr string) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("sim: start: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	sv := &Server{Sim: s, URL: "http://" + ln.Addr().String(), stop: cancel,
		srv: &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}}
	sv.wg.Add(1)
	go func() {
		defer sv.wg.Done()
		if err := sv.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			slog.Error("sim: serve", slog.String("error", err.Error()))
		}
	}()
	if s.cfg.Speed > 0 {
		sv.wg.Add(1)
		go func() {
			defer sv.wg.Done()
			s.tick(ctx, time.Second)
		}()
	}
	return sv, nil
}

// tick advances the clock Speed virtual seconds per real second until ctx ends.
func (s *Sim) tick(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	step := time.Duration(s.cfg.Speed * float64(every))
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.Advance(ctx, step)
		}
	}
}

// Close stops the clock and shuts the server down, waiting up to 5s for requests in
// flight.
func (sv *Server) Close() error {
	sv.stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := sv.srv.Shutdown(ctx)
	sv.wg.Wait()
	return err
}

// Run serves a simulator built from cfg on addr until ctx ends.
func Run(ctx context.Context, addr string, cfg Config, log *slog.Logger) error {
	s, err := New(cfg)
	if err != nil {
		return err
	}
	sv, err := s.Start(addr)
	if err != nil {
		return err
	}
	log.Info("courier simulator listening", slog.String("url", sv.URL),
		slog.Float64("speed", s.cfg.Speed), slog.Time("virtual_start", s.cfg.Start),
		slog.Int("sf_accounts", len(s.cfg.SF)), slog.Int("ems_accounts", len(s.cfg.EMS)),
		slog.Int("kuaidi100_accounts", len(s.cfg.Kuaidi100)))
	<-ctx.Done()
	log.Info("courier simulator stopping")
	return sv.Close()
}

// Main is the entry of "tongban courier-sim". Flags:
//
//	-addr    listen address (default 127.0.0.1:8089)
//	-config  JSON file with a Config (default: DefaultConfig, one account per carrier)
//	-speed   virtual seconds per real second (overrides the config; default 60)
//	-seed    random seed (overrides the config)
//
// Logs go to stderr as JSON; credentials are never logged.
func Main(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("courier-sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8089", "listen address")
	path := fs.String("config", "", "JSON config file (accounts, faults, start, speed, seed)")
	speed := fs.Float64("speed", -1, "virtual seconds per real second (default: config, else 60)")
	seed := fs.Uint64("seed", 0, "random seed (default: config)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg := DefaultConfig()
	if *path != "" {
		b, err := os.ReadFile(*path)
		if err != nil {
			return fmt.Errorf("sim: config: %w", err)
		}
		cfg = Config{}
		if err := json.Unmarshal(b, &cfg); err != nil {
			return fmt.Errorf("sim: config %s: %w", *path, err)
		}
	}
	if *speed >= 0 {
		cfg.Speed = *speed
	}
	if *seed != 0 {
		cfg.Seed = *seed
	}
	return Run(ctx, *addr, cfg, slog.New(slog.NewJSONHandler(stderr, nil)))
}
