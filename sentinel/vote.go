package sentinel

import (
	"math/rand/v2"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// maxDesync is the random delay added to a failover start so that sentinels do not all ask for votes
// at the same moment (Valkey's SENTINEL_MAX_DESYNC).
const maxDesync = time.Second

// voteLocked is the receiver side of is-master-down-by-addr with a run id (spec §5.4): adopt a newer
// epoch, vote once per epoch (for the first sentinel that asks), and when voting for another sentinel
// hold back our own failover start. It returns our vote for the primary and its epoch.
func (s *Sentinel) voteLocked(m *Instance, reqEpoch uint64, reqRunID string) (string, uint64) {
	if reqEpoch > s.currentEpoch {
		s.currentEpoch = reqEpoch
		s.flushConfig()
		s.eventLocked(zerolog.WarnLevel, "+new-epoch", nil, "%d", s.currentEpoch)
	}
	if m.LeaderEpoch < reqEpoch && s.currentEpoch <= reqEpoch {
		m.Leader = reqRunID
		m.LeaderEpoch = s.currentEpoch
		s.flushConfig()
		s.eventLocked(zerolog.WarnLevel, "+vote-for-leader", nil, "%s %d", m.Leader, m.LeaderEpoch)
		if !strings.EqualFold(m.Leader, s.myID) {
			m.FailoverStart = time.Now().Add(rand.N(maxDesync))
		}
	}
	return m.Leader, m.LeaderEpoch
}

// leaderLocked counts the votes of this epoch for the primary's failover and returns the winner, or ""
// (spec §5.4). Our own vote goes to the sentinel most voted for so far, else to ourselves. The winner
// needs an absolute majority of the voters (every known sentinel and us) and at least quorum votes.
func (s *Sentinel) leaderLocked(m *Instance, epoch uint64) string {
	counts := map[string]int{}
	for _, si := range m.Sentinels {
		if si.Leader != "" && si.LeaderEpoch == s.currentEpoch {
			counts[si.Leader]++
		}
	}
	winner, best := pickWinner(counts)
	candidate := winner
	if candidate == "" {
		candidate = s.myID
	}
	myVote, myEpoch := s.voteLocked(m, epoch, candidate)
	if myVote != "" && myEpoch == epoch {
		counts[myVote]++
		winner, best = pickWinner(counts)
	}
	voters := len(m.Sentinels) + 1
	if winner == "" || best < voters/2+1 || best < m.Quorum {
		return ""
	}
	return winner
}

// pickWinner returns the run id with most votes; ties go to the smaller run id so every sentinel
// computing the same counts picks the same winner.
func pickWinner(counts map[string]int) (string, int) {
	winner, best := "", 0
	for id, n := range counts {
		if n > best || (n == best && id < winner) {
			winner, best = id, n
		}
	}
	return winner, best
}
