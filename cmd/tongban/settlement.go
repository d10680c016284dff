package main

import "context"

// runSettlement runs the central settlement node.
func runSettlement(ctx context.Context, args []string) error {
	return notBuilt("settlement", "issue 7 (settlement)")(ctx, args)
}
