package clusterbus

import (
	"fmt"
	"strconv"
	"strings"
)

// Replicate is CLUSTER REPLICATE id: myself becomes a replica of the primary id. A primary must serve no
// slot and hold no key (dbHasKeys) to do so; a replica may switch primaries freely. It returns the new
// primary, which the owner must start replicating.
func (s *State) Replicate(id string, dbHasKeys bool) (*Node, error) {
	n := s.nodes[id]
	switch {
	case n == nil:
		return nil, replyErrorf("ERR Unknown node %s", id)
	case n == s.myself:
		return nil, ReplyError("ERR Can't replicate myself")
	case n.IsReplica():
		return nil, ReplyError("ERR I can only replicate a master, not a replica.")
	case s.myself.IsPrimary() && (s.myself.numSlots != 0 || dbHasKeys):
		return nil, ReplyError("ERR To set a master the node must be empty and without assigned slots.")
	}
	s.setMyPrimary(n, true)
	return n, nil
}

// Forget is CLUSTER FORGET id at time now (ms): the node is removed and its id blacklisted for
// ForgetTTL, so that gossip from nodes that still know it does not add it back. Forgetting a node that
// is already blacklisted succeeds (another node's forget may have reached us first).
func (s *State) Forget(id string, now int64) error {
	n := s.nodes[id]
	switch {
	case n == nil:
		if s.IsBlacklisted(id, now) {
			return nil
		}
		return replyErrorf("ERR Unknown node %s", id)
	case n == s.myself:
		return ReplyError("ERR I tried hard but I can't forget myself...")
	case s.myself.IsReplica() && s.myself.primary == n:
		return ReplyError("ERR Can't forget my master!")
	}
	s.Blacklist(id, now+ForgetTTL)
	s.RemoveNode(n)
	return nil
}

// Blacklist keeps id from being added back until the given ms timestamp (a later expiry wins).
func (s *State) Blacklist(id string, until int64) {
	if until > s.blacklist[id] {
		s.blacklist[id] = until
	}
}

// cleanBlacklist drops expired entries.
func (s *State) cleanBlacklist(now int64) {
	for id, until := range s.blacklist {
		if until < now {
			delete(s.blacklist, id)
		}
	}
}

// IsBlacklisted reports whether id was forgotten and must not be re-added at time now.
func (s *State) IsBlacklisted(id string, now int64) bool {
	s.cleanBlacklist(now)
	_, ok := s.blacklist[id]
	return ok
}

// BlacklistTTL is how many ms id stays blacklisted after now (for the forgotten-node gossip), or false.
func (s *State) BlacklistTTL(id string, now int64) (int64, bool) {
	s.cleanBlacklist(now)
	until, ok := s.blacklist[id]
	return until - now, ok
}

// ParseReset parses CLUSTER RESET's arguments: none or SOFT is a soft reset, HARD a hard one.
func ParseReset(args [][]byte) (hard bool, err error) {
	switch {
	case len(args) == 0:
		return false, nil
	case len(args) > 1:
		return false, arityError("reset")
	case strings.EqualFold(string(args[0]), "hard"):
		return true, nil
	case strings.EqualFold(string(args[0]), "soft"):
		return false, nil
	}
	return false, ReplyError("ERR syntax error")
}

// ResetResult is what Reset changed that the owner must act on.
type ResetResult struct {
	// WasReplica: myself was a replica and is now an empty primary: the owner stops replicating and
	// empties the data set.
	WasReplica bool
	// NewID is myself's new node id after a hard reset ("" after a soft one).
	NewID string
}

// Reset is CLUSTER RESET [SOFT|HARD]: myself becomes a primary without slots that knows no other node,
// with no migrations and an empty forget blacklist. A hard reset also zeroes the epochs and gives myself
// new node and shard ids. A primary holding keys (dbHasKeys) refuses.
func (s *State) Reset(hard, dbHasKeys bool) (ResetResult, error) {
	var res ResetResult
	me := s.myself
	if me.IsPrimary() && dbHasKeys {
		return res, ReplyError("ERR CLUSTER RESET can't be called with master nodes containing keys")
	}
	var newID, newShard string
	if hard {
		var err error
		if newID, err = RandomID(s.Rand); err != nil {
			return res, fmt.Errorf("clusterbus: cluster reset hard: %w", err)
		}
		if newShard, err = RandomID(s.Rand); err != nil {
			return res, fmt.Errorf("clusterbus: cluster reset hard: %w", err)
		}
	}
	if me.IsReplica() {
		s.SetNodeAsPrimary(me)
		res.WasReplica = true
	}
	s.closeAllSlots()
	for j := range NumSlots {
		s.delSlot(j)
	}
	for _, n := range s.nodes {
		if n != me {
			s.RemoveNode(n)
		}
	}
	clear(s.blacklist)
	if hard {
		s.CurrentEpoch, s.LastVoteEpoch, me.ConfigEpoch = 0, 0, 0
		delete(s.nodes, me.ID)
		me.ID, me.ShardID = newID, newShard
		s.nodes[me.ID] = me
		res.NewID = newID
	}
	s.needSync()
	return res, nil
}

// SetConfigEpoch is CLUSTER SET-CONFIG-EPOCH epoch: gives a fresh node (knowing no other node, config
// epoch 0) its config epoch, so a new cluster starts without epoch collisions.
func (s *State) SetConfigEpoch(arg []byte) error {
	epoch, ok := parseInt64(arg)
	switch {
	case !ok:
		return errNotInteger
	case epoch < 0:
		return replyErrorf("ERR Invalid config epoch specified: %d", epoch)
	case len(s.nodes) > 1:
		return ReplyError("ERR The user can assign a config epoch only when the node does not know any other node.")
	case s.myself.ConfigEpoch != 0:
		return ReplyError("ERR Node config epoch is already non-zero")
	}
	s.myself.ConfigEpoch = uint64(epoch)
	s.CurrentEpoch = max(s.CurrentEpoch, uint64(epoch))
	s.needSync()
	return nil
}

// BumpEpoch gives myself a new config epoch without agreement from the cluster, unless myself already
// holds the highest epoch known (and a non-zero one): currentEpoch is incremented and becomes myself's
// config epoch. It reports whether it bumped.
func (s *State) BumpEpoch() bool {
	if s.myself.ConfigEpoch != 0 && s.myself.ConfigEpoch == s.maxEpoch() {
		return false
	}
	s.CurrentEpoch++
	s.myself.ConfigEpoch = s.CurrentEpoch
	s.needSync()
	return true
}

// BumpEpochReply is CLUSTER BUMPEPOCH: BumpEpoch, replied as the simple string "BUMPED <epoch>" or
// "STILL <epoch>".
func (s *State) BumpEpochReply() string {
	word := "STILL "
	if s.BumpEpoch() {
		word = "BUMPED "
	}
	return word + strconv.FormatUint(s.myself.ConfigEpoch, 10)
}

// HandleConfigEpochCollision resolves two primaries holding the same config epoch, told by a message
// from sender: the one with the lexicographically smaller node id moves on to a new epoch
// (currentEpoch+1), so that every primary ends up with a distinct epoch. It reports whether myself
// changed its epoch (the owner must save nodes.conf).
func (s *State) HandleConfigEpochCollision(sender *Node) bool {
	me := s.myself
	if sender.ConfigEpoch != me.ConfigEpoch || !sender.IsPrimary() || !me.IsPrimary() {
		return false
	}
	if sender.ID <= me.ID {
		return false
	}
	s.CurrentEpoch++
	me.ConfigEpoch = s.CurrentEpoch
	s.needSync()
	return true
}

// ObserveEpochs applies the epochs carried by a message from sender (not in handshake): currentEpoch
// follows the largest seen, and the sender's config epoch only grows. It reports whether sender's
// config epoch changed (the owner saves nodes.conf).
func (s *State) ObserveEpochs(sender *Node, senderCurrentEpoch, senderConfigEpoch uint64) bool {
	if sender.InHandshake() {
		return false
	}
	if senderCurrentEpoch > s.CurrentEpoch {
		s.CurrentEpoch = senderCurrentEpoch
		s.touch()
	}
	if senderConfigEpoch > sender.ConfigEpoch {
		sender.ConfigEpoch = senderConfigEpoch
		s.needSync()
		return true
	}
	return false
}
