package clusterbus

import (
	"strconv"
)

// Replica migration, Valkey's rule for keeping every primary covered: a primary that serves slots and
// had replicas (FlagMigrateTo) but has no working one left is orphaned. The replicas of the primaries
// with the most working replicas then consider moving to it: the one with the smallest node id among
// them goes, provided its own primary keeps more than cluster-migration-barrier working replicas, the
// cluster state is ok, cluster-allow-replica-migration is on, and the primary has been orphaned for
// replicaMigrationDelay (so that the replicas of a primary that was just failed over have time to
// announce their new primary). Every replica decides on its own view; a race can move two replicas,
// which is harmless, as in Valkey.

// replicaMigrationDelay (ms) is how long a primary must stay orphaned before a replica moves to it
// (Valkey's CLUSTER_REPLICA_MIGRATION_DELAY).
const replicaMigrationDelay = 5000

// workingReplicas counts n's replicas that are not FAIL (Valkey's clusterCountNonFailingReplicas: a
// PFAIL replica still counts).
func (s *State) workingReplicas(n *Node) int {
	k := 0
	for _, r := range s.ReplicasOf(n) {
		if !r.Failed() {
			k++
		}
	}
	return k
}

// migrationCheck is the outcome of one look at the cluster by a replica.
type migrationCheck struct {
	target *Node // the orphaned primary to move to (nil: none, or not this node's turn)
	// refused says why the move is not made although target is set ("" = make it).
	refused string
}

// checkReplicaMigration applies the rule above at now (ms) to myself, a replica. orphanedSince keeps,
// per orphaned primary id, when it was first seen orphaned; it is updated here.
func (s *State) checkReplicaMigration(now int64, orphanedSince map[string]int64) migrationCheck {
	me := s.myself
	mine := me.primary
	if !me.IsReplica() || mine == nil {
		clear(orphanedSince)
		return migrationCheck{}
	}
	nodes := s.Nodes()
	working := make(map[*Node]int, len(nodes))
	orphans, maxReplicas := 0, 0
	for _, n := range nodes {
		if !n.IsPrimary() || n.Failed() {
			continue
		}
		k := s.workingReplicas(n)
		working[n] = k
		if k == 0 && n.numSlots > 0 && n.Flags&FlagMigrateTo != 0 {
			orphans++
		}
		maxReplicas = max(maxReplicas, k)
	}
	// Only the replicas of the best-covered primaries move, and only from a primary with at least two
	// working replicas (one of them may leave).
	if orphans == 0 || maxReplicas < 2 || working[mine] != maxReplicas {
		clear(orphanedSince)
		return migrationCheck{}
	}
	var target *Node
	candidate := me
	for _, n := range nodes {
		k := working[n] // 0 for replicas and FAIL primaries
		if n.IsPrimary() && !n.Failed() && n.Flags&FlagMigrateTo != 0 && k == 0 {
			if target == nil && n.numSlots > 0 {
				target = n
			}
			if _, ok := orphanedSince[n.ID]; !ok {
				orphanedSince[n.ID] = now
			}
		} else {
			delete(orphanedSince, n.ID)
		}
		if n.IsPrimary() && k == maxReplicas {
			for _, r := range s.ReplicasOf(n) {
				if r.ID < candidate.ID {
					candidate = r
				}
			}
		}
	}
	if target == nil || candidate != me || now-orphanedSince[target.ID] <= replicaMigrationDelay {
		return migrationCheck{}
	}
	check := migrationCheck{target: target}
	mineOK := 0
	for _, r := range s.ReplicasOf(mine) {
		if r.Flags&(FlagFail|FlagPFail) == 0 {
			mineOK++
		}
	}
	switch {
	case !s.Config.AllowReplicaMigration:
		check.refused = "cluster-allow-replica-migration is no"
	case !s.ok:
		check.refused = "the cluster state is not ok"
	case int64(mineOK) <= s.Config.MigrationBarrier:
		check.refused = "my primary would keep " + strconv.Itoa(mineOK-1) +
			" working replicas, cluster-migration-barrier is " + strconv.FormatInt(s.Config.MigrationBarrier, 10)
	}
	return check
}

// migrateReplicaLocked runs the replica migration check in the cron and moves this node when it is its
// turn. A refusal is logged once per orphaned primary and reason, so an operator sees why the orphan
// stays uncovered.
func (c *Cluster) migrateReplicaLocked(now int64, fx *effects) {
	if c.orphanedSince == nil {
		c.orphanedSince = make(map[string]int64)
	}
	check := c.st.checkReplicaMigration(now, c.orphanedSince)
	if check.target == nil {
		c.migrationRefused = ""
		return
	}
	if check.refused != "" {
		if why := check.target.ID + " " + check.refused; why != c.migrationRefused {
			c.migrationRefused = why
			c.log.Info().Str("primary", check.target.ID).Str("reason", check.refused).
				Msg("Not migrating to orphaned primary " + check.target.ID + ": " + check.refused)
		}
		return
	}
	c.migrationRefused = ""
	c.log.Info().Str("primary", check.target.ID).Msg("Migrating to orphaned primary " + check.target.ID)
	c.st.setMyPrimary(check.target, true)
	c.fo.reset()
	fx.replicate = c.hostAddrLocked(check.target)
	fx.save, fx.updateState = true, true
}
