package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"

	"github.com/tongban/tongban/internal/pg"
)

// runTestEnv starts one private PostgreSQL for a whole test run, runs the command
// after "--" with TONGBAN_TEST_PG_DSN set, and stops the server afterwards, so every
// test package clones its databases from the same server.
func runTestEnv(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		return fmt.Errorf("%w: tongban testenv -- go test ./...", errUsage)
	}
	dir, err := os.MkdirTemp("", "tongban-testenv-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	_ = os.Chmod(dir, 0o755)
	log := newLogger("warn", "testenv")
	cl, err := pg.StartCluster(ctx, dir+"/pg", pg.ClusterOptions{Fast: true, MaxConnections: 400, Log: log})
	if err != nil {
		return err
	}
	defer cl.Stop()
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), pg.TestDSNEnv+"="+cl.DSN("postgres"))
	if err := cmd.Run(); err != nil {
		log.Warn("test command failed", slog.String("err", err.Error()))
		return fmt.Errorf("%s: %w", args[0], err)
	}
	return nil
}
