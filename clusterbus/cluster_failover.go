package clusterbus

import (
	"math/rand/v2"
	"strconv"
)

// Replica failover, Valkey's automatic failover: when a replica's primary is FAIL, the replica waits
// 500 ms + random(0..500 ms) + rank × 1 s (rank 0 = the replica with the largest replication offset),
// bumps currentEpoch and asks every slot-serving primary for a vote. A primary grants one vote per
// epoch, and none for the same failed primary again within 2 × node-timeout. A replica with votes from
// a majority of the slot-serving primaries takes its primary's slots under the new epoch, becomes a
// primary and tells everybody, whose slot claims rules then do the rest (the other replicas follow it,
// the old primary turns replica when it comes back). A manual failover (cluster_manual.go) holds the
// same election at once, without waiting for a FAIL. A replica whose data is too old
// (cluster-replica-validity-factor, dataFreshLocked) does not start an automatic election.

// failover is the election state: the candidate's side and the voter's memory.
type failover struct {
	authTime  int64           // ms when the election starts (or started); 0: none scheduled
	authSent  bool            // vote requests sent for authEpoch
	authEpoch uint64          // the epoch this node asked votes for
	authRank  int             // rank when the election was scheduled
	votes     map[string]bool // primaries that voted for authEpoch
	votedFor  map[string]int64

	mf        manualFailover // the manual failover in progress (reset leaves it alone)
	mfSeq     uint64         // numbers the manual failovers a primary paused for
	mfTimeout int64          // ms; 0: manualFailoverTimeout (tests shorten it)
	dataAge   int64          // ms the link to the primary has been down, as the host last said
	// staleLogged: when the validity-factor refusal was last logged
	staleLogged int64
}

// reset forgets the candidate's side (the voter's memory stays).
func (f *failover) reset() {
	f.authTime, f.authSent, f.authEpoch, f.authRank, f.votes = 0, false, 0, 0, nil
}

// Election timing, Valkey's constants (ms).
const (
	electionFixedDelay  = 500
	electionRandomDelay = 500
	electionRankDelay   = 1000
	minAuthTimeout      = 2000
)

// replicaRankLocked is the number of replicas of myself's primary that would make better primaries:
// a larger replication offset, or the same offset and a smaller id (so that ranks are distinct).
func (c *Cluster) replicaRankLocked() int {
	me := c.st.Myself()
	rank := 0
	for _, r := range c.st.ReplicasOf(me.Primary()) {
		if r == me || r.Flags&FlagNoFailover != 0 {
			continue
		}
		if r.ReplOffset > me.ReplOffset || (r.ReplOffset == me.ReplOffset && r.ID < me.ID) {
			rank++
		}
	}
	return rank
}

// votingPrimariesLocked counts the primaries serving slots (Valkey's cluster size).
func (c *Cluster) votingPrimariesLocked() int {
	n := 0
	for _, node := range c.st.Nodes() {
		if node.IsVotingPrimary() {
			n++
		}
	}
	return n
}

// failoverLocked is Valkey's clusterHandleReplicaFailover, run by the cron: an election when the
// primary is FAIL, or at once for a manual failover that may start.
func (c *Cluster) failoverLocked(now int64, fx *effects) {
	c.manualCronLocked(now, fx)
	st := c.st
	me := st.Myself()
	p := me.Primary()
	manual := c.fo.mf.primary != "" && c.fo.mf.canStart
	if !me.IsReplica() || p == nil || p.NumSlots() == 0 {
		return
	}
	if !manual && (!p.Failed() || me.Flags&FlagNoFailover != 0) {
		return
	}
	if !manual && c.cfg.ValidityFactor > 0 && !c.dataFreshLocked() {
		return
	}
	authTimeout := max(2*c.nt, minAuthTimeout)
	if now-c.fo.authTime > 2*authTimeout {
		rank := c.replicaRankLocked()
		c.fo.reset()
		if !manual {
			// Schedule a new election; the other replicas learn this node's offset meanwhile.
			delay := electionFixedDelay + rand.Int64N(electionRandomDelay) + int64(rank)*electionRankDelay
			c.fo.authTime, c.fo.authRank = now+delay, rank
			fx.broadcastSelf = true
			c.log.Info().Int64("delay_ms", delay).Int("rank", rank).Int64("offset", me.ReplOffset).
				Msg("Start of election delayed for " + strconv.FormatInt(delay, 10) + " milliseconds")
			return
		}
		// A manual failover has nobody to wait for: the operator picked this replica.
		c.fo.authTime = now
	}
	if !c.fo.authSent && !manual {
		if rank := c.replicaRankLocked(); rank > c.fo.authRank {
			c.fo.authTime += int64(rank-c.fo.authRank) * electionRankDelay
			c.fo.authRank = rank
			c.log.Info().Int("rank", rank).Msg("Replica rank updated, election delayed")
		}
	}
	if now < c.fo.authTime || now-c.fo.authTime > authTimeout {
		return // not yet, or this attempt expired: wait for the next one
	}
	if !c.fo.authSent {
		st.CurrentEpoch++
		c.fo.authEpoch, c.fo.authSent, c.fo.votes = st.CurrentEpoch, true, make(map[string]bool)
		c.log.Info().Uint64("epoch", st.CurrentEpoch).Bool("manual", manual).
			Msg("Starting a failover election for epoch " + strconv.FormatUint(st.CurrentEpoch, 10))
		c.publishSelfLocked(true) // the request carries the new currentEpoch
		t := msgAuthRequest
		if manual {
			t = msgMFAuthReq // voters grant it although the primary is not FAIL
		}
		msg := recordMsg(t, me.ID, c.selfRaw)
		for _, n := range st.Nodes() {
			if n.IsVotingPrimary() && !n.Failed() && n != me {
				fx.sends = append(fx.sends, outMsg{n.IP, n.BusPort, msg})
			}
		}
		fx.sync = true // the epoch asked for is on disk before any request leaves
		return
	}
	quorum := c.votingPrimariesLocked()/2 + 1
	if len(c.fo.votes) >= quorum {
		c.log.Info().Uint64("epoch", c.fo.authEpoch).Msg("Failover election won: I'm the new primary")
		c.promoteLocked(c.fo.authEpoch, fx)
	}
}

// promoteLocked makes myself the primary of its primary's slots under epoch (one it won, or took on its
// own for a TAKEOVER).
func (c *Cluster) promoteLocked(epoch uint64, fx *effects) {
	st := c.st
	me := st.Myself()
	old := me.Primary()
	if me.ConfigEpoch < epoch {
		me.ConfigEpoch = epoch
	}
	st.SetNodeAsPrimary(me)
	for j := range NumSlots {
		if old.HasSlot(j) {
			st.delSlot(j)
			st.addSlot(me, j)
		}
	}
	c.fo.reset()
	c.resetManualLocked()
	fx.promote, fx.sync, fx.updateState = true, true, true
	// Gossip spreads the new record; every node is also told at once (Valkey broadcasts a PONG).
	c.publishSelfLocked(true)
	msg := recordMsg(msgRecord, me.ID, c.selfRaw)
	for _, n := range st.Nodes() {
		if n != me && !n.Failed() {
			fx.sends = append(fx.sends, outMsg{n.IP, n.BusPort, msg})
		}
	}
}

// handleAuthRequestLocked is a primary's side of an election.
func (c *Cluster) handleAuthRequestLocked(r *nodeRecord, raw []byte, now int64, fx *effects) {
	c.voteLocked(r, raw, now, false, fx)
}

// voteLocked is Valkey's clusterSendFailoverAuthIfNeeded: a voting primary grants the candidate r its
// vote for the current epoch, once per epoch. manual is the request of a manual failover (FORCEACK),
// which does not need the candidate's primary to be FAIL.
func (c *Cluster) voteLocked(r *nodeRecord, raw []byte, now int64, manual bool, fx *effects) {
	st := c.st
	// The request is the candidate's record: its epochs count like those of any message.
	c.applyRecordLocked(r, raw, now, false, fx)
	me := st.Myself()
	if !me.IsVotingPrimary() {
		return
	}
	deny := func(why string) {
		c.log.Debug().Str("node", r.ID).Msg("Failover auth denied to " + r.ID + ": " + why)
	}
	if r.CurrentEpoch < st.CurrentEpoch {
		deny("its currentEpoch is older than mine")
		return
	}
	if st.LastVoteEpoch == st.CurrentEpoch {
		deny("already voted for epoch " + strconv.FormatUint(st.CurrentEpoch, 10))
		return
	}
	n := st.Lookup(r.ID)
	if n == nil || !n.IsReplica() {
		deny("it is not a replica")
		return
	}
	p := n.Primary()
	if p == nil {
		deny("I don't know its primary")
		return
	}
	if !p.Failed() && !manual {
		deny("its primary is not failed")
		return
	}
	if now-c.fo.votedFor[p.ID] < 2*c.nt {
		deny("already voted for a replica of this primary recently")
		return
	}
	for j := range NumSlots {
		if !r.Slots.Has(j) {
			continue
		}
		if owner := st.SlotOwner(j); owner != nil && owner.ConfigEpoch > r.ConfigEpoch {
			deny("slot " + strconv.Itoa(j) + " has a newer config epoch")
			return
		}
	}
	st.LastVoteEpoch = st.CurrentEpoch
	if c.fo.votedFor == nil {
		c.fo.votedFor = make(map[string]int64)
	}
	c.fo.votedFor[p.ID] = now
	fx.sync = true // the vote is on disk before the ack leaves: a restart cannot vote twice in the epoch
	fx.sends = append(fx.sends, outMsg{n.IP, n.BusPort, authAckMsg(me.ID, st.CurrentEpoch)})
	c.log.Info().Str("node", r.ID).Uint64("epoch", st.CurrentEpoch).
		Msg("Failover auth granted to " + r.ID + " for epoch " + strconv.FormatUint(st.CurrentEpoch, 10))
}

// handleAuthAckLocked counts a vote for this node's election.
func (c *Cluster) handleAuthAckLocked(sender string, epoch uint64) {
	n := c.st.Lookup(sender)
	if n == nil || !n.IsVotingPrimary() || !c.fo.authSent || epoch < c.fo.authEpoch || !c.st.Myself().IsReplica() {
		return
	}
	c.fo.votes[sender] = true
	c.poke() // the cron promotes as soon as the votes make a majority
}

// dataFreshLocked applies cluster-replica-validity-factor: as Valkey, the node-timeout it took to notice
// the failure does not count against the replica, the rest may not exceed node-timeout × factor + the
// replication ping period. The refusal is logged at most once per election period.
func (c *Cluster) dataFreshLocked() bool {
	age := c.fo.dataAge
	if age > c.nt {
		age -= c.nt
	}
	limit := c.nt*c.cfg.ValidityFactor + c.cfg.ReplPingPeriod.Milliseconds()
	if age <= limit {
		return true
	}
	now := nowMS()
	if now-c.fo.staleLogged > 2*max(2*c.nt, minAuthTimeout) {
		c.fo.staleLogged = now
		c.log.Warn().Int64("data_age_ms", age).Int64("limit_ms", limit).Msg("Disconnected from primary for longer than allowed. " +
			"Please check the 'cluster-replica-validity-factor' configuration option.")
	}
	return false
}
