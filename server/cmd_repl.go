package server

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/valkey-node/valkey-node/replication"
	"github.com/valkey-node/valkey-node/server/resp"
)

// REPLICAOF/SLAVEOF, SYNC/PSYNC, REPLCONF, WAIT, ROLE and INFO replication.

// REPLICAOF host port | NO ONE
func replicaofCommand(c *Client, args [][]byte) {
	s := c.srv
	if c.replica != nil {
		c.Err("ERR Command is not valid when client is a replica.")
		return
	}
	if s.failover.phase != failoverNone {
		c.Err("ERR REPLICAOF not allowed while failing over.")
		return
	}
	if eqFold(args[1], "no") && eqFold(args[2], "one") {
		if s.isReplica() {
			s.becomePrimary()
		}
		c.W().OK()
		return
	}
	port, err := strconv.Atoi(string(args[2]))
	if err != nil || port < 0 || port > 65535 {
		c.Err("ERR Invalid master port")
		return
	}
	host := string(args[1])
	if s.isReplica() && strings.EqualFold(s.repl.masterHost, host) && s.repl.masterPort == port {
		s.log.Info().Msg("REPLICAOF would result into synchronization with the primary we are already connected with. No operation performed.")
		c.W().Simple("OK Already connected to specified master")
		return
	}
	s.startReplicaOf(host, port)
	s.log.Info().Str("primary", net.JoinHostPort(host, strconv.Itoa(port))).
		Msg(fmt.Sprintf("REPLICAOF %s:%d enabled (user request from 'id=%d addr=%s')", host, port, c.id, c.addr))
	c.W().OK()
}

// REPLCONF option value [option value ...]
func replconfCommand(c *Client, args [][]byte) {
	s := c.srv
	if len(args)%2 == 0 {
		c.Err(errSyntax)
		return
	}
	if c.replica == nil {
		c.replica = &replicaLink{}
	}
	rl := c.replica
	for i := 1; i < len(args); i += 2 {
		opt, val := args[i], args[i+1]
		switch {
		case eqFold(opt, "listening-port"):
			p, err := strconv.Atoi(string(val))
			if err != nil || p < 0 || p > 65535 {
				c.Err("ERR value is not an integer or out of range")
				return
			}
			rl.listeningPort = p
		case eqFold(opt, "ip-address"):
			if len(val) >= 256 {
				c.Err(fmt.Sprintf("ERR REPLCONF ip-address provided by replica instance is too long: %d bytes", len(val)))
				return
			}
			rl.ip = string(val)
		case eqFold(opt, "capa"):
			switch {
			case eqFold(val, "eof"):
				rl.capaEOF = true
			case eqFold(val, "psync2"):
				rl.capaPSYNC2 = true
			}
		case eqFold(opt, "ack"):
			// acks come from replicas only and get no reply; FACK is how far the replica's AOF is on disk
			if rl.synced {
				if off, ok := parseInt64(val); ok {
					s.repl.primary.Ack(c.id, off)
					if i+3 < len(args) && eqFold(args[i+2], "fack") {
						if f, ok := parseInt64(args[i+3]); ok {
							rl.fack = f
						}
					}
					s.serveWaiters()
				}
			}
			return
		case eqFold(opt, "getack"):
			// from our primary's stream: the link answers it
			return
		case eqFold(opt, "version"):
			if !validVersion(string(val)) {
				c.Err("ERR Unrecognized version format: " + string(val))
				return
			}
		case eqFold(opt, "rdb-only"), eqFold(opt, "rdb-filter-only"), eqFold(opt, "rdb-channel"):
			// accepted as Valkey does; a valkey-node primary always sends the whole data set and the stream
			if eqFold(opt, "rdb-only") && eqFold(val, "1") {
				c.Err("ERR rdb-only transfers are not supported by valkey-node")
				return
			}
		default:
			c.Err("ERR Unrecognized REPLCONF option: " + string(opt))
			return
		}
	}
	c.W().OK()
}

func validVersion(v string) bool {
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return false
	}
	for _, p := range parts {
		if _, err := strconv.Atoi(p); err != nil {
			return false
		}
	}
	return true
}

// SYNC, and PSYNC replid offset
func syncCommand(c *Client, args [][]byte) {
	s := c.srv
	if c.replica != nil && c.replica.synced {
		return // already a replica: ignore, as Valkey does
	}
	if eqFold(args[0], "psync") && len(args) == 4 && eqFold(args[3], "failover") {
		if msg := s.psyncFailover(string(args[1])); msg != "" {
			c.Err(msg)
			return
		}
	} else if len(args) > 3 {
		c.Err(errSyntax)
		return
	}
	if s.failover.phase != failoverNone {
		c.Err("NOMASTERLINK Can't SYNC while failing over")
		return
	}
	if s.isReplica() && !s.repl.linkUp {
		c.Err("NOMASTERLINK Can't SYNC while not connected with my master")
		return
	}
	if c.out.Len() > 0 {
		c.Err("ERR SYNC and PSYNC are invalid with pending output")
		return
	}
	psync := eqFold(args[0], "psync")
	replid, offset := "?", int64(-1)
	if psync {
		replid = string(args[1])
		if o, ok := parseInt64(args[2]); ok {
			offset = o
		}
	}
	if c.replica == nil {
		c.replica = &replicaLink{}
	}
	rl := c.replica
	ip := rl.ip
	if ip == "" {
		ip, _, _ = net.SplitHostPort(c.addr)
	}
	rc := &replication.ReplicaConn{ID: c.id, Conn: c.conn, Addr: c.addr, IP: ip, ListeningPort: rl.listeningPort,
		CapaEOF: rl.capaEOF, CapaPSYNC2: rl.capaPSYNC2}
	s.log.Info().Str("replica", net.JoinHostPort(ip, strconv.Itoa(rl.listeningPort))).
		Msg(fmt.Sprintf("Replica %s asks for synchronization", net.JoinHostPort(ip, strconv.Itoa(rl.listeningPort))))
	// from here on the replication package writes to the connection
	rl.synced = true
	c.idleTimeout = 0
	full, errReply := s.repl.primary.Sync(rc, psync, replid, offset)
	if errReply != "" {
		rl.synced = false
		c.Err(errReply)
		return
	}
	switch {
	case !full:
		s.stats.syncPartialOK++
	case psync && replid != "?":
		s.stats.syncPartialErr++
		s.stats.syncFull++
	default:
		s.stats.syncFull++
	}
}

// WAIT numreplicas timeout
func waitCommand(c *Client, args [][]byte) {
	s := c.srv
	if s.isReplica() {
		c.Err("ERR WAIT cannot be used with replica instances. Please also note that if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.")
		return
	}
	n, ok := parseInt64(args[1])
	if !ok {
		c.Err(errNotInt)
		return
	}
	ms, ok := waitTimeout(c, args[2])
	if !ok {
		return
	}
	target := c.woff
	p := s.repl.primary
	if got := p.AckedAtLeast(target); int64(got) >= n || c.inExec {
		c.W().Int(int64(got))
		return
	}
	s.blockOn(c, nil, time.Duration(ms)*time.Millisecond, func(*Client, [][]byte) bool { return false },
		func(w *resp.Writer) { w.Int(int64(p.AckedAtLeast(target))) })
	s.repl.waiters = append(s.repl.waiters, &waitReq{c: c, b: c.blocked, offset: target, n: n})
	p.RequestAcks()
}

// waitTimeout parses the millisecond timeout of WAIT and WAITAOF, replying the error when it is bad.
func waitTimeout(c *Client, arg []byte) (int64, bool) {
	ms, ok := parseInt64(arg)
	if !ok {
		c.Err("ERR timeout is not an integer or out of range")
		return 0, false
	}
	if ms < 0 {
		c.Err("ERR timeout is negative")
		return 0, false
	}
	return ms, true
}

// WAITAOF numlocal numreplicas timeout
func waitaofCommand(c *Client, args [][]byte) {
	s := c.srv
	if s.isReplica() {
		c.Err("ERR WAITAOF cannot be used with replica instances. Please also note that writes to replicas are just local and are not propagated.")
		return
	}
	numLocal, ok1 := parseInt64(args[1])
	numReps, ok2 := parseInt64(args[2])
	if !ok1 || !ok2 || numLocal < 0 || numReps < 0 {
		c.Err(errNotInt)
		return
	}
	ms, ok := waitTimeout(c, args[3])
	if !ok {
		return
	}
	if numLocal > 0 && s.aof.m == nil {
		c.Err("ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled.")
		return
	}
	w := &waitReq{c: c, offset: c.woff, n: numReps, aof: true, numLocal: numLocal, aofSeq: c.aofWoff}
	if s.waitDone(w, c.inExec) {
		return
	}
	s.blockOn(c, nil, time.Duration(ms)*time.Millisecond, func(*Client, [][]byte) bool { return false },
		func(*resp.Writer) { s.waitDone(w, true) })
	w.b = c.blocked
	s.repl.waiters = append(s.repl.waiters, w)
	s.repl.primary.RequestAcks()
}

// aofAcks is what WAITAOF counts: 1 if this node's AOF is fsynced up to seq, and the replicas whose AOF
// is fsynced up to the replication offset. Lock held.
func (s *Server) aofAcks(offset int64, seq uint64) (local, replicas int64) {
	if m := s.aof.m; m != nil && m.Synced() >= seq {
		local = 1
	}
	for _, r := range s.repl.primary.Replicas() {
		if r.State != replication.StateOnline {
			continue
		}
		if c := s.clients[r.ID]; c != nil && c.replica != nil && c.replica.fack >= offset {
			replicas++
		}
	}
	return local, replicas
}

// waitReq is a client blocked in WAIT.
type waitReq struct {
	c      *Client
	b      *blockState
	offset int64
	n      int64
	// WAITAOF: numlocal and the AOF sequence number of the client's last write
	aof      bool
	numLocal int64
	aofSeq   uint64
}

// done reports whether w is satisfied, and writes its reply when it is or when final. Lock held.
func (s *Server) waitDone(w *waitReq, final bool) bool {
	if !w.aof {
		got := s.repl.primary.AckedAtLeast(w.offset)
		if int64(got) >= w.n || final {
			w.c.out.Int(int64(got))
			return true
		}
		return false
	}
	local, reps := s.aofAcks(w.offset, w.aofSeq)
	if (local >= w.numLocal && reps >= w.n) || final {
		w.c.out.Array(2)
		w.c.out.Int(local)
		w.c.out.Int(reps)
		return true
	}
	return false
}

// serveWaiters answers the WAIT clients whose replicas caught up. Lock held.
func (s *Server) serveWaiters() {
	if len(s.repl.waiters) == 0 {
		return
	}
	keep := s.repl.waiters[:0]
	for _, w := range s.repl.waiters {
		if w.c.blocked != w.b {
			continue // timed out, unblocked or gone
		}
		w.c.outMu.Lock()
		done := s.waitDone(w, false)
		w.c.outMu.Unlock()
		if !done {
			keep = append(keep, w)
			continue
		}
		s.unblockClient(w.c, unblockServed)
	}
	clear(s.repl.waiters[len(keep):])
	s.repl.waiters = keep
}

// unblockWaiters releases every WAIT client with its current count (the node stops being a primary).
func (s *Server) unblockWaiters() {
	for _, w := range s.repl.waiters {
		if w.c.blocked == w.b {
			s.unblockClient(w.c, unblockTimeout)
		}
	}
	s.repl.waiters = nil
}

// ROLE
func roleCommand(c *Client, args [][]byte) {
	s := c.srv
	if s.mode != nil {
		s.mode.Role(c)
		return
	}
	w := c.W()
	if s.isReplica() {
		st := s.repl.linkStatus()
		w.Array(5)
		w.BulkString("slave")
		w.BulkString(s.repl.masterHost)
		w.Int(int64(s.repl.masterPort))
		w.BulkString(string(st.State))
		w.Int(s.repl.primary.Offset())
		return
	}
	reps := s.repl.primary.Replicas()
	w.Array(3)
	w.BulkString("master")
	w.Int(s.repl.primary.Offset())
	w.Array(len(reps))
	for _, r := range reps {
		w.Array(3)
		w.BulkString(r.IP)
		w.BulkString(strconv.Itoa(r.Port))
		w.BulkString(strconv.FormatInt(r.AckOffset, 10))
	}
}

// linkStatus is the link's status, or "connect" before the link exists.
func (r *replState) linkStatus() replication.LinkStatus {
	if r.link == nil {
		return replication.LinkStatus{State: replication.LinkConnect}
	}
	return r.link.Status()
}

// infoReplication reports INFO replication with Valkey's fields and order (spec §3.6).
func (s *Server) infoReplication(b *infoBuilder) {
	p := s.repl.primary
	if s.isReplica() {
		st := s.repl.linkStatus()
		b.field("role", "slave")
		b.field("master_host", s.repl.masterHost)
		b.field("master_port", s.repl.masterPort)
		b.field("master_link_status", map[bool]string{true: "up", false: "down"}[s.repl.linkUp])
		lastIO := int64(-1)
		if !st.LastIO.IsZero() {
			lastIO = int64(time.Since(st.LastIO).Seconds())
		}
		b.field("master_last_io_seconds_ago", lastIO)
		b.field("master_sync_in_progress", boolInt(st.SyncInProgress))
		b.field("slave_read_repl_offset", max(st.ReadReplOffset, p.Offset()))
		b.field("slave_repl_offset", p.Offset())
		b.field("replicas_repl_buffer_size", 0)
		b.field("replicas_repl_buffer_peak", 0)
		if st.SyncInProgress {
			b.field("master_sync_total_bytes", st.SyncTotalBytes)
			b.field("master_sync_read_bytes", st.SyncReadBytes)
			left := int64(0)
			perc := 0.0
			if st.SyncTotalBytes > 0 {
				left = st.SyncTotalBytes - st.SyncReadBytes
				perc = float64(st.SyncReadBytes) * 100 / float64(st.SyncTotalBytes)
			}
			b.field("master_sync_left_bytes", left)
			b.field("master_sync_perc", fmt.Sprintf("%.2f", perc))
			b.field("master_sync_last_io_seconds_ago", int64(time.Since(st.SyncLastIO).Seconds()))
		}
		if !s.repl.linkUp {
			down := int64(-1)
			if !s.repl.downSince.IsZero() {
				down = int64(time.Since(s.repl.downSince).Seconds())
			}
			b.field("master_link_down_since_seconds", down)
		}
		b.field("slave_priority", s.cfg.Repl.Priority)
		b.field("slave_read_only", boolInt(s.cfg.Repl.ReadOnly))
		b.field("replica_announced", boolInt(s.cfg.Repl.Announced))
	} else {
		b.field("role", "master")
	}
	reps := p.Replicas()
	b.field("connected_slaves", len(reps))
	if s.cfg.Repl.MinReplicasToWrite > 0 && s.cfg.Repl.MinReplicasMaxLag > 0 {
		b.field("min_slaves_good_slaves", p.GoodReplicas(time.Duration(s.cfg.Repl.MinReplicasMaxLag)*time.Second))
	}
	for i, r := range reps {
		b.field(fmt.Sprintf("slave%d", i), fmt.Sprintf("ip=%s,port=%d,state=%s,offset=%d,lag=%d,type=replica",
			r.IP, r.Port, r.State, r.AckOffset, r.LagSeconds))
	}
	b.field("replicas_waiting_psync", 0)
	b.field("master_failover_state", s.failover.phase.String())
	st := p.Status()
	b.field("master_replid", st.ReplID)
	b.field("master_replid2", st.ReplID2)
	b.field("master_repl_offset", st.Offset)
	b.field("second_repl_offset", st.SecondOffset)
	b.field("repl_backlog_active", boolInt(st.BacklogActive))
	b.field("repl_backlog_size", st.BacklogSize)
	b.field("repl_backlog_first_byte_offset", st.BacklogFirstOffset)
	b.field("repl_backlog_histlen", st.BacklogHistlen)
}

func init() {
	register(
		spec{name: "replicaof", arity: 3, flags: "admin noscript stale dangerous", group: "server",
			summary: "Configures a server as replica of another, or promotes it to a master.", since: "5.0.0",
			complexity: "O(1)", handler: replicaofCommand},
		spec{name: "slaveof", arity: 3, flags: "admin noscript stale dangerous", group: "server",
			summary: "Sets a Redis server as a replica of another, or promotes it to being a master.", since: "1.0.0",
			complexity: "O(1)", handler: replicaofCommand},
		spec{name: "replconf", arity: -1, flags: "admin noscript loading stale allow_busy dangerous", group: "server",
			summary: "An internal command for configuring the replication stream.", since: "3.0.0",
			complexity: "O(1)", handler: replconfCommand},
		spec{name: "sync", arity: 1, flags: "admin noscript no_multi dangerous", group: "server",
			summary: "An internal command used in replication.", since: "1.0.0", complexity: "", handler: syncCommand},
		spec{name: "psync", arity: -3, flags: "admin noscript no_multi dangerous", group: "server",
			summary: "An internal command used in replication.", since: "2.8.0", complexity: "", handler: syncCommand},
		spec{name: "wait", arity: 3, flags: "noscript", group: "generic",
			summary: "Blocks until the asynchronous replication of all preceding write commands sent by the connection is completed.",
			since:   "3.0.0", complexity: "O(1)", handler: waitCommand},
		spec{name: "failover", arity: -1, flags: "admin noscript stale dangerous", group: "server",
			summary: "Starts a coordinated failover from a server to one of its replicas.", since: "6.2.0",
			complexity: "O(1)", handler: failoverCommand},
		spec{name: "waitaof", arity: 4, flags: "noscript", group: "generic",
			summary: "Blocks until all of the preceding write commands sent by the connection are written to the append-only file of the master and/or replicas.",
			since:   "7.2.0", complexity: "O(1)", handler: waitaofCommand},
		spec{name: "role", arity: 1, flags: "noscript loading stale fast", group: "server",
			summary: "Returns the replication role.", since: "2.8.12", complexity: "O(1)", handler: roleCommand},
	)
}

// replicaOutputLimits is client-output-buffer-limit replica.
func (s *Server) replicaOutputLimits() (hard, soft int64, softFor time.Duration) {
	l := s.cfg.OutputLimits[1]
	return l.hard, l.soft, time.Duration(l.softSeconds) * time.Second
}
