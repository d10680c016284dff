package main

import (
	"context"
	"errors"
	"testing"
)

// TestRunWorkcalExitCodes: bad arguments end as usage (exit 2), a failing command as
// an error (exit 1), an answer as success.
func TestRunWorkcalExitCodes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args  []string
		usage bool
		fails bool
	}{
		{[]string{"add", "2026-02-13", "3"}, false, false},
		{[]string{"between", "2026-02-13", "2026-03-02"}, false, false},
		{[]string{"add", "2026-13-01", "3"}, true, true},
		{nil, true, true},
		{[]string{"show", "2031"}, false, true},
	}
	for _, tt := range tests {
		err := runWorkcal(context.Background(), tt.args)
		if (err != nil) != tt.fails || errors.Is(err, errUsage) != tt.usage {
			t.Errorf("runWorkcal(%q) = %v; want failure %v, usage %v", tt.args, err, tt.fails, tt.usage)
		}
		if err != nil && exitCode(err) != map[bool]int{true: 2, false: 1}[tt.usage] {
			t.Errorf("runWorkcal(%q): exit code %d", tt.args, exitCode(err))
		}
	}
}
