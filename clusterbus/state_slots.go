package clusterbus

import (
	"strings"

	"github.com/valkey-node/valkey-node/server/keyspace"
)

// Argument lists given to State's command methods are the arguments after the subcommand name, e.g. for
// "CLUSTER ADDSLOTS 1 2" the method gets ["1", "2"].

// parseInt64 parses a decimal integer the way Valkey's string2ll does (one rule for the whole node).
func parseInt64(b []byte) (int64, bool) { return keyspace.ParseInt(b) }

// arityError is the command table's error for a wrong argument count of CLUSTER <sub>.
func arityError(sub string) ReplyError {
	return replyErrorf("ERR wrong number of arguments for 'cluster|%s' command", sub)
}

const errNotInteger = ReplyError("ERR value is not an integer or out of range")

// ParseSlot parses a slot argument: an integer in 0..16383, else "ERR Invalid or out of range slot".
func ParseSlot(arg []byte) (int, error) {
	v, ok := parseInt64(arg)
	if !ok || v < 0 || v >= NumSlots {
		return 0, ReplyError("ERR Invalid or out of range slot")
	}
	return int(v), nil
}

// checkSlots validates that every slot of start..end can be added (unassigned) or deleted (assigned)
// and was not named before in the same command; marks records the slots named so far.
func (s *State) checkSlots(marks *SlotBitmap, del bool, start, end int) error {
	for slot := start; slot <= end; slot++ {
		switch {
		case del && s.slots[slot] == nil:
			return replyErrorf("ERR Slot %d is already unassigned", slot)
		case !del && s.slots[slot] != nil:
			return replyErrorf("ERR Slot %d is already busy", slot)
		}
		if marks.Set(slot) {
			return replyErrorf("ERR Slot %d specified multiple times", slot)
		}
	}
	return nil
}

// updateSlots assigns the marked slots to myself or unassigns them. Either way an import of the slot is
// over: myself now owns it, or nobody does.
func (s *State) updateSlots(marks *SlotBitmap, del bool) {
	for j := range NumSlots {
		if !marks.Has(j) {
			continue
		}
		s.importing[j] = nil
		if del {
			s.delSlot(j)
		} else {
			s.addSlot(s.myself, j)
		}
	}
}

// AddSlots is CLUSTER ADDSLOTS slot...: assigns unassigned slots to myself. All slots are validated
// before any is assigned.
func (s *State) AddSlots(args [][]byte) error { return s.slotsCommand("addslots", args, false) }

// DelSlots is CLUSTER DELSLOTS slot...: makes assigned slots unassigned (whoever owned them).
func (s *State) DelSlots(args [][]byte) error { return s.slotsCommand("delslots", args, true) }

func (s *State) slotsCommand(sub string, args [][]byte, del bool) error {
	if len(args) == 0 {
		return arityError(sub)
	}
	slots := make([]int, len(args))
	for i, a := range args {
		slot, err := ParseSlot(a)
		if err != nil {
			return err
		}
		slots[i] = slot
	}
	var marks SlotBitmap
	for _, slot := range slots {
		if err := s.checkSlots(&marks, del, slot, slot); err != nil {
			return err
		}
	}
	s.updateSlots(&marks, del)
	return nil
}

// AddSlotsRange is CLUSTER ADDSLOTSRANGE start end [start end ...].
func (s *State) AddSlotsRange(args [][]byte) error {
	return s.slotsRangeCommand("addslotsrange", args, false)
}

// DelSlotsRange is CLUSTER DELSLOTSRANGE start end [start end ...].
func (s *State) DelSlotsRange(args [][]byte) error {
	return s.slotsRangeCommand("delslotsrange", args, true)
}

func (s *State) slotsRangeCommand(sub string, args [][]byte, del bool) error {
	if len(args) < 2 || len(args)%2 != 0 {
		return arityError(sub)
	}
	var marks SlotBitmap
	for i := 0; i < len(args); i += 2 {
		start, err := ParseSlot(args[i])
		if err != nil {
			return err
		}
		end, err := ParseSlot(args[i+1])
		if err != nil {
			return err
		}
		if start > end {
			return replyErrorf("ERR start slot number %d is greater than end slot number %d", start, end)
		}
		if err := s.checkSlots(&marks, del, start, end); err != nil {
			return err
		}
	}
	s.updateSlots(&marks, del)
	return nil
}

// FlushSlots is CLUSTER FLUSHSLOTS: unassigns every slot of myself; the data set must be empty.
func (s *State) FlushSlots(dbHasKeys bool) error {
	if dbHasKeys {
		return ReplyError("ERR DB must be empty to perform CLUSTER FLUSHSLOTS.")
	}
	s.delNodeSlots(s.myself)
	return nil
}

// SetSlotAction is the action of CLUSTER SETSLOT.
type SetSlotAction uint8

const (
	SetSlotImporting SetSlotAction = iota + 1 // IMPORTING node-id
	SetSlotMigrating                          // MIGRATING node-id
	SetSlotStable                             // STABLE
	SetSlotNode                               // NODE node-id
)

// SetSlotCmd is a validated CLUSTER SETSLOT.
type SetSlotCmd struct {
	Slot   int
	Action SetSlotAction
	Node   *Node // target of IMPORTING, MIGRATING and NODE
	// Timeout is the TIMEOUT option in ms (0: not given): how long a primary waits for its replicas
	// to apply the command before it applies it itself.
	Timeout int64
}

// SetSlotResult is what ApplySetSlot changed beyond the slot tables, for the owner to act on.
type SetSlotResult struct {
	// NewPrimary is set when myself, a primary left without slots by SETSLOT NODE, turned into a
	// replica of that node: the owner must start replicating it.
	NewPrimary *Node
	// EpochBumped is set when myself closed an import and took a new config epoch: the owner should
	// broadcast a PONG so the cluster learns the new owner soon.
	EpochBumped bool
}

// ParseSetSlot validates CLUSTER SETSLOT slot IMPORTING|MIGRATING|NODE id | STABLE [TIMEOUT ms] against
// the current state, with Valkey's checks in Valkey's order. fromPrimary is true when the command comes
// from this node's primary over replication (a replica refuses it otherwise). hasKeys tells whether the
// data set holds keys in a slot (nil: none).
func (s *State) ParseSetSlot(args [][]byte, fromPrimary bool, hasKeys func(slot int) bool) (SetSlotCmd, error) {
	var cmd SetSlotCmd
	if len(args) < 2 {
		return cmd, arityError("setslot")
	}
	if !fromPrimary && s.myself.IsReplica() {
		return cmd, ReplyError("ERR Please use SETSLOT only with masters.")
	}
	slot, err := ParseSlot(args[0])
	if err != nil {
		return cmd, err
	}
	cmd.Slot = slot
	action := strings.ToLower(string(args[1]))
	optPos := 0
	switch {
	case action == "migrating" && len(args) >= 3:
		if s.myself.IsPrimary() && s.slots[slot] != s.myself {
			return cmd, replyErrorf("ERR I'm not the owner of hash slot %d", slot)
		}
		if cmd.Node, err = s.setSlotTarget(args[2], "ERR I don't know about node %s"); err != nil {
			return cmd, err
		}
		cmd.Action, optPos = SetSlotMigrating, 3
	case action == "importing" && len(args) >= 3:
		if s.slots[slot] == s.myself {
			return cmd, replyErrorf("ERR I'm already the owner of hash slot %d", slot)
		}
		if cmd.Node, err = s.setSlotTarget(args[2], "ERR I don't know about node %s"); err != nil {
			return cmd, err
		}
		cmd.Action, optPos = SetSlotImporting, 3
	case action == "stable":
		cmd.Action, optPos = SetSlotStable, 2
	case action == "node" && len(args) >= 3:
		if cmd.Node, err = s.setSlotTarget(args[2], "ERR Unknown node %s"); err != nil {
			return cmd, err
		}
		if s.slots[slot] == s.myself && cmd.Node != s.myself && hasKeys != nil && hasKeys(slot) {
			return cmd, replyErrorf("ERR Can't assign hashslot %d to a different node while I still hold keys for this hash slot.", slot)
		}
		cmd.Action, optPos = SetSlotNode, 3
	default:
		return cmd, ReplyError("ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP")
	}
	for i := optPos; i < len(args); {
		if !strings.EqualFold(string(args[i]), "timeout") {
			return cmd, ReplyError("ERR Invalid SETSLOT option")
		}
		if i+1 >= len(args) {
			return cmd, ReplyError("ERR Missing timeout value")
		}
		ms, ok := parseInt64(args[i+1])
		if !ok {
			return cmd, ReplyError("ERR timeout is not an integer or out of range")
		}
		if ms < 0 {
			return cmd, ReplyError("ERR timeout is negative")
		}
		cmd.Timeout = ms
		i += 2
	}
	return cmd, nil
}

// setSlotTarget looks up the node a SETSLOT names; it must be known (unknownFmt otherwise) and a primary.
func (s *State) setSlotTarget(id []byte, unknownFmt string) (*Node, error) {
	n := s.nodes[string(id)]
	if n == nil {
		return nil, replyErrorf(unknownFmt, id)
	}
	if n.IsReplica() {
		return nil, ReplyError("ERR Target node is not a master")
	}
	return n, nil
}

// ApplySetSlot carries out a SETSLOT validated by ParseSetSlot (with no state change in between).
func (s *State) ApplySetSlot(cmd SetSlotCmd, hasKeys func(slot int) bool) SetSlotResult {
	var res SetSlotResult
	slot, n := cmd.Slot, cmd.Node
	switch cmd.Action {
	case SetSlotMigrating:
		s.migrating[slot] = n
		s.touch()
	case SetSlotImporting:
		s.importing[slot] = n
		s.touch()
	case SetSlotStable:
		s.importing[slot] = nil
		s.migrating[slot] = nil
		s.touch()
	case SetSlotNode:
		// The handover must survive a crash before the reply: redis-cli's reshard goes on to tell
		// the other nodes once every SETSLOT NODE was acknowledged.
		s.needSync()
		// A migration whose keys are all gone is over once the slot has its new owner.
		if s.migrating[slot] != nil && (hasKeys == nil || !hasKeys(slot)) {
			s.migrating[slot] = nil
		}
		myPrimary := s.myself
		if s.myself.IsReplica() && s.myself.primary != nil {
			myPrimary = s.myself.primary
		}
		wasMine := s.slots[slot] == myPrimary
		s.delSlot(slot)
		s.addSlot(n, slot)
		// A primary that gave away its last slot joins the new owner as a replica (and so do its
		// replicas, which apply the SETSLOT replicated to them).
		if wasMine && n != myPrimary && myPrimary.numSlots == 0 && s.Config.AllowReplicaMigration {
			s.setMyPrimary(n, true)
			res.NewPrimary = n
		}
		// Taking the slot (myself, or my primary) ends its import; a primary then claims it under a new
		// epoch so the rest of the cluster prefers this owner.
		if (n == s.myself || n == s.myself.primary) && s.importing[slot] != nil {
			s.importing[slot] = nil
			if s.myself.IsPrimary() {
				res.EpochBumped = s.BumpEpoch()
			}
		}
	}
	return res
}

// SetSlot is ParseSetSlot followed by ApplySetSlot.
func (s *State) SetSlot(args [][]byte, fromPrimary bool, hasKeys func(slot int) bool) (SetSlotResult, error) {
	cmd, err := s.ParseSetSlot(args, fromPrimary, hasKeys)
	if err != nil {
		return SetSlotResult{}, err
	}
	return s.ApplySetSlot(cmd, hasKeys), nil
}
