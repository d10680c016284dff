package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"

	"github.com/tongban/tongban/courier/sim"
	"github.com/tongban/tongban/internal/config"
)

// runCourierSim serves the simulated SF, EMS and kuaidi100 gateways.
func runCourierSim(ctx context.Context, args []string) error {
	var cfg config.CourierSim
	if _, err := config.Load(&cfg, "courier-sim", args); err != nil {
		return wrapFlagErr(err)
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	log := newLogger(cfg.LogLevel, "courier-sim")
	log.Info("effective configuration", slog.Any("config", config.Effective(&cfg)))
	sc, err := simConfig(cfg)
	if err != nil {
		return err
	}
	return sim.Run(ctx, cfg.HTTPAddr, sc, log)
}

// simConfig builds the simulator's accounts and faults from the file, or the
// built-in demo accounts.
func simConfig(cfg config.CourierSim) (sim.Config, error) {
	sc := sim.DefaultConfig()
	if cfg.ConfigFile != "" {
		b, err := os.ReadFile(cfg.ConfigFile)
		if err != nil {
			return sc, fmt.Errorf("courier-sim: config: %w", err)
		}
		sc = sim.Config{}
		if err := json.Unmarshal(b, &sc); err != nil {
			return sc, fmt.Errorf("courier-sim: config %s: %w", cfg.ConfigFile, err)
		}
	}
	sc.Speed = float64(cfg.TimeScale)
	sc.Seed = uint64(cfg.Seed)
	return sc, nil
}
