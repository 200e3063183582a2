package server

import (
	"github.com/valkey-node/valkey-node/clusterbus"
	"github.com/valkey-node/valkey-node/server/keyspace"
)

// slotKeyCounts counts the keys of every slot of database 0 (cluster mode has one), for CLUSTER
// SLOT-STATS, which may ask about all 16384 slots at once: from the per-slot index when the database
// keeps one, else in one walk of the keys. Lock held.
func (s *Server) slotKeyCounts() *[clusterbus.NumSlots]int {
	var counts [clusterbus.NumSlots]int
	db := s.dbs[0]
	if db.HasSlotIndex() {
		for slot := range counts {
			counts[slot] = db.CountKeysInSlot(slot)
		}
		return &counts
	}
	db.Range(func(k string, _ *keyspace.Object) bool {
		counts[clusterbus.KeySlotString(k)]++
		return true
	})
	return &counts
}
