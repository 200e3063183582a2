package clusterbus

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// Config is the part of the cluster directives the state machine's rules depend on.
type Config struct {
	// NodeTimeout is cluster-node-timeout in milliseconds: PFAIL after it, failure reports are valid for
	// twice it, and a FAIL of a slot-serving primary that nobody repaired is undone after twice it.
	NodeTimeout int64
	// RequireFullCoverage is cluster-require-full-coverage: with it, any slot unassigned or served by a
	// FAIL node puts the cluster state to fail.
	RequireFullCoverage bool
	// AllowReplicaMigration is cluster-allow-replica-migration: a primary that loses its last slot to
	// another primary becomes that primary's replica, and a replica may move to an orphaned primary
	// (see cluster_migration.go).
	AllowReplicaMigration bool
	// MigrationBarrier is cluster-migration-barrier: a replica moves to an orphaned primary only if its
	// own primary keeps more than this many working replicas.
	MigrationBarrier int64
	// TLSCluster is tls-cluster: it picks which port a nodes.conf line without port aux fields names.
	TLSCluster bool
}

// DefaultConfig is Valkey's defaults: 15 s node timeout, full coverage required, replica migration on
// with a barrier of one replica.
func DefaultConfig() Config {
	return Config{NodeTimeout: 15000, RequireFullCoverage: true, AllowReplicaMigration: true, MigrationBarrier: 1}
}

// Timing constants of Valkey's cluster state rules, in milliseconds.
const (
	// writableDelay: after start, a primary waits this long before declaring the state ok, so that it
	// can learn it was failed over before accepting writes again.
	writableDelay = 2000
	// minRejoinDelay/maxRejoinDelay bound how long a primary back from a minority partition stays
	// fail (node-timeout, clamped to these).
	minRejoinDelay = 500
	maxRejoinDelay = 5000
	// ForgetTTL is how long CLUSTER FORGET keeps a node id from being re-added by gossip.
	ForgetTTL = 60000
	// failReportValidityMult × node timeout is how long a failure report counts.
	failReportValidityMult = 2
	// failUndoTimeMult × node timeout: a FAIL primary still serving its slots gets its FAIL cleared.
	failUndoTimeMult = 2
)

// ReplyError is an error meant for the client as is: its text is the complete RESP error line without the
// leading '-', e.g. "ERR Slot 5 is already busy". Every operation of State returns these for the
// conditions Valkey reports to the client.
type ReplyError string

func (e ReplyError) Error() string { return string(e) }

func replyErrorf(format string, args ...any) ReplyError {
	return ReplyError(fmt.Sprintf(format, args...))
}

// State is this node's view of the cluster: the nodes, who owns each slot, the slots being migrated or
// imported, the epochs and the cluster state. It is a pure state machine: time is passed in (milliseconds)
// and nothing runs in the background. It has no lock of its own; the owner serialises all calls.
type State struct {
	// Config holds the directives the rules depend on; the owner may change it between calls.
	Config Config
	// Rand is the source of new node and shard ids (CLUSTER RESET HARD); crypto/rand when nil.
	Rand io.Reader
	// CurrentEpoch is the highest epoch seen in the cluster; LastVoteEpoch the epoch of this node's last
	// failover vote. Both are saved in nodes.conf.
	CurrentEpoch, LastVoteEpoch uint64

	myself    *Node
	nodes     map[string]*Node
	slots     [NumSlots]*Node // owner of each slot, nil when unassigned
	migrating [NumSlots]*Node // slot -> node it is migrating to (on myself, set by SETSLOT MIGRATING)
	importing [NumSlots]*Node // slot -> node it is imported from (SETSLOT IMPORTING)
	// ownerNotClaiming marks slots whose recorded owner has stopped claiming them (they stay bound until
	// another node claims them, to avoid a window with the slot unassigned).
	ownerNotClaiming SlotBitmap
	// blacklist holds forgotten node ids -> ms until which gossip must not re-add them.
	blacklist map[string]int64

	ok                bool  // cluster state: ok or fail (fail until the first UpdateState says ok)
	size              int   // primaries serving at least one slot, as of the last UpdateState
	updated           bool  // UpdateState has run once
	firstUpdate       int64 // ms of the first UpdateState call
	inMinority        bool  // some UpdateState found this node in a minority partition
	amongMinorityTime int64 // ms of the last UpdateState that found it so

	// gen counts the changes to what nodes.conf records (touch); durable is set by a change that must
	// reach the disk before the node replies or tells anyone (needSync).
	gen     uint64
	durable bool
	encodes uint64 // EncodeNodesConf calls, for the tests that check saves are coalesced
}

// touch records a change to what nodes.conf records: Cluster.Do saves the file only when fn touched
// the state, which spares it an encode to find out.
func (s *State) touch() { s.gen++ }

// needSync records a change that Valkey fsyncs before it goes on (new epochs, slots changing hands,
// a reset): a node that forgot it after a crash could vote twice in one epoch or claim slots it gave
// away. The owner saves with fsync before replying or sending anything.
func (s *State) needSync() {
	s.gen++
	s.durable = true
}

// takeSync reports whether a change since the last call needs an fsynced save, and forgets it.
func (s *State) takeSync() bool {
	d := s.durable
	s.durable = false
	return d
}

// NewState returns a state whose only node is myself, which must carry FlagMyself and a valid id.
func NewState(cfg Config, myself *Node) (*State, error) {
	if myself == nil || !myself.IsMyself() {
		return nil, fmt.Errorf("clusterbus: new state: myself must be flagged myself")
	}
	s := &State{Config: cfg, nodes: make(map[string]*Node), blacklist: make(map[string]int64)}
	if err := s.AddNode(myself); err != nil {
		return nil, err
	}
	s.myself = myself
	return s, nil
}

// NewFreshState returns the state of a node that starts without nodes.conf: a new primary with random
// node and shard ids read from rnd (crypto/rand when nil), knowing no other node, epochs 0.
func NewFreshState(cfg Config, rnd io.Reader) (*State, error) {
	id, err := RandomID(rnd)
	if err != nil {
		return nil, err
	}
	shard, err := RandomID(rnd)
	if err != nil {
		return nil, err
	}
	s, err := NewState(cfg, NewNode(id, shard, FlagMyself|FlagPrimary))
	if err != nil {
		return nil, err
	}
	s.Rand = rnd
	return s, nil
}

// Myself is this node.
func (s *State) Myself() *Node { return s.myself }

// Lookup finds a node by id (nil when unknown).
func (s *State) Lookup(id string) *Node { return s.nodes[id] }

// NumNodes is the number of known nodes, myself and nodes in handshake included.
func (s *State) NumNodes() int { return len(s.nodes) }

// Nodes lists all known nodes sorted by id (the order CLUSTER NODES and nodes.conf use).
func (s *State) Nodes() []*Node {
	out := make([]*Node, 0, len(s.nodes))
	for _, n := range s.nodes {
		out = append(out, n)
	}
	slices.SortFunc(out, func(a, b *Node) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// AddNode adds a node learnt from the bus (MEET, gossip) or nodes.conf. The id must be valid and new.
func (s *State) AddNode(n *Node) error {
	if !ValidID(n.ID) {
		return fmt.Errorf("clusterbus: add node: invalid node id %q", n.ID)
	}
	if _, dup := s.nodes[n.ID]; dup {
		return fmt.Errorf("clusterbus: add node: node %s already known", n.ID)
	}
	if n.IsMyself() && s.myself != nil {
		return fmt.Errorf("clusterbus: add node %s: myself is already %s", n.ID, s.myself.ID)
	}
	s.nodes[n.ID] = n
	s.touch()
	return nil
}

// RenameNode changes a node's id: a handshake node gets its real id from its first PONG.
func (s *State) RenameNode(n *Node, newID string) error {
	if s.nodes[n.ID] != n {
		return fmt.Errorf("clusterbus: rename node %s: not in this state", n.ID)
	}
	if !ValidID(newID) {
		return fmt.Errorf("clusterbus: rename node %s: invalid node id %q", n.ID, newID)
	}
	if _, dup := s.nodes[newID]; dup {
		return fmt.Errorf("clusterbus: rename node %s: node %s already known", n.ID, newID)
	}
	delete(s.nodes, n.ID)
	n.ID = newID
	s.nodes[newID] = n
	s.touch()
	return nil
}

// RemoveNode forgets a node other than myself: its slots become unassigned, migrations to or from it
// are dropped, its failure reports about others are withdrawn, and its replicas lose their primary.
func (s *State) RemoveNode(n *Node) {
	if n == s.myself || s.nodes[n.ID] != n {
		return
	}
	for j := range NumSlots {
		if s.importing[j] == n {
			s.importing[j] = nil
		}
		if s.migrating[j] == n {
			s.migrating[j] = nil
		}
		if s.slots[j] == n {
			s.delSlot(j)
		}
	}
	for _, other := range s.nodes {
		delete(other.failReports, n.ID)
		if other.primary == n {
			other.primary = nil
		}
	}
	n.primary = nil
	delete(s.nodes, n.ID)
	s.touch()
}

// SlotOwner is the node serving slot, nil when unassigned.
func (s *State) SlotOwner(slot int) *Node { return s.slots[slot] }

// MigratingTo is the node slot is being migrated to (SETSLOT MIGRATING), nil when none.
func (s *State) MigratingTo(slot int) *Node { return s.migrating[slot] }

// ImportingFrom is the node slot is being imported from (SETSLOT IMPORTING), nil when none.
func (s *State) ImportingFrom(slot int) *Node { return s.importing[slot] }

// OwnerNotClaiming reports whether the recorded owner of slot has stopped claiming it.
func (s *State) OwnerNotClaiming(slot int) bool { return s.ownerNotClaiming.Has(slot) }

// ReplicasOf lists the replicas of primary known here, sorted by id (Valkey keeps them sorted so that
// CLUSTER SLOTS and REPLICAS are stable).
func (s *State) ReplicasOf(primary *Node) []*Node {
	var out []*Node
	for _, n := range s.nodes {
		if n.primary == primary && n.IsReplica() {
			out = append(out, n)
		}
	}
	slices.SortFunc(out, func(a, b *Node) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// addSlot binds an unassigned slot to n; false if the slot already has an owner.
func (s *State) addSlot(n *Node, slot int) bool {
	if s.slots[slot] != nil {
		return false
	}
	if !n.slots.Set(slot) {
		n.numSlots++
	}
	s.slots[slot] = n
	s.ownerNotClaiming.Clear(slot)
	s.touch()
	return true
}

// delSlot unbinds slot from its owner; false if it was unassigned.
func (s *State) delSlot(slot int) bool {
	n := s.slots[slot]
	if n == nil {
		return false
	}
	if n.slots.Clear(slot) {
		n.numSlots--
	}
	s.slots[slot] = nil
	s.ownerNotClaiming.Clear(slot)
	s.touch()
	return true
}

// delNodeSlots unbinds every slot n owns and returns how many.
func (s *State) delNodeSlots(n *Node) int {
	deleted := 0
	for j := range NumSlots {
		if n.slots.Has(j) && s.delSlot(j) {
			deleted++
		}
	}
	return deleted
}

// closeAllSlots drops every migrating and importing mark.
func (s *State) closeAllSlots() {
	s.migrating = [NumSlots]*Node{}
	s.importing = [NumSlots]*Node{}
	s.touch()
}

// SetNodeAsPrimary turns n into a primary (a replica promoted, as gossip or a failover tells).
func (s *State) SetNodeAsPrimary(n *Node) {
	if n.IsPrimary() {
		return
	}
	if n.primary != nil && n != s.myself {
		n.Flags |= FlagMigrateTo
	}
	n.primary = nil
	n.Flags &^= FlagReplica
	n.Flags |= FlagPrimary
	s.touch()
}

// SetNodeAsReplica records that n (not myself: see Replicate) replicates primary, as gossip tells. The
// replica joins its primary's shard.
func (s *State) SetNodeAsReplica(n, primary *Node) error {
	if n == s.myself {
		return fmt.Errorf("clusterbus: set replica: use Replicate for myself")
	}
	if n == primary {
		return fmt.Errorf("clusterbus: set replica: node %s cannot replicate itself", n.ID)
	}
	n.Flags &^= FlagPrimary | FlagMigrateTo
	n.Flags |= FlagReplica
	n.primary = primary
	if primary != nil {
		n.ShardID = primary.ShardID
		primary.Flags |= FlagMigrateTo // it had a replica: worth one again once orphaned
	}
	s.touch()
	return nil
}

// setMyPrimary makes myself (which serves no slot) a replica of n; closeSlots also drops the migrating
// and importing marks (kept when myself just follows a failover inside its own shard).
func (s *State) setMyPrimary(n *Node, closeSlots bool) {
	me := s.myself
	me.Flags &^= FlagPrimary | FlagMigrateTo
	me.Flags |= FlagReplica
	if closeSlots {
		s.closeAllSlots()
	}
	me.primary = n
	me.ShardID = n.ShardID
	n.Flags |= FlagMigrateTo
	s.touch()
}

// maxEpoch is the largest epoch known: currentEpoch or any node's configEpoch.
func (s *State) maxEpoch() uint64 {
	m := s.CurrentEpoch
	for _, n := range s.nodes {
		m = max(m, n.ConfigEpoch)
	}
	return m
}

// IsOK reports whether the cluster state is ok (as of the last UpdateState).
func (s *State) IsOK() bool { return s.ok }

// StateString is "ok" or "fail", as CLUSTER INFO shows the state.
func (s *State) StateString() string {
	if s.ok {
		return "ok"
	}
	return "fail"
}

// Size is the number of primaries serving at least one slot, as of the last UpdateState.
func (s *State) Size() int { return s.size }

// votingPrimaries counts primaries serving slots, and those of them neither PFAIL nor FAIL.
func (s *State) votingPrimaries() (size, reachable int) {
	for _, n := range s.nodes {
		if n.IsVotingPrimary() {
			size++
			if n.Flags&(FlagFail|FlagPFail) == 0 {
				reachable++
			}
		}
	}
	return size, reachable
}

// UpdateState recomputes the cluster state at time now (ms) and reports whether it changed. The state
// is fail when full coverage is required and some slot is unassigned or served by a FAIL node, or when
// fewer than a majority of the slot-serving primaries are reachable (this node is in a minority
// partition). A primary delays turning ok for 2 s after its first call, and for node-timeout (clamped to
// 0.5–5 s) after it was last in a minority, so it learns of a failover before taking writes again.
func (s *State) UpdateState(now int64) bool {
	if !s.updated {
		s.updated, s.firstUpdate = true, now
	}
	if s.myself.IsPrimary() && !s.ok && now-s.firstUpdate < writableDelay {
		return false
	}
	newOK := true
	if s.Config.RequireFullCoverage {
		for _, n := range s.slots {
			if n == nil || n.Failed() {
				newOK = false
				break
			}
		}
	}
	size, reachable := s.votingPrimaries()
	s.size = size
	if reachable < size/2+1 {
		newOK = false
		s.inMinority, s.amongMinorityTime = true, now
	}
	if newOK == s.ok {
		return false
	}
	rejoin := min(max(s.Config.NodeTimeout, minRejoinDelay), maxRejoinDelay)
	if newOK && s.myself.IsPrimary() && s.inMinority && now-s.amongMinorityTime < rejoin {
		return false
	}
	s.ok = newOK
	return true
}
