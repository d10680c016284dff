// Command tongban is the one binary of Tongban: every node and tool is a subcommand.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"syscall"

	"github.com/tongban/tongban/courier"
	"github.com/tongban/tongban/internal/config"
	"github.com/tongban/tongban/internal/node"
	"github.com/tongban/tongban/internal/pg"
)

type command struct {
	summary string
	run     func(ctx context.Context, args []string) error
}

var commands = map[string]command{
	"hall":        {"run one city's hall node (API, console, relay, inbox, timers)", runHall},
	"settlement":  {"run the central settlement node for finance", runSettlement},
	"courier-sim": {"run the courier simulator (SF, EMS and kuaidi100 protocols)", runCourierSim},
	"demo":        {"run two halls on a private PostgreSQL and an embedded Kafka broker", runDemo},
	"migrate":     {"apply pending migrations to a node's database and exit", runMigrate},
	"provision":   {"create or check the Kafka topics and report drift", runProvision},
	"bench":       {"run a benchmark: bench handoff", runBench},
	"testenv":     {"run a command with a private PostgreSQL for tests: testenv -- go test ./...", runTestEnv},
	"config":      {"print the configuration reference as a Markdown table", runConfigDoc},
	"user":        {"create staff accounts and API tokens: user add …, user token …", runUser},
	"workcal":     {"working-day calendar: add DATE N, between DATE DATE, load FILE, show YEAR", runWorkcal},
}

// errUsage and errNotBuilt end the process with exit code 2.
var (
	errUsage    = errors.New("usage")
	errNotBuilt = errors.New("not built yet")
)

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	cmd, ok := commands[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "tongban: unknown command %q\n", os.Args[1])
		usage()
		os.Exit(2)
	}
	node.TuneGC()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := cmd.run(ctx, os.Args[2:])
	stop()
	os.Exit(exitCode(err))
}

// exitCode prints err as one line (no stack trace) and picks the exit code: 2 for
// usage, bad configuration and commands not built yet, 1 for everything else.
func exitCode(err error) int {
	if err == nil || errors.Is(err, context.Canceled) {
		return 0
	}
	var p *config.Problem
	switch {
	case errors.Is(err, errUsage):
		return 2
	case errors.As(err, &p), errors.Is(err, errNotBuilt):
		fmt.Fprintln(os.Stderr, "tongban:", err)
		return 2
	case errors.Is(err, pg.ErrUnreachable):
		fmt.Fprintln(os.Stderr, "tongban: PostgreSQL unreachable:", firstLine(err))
	case errors.Is(err, node.ErrKafkaUnreachable):
		fmt.Fprintln(os.Stderr, "tongban: Kafka unreachable:", firstLine(err))
	default:
		fmt.Fprintln(os.Stderr, "tongban:", err)
	}
	return 1
}

func firstLine(err error) string {
	s := err.Error()
	for i, r := range s {
		if r == '\n' {
			return s[:i]
		}
	}
	return s
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: tongban <command> [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(os.Stderr, "  %-12s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(os.Stderr, "\nRun `tongban <command> -h` for a command's flags; every flag has an environment variable (tongban config).")
}

func notBuilt(name, issue string) func(context.Context, []string) error {
	return func(context.Context, []string) error {
		return fmt.Errorf("%w: `tongban %s` belongs to %s, which has not landed in this build", errNotBuilt, name, issue)
	}
}

func runConfigDoc(_ context.Context, _ []string) error {
	fmt.Print(config.Markdown(&config.Hall{}, &courier.Config{}, &config.Demo{}, &config.Settlement{}, &config.CourierSim{}))
	fmt.Println("\nCarrier accounts are read by their adapters: TONGBAN_SF_BASE_URL, TONGBAN_SF_PARTNER_ID, TONGBAN_SF_CHECK_WORD(_FILE),\n" +
		"TONGBAN_SF_MONTHLY_CARD, TONGBAN_SF_PUSH_TOKEN(_FILE); TONGBAN_EMS_BASE_URL, TONGBAN_EMS_APP_KEY, TONGBAN_EMS_SECRET(_FILE);\n" +
		"TONGBAN_KUAIDI100_BASE_URL, TONGBAN_KUAIDI100_CUSTOMER, TONGBAN_KUAIDI100_KEY(_FILE), TONGBAN_KUAIDI100_SALT(_FILE).")
	return nil
}
