package main

import (
	"context"
	"fmt"
	"os"

	"github.com/tongban/tongban/handoff/workcal"
)

// runWorkcal answers staff questions about working days with the calendar built into
// the binary: `tongban workcal add 2026-02-13 3`, `between 2026-02-13 2026-03-02`,
// `load FILE.json` (check a year file before loading it into a hall), `show 2026`.
// RunCLI prints its own answer and errors; this maps its exit code.
func runWorkcal(_ context.Context, args []string) error {
	switch code := workcal.RunCLI(args, os.Stdout, os.Stderr, workcal.New()); code {
	case 0:
		return nil
	case 2:
		return fmt.Errorf("workcal: %w", errUsage)
	default:
		return fmt.Errorf("workcal: exit status %d", code)
	}
}
