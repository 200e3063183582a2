package clusterbus

import (
	"cmp"
	"slices"
	"strings"
)

// CLUSTER SLOT-STATS SLOTSRANGE start end | ORDERBY metric [LIMIT n] [ASC|DESC]: per slot of this node's
// shard (its own slots, or its primary's on a replica), [slot, {key-count: n}]. Valkey's other metrics
// (cpu-usec, network-bytes-in/out) exist only with cluster-slot-stats-enabled, which valkey-node does not
// have: as in Valkey with that directive off, only key-count is reported and ordered by.

// SlotStatsQuery is a parsed CLUSTER SLOT-STATS.
type SlotStatsQuery struct {
	ordered    bool // ORDERBY; else SLOTSRANGE
	start, end int  // SLOTSRANGE bounds
	limit      int  // ORDERBY's LIMIT (16384 when not given)
	asc        bool // ORDERBY ... ASC (default DESC)
}

// ParseSlotStats parses CLUSTER SLOT-STATS's arguments (after the subcommand, which sub names as the
// client typed it), with Valkey's errors.
func ParseSlotStats(sub string, args [][]byte) (SlotStatsQuery, error) {
	q := SlotStatsQuery{limit: NumSlots}
	word := func(i int) string { return strings.ToLower(string(args[i])) }
	switch {
	case len(args) < 2:
		return q, arityError("slot-stats")
	case len(args) == 3 && word(0) == "slotsrange":
		var err error
		if q.start, err = ParseSlot(args[1]); err != nil {
			return q, err
		}
		if q.end, err = ParseSlot(args[2]); err != nil {
			return q, err
		}
		if q.start > q.end {
			return q, replyErrorf("ERR Start slot number %d is greater than end slot number %d", q.start, q.end)
		}
		return q, nil
	case word(0) == "orderby":
	default:
		return q, replyErrorf("ERR unknown subcommand or wrong number of arguments for '%.128s'. Try CLUSTER HELP.", sub)
	}
	q.ordered = true
	if word(1) != "key-count" {
		return q, ReplyError("ERR Unrecognized sort metric for ORDERBY.")
	}
	limits, orders := 0, 0
	for i := 2; i < len(args); i++ {
		switch {
		case word(i) == "limit" && i+1 < len(args):
			n, ok := parseInt64(args[i+1])
			if !ok || n < 1 || n > NumSlots {
				return q, ReplyError("ERR Limit has to lie in between 1 and 16384 (maximum number of slots).")
			}
			q.limit = int(n)
			limits++
			i++
		case word(i) == "asc" || word(i) == "desc":
			q.asc = word(i) == "asc"
			orders++
		default:
			return q, ReplyError("ERR syntax error")
		}
		if limits > 1 || orders > 1 {
			return q, ReplyError("ERR Multiple filters of the same type are disallowed.")
		}
	}
	return q, nil
}

// SlotStatsReply answers q for this node's shard; keyCount gives the number of keys in a slot.
// SLOTSRANGE lists the shard's slots of the range in ascending order; ORDERBY sorts the shard's slots
// by key count (descending unless ASC), ties in ascending slot order, and keeps the first LIMIT.
func (s *State) SlotStatsReply(q SlotStatsQuery, keyCount func(slot int) int) Array {
	owner := s.myself
	if owner.IsReplica() {
		owner = owner.primary
	}
	type stat struct{ slot, keys int }
	var stats []stat
	lo, hi := 0, NumSlots-1
	if !q.ordered {
		lo, hi = q.start, q.end
	}
	for j := lo; j <= hi && owner != nil; j++ {
		if owner.slots.Has(j) {
			stats = append(stats, stat{j, keyCount(j)})
		}
	}
	if q.ordered {
		slices.SortStableFunc(stats, func(a, b stat) int {
			if q.asc {
				return cmp.Compare(a.keys, b.keys)
			}
			return cmp.Compare(b.keys, a.keys)
		})
		stats = stats[:min(len(stats), q.limit)]
	}
	out := make(Array, len(stats))
	for i, st := range stats {
		out[i] = Array{Int(st.slot), Map{{"key-count", Int(st.keys)}}}
	}
	return out
}
