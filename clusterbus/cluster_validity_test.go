package clusterbus

import (
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// cluster-replica-validity-factor: the node-timeout it took to notice the failure does not count; beyond
// node-timeout × factor + the ping period the replica's data is too old to fail over with.
func TestValidityFactorDataAge(t *testing.T) {
	c := &Cluster{nt: 1000, cfg: ClusterConfig{ValidityFactor: 2, ReplPingPeriod: time.Second}, log: zerolog.Nop()}
	limit := int64(1000*2 + 1000)
	for _, tc := range []struct {
		age   int64
		fresh bool
	}{
		{0, true}, {999, true}, {1000 + limit, true}, {1000 + limit + 1, false}, {1000000, false},
	} {
		c.fo.dataAge = tc.age
		if got := c.dataFreshLocked(); got != tc.fresh {
			t.Errorf("data age %d ms: fresh = %v, want %v", tc.age, got, tc.fresh)
		}
	}
}
