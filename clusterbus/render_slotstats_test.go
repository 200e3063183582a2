package clusterbus

import (
	"reflect"
	"testing"
)

func TestParseSlotStats(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want SlotStatsQuery
		err  string
	}{
		{in: "slotsrange 0 16383", want: SlotStatsQuery{end: 16383, limit: NumSlots}},
		{in: "SLOTSRANGE 5 5", want: SlotStatsQuery{start: 5, end: 5, limit: NumSlots}},
		{in: "orderby key-count", want: SlotStatsQuery{ordered: true, limit: NumSlots}},
		{in: "ORDERBY KEY-COUNT LIMIT 3 ASC", want: SlotStatsQuery{ordered: true, limit: 3, asc: true}},
		{in: "orderby key-count desc limit 16384", want: SlotStatsQuery{ordered: true, limit: NumSlots}},
		{in: "slotsrange", err: "ERR wrong number of arguments for 'cluster|slot-stats' command"},
		{in: "slotsrange 5 4", err: "ERR Start slot number 5 is greater than end slot number 4"},
		{in: "slotsrange 0 16384", err: "ERR Invalid or out of range slot"},
		{in: "slotsrange 0 1 2", err: "ERR unknown subcommand or wrong number of arguments for 'Slot-Stats'. Try CLUSTER HELP."},
		{in: "nothing 1", err: "ERR unknown subcommand or wrong number of arguments for 'Slot-Stats'. Try CLUSTER HELP."},
		{in: "orderby cpu-usec", err: "ERR Unrecognized sort metric for ORDERBY."},
		{in: "orderby key-count limit 0", err: "ERR Limit has to lie in between 1 and 16384 (maximum number of slots)."},
		{in: "orderby key-count limit x", err: "ERR Limit has to lie in between 1 and 16384 (maximum number of slots)."},
		{in: "orderby key-count limit", err: "ERR syntax error"},
		{in: "orderby key-count sideways", err: "ERR syntax error"},
		{in: "orderby key-count asc desc", err: "ERR Multiple filters of the same type are disallowed."},
		{in: "orderby key-count limit 1 limit 2", err: "ERR Multiple filters of the same type are disallowed."},
	} {
		got, err := ParseSlotStats("Slot-Stats", args(tc.in))
		if tc.err != "" {
			wantErr(t, tc.in, err, tc.err)
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

// The reply covers this node's shard only: a primary's own slots, a replica's primary's slots.
func TestSlotStatsReply(t *testing.T) {
	s := testState(t)
	assign(t, s, s.Myself(), "10-14")
	other := addPrimary(t, s, 2, 2, "0-9", "15-100")
	keys := map[int]int{10: 3, 11: 0, 12: 7, 13: 3, 14: 1, 50: 99}
	count := func(slot int) int { return keys[slot] }
	entry := func(slot, n int) Reply { return Array{Int(slot), Map{{"key-count", Int(n)}}} }
	q := func(s string) SlotStatsQuery {
		q, err := ParseSlotStats("slot-stats", args(s))
		if err != nil {
			t.Fatal(err)
		}
		return q
	}
	for _, tc := range []struct {
		q    string
		want Array
	}{
		{"slotsrange 0 16383", Array{entry(10, 3), entry(11, 0), entry(12, 7), entry(13, 3), entry(14, 1)}},
		{"slotsrange 12 60", Array{entry(12, 7), entry(13, 3), entry(14, 1)}},
		{"slotsrange 0 9", Array{}},
		{"orderby key-count", Array{entry(12, 7), entry(10, 3), entry(13, 3), entry(14, 1), entry(11, 0)}},
		{"orderby key-count limit 2", Array{entry(12, 7), entry(10, 3)}},
		{"orderby key-count asc limit 3", Array{entry(11, 0), entry(14, 1), entry(10, 3)}},
	} {
		if got := s.SlotStatsReply(q(tc.q), count); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got  %v\n want %v", tc.q, got, tc.want)
		}
	}
	// As a replica of the other primary, the node reports that primary's slots.
	s.delNodeSlots(s.Myself())
	if _, err := s.Replicate(other.ID, false); err != nil {
		t.Fatal(err)
	}
	if got, want := s.SlotStatsReply(q("orderby key-count limit 1"), count), (Array{entry(50, 99)}); !reflect.DeepEqual(got, want) {
		t.Errorf("replica: %v, want %v", got, want)
	}
}
