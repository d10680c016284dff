package workcal

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"
)

const usage = `usage:
  add DATE N          last day of a limit of N working days starting on DATE
  between DATE1 DATE2 working days after DATE1 up to and including DATE2
  load FILE.json      validate a year file, load it and summarise it
  show YEAR           list a year's holidays and make-up working days
Dates are YYYY-MM-DD in Asia/Shanghai; the day of DATE itself never counts.
`

// errUsage marks argument errors, which exit with code 2 and the usage text
// rather than 1.
var errUsage = errors.New("bad arguments")

// RunCLI runs one calendar command for the command-line tool and returns its
// exit code: 0 on success, 1 when the command failed (unreadable or invalid
// file, year without data), 2 for bad arguments, after printing the usage.
// args excludes the program name. A nil cal means New(). "load" loads the
// file into cal; persisting it so later runs see it is left to the caller.
func RunCLI(args []string, stdout, stderr io.Writer, cal *Calendar) int {
	if cal == nil {
		cal = New()
	}
	err := runCLI(args, stdout, cal)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "%v\n%s", err, usage)
		return 2
	default:
		fmt.Fprintln(stderr, err)
		return 1
	}
}

func runCLI(args []string, out io.Writer, cal *Calendar) error {
	cmd := ""
	if len(args) > 0 {
		cmd = args[0]
	}
	switch {
	case len(args) == 1 && (cmd == "help" || cmd == "-h" || cmd == "--help"):
		_, err := fmt.Fprint(out, usage)
		return err
	case len(args) == 3 && cmd == "add":
		return cliAdd(cal, out, args[1], args[2])
	case len(args) == 3 && cmd == "between":
		return cliBetween(cal, out, args[1], args[2])
	case len(args) == 2 && cmd == "load":
		return cliLoad(cal, out, args[1])
	case len(args) == 2 && cmd == "show":
		return cliShow(cal, out, args[1])
	}
	return fmt.Errorf("workcal: %w: %q", errUsage, args)
}

func cliAdd(cal *Calendar, out io.Writer, date, count string) error {
	start, err := parseCLIDate(date)
	if err != nil {
		return fmt.Errorf("workcal: add: %w", err)
	}
	n, err := strconv.Atoi(count)
	if err != nil {
		return fmt.Errorf("workcal: add: %w: count %q is not an integer", errUsage, count)
	}
	r := cal.AddWorkingDays(start, n)
	fmt.Fprintf(out, "%s%s\n", r.LastDay().Format(time.DateOnly), provisionalNote(r.Provisional))
	return nil
}

func cliBetween(cal *Calendar, out io.Writer, from, to string) error {
	a, err := parseCLIDate(from)
	if err != nil {
		return fmt.Errorf("workcal: between: %w", err)
	}
	b, err := parseCLIDate(to)
	if err != nil {
		return fmt.Errorf("workcal: between: %w", err)
	}
	n, provisional := cal.WorkingDaysBetween(a, b)
	fmt.Fprintf(out, "%d%s\n", n, provisionalNote(provisional))
	return nil
}

func cliLoad(cal *Calendar, out io.Writer, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("workcal: load: %w", err)
	}
	t, err := cal.load(data)
	if err != nil {
		return fmt.Errorf("workcal: load: %s: %w", path, err)
	}
	restDays := 0
	for _, h := range t.data.holidays {
		restDays += h.days()
	}
	fmt.Fprintf(out, "%d: %d holidays (%d days), %d make-up working days, %d working days; version %s\n",
		t.year, len(t.data.holidays), restDays, len(t.data.workdays), t.workingDays(), t.data.version)
	return nil
}

func cliShow(cal *Calendar, out io.Writer, arg string) error {
	year, err := strconv.Atoi(arg)
	if err != nil {
		return fmt.Errorf("workcal: show: %w: year %q is not a number", errUsage, arg)
	}
	t := cal.table(year)
	if t == nil {
		return fmt.Errorf("workcal: show: no data for %d; weekends only until it is loaded", year)
	}
	fmt.Fprintf(out, "%d: %d working days; version %s\nholidays:\n", year, t.workingDays(), t.data.version)
	for _, h := range t.data.holidays {
		fmt.Fprintf(out, "  %s..%s  %d days  %s\n", h.from, h.to, h.days(), h.name)
	}
	fmt.Fprintln(out, "make-up working days:")
	for _, d := range t.data.workdays {
		fmt.Fprintf(out, "  %s  %s\n", d, d.weekday().String()[:3])
	}
	return nil
}

func parseCLIDate(s string) (time.Time, error) {
	t, err := time.ParseInLocation(time.DateOnly, s, shanghai)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: date %q is not YYYY-MM-DD", errUsage, s)
	}
	return t, nil
}

func provisionalNote(provisional bool) string {
	if provisional {
		return " (provisional)"
	}
	return ""
}
