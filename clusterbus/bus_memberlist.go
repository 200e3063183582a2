package clusterbus

import (
	"encoding/binary"
	"log"
	"strings"
	"time"

	"github.com/hashicorp/memberlist"
	"github.com/rs/zerolog"
)

// How cluster-node-timeout (NT) maps onto memberlist's failure detector.
//
// Valkey pings every node at least every NT/2 and flags it PFAIL when a PING stays unanswered for NT.
// Memberlist (SWIM with Lifeguard) probes one member per ProbeInterval in round-robin order, waits
// ProbeTimeout for the ack, then asks IndirectChecks other members to probe it (and tries a stream
// ping); a member nobody reaches is suspected, and a suspect that does not refute within the suspicion
// timeout is declared dead. The suspicion timeout is SuspicionMult × ProbeInterval, × log10(n) beyond
// ten nodes, and with Lifeguard starts up to SuspicionMaxTimeoutMult times longer until other members
// confirm the suspicion.
//
// The mapping:
//
//	ProbeInterval    = NT/10, within 20 ms .. 1 s    (each node is probed every n × ProbeInterval)
//	ProbeTimeout     = ProbeInterval/2 (≥ 10 ms)
//	SuspicionMult    = 0.8 × NT / ProbeInterval (≥ 4), SuspicionMaxTimeoutMult = 2
//	GossipInterval   = ProbeInterval/5, within 10 ms .. 200 ms; GossipToTheDeadTime = 2 × NT
//	PushPullInterval = NT, within 500 ms .. 30 s      (anti-entropy: full state with one random peer)
//	TCPTimeout       = NT, within 2 s .. 10 s;        DeadNodeReclaimTime = NT
//
// so a node that stops answering is declared dead about 0.8 × NT after its first missed probe, which
// comes within n × ProbeInterval: about NT in all for clusters up to ten nodes, more in larger ones
// (log10(n)), as memberlist needs to keep false positives rare. PFAIL does not wait for that: a node
// memberlist has not shown alive and unsuspected for NT is PFAIL (the cron's rule, which follows NT
// when CONFIG SET changes it while memberlist keeps the timings it started with), and so is a node
// known from nodes.conf or gossip that never showed up in memberlist once NT has passed without it.
// PFAIL to FAIL then follows Valkey: failure reports from a majority of the slot-serving primaries
// within 2 × NT.
type busTimings struct {
	Tick             time.Duration // the cluster cron period (Valkey: 100 ms)
	ProbeInterval    time.Duration
	ProbeTimeout     time.Duration
	SuspicionMult    int
	SuspicionMaxMult int
	GossipInterval   time.Duration
	GossipToTheDead  time.Duration
	PushPullInterval time.Duration
	TCPTimeout       time.Duration
	DeadNodeReclaim  time.Duration
	Reconnect        time.Duration // how often unreachable known nodes are joined again
	Heartbeat        time.Duration // how often a node with failure reports to make re-sends its record
}

func clampDur(d, lo, hi time.Duration) time.Duration { return min(max(d, lo), hi) }

// timingsFor derives every bus period from the node timeout.
func timingsFor(nt time.Duration) busTimings {
	pi := clampDur(nt/10, 20*time.Millisecond, time.Second)
	return busTimings{
		Tick:             clampDur(nt/10, 10*time.Millisecond, 100*time.Millisecond),
		ProbeInterval:    pi,
		ProbeTimeout:     max(pi/2, 10*time.Millisecond),
		SuspicionMult:    max(4, int(nt*8/10/pi)),
		SuspicionMaxMult: 2,
		GossipInterval:   clampDur(pi/5, 10*time.Millisecond, 200*time.Millisecond),
		GossipToTheDead:  2 * nt,
		PushPullInterval: clampDur(nt, 500*time.Millisecond, 30*time.Second),
		TCPTimeout:       clampDur(nt, 2*time.Second, 10*time.Second),
		DeadNodeReclaim:  nt,
		Reconnect:        clampDur(nt/2, 100*time.Millisecond, 5*time.Second),
		Heartbeat:        max(nt/2, 10*time.Millisecond),
	}
}

// memberlistConfig builds memberlist's configuration for this node.
func (c *Cluster) memberlistConfig(name string, tm busTimings) *memberlist.Config {
	mc := memberlist.DefaultLANConfig()
	mc.Name = name
	mc.Transport = c.tr
	mc.BindAddr, mc.BindPort = c.cfg.BindAddr, c.tr.Port()
	if mc.BindAddr == "" {
		mc.BindAddr = "0.0.0.0"
	}
	mc.AdvertiseAddr, mc.AdvertisePort = c.cfg.AnnounceIP, c.cfg.AnnounceBusPort
	mc.ProbeInterval, mc.ProbeTimeout = tm.ProbeInterval, tm.ProbeTimeout
	mc.SuspicionMult, mc.SuspicionMaxTimeoutMult = tm.SuspicionMult, tm.SuspicionMaxMult
	mc.GossipInterval, mc.GossipToTheDeadTime = tm.GossipInterval, tm.GossipToTheDead
	mc.PushPullInterval = tm.PushPullInterval
	mc.TCPTimeout = tm.TCPTimeout
	mc.DeadNodeReclaimTime = tm.DeadNodeReclaim
	// Packets travel as frames on TCP links (see Transport), so they need not fit a UDP datagram:
	// records with many slot ranges or failure reports then still piggyback on gossip.
	mc.UDPBufferSize = 64 << 10
	mc.Delegate = &mlDelegate{c}
	mc.Events = &mlEvents{c}
	mc.Logger = log.New(mlLogWriter{c.log}, "", 0)
	return mc
}

// mlLogWriter turns memberlist's log lines into zerolog events: errors become warnings, memberlist's
// warnings (refuted suspicions, failed probes) verbose lines, the rest debug lines.
type mlLogWriter struct{ log zerolog.Logger }

func (w mlLogWriter) Write(p []byte) (int, error) {
	line := strings.TrimSpace(string(p))
	var ev *zerolog.Event
	switch {
	case strings.HasPrefix(line, "[ERR]"):
		ev = w.log.Warn()
	case strings.HasPrefix(line, "[WARN]"):
		ev = w.log.Debug()
	default:
		ev = w.log.Trace()
	}
	ev.Str("from", "memberlist").Msg(line)
	return len(p), nil
}

// Node metadata (memberlist's per-member meta): format u8 | node id | tcp, tls, bus port u16. It names
// the cluster node behind a memberlist member, whose own name stays the node id it started with even
// after CLUSTER RESET HARD gives the node a new one.
const metaFormat = 1

func encodeMeta(id string, tcp, tls, bus int) []byte {
	b := []byte{metaFormat}
	b = appendID(b, id)
	for _, p := range [...]int{tcp, tls, bus} {
		b = binary.BigEndian.AppendUint16(b, uint16(p))
	}
	return b
}

// metaID is the node id a member's meta names, or its memberlist name when the meta is not ours.
func metaID(n *memberlist.Node) string {
	if len(n.Meta) >= 1+IDLen && n.Meta[0] == metaFormat {
		if id := string(n.Meta[1 : 1+IDLen]); ValidID(id) {
			return id
		}
	}
	return n.Name
}

// mlDelegate is the Cluster's memberlist.Delegate. Memberlist calls it from its own goroutines, never
// with its node lock held, so it may take the Cluster's lock.
type mlDelegate struct{ c *Cluster }

var _ memberlist.Delegate = (*mlDelegate)(nil)

func (d *mlDelegate) NodeMeta(limit int) []byte {
	m := *d.c.meta.Load()
	if len(m) > limit {
		return nil
	}
	return m
}

func (d *mlDelegate) NotifyMsg(b []byte) { d.c.handleMessage(append([]byte(nil), b...)) }

func (d *mlDelegate) GetBroadcasts(overhead, limit int) [][]byte {
	out := d.c.queue.GetBroadcasts(overhead, limit)
	if len(out) > 0 {
		d.c.statsMu.Lock()
		for _, m := range out {
			d.c.stats.Sent[msgType(m[0]).valkeyMsgType()]++
		}
		d.c.statsMu.Unlock()
	}
	return out
}

func (d *mlDelegate) LocalState(bool) []byte { return d.c.localState() }

func (d *mlDelegate) MergeRemoteState(buf []byte, _ bool) {
	d.c.handleMessage(append([]byte(nil), buf...))
}

// mlEvents is the Cluster's memberlist.EventDelegate. Memberlist calls it with its node lock held, so
// it only updates the member table (under its own leaf lock) and wakes the cron, which does the rest.
type mlEvents struct{ c *Cluster }

var _ memberlist.EventDelegate = (*mlEvents)(nil)

func (e *mlEvents) NotifyJoin(n *memberlist.Node)   { e.c.memberEvent(n, true) }
func (e *mlEvents) NotifyLeave(n *memberlist.Node)  { e.c.memberEvent(n, false) }
func (e *mlEvents) NotifyUpdate(n *memberlist.Node) { e.c.memberEvent(n, true) }

// memberInfo is what the member table keeps of one memberlist member.
type memberInfo struct {
	id    string
	alive bool // joined and not declared dead (a suspect is still alive)
}

func (c *Cluster) memberEvent(n *memberlist.Node, alive bool) {
	c.evMu.Lock()
	c.members[n.Name] = memberInfo{id: metaID(n), alive: alive}
	live := 0
	for _, m := range c.members {
		if m.alive {
			live++
		}
	}
	c.evMu.Unlock()
	c.numMembers.Store(int32(live))
	c.poke()
}

// memberStatus is the member table seen by node id.
type memberStatus struct {
	alive bool // some member carrying this id is alive and not suspected
}

// memberSnapshot is memberlist's view by node id. A member memberlist suspects counts as not (yet) alive:
// its time without being seen alive runs, so it turns PFAIL after node-timeout like a node that stopped
// answering Valkey's pings. That matters on the minority side of a partition, where nobody is left to
// confirm a suspicion: waiting for memberlist to declare its peers dead (its longest suspicion timeout)
// would let a primary there take writes after the majority already elected its replica. Called without
// the Cluster's lock.
func (c *Cluster) memberSnapshot() map[string]memberStatus {
	suspect := map[string]bool{}
	if ml := c.ml; ml != nil {
		for _, n := range ml.Members() {
			if n.State == memberlist.StateSuspect {
				suspect[n.Name] = true
			}
		}
	}
	c.evMu.Lock()
	defer c.evMu.Unlock()
	out := make(map[string]memberStatus, len(c.members))
	for name, m := range c.members {
		st := out[m.id]
		if m.alive && !suspect[name] {
			st.alive = true
		}
		out[m.id] = st
	}
	return out
}
