package clusterbus

// Failure detection, the agreement part: a node that has not answered for node-timeout is PFAIL here
// (the bus decides that); gossip from primaries that also see it PFAIL is stored as failure reports; when
// a majority of the slot-serving primaries agree within 2×node-timeout, it becomes FAIL and the owner
// broadcasts a FAIL message, which every receiver applies at once.

// MarkPFail flags n PFAIL (it did not answer for node-timeout). It reports whether the flag was new.
func (s *State) MarkPFail(n *Node) bool {
	if n == s.myself || n.Flags&(FlagPFail|FlagFail) != 0 {
		return false
	}
	n.Flags |= FlagPFail
	s.touch()
	return true
}

// ClearPFail drops n's PFAIL flag (it answered again). It reports whether the flag was set.
func (s *State) ClearPFail(n *Node) bool {
	if !n.TimedOut() {
		return false
	}
	n.Flags &^= FlagPFail
	s.touch()
	return true
}

// AddFailureReport records, at now (ms), that reporter sees failing as PFAIL or FAIL. Only primaries'
// reports count; others are ignored. It reports whether the report is new (a repeated report only
// refreshes its time).
func (s *State) AddFailureReport(failing, reporter *Node, now int64) bool {
	if !reporter.IsPrimary() || failing == reporter {
		return false
	}
	if failing.failReports == nil {
		failing.failReports = make(map[string]int64)
	}
	_, had := failing.failReports[reporter.ID]
	failing.failReports[reporter.ID] = now
	return !had
}

// DelFailureReport withdraws reporter's report about failing (the reporter sees it healthy again). It
// reports whether there was one.
func (s *State) DelFailureReport(failing, reporter *Node, now int64) bool {
	s.cleanFailureReports(failing, now)
	if _, had := failing.failReports[reporter.ID]; !had {
		return false
	}
	delete(failing.failReports, reporter.ID)
	return true
}

// cleanFailureReports drops reports older than 2×node-timeout.
func (s *State) cleanFailureReports(n *Node, now int64) {
	maxAge := s.Config.NodeTimeout * failReportValidityMult
	for id, at := range n.failReports {
		if now-at > maxAge {
			delete(n.failReports, id)
		}
	}
}

// failureReports counts n's valid failure reports at now.
func (s *State) failureReports(n *Node, now int64) int {
	s.cleanFailureReports(n, now)
	return len(n.failReports)
}

// CountFailureReports is CLUSTER COUNT-FAILURE-REPORTS id: the number of valid failure reports about the
// node at now.
func (s *State) CountFailureReports(id string, now int64) (int, error) {
	n := s.nodes[id]
	if n == nil {
		return 0, replyErrorf("ERR Unknown node %s", id)
	}
	return s.failureReports(n, now), nil
}

// MarkFailingIfNeeded turns n from PFAIL to FAIL when the failure reports of primaries (myself included
// when it serves slots) reach a majority of the slot-serving primaries. It reports whether n became FAIL:
// the owner then broadcasts a FAIL message about it, updates the state and saves nodes.conf.
func (s *State) MarkFailingIfNeeded(n *Node, now int64) bool {
	if !n.TimedOut() || n.Failed() {
		return false
	}
	size, _ := s.votingPrimaries()
	quorum := size/2 + 1
	failures := s.failureReports(n, now)
	if s.myself.IsVotingPrimary() {
		failures++
	}
	if failures < quorum {
		return false
	}
	n.Flags &^= FlagPFail
	n.Flags |= FlagFail
	n.FailTime = now
	s.touch()
	return true
}

// MarkFailed applies a FAIL message about n received at now: n is FAIL from here on too. It reports
// whether that changed anything (myself and nodes already FAIL are left alone).
func (s *State) MarkFailed(n *Node, now int64) bool {
	if n.Flags&(FlagFail|FlagMyself) != 0 {
		return false
	}
	n.Flags &^= FlagPFail
	n.Flags |= FlagFail
	n.FailTime = now
	s.touch()
	return true
}

// ClearFailureIfNeeded is called when a FAIL node is reachable again, at now: the FAIL flag goes at once
// for replicas and primaries without slots, and for a primary still serving slots only when the FAIL is
// older than 2×node-timeout (nobody failed it over, so it had better serve them again). It reports
// whether the flag was cleared.
func (s *State) ClearFailureIfNeeded(n *Node, now int64) bool {
	if !n.Failed() {
		return false
	}
	if n.IsVotingPrimary() && now-n.FailTime <= s.Config.NodeTimeout*failUndoTimeMult {
		return false
	}
	n.Flags &^= FlagFail
	s.touch()
	return true
}
