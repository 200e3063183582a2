package server

import (
	"fmt"
	"net"
	"time"

	"github.com/valkey-node/valkey-node/clusterbus"
	"github.com/valkey-node/valkey-node/server/keyspace"
)

// Cluster mode: package clusterbus keeps the cluster state (slots, nodes, epochs, nodes.conf) in
// agreement with the other nodes over the memberlist bus; this file wires it to the node: opening the bus,
// the node-side callbacks (keys in a slot, becoming a replica or a primary), and the routing of keyed
// commands (MOVED, ASK, TRYAGAIN, CROSSSLOT, CLUSTERDOWN) in admit.

// clusterView is how a client sees node addresses: its own connection type picks the port.
func (s *Server) clusterView(c *Client) clusterbus.View {
	v := clusterbus.View{TLS: c.tls != nil, MyReplOffset: s.replOffset()}
	if c.conn == nil {
		v.TLS = s.cfg.TLS.Cluster
	}
	if host, _, err := net.SplitHostPort(c.laddr); err == nil {
		if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
			v.IPv6 = true
		}
	}
	switch s.cfg.Cluster.PreferredEndpointType {
	case "hostname":
		v.Endpoint = clusterbus.EndpointHostname
	case "unknown-endpoint":
		v.Endpoint = clusterbus.EndpointUnknown
	}
	return v
}

// busPort is cluster-port, or the client port the cluster uses + 10000.
func (s *Server) busPort() int {
	if p := s.cfg.Cluster.Port; p != 0 {
		return int(p)
	}
	base := s.cfg.Port
	if s.cfg.TLS.Cluster {
		base = s.cfg.TLSPort
	}
	return int(base) + 10000
}

// clusterBusFilter is a test hook, nil in production: set before a node starts, it gives the node's
// cluster bus a peer filter (clusterbus.TransportConfig.Filter) with which tests cut and heal the network
// between nodes of one process.
var clusterBusFilter func(s *Server) func(peer string) bool

// openCluster starts the cluster bus. Called by Start when cluster-enabled.
func (s *Server) openCluster() error {
	c := &s.cfg.Cluster
	// COUNTKEYSINSLOT and GETKEYSINSLOT, which resharding calls for every slot it moves, read this index
	// instead of walking the keyspace; the keys loaded at start-up are indexed here
	s.mu.Lock()
	s.dbs[0].EnableSlotIndex(clusterbus.KeySlotString)
	s.mu.Unlock()
	if c.Port == 0 {
		base := s.cfg.Port
		if s.cfg.TLS.Cluster {
			base = s.cfg.TLSPort
		}
		if base > 55535 {
			return fmt.Errorf("Port %d is too high: the cluster bus port would be above 65535; set cluster-port", base)
		}
	}
	st := clusterbus.DefaultConfig()
	st.RequireFullCoverage = c.RequireFullCoverage
	st.AllowReplicaMigration = c.AllowReplicaMigration
	st.MigrationBarrier = c.MigrationBarrier
	st.TLSCluster = s.cfg.TLS.Cluster
	port, tlsPort := int(s.cfg.Port), int(s.cfg.TLSPort)
	if c.AnnouncePort != 0 {
		port = int(c.AnnouncePort)
	}
	if c.AnnounceTLSPort != 0 {
		tlsPort = int(c.AnnounceTLSPort)
	}
	bind := "127.0.0.1"
	if len(s.cfg.Bind) > 0 {
		bind = busBindAddr(s.cfg.Bind[0])
	}
	cfg := clusterbus.ClusterConfig{
		State: st, NodeTimeout: time.Duration(c.NodeTimeout) * time.Millisecond,
		BindAddr: bind, BusPort: s.busPort(), AnnounceIP: c.AnnounceIP, AnnounceBusPort: int(c.AnnounceBusPort),
		Port: port, TLSPort: tlsPort, Hostname: c.AnnounceHostname, HumanNodename: c.AnnounceHumanNodename,
		ReplicaNoFailover: c.ReplicaNoFailover, TLSReplication: s.cfg.TLS.Replication,
		ValidityFactor: c.ReplicaValidityFactor, ReplPingPeriod: time.Duration(s.cfg.Repl.PingPeriod) * time.Second,
		Label: "valkey-node-cluster", ConfigFile: s.clusterConfigPath(), Log: s.log,
	}
	if s.cfg.TLS.Cluster {
		cfg.TLS = s.tls
	}
	if clusterBusFilter != nil {
		cfg.Filter = clusterBusFilter(s)
	}
	cl, err := clusterbus.Open(cfg, (*clusterHost)(s))
	if err != nil {
		return err
	}
	s.cl = cl
	return nil
}

// busBindAddr is the bus's listen address for a bind address: Valkey's wildcards ("*", "::*", the
// default "* -::*") mean every interface, which the bus spells "".
func busBindAddr(a string) string {
	a = trimOptional(a)
	if a == "*" || a == "::*" {
		return ""
	}
	return a
}

// trimOptional drops the "-" Valkey allows in front of an optional bind address.
func trimOptional(a string) string {
	if len(a) > 0 && a[0] == '-' {
		return a[1:]
	}
	return a
}

func (s *Server) clusterConfigPath() string {
	name := s.cfg.Cluster.ConfigFile
	if name == "" {
		name = "nodes.conf"
	}
	if len(name) > 0 && name[0] == '/' {
		return name
	}
	return s.cfg.Dir + "/" + name
}

// applyClusterConfig carries CONFIG SET of the cluster rules into the running state. A new node timeout
// reaches PFAIL/FAIL timing and elections at once (clusterbus.Cluster.SetNodeTimeout); memberlist's
// probes keep the timings they started with.
func (s *Server) applyClusterConfig() error {
	if s.cl == nil {
		return nil
	}
	c := &s.cfg.Cluster
	if err := s.cl.SetNodeTimeout(time.Duration(c.NodeTimeout) * time.Millisecond); err != nil {
		return fmt.Errorf("cluster-node-timeout: %w", err)
	}
	return s.cl.Do(func(st *clusterbus.State) error {
		st.Config.RequireFullCoverage = c.RequireFullCoverage
		st.Config.AllowReplicaMigration = c.AllowReplicaMigration
		st.Config.MigrationBarrier = c.MigrationBarrier
		return nil
	})
}

// clusterHost is the node seen by the cluster bus. Its methods are called without the bus's lock and take
// the node's lock.
type clusterHost Server

func (h *clusterHost) srv() *Server { return (*Server)(h) }

// CountKeysInSlot implements clusterbus.Host.
func (h *clusterHost) CountKeysInSlot(slot int) int {
	s := h.srv()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.countKeysInSlot(slot)
}

// ReplicateFrom implements clusterbus.Host.
func (h *clusterHost) ReplicateFrom(ip string, port int) {
	s := h.srv()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.repl.masterHost == ip && s.repl.masterPort == port {
		return
	}
	s.startReplicaOf(ip, port)
}

// PromoteSelf implements clusterbus.Host.
func (h *clusterHost) PromoteSelf() {
	s := h.srv()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.becomePrimary()
}

// DataAge implements clusterbus.DataAgeReporter: how long the link to the primary has been down.
func (h *clusterHost) DataAge() time.Duration {
	s := h.srv()
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case !s.isReplica():
		return 0
	case s.repl.linkUp:
		// as Valkey: the time since the primary last sent anything, so a primary gone silent on a
		// still-open link counts as stale too
		if io := s.repl.linkStatus().LastIO; !io.IsZero() {
			return time.Since(io)
		}
		return 0
	case s.repl.downSince.IsZero():
		// never synced since it became a replica: it holds none of its primary's data, and Valkey
		// (whose down-since starts at 0) never lets such a replica win an automatic failover
		return neverSyncedDataAge
	}
	return time.Since(s.repl.downSince)
}

// neverSyncedDataAge is the data age of a replica that has not synced yet: older than any validity limit.
const neverSyncedDataAge = 100 * 365 * 24 * time.Hour

// ReplOffset implements clusterbus.Host.
func (h *clusterHost) ReplOffset() int64 {
	s := h.srv()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.replOffset()
}

var _ clusterbus.WritePauser = (*clusterHost)(nil)

// PauseWritesFor implements clusterbus.WritePauser: a replica's manual failover (CLUSTER FAILOVER) pauses
// this primary's writes, with the CLIENT PAUSE WRITE machinery, while it catches up.
func (h *clusterHost) PauseWritesFor(d time.Duration) {
	s := h.srv()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pause.start(d, true)
}

// UnpauseWrites implements clusterbus.WritePauser: the manual failover is over.
func (h *clusterHost) UnpauseWrites() {
	s := h.srv()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pause.end()
}

// DropSlotKeys implements clusterbus.SlotKeyDropper: keys of slots this node no longer serves go.
func (h *clusterHost) DropSlotKeys(slots []int) {
	s := h.srv()
	s.mu.Lock()
	defer s.mu.Unlock()
	drop := map[int]bool{}
	for _, sl := range slots {
		drop[sl] = true
	}
	db := s.dbs[0]
	var keys []string
	db.Range(func(k string, _ *keyspace.Object) bool {
		if drop[clusterbus.KeySlotString(k)] {
			keys = append(keys, k)
		}
		return true
	})
	for _, k := range keys {
		s.memDeleteKey(0, []byte(k), false)
		s.keyModified(db, []byte(k))
		s.alsoPropagate(0, bDEL, []byte(k))
	}
	s.flushPropagation()
}

// countKeysInSlot counts the keys of slot in database 0 (cluster mode has one database), from the
// per-slot index openCluster enables. Lock held.
func (s *Server) countKeysInSlot(slot int) int { return s.dbs[0].CountKeysInSlot(slot) }

// keysInSlot returns up to max keys of slot. Lock held.
func (s *Server) keysInSlot(slot, max int) []string { return s.dbs[0].KeysInSlot(slot, max) }

// clusterRoute applies cluster routing to a keyed command (spec §4.5). It returns the error reply, or ""
// to run the command here. Lock held.
func (s *Server) clusterRoute(c *Client, cmd *Command, args [][]byte) string {
	if c.flags.master || (cmd.FirstKey == 0 && cmd.KeysFn == nil) {
		return ""
	}
	slot := -1
	cross := false
	var keys [][]byte
	memCommandKeys(cmd, args, func(key []byte) {
		ks := clusterbus.KeySlot(key)
		if slot >= 0 && ks != slot {
			cross = true
		}
		slot = ks
		keys = append(keys, key)
	})
	if slot < 0 {
		return ""
	}
	if cross {
		return "CROSSSLOT Keys in request don't hash to the same slot"
	}
	write := cmd.Flags&flagWrite != 0
	asking := c.asking
	var msg string
	s.cl.Read(func(st *clusterbus.State) {
		me := st.Myself()
		owner := st.SlotOwner(slot)
		if !st.IsOK() {
			switch {
			case !s.cfg.Cluster.AllowReadsWhenDown:
				msg = "CLUSTERDOWN The cluster is down"
				return
			case write:
				msg = "CLUSTERDOWN The cluster is down and only accepts read commands"
				return
			}
		}
		if owner == nil {
			msg = "CLUSTERDOWN Hash slot not served"
			return
		}
		v := s.clusterView(c)
		redirect := func(kind string, n *clusterbus.Node) {
			msg = fmt.Sprintf("%s %d %s:%d", kind, slot, clusterbus.PreferredEndpoint(n, v), clusterbus.ClientPort(n, v))
		}
		if owner == me {
			if to := st.MigratingTo(slot); to != nil {
				missing, present := s.keysPresence(keys)
				switch {
				case missing > 0 && present > 0:
					msg = "TRYAGAIN Multiple keys request during rehashing of slot"
				case missing > 0:
					redirect("ASK", to)
				}
			}
			return
		}
		if st.ImportingFrom(slot) != nil && (asking || cmd.Flags&flagAsking != 0) {
			if missing, present := s.keysPresence(keys); missing > 0 && present > 0 && len(keys) > 1 {
				msg = "TRYAGAIN Multiple keys request during rehashing of slot"
			}
			return
		}
		if !write && c.readOnlyCluster && me.IsReplica() && me.PrimaryID() == owner.ID {
			return
		}
		redirect("MOVED", owner)
	})
	return msg
}

// keysPresence counts the keys that are missing and present in the client's database. Lock held.
func (s *Server) keysPresence(keys [][]byte) (missing, present int) {
	db := s.dbs[0]
	for _, k := range keys {
		if s.exists(db, k) {
			present++
		} else {
			missing++
		}
	}
	return missing, present
}

// infoClusterEnabled is INFO cluster.
func (s *Server) infoCluster(b *infoBuilder) {
	b.field("cluster_enabled", boolInt(s.cl != nil))
}
