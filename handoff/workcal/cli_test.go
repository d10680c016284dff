package workcal

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunCLI(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "2027.json")
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(good, []byte(year2027), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte(`{"year":2027,"version":"v","holidays":[{"name":"a","from":"2027-01-05","to":"2027-01-01"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		args      []string
		code      int
		stdout    string // exact, unless contains is set
		contains  bool
		stderrHas string
	}{
		// 14 Feb (make-up), 15–23 holiday, 24, 25.
		{"add over Spring Festival", []string{"add", "2026-02-13", "3"}, 0, "2026-02-25\n", false, ""},
		// 14, 24, 25, 26, 27, 28 (make-up), 2 Mar.
		{"between over Spring Festival", []string{"between", "2026-02-13", "2026-03-02"}, 0, "7\n", false, ""},
		{"between backwards", []string{"between", "2026-03-02", "2026-02-13"}, 0, "-7\n", false, ""},
		{"add into 2027", []string{"add", "2026-12-30", "3"}, 0, "2027-01-04 (provisional)\n", false, ""},
		{"between into 2027", []string{"between", "2026-12-30", "2027-01-04"}, 0, "3 (provisional)\n", false, ""},
		// 2027 starts on a Friday: 261 weekdays, -1 Jan (Fri), +9 Jan (Sat).
		{"load", []string{"load", good}, 0,
			"2027: 1 holidays (3 days), 1 make-up working days, 261 working days; version fabricated for tests\n", false, ""},
		{"show 2026 holiday", []string{"show", "2026"}, 0, "  2026-02-15..2026-02-23  9 days  春节\n", true, ""},
		{"show 2026 make-up day", []string{"show", "2026"}, 0, "  2026-02-14  Sat\n", true, ""},
		{"show 2026 header", []string{"show", "2026"}, 0, "2026: 248 working days; version ", true, ""},
		{"help", []string{"help"}, 0, "usage:", true, ""},
		{"no args", nil, 2, "", false, "usage:"},
		{"unknown command", []string{"sub", "2026-02-13", "3"}, 2, "", false, "usage:"},
		{"bad date", []string{"add", "2026-13-01", "3"}, 2, "", false, `date "2026-13-01" is not YYYY-MM-DD`},
		{"bad count", []string{"add", "2026-02-13", "three"}, 2, "", false, "usage:"},
		{"too many args", []string{"between", "2026-02-13", "2026-03-02", "x"}, 2, "", false, "usage:"},
		{"bad year", []string{"show", "twenty"}, 2, "", false, "usage:"},
		{"show year without data", []string{"show", "2028"}, 1, "", false, "no data for 2028"},
		{"load invalid file", []string{"load", bad}, 1, "", false, "runs backwards"},
		{"load missing file", []string{"load", filepath.Join(dir, "missing.json")}, 1, "", false, "workcal: load: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			code := RunCLI(tt.args, &stdout, &stderr, New())
			if code != tt.code {
				t.Errorf("exit code %d, want %d (stderr %q)", code, tt.code, stderr.String())
			}
			if tt.contains && !strings.Contains(stdout.String(), tt.stdout) ||
				!tt.contains && stdout.String() != tt.stdout {
				t.Errorf("stdout %q, want %q", stdout.String(), tt.stdout)
			}
			if !strings.Contains(stderr.String(), tt.stderrHas) {
				t.Errorf("stderr %q, want it to contain %q", stderr.String(), tt.stderrHas)
			}
		})
	}
}

func TestRunCLILoadTakesEffect(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "2027.json")
	if err := os.WriteFile(path, []byte(year2027), 0o600); err != nil {
		t.Fatal(err)
	}
	cal := New()
	var out bytes.Buffer
	if code := RunCLI([]string{"load", path}, &out, &out, cal); code != 0 {
		t.Fatalf("load: exit %d: %s", code, out.String())
	}
	out.Reset()
	// 31 Dec, then 1–3 Jan 2027 off, 4, 5 Jan.
	if RunCLI([]string{"add", "2026-12-30", "3"}, &out, &out, cal); out.String() != "2027-01-05\n" {
		t.Errorf("add after load = %q, want \"2027-01-05\\n\"", out.String())
	}
}
