package tlsmat

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if any test leaves a goroutine behind (maintenance loops, servers, dialers).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
