package clusterbus

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/memberlist"
	"github.com/rs/zerolog"

	"github.com/valkey-node/valkey-node/tlsmat"
)

// DefaultNodeTimeout is cluster-node-timeout's default.
const DefaultNodeTimeout = 15 * time.Second

// ErrClusterClosed is returned by Do and Meet after Close.
var ErrClusterClosed = errors.New("clusterbus: cluster bus is closed")

// ClusterConfig configures a node's cluster bus.
type ClusterConfig struct {
	// State holds the directives the state machine's rules follow. Its NodeTimeout is ignored:
	// NodeTimeout below sets it.
	State Config
	// NodeTimeout is cluster-node-timeout (0 = DefaultNodeTimeout). It also sets memberlist's failure
	// detector, see busTimings.
	NodeTimeout time.Duration

	// BindAddr is the IP the bus listens on ("" = every interface); BusPort the port (cluster-port,
	// else the client port + 10000; 0 lets the kernel choose, for tests).
	BindAddr string
	BusPort  int
	// AnnounceIP is cluster-announce-ip: the address other nodes reach this one at. "" = the bind
	// address, or for a wildcard bind the host's first private address.
	AnnounceIP string
	// AnnounceBusPort is cluster-announce-bus-port (0 = the bound bus port).
	AnnounceBusPort int
	// Port and TLSPort are the client ports announced (cluster-announce-port / -tls-port when set,
	// else port / tls-port; 0 = none).
	Port, TLSPort int
	// Hostname, HumanNodename, ClientIPv4 and ClientIPv6 are cluster-announce-hostname,
	// -human-nodename, -client-ipv4 and -client-ipv6 (at most 255 bytes each).
	Hostname, HumanNodename, ClientIPv4, ClientIPv6 string
	// ReplicaNoFailover is cluster-replica-no-failover: as a replica, never start an election.
	ReplicaNoFailover bool
	// ValidityFactor is cluster-replica-validity-factor: a replica whose link to its primary has been
	// down for longer than node-timeout × factor + the replication ping period does not start an
	// election (its data is too old). 0: no limit. Needs the Host to implement DataAgeReporter.
	ValidityFactor int64
	// ReplPingPeriod is repl-ping-replica-period, part of that limit.
	ReplPingPeriod time.Duration
	// TLSReplication is tls-replication: Host.ReplicateFrom gets the primary's TLS port.
	TLSReplication bool

	// TLS, when non-nil, makes the bus mutual TLS (tls-cluster yes); nil = plain TCP.
	TLS *tlsmat.Manager
	// Label is the cluster's identity: nodes with another label cannot connect (the transport
	// refuses them). At most 255 bytes.
	Label string
	// ConfigFile is cluster-config-file ("" = "nodes.conf"); it is locked for as long as the bus is
	// open.
	ConfigFile string
	// Log receives the bus's operator messages.
	Log zerolog.Logger
	// Filter is a test hook that simulates network partitions (TransportConfig.Filter); nil in
	// production.
	Filter func(peer string) bool
}

// Host is the node the bus serves. The bus calls it from its own goroutines, one call at a time and
// never with the Cluster's lock held, so an implementation may take the node's lock (and that lock may
// be held while calling Do).
type Host interface {
	// CountKeysInSlot is the number of keys of the data set in slot.
	CountKeysInSlot(slot int) int
	// ReplicateFrom makes the node a replica of the primary at ip:port (port as tls-replication
	// picks it).
	ReplicateFrom(ip string, port int)
	// PromoteSelf makes the node a primary (REPLICAOF NO ONE) after it won a failover election.
	PromoteSelf()
	// ReplOffset is the node's replication offset.
	ReplOffset() int64
}

// DataAgeReporter may be implemented by a Host: DataAge is how long the node's link to its primary has
// been down (0 while it is up), what cluster-replica-validity-factor limits.
type DataAgeReporter interface {
	DataAge() time.Duration
}

// SlotKeyDropper may be implemented by a Host: when this node, staying a primary, loses slots to a
// node claiming them under a newer config epoch, the bus passes the lost slots that still hold keys, and
// the host deletes those keys (Valkey does so, since they are no longer served here).
type SlotKeyDropper interface {
	DropSlotKeys(slots []int)
}

// Cluster is a node's cluster bus: the cluster state, saved in nodes.conf, kept in agreement with the
// other nodes over memberlist gossip, with failure detection and replica failover elections.
type Cluster struct {
	cfg  ClusterConfig
	host Host
	log  zerolog.Logger
	tm   busTimings                 // as memberlist was started with (its failure detector keeps them)
	live atomic.Pointer[busTimings] // this package's own periods, following SetNodeTimeout

	mu     sync.Mutex // guards everything below up to the memberlist fields
	nt     int64      // node timeout in ms (cluster-node-timeout, SetNodeTimeout)
	closed bool
	st     *State
	file   *ConfigFile
	// recs holds the newest record of every other node, by author id.
	recs map[string]storedRecord
	// self is this node's record as last published, selfRaw its wire form.
	self    *nodeRecord
	selfRaw []byte
	// lastAlive is when memberlist last showed each node alive (or when the node became known).
	lastAlive     map[string]int64
	meets         map[uint64]int64 // nonces of MEETs in flight -> ms until which a reply is accepted
	fo            failover
	lastHeartbeat int64
	// dirty: the state changed in a way nodes.conf records but that need not reach the disk at once
	// (a node learnt, a FAIL agreed): the next cron tick writes it, one save for every change of the
	// tick, as Valkey saves once per event loop iteration.
	dirty bool
	// orphanedSince and migrationRefused are the replica migration's memory (cluster_migration.go).
	orphanedSince    map[string]int64
	migrationRefused string

	tr         *Transport
	ml         *memberlist.Memberlist
	queue      *memberlist.TransmitLimitedQueue
	meta       atomic.Pointer[[]byte]
	numMembers atomic.Int32

	evMu    sync.Mutex // leaf lock of the member table, written by memberlist's event callbacks
	members map[string]memberInfo

	statsMu sync.Mutex
	stats   MessageStats

	hostW, sendW worker
	kick         chan struct{} // wakes the cron early (membership changed, a vote arrived)
	stop         chan struct{}
	wg           sync.WaitGroup // cron, reconnect loop, workers, meets in flight
	closeOnce    sync.Once
	closeErr     error
}

// storedRecord is the newest record of one node.
type storedRecord struct {
	version uint64
	raw     []byte
}

// Open starts the cluster bus: it locks and loads cluster.ConfigFile (or creates a new node
// configuration when the file is empty or missing), listens on the bus port, starts memberlist, and
// rejoins the nodes the configuration knows.
func Open(cfg ClusterConfig, host Host) (*Cluster, error) {
	if host == nil {
		return nil, errors.New("clusterbus: open: no host")
	}
	if cfg.NodeTimeout <= 0 {
		cfg.NodeTimeout = DefaultNodeTimeout
	}
	if cfg.ConfigFile == "" {
		cfg.ConfigFile = "nodes.conf"
	}
	for name, v := range map[string]string{"hostname": cfg.Hostname, "human-nodename": cfg.HumanNodename,
		"client-ipv4": cfg.ClientIPv4, "client-ipv6": cfg.ClientIPv6, "ip": cfg.AnnounceIP} {
		if len(v) > maxRecordStr {
			return nil, fmt.Errorf("clusterbus: cluster-announce-%s is longer than %d bytes", name, maxRecordStr)
		}
	}
	cfg.State.NodeTimeout = cfg.NodeTimeout.Milliseconds()
	c := &Cluster{
		cfg:       cfg,
		host:      host,
		log:       cfg.Log.With().Str("component", "cluster").Logger(),
		tm:        timingsFor(cfg.NodeTimeout),
		nt:        cfg.NodeTimeout.Milliseconds(),
		recs:      make(map[string]storedRecord),
		lastAlive: make(map[string]int64),
		meets:     make(map[uint64]int64),
		members:   make(map[string]memberInfo),
		kick:      make(chan struct{}, 1),
		stop:      make(chan struct{}),
	}
	c.live.Store(&c.tm)
	c.hostW.init()
	c.sendW.init()
	if err := c.openState(); err != nil {
		return nil, err
	}
	if err := c.startBus(); err != nil {
		_ = c.file.Close()
		return nil, err
	}
	now := nowMS()
	c.mu.Lock()
	for _, n := range c.st.Nodes() {
		c.lastAlive[n.ID] = now
	}
	c.publishSelfLocked(true)
	err := c.saveLocked(true)
	me := c.st.Myself()
	c.log.Info().Str("node_id", me.ID).Str("ip", me.IP).Int("bus_port", me.BusPort).
		Int("nodes", c.st.NumNodes()).Msg("Cluster bus started")
	var fx effects
	if p := me.Primary(); me.IsReplica() && p != nil && p.IP != "" {
		fx.replicate = c.hostAddrLocked(p)
	}
	c.mu.Unlock()
	if err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("clusterbus: save cluster config: %w", err)
	}
	c.wg.Add(4)
	go c.cronLoop()
	go c.reconnectLoop()
	go c.hostW.run(&c.wg, c.stop)
	go c.sendW.run(&c.wg, c.stop)
	c.dispatch(&fx)
	return c, nil
}

// openState locks and loads nodes.conf, then applies what this node announces about itself.
func (c *Cluster) openState() error {
	file, err := OpenConfigFile(c.cfg.ConfigFile)
	if err != nil {
		return fmt.Errorf("clusterbus: %w", err)
	}
	st, found, err := file.Load(c.cfg.State, nowMS())
	if err != nil {
		_ = file.Close()
		return fmt.Errorf("clusterbus: %w", err)
	}
	if !found {
		if st, err = NewFreshState(c.cfg.State, nil); err != nil {
			_ = file.Close()
			return err
		}
		c.log.Info().Str("node_id", st.Myself().ID).Msg("No cluster configuration found, I'm " + st.Myself().ID)
	} else {
		c.log.Info().Str("node_id", st.Myself().ID).Msg("Node configuration loaded, I'm " + st.Myself().ID)
	}
	me := st.Myself()
	me.TCPPort, me.TLSPort = c.cfg.Port, c.cfg.TLSPort
	me.Hostname, me.HumanNodename = c.cfg.Hostname, c.cfg.HumanNodename
	me.ClientIPv4, me.ClientIPv6 = c.cfg.ClientIPv4, c.cfg.ClientIPv6
	if c.cfg.ReplicaNoFailover {
		me.Flags |= FlagNoFailover
	} else {
		me.Flags &^= FlagNoFailover
	}
	c.st, c.file = st, file
	return nil
}

// startBus binds the bus port and starts memberlist.
func (c *Cluster) startBus() error {
	tr, err := NewTransport(TransportConfig{
		BindAddr: c.cfg.BindAddr,
		BindPort: c.cfg.BusPort,
		TLS:      c.cfg.TLS,
		Label:    c.cfg.Label,
		Log:      c.cfg.Log,
		Filter:   c.cfg.Filter,
	})
	if err != nil {
		return err
	}
	c.tr = tr
	me := c.st.Myself()
	me.BusPort = tr.Port()
	if c.cfg.AnnounceBusPort != 0 {
		me.BusPort = c.cfg.AnnounceBusPort
	}
	meta := encodeMeta(me.ID, me.TCPPort, me.TLSPort, me.BusPort)
	c.meta.Store(&meta)
	mc := c.memberlistConfig(me.ID, c.tm)
	c.queue = &memberlist.TransmitLimitedQueue{
		NumNodes:       func() int { return int(c.numMembers.Load()) },
		RetransmitMult: mc.RetransmitMult,
	}
	ml, err := memberlist.Create(mc)
	if err != nil {
		_ = tr.Shutdown()
		return fmt.Errorf("clusterbus: start memberlist: %w", err)
	}
	c.ml = ml
	c.mu.Lock()
	if c.cfg.AnnounceIP != "" {
		me.IP = c.cfg.AnnounceIP
	} else {
		me.IP = ml.LocalNode().Addr.String()
	}
	c.mu.Unlock()
	return nil
}

// Close stops the bus without saying goodbye: the other nodes see this node stop answering, as they
// would a crash, and fail it over. nodes.conf is saved and unlocked. Close waits for a Host call in
// progress, so it must not be called with the node's lock held, nor from a Host method.
func (c *Cluster) Close() error {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.closed = true
		c.mu.Unlock()
		close(c.stop)
		errs := []error{}
		if err := c.ml.Shutdown(); err != nil {
			errs = append(errs, fmt.Errorf("clusterbus: stop memberlist: %w", err))
		}
		c.wg.Wait()
		c.mu.Lock()
		if err := c.saveLocked(true); err != nil {
			errs = append(errs, fmt.Errorf("clusterbus: save cluster config: %w", err))
		}
		if err := c.file.Close(); err != nil {
			errs = append(errs, fmt.Errorf("clusterbus: unlock cluster config: %w", err))
		}
		c.mu.Unlock()
		c.closeErr = errors.Join(errs...)
	})
	return c.closeErr
}

// Do runs fn on the state under the Cluster's lock, then saves nodes.conf if fn changed the
// configuration through State's methods, and broadcasts this node's record if fn changed what it says
// about itself (slots, epochs, role, ids). The save happens before Do returns, so before the command's
// reply, as Valkey saves before it writes replies: with fsync when the change must survive a crash
// (epochs, SETSLOT NODE, RESET: see State.needSync), without otherwise. fn's error is returned as is
// (ReplyErrors reach the client unchanged); a failed save is returned wrapped when fn succeeded.
func (c *Cluster) Do(fn func(st *State) error) error {
	return c.do(func(st *State, _ *effects) error { return fn(st) })
}

// do is Do for the operations of this package that also queue effects of their own.
func (c *Cluster) do(fn func(st *State, fx *effects) error) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClusterClosed
	}
	gen, epoch, vote := c.st.gen, c.st.CurrentEpoch, c.st.LastVoteEpoch
	myID := c.st.Myself().ID
	var fx effects
	err := fn(c.st, &fx)
	if c.st.gen != gen || c.st.CurrentEpoch != epoch || c.st.LastVoteEpoch != vote {
		fx.save, fx.flush, fx.updateState = true, true, true
	}
	if c.st.CurrentEpoch != epoch || c.st.LastVoteEpoch != vote {
		fx.sync = true
	}
	me := c.st.Myself()
	if me.ID != myID {
		// CLUSTER RESET HARD: the memberlist name stays, the meta names the new id.
		meta := encodeMeta(me.ID, me.TCPPort, me.TLSPort, me.BusPort)
		c.meta.Store(&meta)
		fx.updateMeta = true
	}
	for id := range c.recs {
		if c.st.Lookup(id) == nil {
			delete(c.recs, id)
		}
	}
	if me.IsPrimary() {
		c.fo.reset()
	}
	saveErr := c.finishLocked(&fx, nowMS())
	c.mu.Unlock()
	c.dispatch(&fx)
	if err != nil {
		return err
	}
	if saveErr != nil {
		return fmt.Errorf("clusterbus: save cluster config: %w", saveErr)
	}
	return nil
}

// Read runs fn on the state under the Cluster's lock, for replies that change nothing (CLUSTER NODES,
// SLOTS, routing): no save, no broadcast.
func (c *Cluster) Read(fn func(st *State)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fn(c.st)
}

// Stats returns the bus message counters of CLUSTER INFO.
func (c *Cluster) Stats() MessageStats {
	c.statsMu.Lock()
	defer c.statsMu.Unlock()
	return c.stats
}

// BusPort is the port the bus listens on.
func (c *Cluster) BusPort() int { return c.tr.Port() }

// effects collects, during one locked section, what must follow it: the save and broadcasts happen at
// its end still under the lock (finishLocked), the Host calls and direct sends after it (dispatch).
type effects struct {
	// save: nodes.conf must record a change, at the latest on the next cron tick; sync: now, fsynced,
	// before the sends (a vote, a new epoch); flush: now, without fsync, if anything is owed.
	save, sync, flush bool
	updateState       bool
	broadcastSelf     bool        // publish this node's record even if only its offset changed
	fails             []string    // nodes to broadcast a FAIL about
	forgets           []forgotten // nodes to tell the others to forget (CLUSTER FORGET)
	relays            []relay     // records to pass on
	sends             []outMsg    // messages for one node each
	replicate         *hostAddr
	promote           bool
	lostSlots         []int
	updateMeta        bool
}

type relay struct {
	author string
	raw    []byte
}

// outMsg is a message for the node at ip:busPort, sent over a stream.
type outMsg struct {
	ip   string
	port int
	msg  []byte
}

type hostAddr struct {
	ip   string
	port int
}

// hostAddrLocked is where to replicate n from.
func (c *Cluster) hostAddrLocked(n *Node) *hostAddr {
	if c.cfg.TLSReplication {
		return &hostAddr{n.IP, n.TLSPort}
	}
	return &hostAddr{n.IP, n.TCPPort}
}

// finishLocked ends a locked section: cluster state, this node's record, queued broadcasts, save.
func (c *Cluster) finishLocked(fx *effects, now int64) error {
	if fx.updateState && c.st.UpdateState(now) {
		c.log.Info().Msg("Cluster state changed: " + c.st.StateString())
	}
	c.publishSelfLocked(fx.broadcastSelf)
	me := c.st.Myself().ID
	for _, id := range fx.fails {
		c.queue.QueueBroadcast(&busBroadcast{name: "fail:" + id, msg: failMsg(me, id)})
	}
	for _, f := range fx.forgets {
		c.queue.QueueBroadcast(&busBroadcast{name: "forget:" + f.id, msg: forgetMsg(me, f.id, f.ttl)})
	}
	for _, r := range fx.relays {
		c.queue.QueueBroadcast(&busBroadcast{name: "rec:" + r.author, msg: recordMsg(msgRecord, me, r.raw)})
	}
	if fx.save {
		c.dirty = true
	}
	if c.st.takeSync() {
		fx.sync = true
	}
	switch {
	case fx.sync:
		return c.saveLocked(true)
	case fx.flush && c.dirty:
		return c.saveLocked(false)
	}
	return nil
}

// saveLocked writes nodes.conf (encoded once) and, with sync, fsyncs it. A failed save is logged and
// stays owed: the next tick tries again.
func (c *Cluster) saveLocked(sync bool) error {
	c.dirty = true
	if err := c.file.Save(c.st, sync); err != nil {
		c.log.Error().Err(err).Msg("Cannot update the cluster configuration file")
		return err
	}
	c.dirty = false
	return nil
}

// SaveConfig is CLUSTER SAVECONFIG: nodes.conf is written and fsynced now, changed or not.
func (c *Cluster) SaveConfig() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClusterClosed
	}
	if err := c.saveLocked(true); err != nil {
		return fmt.Errorf("clusterbus: save cluster config: %w", err)
	}
	return nil
}

// dispatch hands the Host calls and direct sends of fx to their workers (in order, off the lock).
func (c *Cluster) dispatch(fx *effects) {
	if r := fx.replicate; r != nil {
		c.hostW.push(func() { c.host.ReplicateFrom(r.ip, r.port) })
	}
	if fx.promote {
		c.hostW.push(c.host.PromoteSelf)
	}
	if len(fx.lostSlots) > 0 {
		if d, ok := c.host.(SlotKeyDropper); ok {
			lost := fx.lostSlots
			c.hostW.push(func() {
				var dirty []int
				for _, s := range lost {
					if c.host.CountKeysInSlot(s) > 0 {
						dirty = append(dirty, s)
					}
				}
				if len(dirty) > 0 {
					d.DropSlotKeys(dirty)
				}
			})
		}
	}
	for _, m := range fx.sends {
		c.sendW.push(func() { c.sendTo(m) })
	}
	if fx.updateMeta {
		c.sendW.push(func() {
			if err := c.ml.UpdateNode(c.tm.TCPTimeout); err != nil {
				c.log.Debug().Err(err).Msg("Cluster bus: announcing the new node id failed")
			}
		})
	}
}

// sendTo delivers one message over a fresh stream to the node at m's address.
func (c *Cluster) sendTo(m outMsg) {
	ip := net.ParseIP(m.ip)
	if ip == nil || m.port <= 0 {
		return
	}
	if err := c.ml.SendReliable(&memberlist.Node{Addr: ip, Port: uint16(m.port)}, m.msg); err != nil {
		c.log.Debug().Err(err).Str("peer", net.JoinHostPort(m.ip, fmt.Sprint(m.port))).
			Msg("Cluster bus message not delivered")
		return
	}
	c.statsMu.Lock()
	c.stats.Sent[msgType(m.msg[0]).valkeyMsgType()]++
	c.statsMu.Unlock()
}

// failingLocked lists, sorted, the nodes this node sees PFAIL or FAIL.
func (c *Cluster) failingLocked() []string {
	var ids []string
	for _, n := range c.st.Nodes() {
		if !n.IsMyself() && n.Flags&(FlagPFail|FlagFail) != 0 {
			ids = append(ids, n.ID)
		}
	}
	return ids
}

// publishSelfLocked refreshes this node's record and, when its content changed (or force), gives it a
// new version and queues it for broadcast. It reports whether it did.
func (c *Cluster) publishSelfLocked(force bool) bool {
	rec := recordOf(c.st.Myself(), c.st.CurrentEpoch, c.failingLocked())
	if !force && rec.sameContent(c.self) {
		return false
	}
	rec.Version = uint64(time.Now().UnixNano())
	if c.self != nil && rec.Version <= c.self.Version {
		rec.Version = c.self.Version + 1
	}
	c.self, c.selfRaw = rec, rec.encode(nil)
	c.queue.QueueBroadcast(&busBroadcast{name: "rec:" + rec.ID, msg: recordMsg(msgRecord, rec.ID, c.selfRaw)})
	return true
}

// allRecordsLocked is this node's record then the newest record of every other known node.
func (c *Cluster) allRecordsLocked() [][]byte {
	out := [][]byte{c.selfRaw}
	for _, n := range c.st.Nodes() {
		if r, ok := c.recs[n.ID]; ok && !n.IsMyself() {
			out = append(out, r.raw)
		}
	}
	return out
}

// localState is the push/pull state: every record this node holds.
func (c *Cluster) localState() []byte {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	msg := encodeState(msgState, c.st.Myself().ID, 0, c.allRecordsLocked())
	c.mu.Unlock()
	c.statsMu.Lock()
	c.stats.Sent[MsgPong]++
	c.statsMu.Unlock()
	return msg
}

// poke wakes the cron.
func (c *Cluster) poke() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

func nowMS() int64 { return time.Now().UnixMilli() }
