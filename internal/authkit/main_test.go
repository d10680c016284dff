package authkit

import (
	"os"
	"testing"
)

// Tests hash many passwords; production parameters are exercised by
// TestProductionParams explicitly.
func TestMain(m *testing.M) {
	SetTestParams()
	os.Exit(m.Run())
}
