package clusterbus

import (
	"errors"
	"time"
)

// SetNodeTimeout is CONFIG SET cluster-node-timeout on a running node. What this package times follows
// the new value at once, as Valkey's rules read the directive live: PFAIL after node-timeout without
// seeing the node alive, failure reports valid for twice it, a FAIL primary still serving its slots
// cleared after twice it, the election's auth timeout and vote spacing, the replica validity limit,
// the MEET handshake, the cron's heartbeat and the reconnect period. Memberlist keeps the probe
// timings it was started with (its failure detector cannot be retuned while running): a node that
// stops answering is still suspected within about the old timeout, and then PFAIL once the new one
// has passed.
func (c *Cluster) SetNodeTimeout(d time.Duration) error {
	if d < time.Millisecond {
		return errors.New("clusterbus: node timeout must be at least 1 ms")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClusterClosed
	}
	if ms := d.Milliseconds(); ms != c.nt {
		c.log.Info().Int64("old_ms", c.nt).Int64("new_ms", ms).Msg("Cluster node timeout changed")
		c.nt = ms
		c.st.Config.NodeTimeout = ms
		tm := timingsFor(d)
		c.live.Store(&tm)
		c.poke() // the cron applies the new timeout now
	}
	return nil
}

// NodeTimeout is the node timeout in force.
func (c *Cluster) NodeTimeout() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Duration(c.nt) * time.Millisecond
}
