package server

import (
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/valkey-node/valkey-node/replication"
)

// FAILOVER: a coordinated switch of roles between this primary and one of its replicas, without losing
// acknowledged writes. Writes are paused; once a replica (the target, or the first to get there) has
// acknowledged the whole stream, this node becomes its replica and asks it, with PSYNC … FAILOVER, to
// promote itself and continue this node's stream. If the target refuses, or the time runs out without
// FORCE, the node goes back to being the primary.

type failoverPhase uint8

const (
	failoverNone failoverPhase = iota
	failoverWaitSync
	failoverInProgress
)

func (p failoverPhase) String() string {
	switch p {
	case failoverWaitSync:
		return "waiting-for-sync"
	case failoverInProgress:
		return "failover-in-progress"
	}
	return "no-failover"
}

// failoverState is the FAILOVER in progress. Lock held for every field.
type failoverState struct {
	phase      failoverPhase
	host       string // target; "" = the first replica to catch up
	port       int
	force      bool
	deadline   time.Time // zero: no timeout
	started    time.Time
	abortAsked string // set by the link when the target refused: the cron rolls back
}

// FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms]
func failoverCommand(c *Client, args [][]byte) {
	s := c.srv
	var host string
	var port int
	var force, abort bool
	var timeout int64
	for i := 1; i < len(args); i++ {
		switch {
		case eqFold(args[i], "to") && i+2 < len(args) && host == "":
			host = string(args[i+1])
			p, err := strconv.Atoi(string(args[i+2]))
			if err != nil || p <= 0 || p > 65535 {
				c.Err("ERR value is not an integer or out of range")
				return
			}
			port = p
			i += 2
		case eqFold(args[i], "force") && !force:
			force = true
		case eqFold(args[i], "abort") && !abort:
			abort = true
		case eqFold(args[i], "timeout") && i+1 < len(args) && timeout == 0:
			t, ok := parseInt64(args[i+1])
			if !ok || t <= 0 {
				c.Err("ERR FAILOVER timeout must be greater than 0")
				return
			}
			timeout = t
			i++
		default:
			c.Err(errSyntax)
			return
		}
	}
	if abort {
		if force || timeout != 0 || host != "" {
			c.Err("ERR FAILOVER abort cannot be used with other options.")
			return
		}
		if s.failover.phase == failoverNone {
			c.Err("ERR No failover in progress.")
			return
		}
		s.abortFailover("Failover manually aborted")
		c.W().OK()
		return
	}
	if force && (timeout == 0 || host == "") {
		c.Err("ERR FAILOVER with force option requires both a timeout and target HOST and IP.")
		return
	}
	if s.isReplica() {
		c.Err("ERR FAILOVER is not valid when server is a replica.")
		return
	}
	if s.failover.phase != failoverNone {
		c.Err("ERR FAILOVER already in progress.")
		return
	}
	reps := s.repl.primary.Replicas()
	if len(reps) == 0 {
		c.Err("ERR FAILOVER requires connected replicas.")
		return
	}
	if host != "" {
		found := false
		for _, r := range reps {
			if r.IP == host && r.Port == port {
				found = true
				if r.State != replication.StateOnline {
					c.Err("ERR FAILOVER target replica is not online.")
					return
				}
			}
		}
		if !found {
			c.Err("ERR FAILOVER target HOST and PORT is not a replica.")
			return
		}
	}
	f := &s.failover
	*f = failoverState{phase: failoverWaitSync, host: host, port: port, force: force, started: time.Now()}
	if timeout > 0 {
		f.deadline = time.Now().Add(time.Duration(timeout) * time.Millisecond)
	}
	// no new writes while the replica catches up; the pause ends with the failover
	s.pause.start(time.Duration(1<<62), true)
	s.repl.primary.RequestAcks()
	s.log.Info().Str("target", targetName(host, port)).Msg("FAILOVER requested to " + targetName(host, port) + ".")
	c.W().OK()
}

func targetName(host string, port int) string {
	if host == "" {
		return "any replica"
	}
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// failoverCron moves a FAILOVER along. Lock held.
func (s *Server) failoverCron() {
	f := &s.failover
	switch f.phase {
	case failoverWaitSync:
		offset := s.repl.primary.Offset()
		var target *replication.ReplicaInfo
		for _, r := range s.repl.primary.Replicas() {
			if f.host != "" && (r.IP != f.host || r.Port != f.port) {
				continue
			}
			if r.State == replication.StateOnline && r.AckOffset >= offset {
				target = &r
				break
			}
		}
		if target == nil && !f.deadline.IsZero() && time.Now().After(f.deadline) {
			if !f.force {
				s.abortFailover("Replica never caught up before timeout")
				return
			}
			target = &replication.ReplicaInfo{IP: f.host, Port: f.port}
		}
		if target == nil {
			s.repl.primary.RequestAcks()
			return
		}
		f.phase = failoverInProgress
		f.host, f.port = target.IP, target.Port
		s.log.Info().Msg("Failover target " + targetName(f.host, f.port) + " is synced, failing over.")
		s.startReplicaOfWith(f.host, f.port, true)
	case failoverInProgress:
		switch {
		case f.abortAsked != "":
			s.abortFailover(f.abortAsked)
		case s.repl.linkUp:
			s.log.Info().Msg("Failover target " + targetName(f.host, f.port) + " is now the primary.")
			*f = failoverState{}
			s.pause.end()
		case time.Since(f.started) > 60*time.Second && f.deadline.IsZero() || !f.deadline.IsZero() && time.Now().After(f.deadline.Add(10*time.Second)):
			s.abortFailover("Failover target did not take over in time")
		}
	}
}

// abortFailover rolls back: the node is (again) the primary and writes resume. Lock held.
func (s *Server) abortFailover(reason string) {
	f := &s.failover
	phase := f.phase
	*f = failoverState{}
	if phase == failoverInProgress && s.isReplica() {
		s.becomePrimary()
	}
	s.pause.end()
	s.log.Warn().Msg("FAILOVER aborted: " + reason)
}

// psyncFailover is the target's side: its primary asks it (PSYNC <replid> <offset> FAILOVER) to take
// over. It must be a replica whose replication id is the one given. Lock held. It returns an error reply,
// or "" after promoting the node.
func (s *Server) psyncFailover(replid string) string {
	if !s.isReplica() {
		return "ERR PSYNC FAILOVER can't be sent to a master."
	}
	if !strings.EqualFold(replid, s.repl.primary.Status().ReplID) {
		return "ERR PSYNC FAILOVER replid must match my replid."
	}
	s.log.Info().Msg("Failover request received for replid " + replid + ".")
	s.becomePrimary()
	return ""
}
