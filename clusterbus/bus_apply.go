package clusterbus

import (
	"encoding/binary"
	"slices"
)

// Applying what other nodes say: Valkey's clusterProcessPacket rules for the header of a PING/PONG
// (epochs, role, claimed slots, stale claims answered with an UPDATE, config epoch collisions) and for
// its gossip section (failure reports), fed by node records instead.

// applyRecords applies a batch of records (a state exchange or a MEET), primaries first so that
// replicas find their primary already known. It returns the records that were news.
func (c *Cluster) applyRecords(recs []decodedRecord, now int64, fx *effects) []decodedRecord {
	slices.SortStableFunc(recs, func(a, b decodedRecord) int {
		pa, pb := a.rec.Flags&FlagPrimary != 0, b.rec.Flags&FlagPrimary != 0
		switch {
		case pa == pb:
			return 0
		case pa:
			return -1
		}
		return 1
	})
	var fresh []decodedRecord
	for _, r := range recs {
		if c.applyRecordLocked(r.rec, r.raw, now, false, fx) {
			fresh = append(fresh, r)
		}
	}
	return fresh
}

// applyRecordLocked folds one record into the state. Records about this node are ignored, as are
// records of forgotten nodes and, unless force (an UPDATE), records no newer than the one already
// applied. It reports whether the record was applied.
func (c *Cluster) applyRecordLocked(r *nodeRecord, raw []byte, now int64, force bool, fx *effects) bool {
	st := c.st
	me := st.Myself()
	if r.ID == me.ID || st.IsBlacklisted(r.ID, now) {
		return false
	}
	if old, ok := c.recs[r.ID]; ok && old.version >= r.Version && !force {
		return false
	}
	if old, ok := c.recs[r.ID]; !ok || old.version < r.Version {
		c.recs[r.ID] = storedRecord{r.Version, slices.Clone(raw)}
	}
	fx.updateState = true
	n := st.Lookup(r.ID)
	if n == nil {
		n = NewNode(r.ID, r.ShardID, r.Flags&(FlagPrimary|FlagReplica|FlagNoFailover))
		n.ConfigEpoch = r.ConfigEpoch
		if err := st.AddNode(n); err != nil {
			c.log.Warn().Err(err).Msg("Cluster bus: cannot add node")
			return false
		}
		c.lastAlive[n.ID] = now
		fx.save = true
		c.log.Debug().Str("node", n.ID).Str("addr", r.IP).Int("bus_port", r.BusPort).Msg("Cluster bus learnt a new node")
	}
	if c.updateAddress(n, r) {
		fx.save = true
	}
	n.ReplOffset = r.ReplOffset
	cur := st.CurrentEpoch
	if st.ObserveEpochs(n, r.CurrentEpoch, r.ConfigEpoch) || st.CurrentEpoch != cur {
		fx.save = true
	}
	if c.updateRole(n, r) {
		fx.save = true
	}
	if n.IsPrimary() {
		c.applyClaimsLocked(n, r, now, fx)
	}
	c.applyFailureReportsLocked(n, r, now, fx)
	return true
}

// updateAddress copies the address fields of r into n; it reports a change.
func (c *Cluster) updateAddress(n *Node, r *nodeRecord) bool {
	before := *n
	if r.IP != "" {
		n.IP = r.IP
	}
	n.TCPPort, n.TLSPort, n.BusPort = r.TCPPort, r.TLSPort, r.BusPort
	n.Hostname, n.HumanNodename = r.Hostname, r.HumanNodename
	n.ClientIPv4, n.ClientIPv6 = r.ClientIPv4, r.ClientIPv6
	n.Flags = n.Flags&^FlagNoFailover | r.Flags&FlagNoFailover
	return n.IP != before.IP || n.TCPPort != before.TCPPort || n.TLSPort != before.TLSPort ||
		n.BusPort != before.BusPort || n.Hostname != before.Hostname || n.HumanNodename != before.HumanNodename ||
		n.ClientIPv4 != before.ClientIPv4 || n.ClientIPv6 != before.ClientIPv6 || n.Flags != before.Flags
}

// updateRole applies the role r announces: a replica turned primary (a failover), a primary turned
// replica (it loses its slots here, as in Valkey), or a replica that switched primaries. It reports a
// change.
func (c *Cluster) updateRole(n *Node, r *nodeRecord) bool {
	st := c.st
	changed := false
	switch {
	case r.Flags&FlagPrimary != 0:
		if !n.IsPrimary() {
			st.SetNodeAsPrimary(n)
			changed = true
		}
	case r.Flags&FlagReplica != 0:
		p := st.Lookup(r.PrimaryID)
		if p == n {
			p = nil
		}
		if n.IsPrimary() && n.NumSlots() > 0 {
			st.delNodeSlots(n)
		}
		if !n.IsReplica() || (p != nil && n.Primary() != p) {
			if err := st.SetNodeAsReplica(n, p); err == nil {
				changed = true
			}
		}
	}
	if n.ShardID != r.ShardID && (n.IsPrimary() || n.Primary() == nil) {
		n.ShardID = r.ShardID
		changed = true
	}
	return changed
}

// applyClaimsLocked applies the slots the primary n claims in r: the highest config epoch wins each
// slot. A claim older than what this node knows is answered with an UPDATE carrying the newer owner's
// record; two primaries on the same config epoch are told apart.
func (c *Cluster) applyClaimsLocked(n *Node, r *nodeRecord, now int64, fx *effects) {
	st := c.st
	me := st.Myself()
	up := st.ApplySlotClaims(n, &r.Slots, r.ConfigEpoch, nil)
	if len(up.Rebound) > 0 {
		fx.save = true
	}
	if up.NewPrimary != nil {
		c.log.Info().Str("primary", up.NewPrimary.ID).
			Msg("Configuration change detected. Reconfiguring myself as a replica of " + up.NewPrimary.ID)
		fx.replicate = c.hostAddrLocked(up.NewPrimary)
		fx.save = true
		c.fo.reset()
	} else if len(up.Lost) > 0 && me.IsPrimary() {
		fx.lostSlots = append(fx.lostSlots, up.Lost...)
	}
	if owner := st.StaleClaim(n, &r.Slots, r.ConfigEpoch); owner != nil {
		raw := c.selfRaw
		if owner != me {
			raw = c.recs[owner.ID].raw
		}
		if raw != nil {
			c.log.Debug().Str("node", n.ID).Str("owner", owner.ID).Msg("Cluster bus: sending UPDATE about a stale slot claim")
			fx.sends = append(fx.sends, outMsg{n.IP, n.BusPort, recordMsg(msgUpdate, me.ID, raw)})
		}
	}
	if st.HandleConfigEpochCollision(n) {
		c.log.Info().Str("node", n.ID).Uint64("config_epoch", me.ConfigEpoch).
			Msg("WARNING: configEpoch collision with node " + n.ID + ". configEpoch changed")
		fx.save = true
	}
}

// applyFailureReportsLocked treats r's failing list as the failure reports of its author (they only
// count when it is a primary): a node listed gets a report, possibly turning FAIL; a known node not
// listed loses it.
func (c *Cluster) applyFailureReportsLocked(author *Node, r *nodeRecord, now int64, fx *effects) {
	st := c.st
	if !author.IsPrimary() {
		return
	}
	listed := make(map[string]bool, len(r.Failing))
	for _, id := range r.Failing {
		listed[id] = true
		f := st.Lookup(id)
		if f == nil || f.IsMyself() || f == author {
			continue
		}
		st.AddFailureReport(f, author, now)
		if st.MarkFailingIfNeeded(f, now) {
			c.markedFailLocked(f, fx)
		}
	}
	for _, f := range st.Nodes() {
		if !listed[f.ID] && f != author && !f.IsMyself() {
			st.DelFailureReport(f, author, now)
		}
	}
}

// markedFailLocked follows a node turning FAIL here by agreement: tell everybody.
func (c *Cluster) markedFailLocked(f *Node, fx *effects) {
	c.log.Info().Str("node", f.ID).Msg("Marking node " + f.ID + " as failing (quorum reached).")
	fx.fails = append(fx.fails, f.ID)
	fx.save, fx.updateState = true, true
}

// handleMessage processes one bus message or push/pull state.
func (c *Cluster) handleMessage(b []byte) {
	t, sender, payload, err := parseEnvelope(b)
	if err != nil {
		c.log.Debug().Err(err).Msg("Cluster bus: dropped a malformed message")
		return
	}
	c.statsMu.Lock()
	c.stats.Received[t.valkeyMsgType()]++
	c.statsMu.Unlock()
	now := nowMS()
	var fx effects
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	if err := c.processLocked(t, sender, payload, now, &fx); err != nil {
		c.log.Debug().Err(err).Str("sender", sender).Msg("Cluster bus: dropped a malformed message")
	}
	saveErr := c.finishLocked(&fx, now)
	c.mu.Unlock()
	_ = saveErr // logged by finishLocked; the bus goes on, as Valkey would after a failed save
	c.dispatch(&fx)
}

// processLocked dispatches a message by type. Only MEET and the reply to a MEET of ours are accepted
// from a sender this node does not know.
func (c *Cluster) processLocked(t msgType, sender string, p []byte, now int64, fx *effects) error {
	st := c.st
	me := st.Myself()
	if sender == me.ID {
		return nil
	}
	known := st.Lookup(sender) != nil && !st.IsBlacklisted(sender, now)
	switch t {
	case msgMeet, msgMeetReply:
		nonce, recs, err := decodeState(p)
		if err != nil {
			return err
		}
		return c.handleMeetLocked(t, sender, known, nonce, recs, now, fx)
	}
	if !known {
		return nil
	}
	switch t {
	case msgRecord, msgUpdate:
		r, err := decodeRecord(p)
		if err != nil {
			return err
		}
		if c.applyRecordLocked(r, p, now, t == msgUpdate, fx) && t == msgRecord {
			fx.relays = append(fx.relays, relay{r.ID, p})
		}
	case msgState:
		_, recs, err := decodeState(p)
		if err != nil {
			return err
		}
		c.applyRecords(recs, now, fx)
	case msgFail:
		if len(p) != IDLen {
			return errShortRecord
		}
		id := string(p)
		if f := st.Lookup(id); f != nil && st.MarkFailed(f, now) {
			c.log.Info().Str("node", id).Str("sender", sender).
				Msg("FAIL message received from " + sender + " about " + id)
			fx.fails = append(fx.fails, id) // pass it on
			fx.save, fx.updateState = true, true
		}
	case msgAuthRequest:
		r, err := decodeRecord(p)
		if err != nil {
			return err
		}
		c.handleAuthRequestLocked(r, p, now, fx)
	case msgAuthAck:
		if len(p) != 8 {
			return errShortRecord
		}
		c.handleAuthAckLocked(sender, binary.BigEndian.Uint64(p))
	case msgMFStart, msgMFOffset, msgMFAuthReq:
		return c.processManualLocked(t, sender, p, now, fx)
	case msgForget:
		return c.handleForgetLocked(sender, p, now, fx)
	}
	return nil
}
