package sentinel

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test must leave no goroutine behind: links, timers, sentinels and the nodes they watch.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
