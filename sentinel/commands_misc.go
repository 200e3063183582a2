package sentinel

import (
	"strings"
	"time"

	"github.com/valkey-node/valkey-node/server"
)

// SIMULATE-FAILURE flags (s.simFailure); the engine crashes the process at the matching failover step.
const (
	simFailCrashAfterElection  = 1
	simFailCrashAfterPromotion = 2
)

// cmdInfoCache replies the last INFO of the named primaries (all when none is named) and of their
// replicas: name, [[age ms, info or null], …] for each, the primary's first. Unknown names are skipped.
func (s *Sentinel) cmdInfoCache(c *server.Client, args [][]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var list []*Instance
	if len(args) == 2 {
		for _, name := range s.masterOrder {
			list = append(list, s.masters[name])
		}
	} else {
		seen := map[*Instance]bool{}
		for _, a := range args[2:] {
			if m := s.masters[string(a)]; m != nil && !seen[m] {
				seen[m] = true
				list = append(list, m)
			}
		}
	}
	now := time.Now()
	w := c.W()
	w.Array(2 * len(list))
	for _, m := range list {
		w.BulkString(m.Name)
		slaves := sortedInstances(m.Slaves)
		w.Array(1 + len(slaves))
		for _, in := range append([]*Instance{m}, slaves...) {
			w.Array(2)
			w.Int(sinceMillis(now, in.InfoRefresh))
			if in.InfoText == "" {
				w.Null()
			} else {
				w.BulkString(in.InfoText)
			}
		}
	}
}

// cmdSimulateFailure arms (or, with no argument, clears) the crash points of the next failover.
func (s *Sentinel) cmdSimulateFailure(c *server.Client, args [][]byte) {
	flags := uint32(0)
	for _, a := range args[2:] {
		switch strings.ToLower(string(a)) {
		case "crash-after-election":
			flags |= simFailCrashAfterElection
		case "crash-after-promotion":
			flags |= simFailCrashAfterPromotion
		case "help":
			c.W().StringArray([]string{"crash-after-election", "crash-after-promotion"})
			return
		default:
			c.Err("ERR Unknown failure simulation specified")
			return
		}
	}
	if flags&simFailCrashAfterElection != 0 {
		s.log.Warn().Msg("Failure simulation: this Sentinel will crash after being successfully elected as failover leader")
	}
	if flags&simFailCrashAfterPromotion != 0 {
		s.log.Warn().Msg("Failure simulation: this Sentinel will crash after promoting the selected replica to primary")
	}
	s.mu.Lock()
	s.simFailure = flags
	s.mu.Unlock()
	c.W().OK()
}
