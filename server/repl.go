package server

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/valkey-node/valkey-node/replication"
)

// Replication wiring. package replication runs the protocol; this file is the node's side of it: the
// primary side is always present (a replica is the primary of its own sub-replicas, and keeps its ids and
// backlog when promoted), the link exists while the node is a replica. Propagated writes feed the primary
// side; a replica feeds it the exact bytes it applied from its primary instead, so a chain of replicas
// shares one offset space.

// replState is the node's replication state. Lock held for every field.
type replState struct {
	primary *replication.Primary
	feed    *propFeed
	link    *replication.Link
	// masterHost/masterPort are the primary this node replicates ("" when it is a primary)
	masterHost string
	masterPort int
	linkUp     bool
	downSince  time.Time
	// master is the internal client that applies the primary's stream; applying is set while it runs,
	// so that what it propagates goes to the AOF but not to sub-replicas (they get the raw stream)
	master   *Client
	applying bool
	// pendingMulti collects a transaction of the stream until its EXEC
	pendingMulti [][][]byte
	inMulti      bool
	waiters      []*waitReq
	// aofMarks: on a replica with an AOF, where the stream applied so far ends in AOF and replication
	// terms, for REPLCONF ACK … FACK
	aofMarks      []aofMark
	fsyncedOffset int64
}

// replicaLink is what REPLCONF told about a client that is (or will become, at SYNC/PSYNC) a replica.
// From SYNC/PSYNC on, its connection is written by package replication, no longer by its own goroutine.
type replicaLink struct {
	listeningPort int
	ip            string
	capaEOF       bool
	capaPSYNC2    bool
	synced        bool
	fack          int64 // REPLCONF ACK … FACK: how far the replica's AOF is fsynced
}

func (s *Server) isReplica() bool { return s.repl.masterHost != "" }

// primaryConfig maps the directives onto the primary side's settings.
func (s *Server) primaryConfig() replication.PrimaryConfig {
	c := &s.cfg.Repl
	hard, soft, secs := s.replicaOutputLimits()
	ttl := time.Duration(c.BacklogTTL) * time.Second
	ping := time.Duration(c.PingPeriod) * time.Second
	if s.isReplica() {
		ttl = 0 // a replica keeps its backlog: it may be promoted and serve partial resyncs
		// a replica passes on its primary's stream byte for byte (PINGs included) so the whole chain
		// shares one offset: a PING of its own would put its sub-replicas ahead of the primary
		ping = 0
	}
	return replication.PrimaryConfig{
		BacklogSize: c.BacklogSize, BacklogTTL: ttl,
		DisklessSync: c.DisklessSync, DisklessDelay: time.Duration(c.DisklessDelay) * time.Second,
		DisklessMaxReplicas: int(c.DisklessMaxReplicas),
		PingPeriod:          ping, Timeout: time.Duration(c.Timeout) * time.Second,
		OutputHard: hard, OutputSoft: soft, OutputSoftFor: secs,
		Dir: s.cfg.Dir, DBFilename: s.cfg.Persist.DBFilename,
	}
}

// initReplication creates the primary side and, with replicaof set, the link. Called by Start.
func (s *Server) initReplication() {
	s.repl.primary = replication.NewPrimary(s.primaryConfig(), (*replHost)(s), s.log)
	// A replica's history is its primary's: the primary's stream reaches sub-replicas as it arrives
	// (the link proxies it), and what the replica runs for its own clients (a sentinel's PUBLISH, writes
	// with replica-read-only no) never enters its backlog or moves its offset, as in Valkey.
	s.repl.feed = s.addFeed("replication", func(p []byte) {
		if !s.repl.applying && !s.isReplica() {
			s.repl.primary.Feed(p)
		}
	})
	s.repl.feed.wants = func() bool { return !s.isReplica() && s.repl.primary.Wanted() }
	if hp := s.cfg.Repl.ReplicaOf; hp != "" {
		resume := len(s.persist.loadedReplID) == 40 && s.persist.loadedReplOffset >= 0
		if resume {
			s.repl.primary.SetIDs(s.persist.loadedReplID, s.persist.loadedReplOffset)
		}
		f := strings.Fields(hp)
		port, _ := strconv.Atoi(f[1])
		s.startReplicaOf(f[0], port)
		if resume {
			s.repl.master.db = s.persist.loadedStreamDB
		}
	}
}

// applyReplConfig carries directive changes to the primary side and the link.
func (s *Server) applyReplConfig() error {
	if s.repl.primary != nil {
		s.repl.primary.SetConfig(s.primaryConfig())
	}
	if s.repl.link != nil {
		s.repl.link.SetTimeout(time.Duration(s.cfg.Repl.Timeout) * time.Second)
	}
	return nil
}

// startReplicaOf makes the node a replica of host:port. Lock held.
func (s *Server) startReplicaOf(host string, port int) { s.startReplicaOfWith(host, port, false) }

// startReplicaOfWith is startReplicaOf; failover makes the link ask the target to take over (FAILOVER).
func (s *Server) startReplicaOfWith(host string, port int, failover bool) {
	s.stopLink()
	s.repl.masterHost, s.repl.masterPort = host, port
	s.roleReplica.Store(true)
	s.repl.primary.SetConfig(s.primaryConfig())
	s.cfg.Repl.ReplicaOf = host + " " + strconv.Itoa(port)
	s.repl.linkUp = false
	s.repl.downSince = time.Time{}
	// the data set is about to follow another history: sub-replicas must resync
	s.repl.primary.DisconnectReplicas()
	s.unblockWaiters()
	s.repl.master = s.internalClient("master")
	s.repl.master.flags.master = true
	lc := s.linkConfig()
	if failover {
		lc.Failover = true
		lc.FailoverFailed = func(reason string) {
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.failover.phase == failoverInProgress {
				s.failover.abortAsked = "the target refused: " + reason
			}
		}
	}
	s.repl.link = replication.NewLink(lc, (*replHost)(s), s.log)
	s.log.Info().Str("primary", net.JoinHostPort(host, strconv.Itoa(port))).Msg("Connecting to PRIMARY " + net.JoinHostPort(host, strconv.Itoa(port)))
	s.repl.link.Start()
}

// stopLink ends the link, if any, without waiting while holding the lock for more than the close.
func (s *Server) stopLink() {
	l := s.repl.link
	if l == nil {
		return
	}
	s.repl.link = nil
	// Stop waits for the link's goroutines, which may be waiting for the lock in a Host call
	s.mu.Unlock()
	l.Stop()
	s.mu.Lock()
}

// becomePrimary is REPLICAOF NO ONE: keep the data and the backlog, shift the ids so that siblings can
// PSYNC with +CONTINUE. Lock held.
func (s *Server) becomePrimary() {
	s.stopLink()
	if s.repl.masterHost == "" {
		return
	}
	s.repl.masterHost, s.repl.masterPort = "", 0
	s.roleReplica.Store(false)
	s.repl.primary.SetConfig(s.primaryConfig())
	s.cfg.Repl.ReplicaOf = ""
	s.repl.linkUp = false
	s.repl.master = nil
	s.repl.inMulti, s.repl.pendingMulti = false, nil
	s.repl.primary.ShiftReplID()
	// sub-replicas reconnect and continue with the new id
	s.repl.primary.DisconnectReplicas()
	st := s.repl.primary.Status()
	s.log.Info().Str("new_replid", st.ReplID).Int64("offset", st.Offset).
		Msg("Setting secondary replication ID to " + st.ReplID2 + ", valid up to offset: " + strconv.FormatInt(st.SecondOffset, 10) + ". New replication ID is " + st.ReplID)
	s.log.Info().Msg("MASTER MODE enabled (user request from 'id=?')")
}

func (s *Server) linkConfig() replication.LinkConfig {
	c := &s.cfg.Repl
	port := s.cfg.Port
	if s.cfg.TLS.Replication && s.cfg.TLSPort != 0 {
		port = s.cfg.TLSPort
	}
	if c.AnnouncePort != 0 {
		port = c.AnnouncePort
	}
	return replication.LinkConfig{
		Host: s.repl.masterHost, Port: s.repl.masterPort, Dial: s.dialReplication,
		MasterUser: c.MasterUser, MasterAuth: c.MasterAuth,
		ListeningPort: int(port), AnnounceIP: c.AnnounceIP,
		Timeout:      time.Duration(c.Timeout) * time.Second,
		DisklessLoad: c.DisklessLoad, Dir: s.cfg.Dir, Version: RedisVersion,
	}
}

// dialReplication connects to a primary: TLS iff tls-replication, with the client material the manager
// holds at this moment (so a rotation applies to the next link).
func (s *Server) dialReplication(ctx context.Context, addr string) (net.Conn, error) {
	d := net.Dialer{Timeout: 5 * time.Second, KeepAlive: 15 * time.Second}
	s.mu.Lock()
	useTLS := s.cfg.TLS.Replication
	s.mu.Unlock()
	if !useTLS {
		return d.DialContext(ctx, "tcp", addr)
	}
	cfg, err := s.tls.ClientConfig("")
	if err != nil {
		return nil, fmt.Errorf("TLS material for the replication link: %w", err)
	}
	td := tls.Dialer{NetDialer: &d, Config: cfg}
	return td.DialContext(ctx, "tcp", addr)
}

// replHost is the node seen by package replication.
type replHost Server

func (h *replHost) srv() *Server { return (*Server)(h) }

// WithLock implements replication.PrimaryHost.
func (h *replHost) WithLock(fn func()) {
	s := h.srv()
	s.mu.Lock()
	defer s.mu.Unlock()
	fn()
}

// Snapshot implements replication.PrimaryHost: a capture of the data set, encoded as RDB on demand. Lock
// held.
func (h *replHost) Snapshot() (func(ctx context.Context, w io.Writer) error, func(), bool) {
	s := h.srv()
	if s.persist.owner != ownerNone {
		return nil, nil, false
	}
	cp := s.captureSnapshot()
	if cp == nil {
		return nil, nil, false
	}
	st := s.repl.primary.Status()
	aux := s.auxFields(cp)
	for i := range aux {
		switch aux[i][0] {
		case "repl-id":
			aux[i][1] = st.ReplID
		case "repl-offset":
			aux[i][1] = strconv.FormatInt(st.Offset, 10)
		}
	}
	opts, delay := s.rdbOptions(), s.cfg.Persist.KeySaveDelay
	s.persist.owner = ownerRepl
	// the replicas that load this snapshot start in database 0: the stream after it must select its own
	s.repl.feed.seldb = -1
	released := false
	release := func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if !released {
			released = true
			s.releaseSnapshot(cp)
			if s.persist.owner == ownerRepl {
				s.persist.owner = ownerNone
			}
		}
	}
	write := func(ctx context.Context, w io.Writer) error {
		return writeCapture(ctx, w, cp, false, aux, opts, delay)
	}
	return write, release, true
}

// ReplicaGone implements replication.PrimaryHost.
func (h *replHost) ReplicaGone(id uint64) {
	s := h.srv()
	s.mu.Lock()
	c := s.clients[id]
	s.mu.Unlock()
	if c != nil {
		c.conn.Close()
	}
}

// PSYNCArgs implements replication.ReplicaHost: the node's own history is the cached primary, so a node
// that was a replica of the same primary, or its sibling, resumes with a partial resync.
func (h *replHost) PSYNCArgs() (string, int64) {
	s := h.srv()
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.repl.primary.Status()
	return st.ReplID, st.Offset + 1
}

// FullSync implements replication.ReplicaHost.
func (h *replHost) FullSync(r io.Reader, replid string, offset int64) error {
	s := h.srv()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log.Info().Msg("PRIMARY <-> REPLICA sync: Flushing old data")
	s.flushAllForSync()
	s.log.Info().Msg("PRIMARY <-> REPLICA sync: Loading DB in memory")
	if err := s.loadRDBLocked(r, "the primary's RDB", 0); err != nil {
		// a partial data set must not be served as if it were the primary's
		s.flushAllForSync()
		return err
	}
	if replid == "" {
		s.repl.primary.ChangeReplID()
	} else {
		s.repl.primary.SetIDs(replid, offset)
	}
	s.repl.primary.DisconnectReplicas()
	s.repl.master.db = 0
	s.repl.inMulti, s.repl.pendingMulti = false, nil
	if s.aof.m != nil {
		// the AOF describes the old data set: start a new base from the loaded one
		if err := s.startAOFRewrite("full sync with the primary"); err != nil && err != errAOFScheduled {
			s.log.Warn().Err(err).Msg("AOF rewrite after a full sync could not start")
		}
	}
	return nil
}

// Continue implements replication.ReplicaHost.
func (h *replHost) Continue(newReplID string) {
	s := h.srv()
	s.mu.Lock()
	defer s.mu.Unlock()
	if newReplID != "" && newReplID != s.repl.primary.Status().ReplID {
		s.repl.primary.ContinueWith(newReplID)
		s.repl.primary.DisconnectReplicas()
	}
	// the stream resumes where it stopped, in the database it had selected: the master client keeps it
	s.log.Info().Msg("Successful partial resynchronization with primary.")
}

// Apply implements replication.ReplicaHost: the primary's commands run as the internal master client,
// in order, then their bytes go to this node's own sub-replicas and backlog.
func (h *replHost) Apply(cmds [][][]byte, raw []byte) {
	s := h.srv()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.repl.master == nil {
		return // the link was replaced meanwhile
	}
	s.repl.applying = true
	for _, argv := range cmds {
		s.applyFromPrimary(argv)
	}
	s.repl.applying = false
	s.repl.primary.Feed(raw)
	if s.aof.m != nil && len(s.repl.aofMarks) < 4096 {
		s.flushPropagation() // the applied commands reach the AOF now, so the mark is exact
		s.repl.aofMarks = append(s.repl.aofMarks, aofMark{seq: s.aof.seq.Load(), offset: s.repl.primary.Offset()})
	}
	if len(s.readyKeys) > 0 {
		s.handleReadyKeys()
	}
	s.flushPropagation()
}

// applyFromPrimary runs one command of the stream. A transaction is collected and run whole at EXEC, so
// that readers never see half of it even if it arrived in two reads. Lock held.
func (s *Server) applyFromPrimary(argv [][]byte) {
	if len(argv) == 0 {
		return
	}
	switch {
	case eqFold(argv[0], "multi"):
		s.repl.inMulti = true
		s.repl.pendingMulti = s.repl.pendingMulti[:0]
		return
	case eqFold(argv[0], "exec") && s.repl.inMulti:
		s.repl.inMulti = false
		for _, a := range s.repl.pendingMulti {
			s.execMaster(a)
		}
		s.repl.pendingMulti = nil
		return
	case s.repl.inMulti:
		s.repl.pendingMulti = append(s.repl.pendingMulti, cloneArgv(argv))
		return
	}
	s.execMaster(argv)
}

func (s *Server) execMaster(argv [][]byte) {
	if err := s.execInternal(s.repl.master, argv); err != nil {
		s.log.Warn().Err(err).Msg("Command from the primary could not be applied")
	}
}

func cloneArgv(argv [][]byte) [][]byte {
	out := make([][]byte, len(argv))
	for i, a := range argv {
		out[i] = append([]byte(nil), a...)
	}
	return out
}

// Offset implements replication.ReplicaHost.
func (h *replHost) Offset() int64 {
	s := h.srv()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.repl.primary.Offset()
}

// LinkUp implements replication.ReplicaHost.
func (h *replHost) LinkUp() {
	s := h.srv()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repl.linkUp = true
	s.log.Info().Msg("MASTER <-> REPLICA sync: link is up")
}

// LinkDown implements replication.ReplicaHost.
func (h *replHost) LinkDown() {
	s := h.srv()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.repl.linkUp {
		s.repl.downSince = time.Now()
	}
	s.repl.linkUp = false
}

// flushAllForSync empties every database before a full sync loads the primary's data (replica-lazy-flush
// frees the old values off the executor). Lock held.
func (s *Server) flushAllForSync() {
	for id := range s.dbs {
		s.dirty += int64(s.flushDBMode(id, s.cfg.Repl.LazyFlush))
	}
	s.trackingFlush()
}

// replicationRefuses applies the replication rules to a command about to run: READONLY on a read-only
// replica, MASTERDOWN while the link is down with replica-serve-stale-data no, NOREPLICAS when fewer good
// replicas than min-replicas-to-write. It returns the error reply, or "". Lock held.
func (s *Server) replicationRefuses(c *Client, cmd *Command) string {
	if c.flags.master {
		return ""
	}
	write := cmd.Flags&flagWrite != 0
	if s.isReplica() {
		if write && s.cfg.Repl.ReadOnly {
			return "READONLY You can't write against a read only replica."
		}
		if !s.repl.linkUp && !s.cfg.Repl.ServeStaleData && cmd.Flags&flagStale == 0 {
			return "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."
		}
		return ""
	}
	if write && s.cfg.Repl.MinReplicasToWrite > 0 && s.cfg.Repl.MinReplicasMaxLag > 0 && s.repl.primary != nil {
		lag := time.Duration(s.cfg.Repl.MinReplicasMaxLag) * time.Second
		if int64(s.repl.primary.GoodReplicas(lag)) < s.cfg.Repl.MinReplicasToWrite {
			return "NOREPLICAS Not enough good replicas to write."
		}
	}
	return ""
}

// stopReplication ends the link and the primary side at shutdown. Lock NOT held.
func (s *Server) stopReplication() {
	s.mu.Lock()
	l := s.repl.link
	s.repl.link = nil
	p := s.repl.primary
	s.mu.Unlock()
	if l != nil {
		l.Stop()
	}
	if p != nil {
		p.Close()
	}
}

// FsyncedOffset implements replication.FsyncedOffsetHost: the replication offset up to which this
// replica's AOF is fsynced, from the pairs recorded as the stream was applied.
func (h *replHost) FsyncedOffset() (int64, bool) {
	s := h.srv()
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.aof.m
	if m == nil {
		return 0, false
	}
	synced := m.Synced()
	best := int64(0)
	keep := s.repl.aofMarks[:0]
	for _, mk := range s.repl.aofMarks {
		if mk.seq <= synced {
			best = max(best, mk.offset)
		} else {
			keep = append(keep, mk)
		}
	}
	s.repl.aofMarks = keep
	if best > s.repl.fsyncedOffset {
		s.repl.fsyncedOffset = best
	}
	return s.repl.fsyncedOffset, true
}

// aofMark pairs an AOF sequence number with the replication offset it brings the AOF to.
type aofMark struct {
	seq    uint64
	offset int64
}
