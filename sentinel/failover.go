package sentinel

import (
	"errors"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// Errors of SENTINEL FAILOVER; the surface replies "-" + Error().
var (
	errInProgress  = errors.New("INPROG Failover already in progress")
	errNoGoodSlave = errors.New("NOGOODSLAVE No suitable replica to promote")
)

// startFailoverIfNeededLocked starts a failover of an ODOWN primary unless one runs or the last attempt
// began less than 2×failover-timeout ago (voting for another sentinel counts as an attempt).
func (s *Sentinel) startFailoverIfNeededLocked(m *Instance, now time.Time) bool {
	if m.Flags&FlagODown == 0 || m.Flags&FlagFailoverInProgress != 0 {
		return false
	}
	if now.Sub(m.FailoverStart) < 2*m.FailoverTimeout {
		if !m.FailoverDelayLogged.Equal(m.FailoverStart) {
			m.FailoverDelayLogged = m.FailoverStart
			next := m.FailoverStart.Add(2 * m.FailoverTimeout)
			s.log.Info().Msgf("Next failover delay: I will not start a failover before %s",
				next.Format("Mon Jan _2 15:04:05 2006"))
		}
		return false
	}
	s.startFailoverLocked(m, now)
	return true
}

// startFailoverLocked enters wait_start in a new epoch; the start time gets a random delay of up to a
// second so that the sentinels' requests for votes spread out.
func (s *Sentinel) startFailoverLocked(m *Instance, now time.Time) {
	m.FailoverState = FailoverWaitStart
	m.Flags |= FlagFailoverInProgress
	s.currentEpoch++
	m.FailoverEpoch = s.currentEpoch
	s.eventLocked(zerolog.WarnLevel, "+new-epoch", nil, "%d", s.currentEpoch)
	s.eventLocked(zerolog.WarnLevel, "+try-failover", m, "")
	m.FailoverStart = now.Add(rand.N(maxDesync))
	m.FailoverStateChange = now
	s.flushConfig()
}

// startForcedFailoverLocked is SENTINEL FAILOVER: a failover without ODOWN, agreement or election.
func (s *Sentinel) startForcedFailoverLocked(m *Instance) error {
	if m.Flags&FlagFailoverInProgress != 0 {
		return errInProgress
	}
	if s.selectSlaveLocked(m) == nil {
		return errNoGoodSlave
	}
	s.log.Info().Msgf("Executing user requested FAILOVER of '%s'", m.Name)
	s.startFailoverLocked(m, time.Now())
	m.Flags |= FlagForceFailover
	return nil
}

// abortFailoverLocked returns to no failover (possible up to wait_promotion; later the new primary is
// already in charge).
func (s *Sentinel) abortFailoverLocked(m *Instance, now time.Time) {
	m.Flags &^= FlagFailoverInProgress | FlagForceFailover
	m.FailoverState = FailoverNone
	m.FailoverStateChange = now
	if m.PromotedSlave != nil {
		m.PromotedSlave.Flags &^= FlagPromoted
		m.PromotedSlave = nil
	}
}

// selectSlaveLocked picks the replica to promote (spec §5.4), or nil.
func (s *Sentinel) selectSlaveLocked(m *Instance) *Instance {
	now := time.Now()
	var cands []*Instance
	for _, sl := range m.Slaves {
		if s.slaveEligible(m, sl, now) {
			cands = append(cands, sl)
		}
	}
	if len(cands) == 0 {
		return nil
	}
	sort.SliceStable(cands, func(i, j int) bool { return slaveLess(cands[i], cands[j]) })
	return cands[0]
}

// slaveEligible applies the exclusion rules: down or disconnected, no valid PING reply for 5 ping
// periods, priority 0, stale INFO, or disconnected from the primary for too long (more than the
// primary's downtime plus 10×down-after: its data is too old).
func (s *Sentinel) slaveEligible(m, sl *Instance, now time.Time) bool {
	maxMasterDown := 10 * m.DownAfter
	if m.Flags&FlagSDown != 0 {
		maxMasterDown += now.Sub(m.SDownSince)
	}
	infoValidity := 3 * s.timing.InfoPeriod
	if m.Flags&FlagSDown != 0 {
		infoValidity = 5 * s.timing.PingPeriod
	}
	switch {
	case sl.Flags&(FlagSDown|FlagODown) != 0:
		return false
	case sl.link == nil || sl.link.disconnected():
		return false
	case now.Sub(sl.LastAvailTime) > 5*s.timing.PingPeriod:
		return false
	case sl.SlavePriority == 0:
		return false
	case sl.InfoRefresh.IsZero() || now.Sub(sl.InfoRefresh) > infoValidity:
		return false
	case sl.MasterLinkDownTime > maxMasterDown:
		return false
	}
	return true
}

// slaveLess orders candidates: lower replica-priority, then larger replication offset, then smaller run
// id (an unknown run id sorts last).
func slaveLess(a, b *Instance) bool {
	if a.SlavePriority != b.SlavePriority {
		return a.SlavePriority < b.SlavePriority
	}
	if a.SlaveReplOffset != b.SlaveReplOffset {
		return a.SlaveReplOffset > b.SlaveReplOffset
	}
	switch {
	case a.RunID == "" && b.RunID == "":
		return false
	case a.RunID == "":
		return false
	case b.RunID == "":
		return true
	}
	return strings.ToLower(a.RunID) < strings.ToLower(b.RunID)
}
