package sentinel

import "fmt"

// quorumCheck is what SENTINEL CKQUORUM finds about a primary.
type quorumCheck struct {
	usable   int  // sentinels that could vote now: this one and the others not down nor disconnected
	quorum   bool // usable ≥ the primary's quorum: an ODOWN can be agreed
	majority bool // usable ≥ voters/2+1: a leader can be elected and authorise a failover
}

// checkQuorumLocked counts the sentinels that could take part in a failover of m now (spec §5.5).
func (s *Sentinel) checkQuorumLocked(m *Instance) quorumCheck {
	usable := 1 // this sentinel
	for _, se := range m.Sentinels {
		if se.Flags&(FlagSDown|FlagODown) != 0 || se.link == nil || se.link.disconnected() {
			continue
		}
		usable++
	}
	voters := len(m.Sentinels) + 1
	return quorumCheck{usable: usable, quorum: usable >= m.Quorum, majority: usable >= voters/2+1}
}

// reply is the CKQUORUM answer: a status line when both hold, else a NOQUORUM error naming what fails.
func (q quorumCheck) reply() (status string, errText string) {
	if q.quorum && q.majority {
		return fmt.Sprintf("OK %d usable Sentinels. Quorum and failover authorization can be reached", q.usable), ""
	}
	e := fmt.Sprintf("NOQUORUM %d usable Sentinels. ", q.usable)
	if !q.quorum {
		e += "Not enough available Sentinels to reach the specified quorum for this master"
	}
	if !q.majority {
		if !q.quorum {
			e += ". "
		}
		e += "Not enough available Sentinels to reach the majority and authorize a failover"
	}
	return "", e
}
