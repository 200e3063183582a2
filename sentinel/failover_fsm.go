package sentinel

import (
	"os"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// failoverStateMachineLocked advances a primary's failover by one step (spec §5.4). The transition
// wait_promotion → reconf_slaves happens when the promoted replica's INFO says role:master
// (promotedLocked), and reconf_slaves → update_config in detectEndLocked; the tick then switches the
// primary to the new address (switchToPromotedLocked).
func (s *Sentinel) failoverStateMachineLocked(m *Instance, now time.Time) {
	if m.Flags&FlagFailoverInProgress == 0 {
		return
	}
	switch m.FailoverState {
	case FailoverWaitStart:
		s.failoverWaitStartLocked(m, now)
	case FailoverSelectSlave:
		s.failoverSelectSlaveLocked(m, now)
	case FailoverSendSlaveofNoone:
		s.failoverSendSlaveOfNoOneLocked(m, now)
	case FailoverWaitPromotion:
		if now.Sub(m.FailoverStateChange) > m.FailoverTimeout {
			s.eventLocked(zerolog.WarnLevel, "-failover-abort-slave-timeout", m, "")
			s.abortFailoverLocked(m, now)
		}
	case FailoverReconfSlaves:
		s.failoverReconfNextSlaveLocked(m, now)
	}
}

// failoverWaitStartLocked waits to be elected leader for the failover epoch (a forced failover does not
// need to be), and gives up after min(election-timeout, failover-timeout).
func (s *Sentinel) failoverWaitStartLocked(m *Instance, now time.Time) {
	leader := s.leaderLocked(m, m.FailoverEpoch)
	isLeader := leader != "" && strings.EqualFold(leader, s.myID)
	if !isLeader && m.Flags&FlagForceFailover == 0 {
		timeout := min(s.timing.ElectionTimeout, m.FailoverTimeout)
		if now.Sub(m.FailoverStart) > timeout {
			s.eventLocked(zerolog.WarnLevel, "-failover-abort-not-elected", m, "")
			s.abortFailoverLocked(m, now)
		}
		return
	}
	s.eventLocked(zerolog.WarnLevel, "+elected-leader", m, "")
	if s.simFailure&simFailCrashAfterElection != 0 {
		s.simFailureCrash()
	}
	m.FailoverState = FailoverSelectSlave
	m.FailoverStateChange = now
	s.eventLocked(zerolog.WarnLevel, "+failover-state-select-slave", m, "")
}

func (s *Sentinel) failoverSelectSlaveLocked(m *Instance, now time.Time) {
	sl := s.selectSlaveLocked(m)
	if sl == nil {
		s.eventLocked(zerolog.WarnLevel, "-failover-abort-no-good-slave", m, "")
		s.abortFailoverLocked(m, now)
		return
	}
	s.eventLocked(zerolog.WarnLevel, "+selected-slave", sl, "")
	sl.Flags |= FlagPromoted
	m.PromotedSlave = sl
	m.FailoverState = FailoverSendSlaveofNoone
	m.FailoverStateChange = now
	s.eventLocked(zerolog.InfoLevel, "+failover-state-send-slaveof-noone", sl, "")
}

// failoverSendSlaveOfNoOneLocked promotes the chosen replica, retrying while its link is down until
// failover-timeout.
func (s *Sentinel) failoverSendSlaveOfNoOneLocked(m *Instance, now time.Time) {
	p := m.PromotedSlave
	if p.link == nil || p.link.disconnected() {
		if now.Sub(m.FailoverStateChange) > m.FailoverTimeout {
			s.eventLocked(zerolog.WarnLevel, "-failover-abort-slave-timeout", m, "")
			s.abortFailoverLocked(m, now)
		}
		return
	}
	if s.sendSlaveOfLocked(p, nil) != nil {
		return
	}
	s.eventLocked(zerolog.InfoLevel, "+failover-state-wait-promotion", p, "")
	m.FailoverState = FailoverWaitPromotion
	m.FailoverStateChange = now
}

// promotedLocked: the promoted replica reports role:master. Its address now carries the epoch we won,
// which our hellos announce at once so the other sentinels follow.
func (s *Sentinel) promotedLocked(m, p *Instance, now time.Time) {
	m.ConfigEpoch = m.FailoverEpoch
	m.FailoverState = FailoverReconfSlaves
	m.FailoverStateChange = now
	s.flushConfig()
	s.eventLocked(zerolog.WarnLevel, "+promoted-slave", p, "")
	if s.simFailure&simFailCrashAfterPromotion != 0 {
		s.simFailureCrash()
	}
	s.eventLocked(zerolog.WarnLevel, "+failover-state-reconf-slaves", m, "")
	s.callReconfScriptLocked(m, "leader", m.Addr, p.Addr)
	s.forceHelloUpdateLocked(m)
}

// failoverReconfNextSlaveLocked points the other replicas at the promoted one, parallel-syncs at a time.
// A replica that does not move on within slave-reconf-timeout counts as done: the sentinels fix its
// configuration later (+fix-slave-config).
func (s *Sentinel) failoverReconfNextSlaveLocked(m *Instance, now time.Time) {
	slaves := sortedInstances(m.Slaves)
	inProgress := 0
	for _, sl := range slaves {
		// Timeouts are checked before counting, so that a stuck replica frees its parallel-syncs slot
		// (Valkey checks them only while a slot is free, which parallel-syncs 1 never has).
		if sl.Flags&FlagReconfSent != 0 && now.Sub(sl.SlaveReconfSent) > s.timing.SlaveReconfTimeout {
			s.eventLocked(zerolog.InfoLevel, "-slave-reconf-sent-timeout", sl, "")
			sl.Flags &^= FlagReconfSent
			sl.Flags |= FlagReconfDone
		}
		if sl.Flags&(FlagReconfSent|FlagReconfInProg) != 0 {
			inProgress++
		}
	}
	for _, sl := range slaves {
		if inProgress >= m.ParallelSyncs {
			break
		}
		if sl.Flags&(FlagPromoted|FlagReconfDone) != 0 {
			continue
		}
		if sl.Flags&(FlagReconfSent|FlagReconfInProg) != 0 || sl.link == nil || sl.link.disconnected() {
			continue
		}
		if s.sendSlaveOfLocked(sl, &m.PromotedSlave.Addr) == nil {
			sl.Flags |= FlagReconfSent
			sl.SlaveReconfSent = now
			s.eventLocked(zerolog.InfoLevel, "+slave-reconf-sent", sl, "")
			inProgress++
		}
	}
	s.failoverDetectEndLocked(m, now)
}

// failoverDetectEndLocked ends the failover when every reachable replica is reconfigured, or on
// failover-timeout (then the stragglers get a best-effort SLAVEOF).
func (s *Sentinel) failoverDetectEndLocked(m *Instance, now time.Time) {
	p := m.PromotedSlave
	if p == nil || p.Flags&FlagSDown != 0 {
		return // the failover cannot end while the new primary is unreachable
	}
	notReconfigured := 0
	for _, sl := range m.Slaves {
		if sl.Flags&(FlagPromoted|FlagReconfDone) != 0 || sl.Flags&FlagSDown != 0 {
			continue
		}
		notReconfigured++
	}
	timeout := false
	if now.Sub(m.FailoverStateChange) > m.FailoverTimeout {
		notReconfigured = 0
		timeout = true
		s.eventLocked(zerolog.WarnLevel, "+failover-end-for-timeout", m, "")
	}
	if notReconfigured == 0 {
		s.eventLocked(zerolog.WarnLevel, "+failover-end", m, "")
		m.FailoverState = FailoverUpdateConfig
		m.FailoverStateChange = now
	}
	if timeout {
		for _, sl := range sortedInstances(m.Slaves) {
			if sl.Flags&(FlagPromoted|FlagReconfDone|FlagReconfSent) != 0 || sl.link == nil || sl.link.disconnected() {
				continue
			}
			if s.sendSlaveOfLocked(sl, &p.Addr) == nil {
				s.eventLocked(zerolog.InfoLevel, "+slave-reconf-sent-be", sl, "")
				sl.Flags |= FlagReconfSent
			}
		}
	}
}

// switchToPromotedLocked ends a failover: +switch-master, then the primary entry moves to the promoted
// replica's address with the old primary and the other replicas as its replicas.
func (s *Sentinel) switchToPromotedLocked(m *Instance) {
	ref := m
	if m.PromotedSlave != nil {
		ref = m.PromotedSlave
	}
	old, to := m.Addr, ref.Addr
	s.eventLocked(zerolog.WarnLevel, "+switch-master", nil, "%s %s %d %s %d", m.Name, old.Host, old.Port,
		to.Host, to.Port)
	s.resetMasterAndChangeAddressLocked(m, to.Host, to.Port)
}

// simFailureCrash is SENTINEL SIMULATE-FAILURE's crash: exit 99 as Valkey does, at the chosen point of
// the failover.
func (s *Sentinel) simFailureCrash() {
	s.log.Warn().Msg("Sentinel CRASH because of SENTINEL simulate-failure")
	os.Exit(99)
}
