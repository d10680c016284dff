package main

import (
	"context"
	"fmt"
)

func runBench(_ context.Context, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: tongban bench handoff", errUsage)
	}
	return fmt.Errorf("%w: benchmark %q", errNotBuilt, args[0])
}
