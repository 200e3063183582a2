package clusterbus

// Slot ownership converges by one rule: a slot belongs to the primary that claims it under the highest
// config epoch. A PING/PONG from a primary carries the slots it claims and its epoch (an UPDATE message
// carries the same about a third node); ApplySlotClaims folds such a claim into this node's view.

// SlotUpdate is what ApplySlotClaims changed, for the owner to act on.
type SlotUpdate struct {
	// Rebound lists the slots now bound to the sender that were unassigned or owned by another node
	// (save nodes.conf and update the state when it is not empty).
	Rebound []int
	// Lost lists the slots myself served and the sender took.
	Lost []int
	// NewPrimary is set when myself must now replicate this node: myself (or the primary myself
	// replicates) lost its last slot to it, or myself turned out to be a replica of a replica.
	NewPrimary *Node
	// SameShard tells, with NewPrimary, that the new primary is in myself's shard (a failover inside
	// the shard): migrations are kept and a partial resync is worth trying.
	SameShard bool
	// DirtySlots lists lost slots that still hold keys while myself stays a primary with other slots:
	// the owner must delete the keys of these slots.
	DirtySlots []int
}

// slotUnclaimed: nobody owns the slot, or its owner stopped claiming it.
func (s *State) slotUnclaimed(slot int) bool {
	return s.slots[slot] == nil || s.ownerNotClaiming.Has(slot)
}

// ApplySlotClaims applies the claim of primary sender to the slots in claimed under senderEpoch (for a
// message from a replica, the caller passes the replica's primary and the primary's epoch). A
// claimed slot moves to the sender when it is unclaimed or its owner's config epoch is lower. A slot
// bound to the sender that it no longer claims stays bound but is marked not claimed (it moves as soon
// as anyone claims it). hasKeys tells whether the data set holds keys in a slot (nil: none). This is
// Valkey's clusterUpdateSlotsConfigWith.
func (s *State) ApplySlotClaims(sender *Node, claimed *SlotBitmap, senderEpoch uint64, hasKeys func(slot int) bool) SlotUpdate {
	var up SlotUpdate
	me := s.myself
	if sender == me {
		return up
	}
	curPrimary := me
	if !me.IsPrimary() {
		curPrimary = me.primary
	}
	senderSlots, migratedOurs := 0, 0
	var newPrimary *Node
	var dirty []int
	for j := range NumSlots {
		if !claimed.Has(j) {
			if s.slots[j] == sender {
				s.ownerNotClaiming.Set(j)
			}
			continue
		}
		senderSlots++
		owner := s.slots[j]
		if owner == sender {
			s.ownerNotClaiming.Clear(j)
			continue
		}
		if !s.slotUnclaimed(j) && owner.ConfigEpoch >= senderEpoch {
			continue
		}
		if owner == me {
			up.Lost = append(up.Lost, j)
			if hasKeys != nil && hasKeys(j) {
				dirty = append(dirty, j)
			}
		}
		if owner != nil && owner == curPrimary {
			newPrimary = sender
			migratedOurs++
		}
		// An owner change from outside myself's shard is an operator's doing: a migration out of
		// here is over. Inside the shard it is a failover, and the migration goes on.
		if s.migrating[j] != nil && sender.ShardID != me.ShardID {
			s.migrating[j] = nil
		}
		// An import follows the slot's owner within its shard, and ends if the slot left it.
		if from := s.importing[j]; from != nil && from != sender {
			if sender.ShardID == from.ShardID {
				s.importing[j] = sender
			} else {
				s.importing[j] = nil
			}
		}
		s.delSlot(j)
		s.addSlot(sender, j)
		up.Rebound = append(up.Rebound, j)
	}

	// Both without slots in the same shard: the sender with the newer epoch is the shard's primary.
	if newPrimary == nil && me.primary != sender && senderSlots == 0 && me.numSlots == 0 &&
		me.Epoch() < senderEpoch && sender.ShardID == me.ShardID {
		newPrimary = sender
	}

	switch {
	case newPrimary != nil && curPrimary != nil && curPrimary.numSlots == 0 &&
		(s.Config.AllowReplicaMigration || senderSlots == migratedOurs):
		// myself (or its primary) was failed over or emptied: follow the new owner.
		same := sender.ShardID == me.ShardID
		s.setMyPrimary(sender, !same)
		up.NewPrimary, up.SameShard = sender, same
	case me.primary != nil && me.primary.primary != nil && me.primary.primary != me:
		// A replica never replicates a replica: follow my primary's new primary. (When that would be
		// myself, after a TAKEOVER gone wrong, wait for an operator rather than loop.)
		np := me.primary.primary
		s.setMyPrimary(np, true)
		up.NewPrimary, up.SameShard = np, false
	default:
		up.DirtySlots = dirty
	}
	if len(up.Rebound) > 0 || up.NewPrimary != nil {
		s.needSync() // Valkey fsyncs a slot configuration learnt from a newer claim
	}
	return up
}

// StaleClaim checks the reverse case: sender claims some slot that this node knows is served by a
// primary with a higher config epoch. It returns the first such owner: the owner should send sender an
// UPDATE message about it. nil when the claim is not stale.
func (s *State) StaleClaim(sender *Node, claimed *SlotBitmap, senderEpoch uint64) *Node {
	for j := range NumSlots {
		if !claimed.Has(j) || s.slots[j] == sender || s.slotUnclaimed(j) {
			continue
		}
		if s.slots[j].ConfigEpoch > senderEpoch {
			return s.slots[j]
		}
	}
	return nil
}
