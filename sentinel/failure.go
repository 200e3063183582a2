package sentinel

import (
	"strconv"
	"time"

	"github.com/rs/zerolog"
)

// masterDownReplyValidity: an is-master-down-by-addr answer older than this no longer counts (spec
// §5.4: 5 s with the default ask-period).
func (s *Sentinel) masterDownReplyValidity() time.Duration { return 5 * s.timing.AskPeriod }

// checkSDownLocked decides whether an instance is subjectively down (spec §5.4), and first drops
// connections that look dead although the socket is open.
func (s *Sentinel) checkSDownLocked(in *Instance, now time.Time) {
	downAfter := downAfterOf(in)
	l := in.link
	var elapsed time.Duration
	switch {
	case !in.PingPending.IsZero():
		elapsed = now.Sub(in.PingPending)
	case l == nil || l.disconnected():
		elapsed = now.Sub(in.LastAvailTime)
	}

	if l != nil {
		// A command connection older than min-link-reconnect-period with a PING unanswered for half
		// the down-after time, and no reply of any kind meanwhile, is reopened.
		if l.cmd != nil && now.Sub(l.cmd.created) > s.timing.MinLinkReconnectPeriod &&
			!in.PingPending.IsZero() && now.Sub(in.PingPending) > downAfter/2 &&
			now.Sub(in.LastPongTime) > downAfter/2 {
			l.cmd.close()
			l.cmd = nil
			in.PendingCommands = 0
		}
		// A pub/sub connection that heard nothing (not even our own hellos) for three publish periods
		// is reopened.
		if l.pubsub != nil && now.Sub(l.pubsub.created) > s.timing.MinLinkReconnectPeriod &&
			now.Sub(l.pubsubActivity) > 3*s.timing.PublishPeriod {
			l.pubsub.close()
			l.pubsub = nil
		}
	}

	down := elapsed > downAfter ||
		// a primary that keeps saying it is a replica (two INFO periods past down-after)
		(in.IsMaster() && in.RoleReported == FlagSlave &&
			now.Sub(in.RoleReportedTime) > downAfter+2*s.timing.InfoPeriod) ||
		// primary-reboot-down-after-period: a rebooted primary that has not answered PONG since
		(in.Flags&FlagMasterReboot != 0 && now.Sub(in.RebootSince) > in.RebootDownAfter)
	if down {
		if in.Flags&FlagSDown == 0 {
			s.eventLocked(zerolog.WarnLevel, "+sdown", in, "")
			in.SDownSince = now
			in.Flags |= FlagSDown
		}
	} else if in.Flags&FlagSDown != 0 {
		s.eventLocked(zerolog.WarnLevel, "-sdown", in, "")
		in.Flags &^= FlagSDown | FlagScriptKillSent
	}
}

// checkODownLocked: a primary is objectively down when this sentinel and enough others (quorum in all)
// see it down.
func (s *Sentinel) checkODownLocked(m *Instance, now time.Time) {
	votes := 0
	odown := false
	if m.Flags&FlagSDown != 0 {
		votes = 1 // ourselves
		for _, si := range m.Sentinels {
			if si.Flags&FlagMasterDown != 0 {
				votes++
			}
		}
		odown = votes >= m.Quorum
	}
	if odown {
		if m.Flags&FlagODown == 0 {
			s.eventLocked(zerolog.WarnLevel, "+odown", m, "#quorum %d/%d", votes, m.Quorum)
			m.Flags |= FlagODown
			m.ODownSince = now
		}
	} else if m.Flags&FlagODown != 0 {
		s.eventLocked(zerolog.WarnLevel, "-odown", m, "")
		m.Flags &^= FlagODown
	}
}

// askMasterStateLocked asks every other sentinel whether it sees the primary down, while we do: every
// ask-period, or at once when forced (a failover just started and needs votes). Once our failover has
// started the question carries our run id, which asks for a vote.
func (s *Sentinel) askMasterStateLocked(m *Instance, now time.Time, forced bool) {
	for _, si := range m.Sentinels {
		if now.Sub(si.LastMasterDownReply) > s.masterDownReplyValidity() {
			si.Flags &^= FlagMasterDown
			si.Leader = ""
		}
		if m.Flags&FlagSDown == 0 {
			continue
		}
		l := si.link
		if l == nil || l.disconnected() {
			continue
		}
		if !forced && (now.Sub(si.LastMasterDownReply) < s.timing.AskPeriod ||
			now.Sub(l.cmd.askSent) < s.timing.AskPeriod) {
			continue
		}
		runID := "*"
		if m.FailoverState > FailoverNone {
			runID = s.myID
		}
		si := si
		c := l.cmd
		asked := m.Addr
		err := s.sendLocked(si, func(r *reply) {
			if m.Addr != asked {
				return // the primary moved (a failover) while the question was in flight
			}
			s.masterDownReplyLocked(si, r)
		},
			"SENTINEL", "is-master-down-by-addr", m.Addr.Host, strconv.Itoa(m.Addr.Port),
			strconv.FormatUint(s.currentEpoch, 10), runID)
		if err == nil {
			c.askSent = now
		}
	}
}

// masterDownReplyLocked reads [down 0|1, leader run id or "*", leader epoch].
func (s *Sentinel) masterDownReplyLocked(si *Instance, r *reply) {
	if r == nil || r.kind != kindArray || len(r.elems) != 3 || r.elems[0].kind != kindInt ||
		r.elems[1].kind != kindBulk || r.elems[1].null || r.elems[2].kind != kindInt {
		return // an error or a strange reply: the answer expires and counts as "not down"
	}
	si.LastMasterDownReply = time.Now()
	if r.elems[0].num == 1 {
		si.Flags |= FlagMasterDown
	} else {
		si.Flags &^= FlagMasterDown
	}
	if leader := r.elems[1].str; leader != "*" {
		epoch := uint64(r.elems[2].num)
		if si.LeaderEpoch != epoch {
			s.log.Info().Msgf("%s voted for %s %d", si.Name, leader, epoch)
		}
		si.Leader = leader
		si.LeaderEpoch = epoch
	}
}
