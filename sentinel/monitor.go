package sentinel

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// downAfterOf is an instance's down-after-milliseconds: replicas and sentinels use their primary's.
func downAfterOf(in *Instance) time.Duration {
	if !in.IsMaster() && in.Master != nil {
		return in.Master.DownAfter
	}
	return in.DownAfter
}

// sendPeriodicLocked sends the periodic INFO, PING and hello an instance is due (spec §5.3).
func (s *Sentinel) sendPeriodicLocked(in *Instance, now time.Time) {
	l := in.link
	if l == nil || l.disconnected() {
		return
	}
	// An instance that stopped answering gets no more of these non-critical commands.
	if in.PendingCommands >= maxPendingCommands {
		return
	}
	// Replicas of a primary that is down or failing over, and replicas whose own replication link is
	// down, are watched every second: they are about to be (or are being) reconfigured.
	infoPeriod := s.timing.InfoPeriod
	if in.IsSlave() && in.Master != nil &&
		(in.Master.Flags&(FlagODown|FlagFailoverInProgress) != 0 || in.MasterLinkDownTime != 0) {
		infoPeriod = min(infoPeriod, time.Second)
	}
	// PING when the last reply is older than down-after, and at least every ping-period.
	pingPeriod := min(downAfterOf(in), s.timing.PingPeriod)

	if !in.IsSentinel() && !l.cmd.infoPending && (in.InfoRefresh.IsZero() || now.Sub(in.InfoRefresh) > infoPeriod) {
		c := l.cmd
		if s.sendLocked(in, func(r *reply) { s.infoReplyLocked(in, c, r) }, "INFO") == nil {
			c.infoPending = true
		}
	}
	if now.Sub(in.LastPongTime) > pingPeriod && now.Sub(in.LastPingSent) > pingPeriod/2 {
		s.sendPingLocked(in, now)
	}
	if now.Sub(in.LastPubTime) > s.timing.PublishPeriod {
		s.sendHelloLocked(in, now)
	}
}

// sendPingLocked sends PING and starts the "unanswered since" clock if it is not running.
func (s *Sentinel) sendPingLocked(in *Instance, now time.Time) bool {
	if s.sendLocked(in, func(r *reply) { s.pingReplyLocked(in, r) }, "PING") != nil {
		return false
	}
	in.LastPingSent = now
	if in.PingPending.IsZero() {
		in.PingPending = now
	}
	return true
}

// pingReplyLocked: +PONG, -LOADING and -MASTERDOWN prove the instance is available; any reply proves
// the link works. A primary busy in a script while SDOWN is sent one SCRIPT KILL.
func (s *Sentinel) pingReplyLocked(in *Instance, r *reply) {
	if r == nil {
		return
	}
	now := time.Now()
	if r.kind == kindStatus || r.kind == kindError {
		t := r.str
		if strings.HasPrefix(t, "PONG") || strings.HasPrefix(t, "LOADING") || strings.HasPrefix(t, "MASTERDOWN") {
			in.LastAvailTime = now
			in.PingPending = time.Time{}
			if in.Flags&FlagMasterReboot != 0 && strings.HasPrefix(t, "PONG") {
				in.Flags &^= FlagMasterReboot
			}
		} else if strings.HasPrefix(t, "BUSY") && in.Flags&FlagSDown != 0 && in.Flags&FlagScriptKillSent == 0 {
			s.sendLocked(in, nil, "SCRIPT", "KILL")
			in.Flags |= FlagScriptKillSent
		}
	}
	in.LastPongTime = now
}

// infoReplyLocked stores an INFO reply and acts on it.
func (s *Sentinel) infoReplyLocked(in *Instance, c *rconn, r *reply) {
	c.infoPending = false
	if r == nil || r.kind != kindBulk || r.null || in.link == nil || in.link.cmd != c {
		return
	}
	s.refreshInfoLocked(in, r.str, time.Now())
}

// sendSlaveOfLocked reconfigures an instance (spec §5.4): to replicate addr, or with addr nil to become a
// primary. The commands run as one transaction that also rewrites the instance's configuration and
// disconnects its clients (not us: CLIENT KILL skips the caller) so that they ask the sentinels again.
// Replies are ignored: the next INFO shows whether it worked.
func (s *Sentinel) sendSlaveOfLocked(in *Instance, addr *Addr) error {
	if in.link == nil || in.link.cmd == nil {
		return errLinkDown
	}
	host, port := "NO", "ONE"
	if addr != nil {
		host, port = addr.Host, strconv.Itoa(addr.Port)
	}
	cmds := [][]string{
		{"MULTI"},
		{"SLAVEOF", host, port},
		{"CONFIG", "REWRITE"},
		{"CLIENT", "KILL", "TYPE", "normal"},
		{"CLIENT", "KILL", "TYPE", "pubsub"},
		{"EXEC"},
	}
	for _, args := range cmds {
		if err := s.sendLocked(in, nil, args...); err != nil {
			return err
		}
	}
	return nil
}

// masterLooksSane: the primary is one, says so, is up, and its INFO is recent. Only then does the
// sentinel force its view on replicas.
func (s *Sentinel) masterLooksSane(m *Instance, now time.Time) bool {
	return m.IsMaster() && m.RoleReported == FlagMaster && m.Flags&(FlagSDown|FlagODown) == 0 &&
		!m.InfoRefresh.IsZero() && now.Sub(m.InfoRefresh) < 2*s.timing.InfoPeriod
}

// noDownFor reports whether the instance has not gone SDOWN or ODOWN in the last d.
func noDownFor(in *Instance, d time.Duration, now time.Time) bool {
	recent := in.SDownSince
	if in.ODownSince.After(recent) {
		recent = in.ODownSince
	}
	return recent.IsZero() || now.Sub(recent) > d
}

// resetMasterLocked forgets a primary's replicas (and sentinels unless keepSentinels), closes its
// connections and clears every flag and failover state, as SENTINEL RESET and a switch of address do.
func (s *Sentinel) resetMasterLocked(m *Instance, keepSentinels bool) {
	now := time.Now()
	for _, sl := range m.Slaves {
		s.closeLinksLocked(sl)
	}
	m.Slaves = map[string]*Instance{}
	if !keepSentinels {
		for _, si := range m.Sentinels {
			s.closeLinksLocked(si)
		}
		m.Sentinels = map[string]*Instance{}
	}
	s.closeConnsLocked(m)
	if m.link != nil {
		// the primary may be at a new address: connect at once rather than after the reconnect
		// throttle, or a short down-after expires before the first PING is even sent
		m.link.lastReconnect = time.Time{}
	}
	for _, si := range m.Sentinels {
		// their "primary is down" answers were about the old primary
		si.Flags &^= FlagMasterDown
		si.LastMasterDownReply = time.Time{}
	}
	m.Flags &= FlagMaster
	m.Leader = ""
	m.FailoverState = FailoverNone
	m.FailoverStateChange = time.Time{}
	m.FailoverStart = time.Time{} // a new failover may start at once
	m.PromotedSlave = nil
	m.RunID = ""
	m.SlaveMasterHost = ""
	m.InfoRefresh = time.Time{}
	m.InfoText = ""
	m.PingPending = now
	m.LastPingSent = time.Time{}
	m.LastAvailTime = now
	m.LastPongTime = now
	m.RoleReported = FlagMaster
	m.RoleReportedTime = now
}

// resetMasterAndChangeAddressLocked moves a primary to a new address (a failover, ours or learned from
// a hello): the replicas become the known replicas of the new primary, minus the new primary itself,
// plus the old primary, so that the sentinel watches it and converts it when it returns.
func (s *Sentinel) resetMasterAndChangeAddressLocked(m *Instance, host string, port int) {
	newAddr := Addr{Host: host, Port: port}
	var slaves []Addr
	for _, sl := range m.Slaves {
		if sameAddr(sl.Addr, newAddr) {
			continue
		}
		slaves = append(slaves, sl.Addr)
	}
	if !sameAddr(m.Addr, newAddr) {
		slaves = append(slaves, m.Addr)
	}
	sort.Slice(slaves, func(i, j int) bool { return slaves[i].String() < slaves[j].String() })
	s.resetMasterLocked(m, true)
	m.Addr = newAddr
	m.SDownSince = time.Time{}
	m.ODownSince = time.Time{}
	for _, a := range slaves {
		if sl := s.addSlaveLocked(m, a.Host, a.Port); sl != nil {
			s.eventLocked(zerolog.InfoLevel, "+slave", sl, "")
		}
	}
	s.flushConfig()
}

// sameAddr compares addresses as Valkey does: host names case-insensitively.
func sameAddr(a, b Addr) bool { return a.Port == b.Port && strings.EqualFold(a.Host, b.Host) }
