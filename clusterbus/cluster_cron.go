package clusterbus

import (
	"net"
	"strconv"
	"time"
)

// The cluster cron runs every busTimings.Tick (Valkey's clusterCron runs at 10 Hz) and whenever
// memberlist's membership changes: it refreshes this node's offset, maps memberlist's view of each
// node onto PFAIL, turns PFAIL into FAIL once a majority agrees, clears FAIL for nodes that are back,
// drives a replica's failover election and recomputes the cluster state.

func (c *Cluster) cronLoop() {
	defer c.wg.Done()
	period := c.live.Load().Tick
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		case <-c.kick:
		}
		if p := c.live.Load().Tick; p != period { // cluster-node-timeout changed
			period = p
			t.Reset(p)
		}
		c.cron()
	}
}

func (c *Cluster) cron() {
	offset := c.host.ReplOffset() // before taking the lock: the host may take the node's lock
	var dataAge time.Duration
	if r, ok := c.host.(DataAgeReporter); ok {
		dataAge = r.DataAge()
	}
	members := c.memberSnapshot()
	now := nowMS()
	var fx effects
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	st := c.st
	me := st.Myself()
	me.ReplOffset = offset
	c.fo.dataAge = dataAge.Milliseconds()
	for _, n := range st.Nodes() {
		if n != me {
			c.detectLocked(n, members[n.ID], now, &fx)
		}
	}
	for nonce, until := range c.meets {
		if now > until {
			delete(c.meets, nonce)
		}
	}
	c.failoverLocked(now, &fx)
	c.migrateReplicaLocked(now, &fx)
	// Every heartbeat period, a node whose replication offset moved re-sends its record (replicas
	// rank themselves by their offsets in elections), and so does a node reporting failures, so that
	// the reports stay fresh (they are valid for 2 × node-timeout). Other changes go out at once.
	if now-c.lastHeartbeat >= c.live.Load().Heartbeat.Milliseconds() &&
		(c.self.ReplOffset != offset || len(c.failingLocked()) > 0) {
		fx.broadcastSelf = true
	}
	if fx.broadcastSelf {
		c.lastHeartbeat = now
	}
	fx.updateState = true
	fx.flush = true              // the changes of this tick, saved once
	_ = c.finishLocked(&fx, now) // a failed save is logged; the next tick tries again
	c.mu.Unlock()
	c.dispatch(&fx)
}

// detectLocked applies memberlist's view of n. Alive clears PFAIL, and FAIL when Valkey's rules allow.
// A node memberlist has not shown alive and unsuspected for node-timeout is PFAIL, as a node that has
// not answered Valkey's pings for node-timeout (memberlist declares a member dead later than that, on
// the timings it started with: the node timeout as it is now decides). A PFAIL node turns FAIL when
// failure reports agree.
func (c *Cluster) detectLocked(n *Node, ms memberStatus, now int64, fx *effects) {
	st := c.st
	if ms.alive {
		c.lastAlive[n.ID] = now
		n.LinkConnected = true
		n.PongReceived = now
		if st.ClearPFail(n) {
			c.log.Debug().Str("node", n.ID).Msg("Node " + n.ID + " is reachable again")
			fx.updateState = true
		}
		if n.Failed() && st.ClearFailureIfNeeded(n, now) {
			c.log.Info().Str("node", n.ID).Msg("Clear FAIL state for node " + n.ID + ": it is reachable again")
			fx.save, fx.updateState = true, true
		}
		return
	}
	n.LinkConnected = false
	last, ok := c.lastAlive[n.ID]
	if !ok {
		last = now
		c.lastAlive[n.ID] = now
	}
	if now-last > c.nt && st.MarkPFail(n) {
		c.log.Debug().Str("node", n.ID).Msg("*** NODE " + n.ID + " possibly failing")
		fx.updateState = true
	}
	if n.TimedOut() && st.MarkFailingIfNeeded(n, now) {
		c.markedFailLocked(n, fx)
	}
}

// reconnectLoop joins, again and again, the known nodes memberlist does not show alive: after a
// restart, a partition, or once memberlist has forgotten a dead member. Valkey likewise keeps
// reconnecting to every node it knows.
func (c *Cluster) reconnectLoop() {
	defer c.wg.Done()
	period := c.live.Load().Reconnect
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		if p := c.live.Load().Reconnect; p != period { // cluster-node-timeout changed
			period = p
			t.Reset(p)
		}
		if addrs := c.reconnectTargets(); len(addrs) > 0 {
			if n, err := c.ml.Join(addrs); err != nil || n < len(addrs) {
				c.log.Trace().Err(err).Int("reached", n).Strs("nodes", addrs).Msg("Cluster bus: reconnecting to known nodes")
			}
		}
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
	}
}

// reconnectTargets lists the bus addresses of the known nodes memberlist does not show alive.
func (c *Cluster) reconnectTargets() []string {
	members := c.memberSnapshot()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	var addrs []string
	for _, n := range c.st.Nodes() {
		if n.IsMyself() || members[n.ID].alive || n.IP == "" || n.BusPort <= 0 {
			continue
		}
		addrs = append(addrs, net.JoinHostPort(n.IP, strconv.Itoa(n.BusPort)))
	}
	return addrs
}
