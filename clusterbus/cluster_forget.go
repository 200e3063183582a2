package clusterbus

import (
	"encoding/binary"
	"fmt"
)

// CLUSTER FORGET removes a node and bans its id for ForgetTTL, so that gossip from nodes that still know
// it does not add it back. As in Valkey (the forgotten-node extension of its PING, spec §4.6), the node
// that ran FORGET tells the others, which forget the node too for what is left of the ban and pass the
// news on; a node never forgets itself or its own primary that way.

// forgotten is a ban to tell the other nodes about: the node id and the ms left of it.
type forgotten struct {
	id  string
	ttl int64
}

// forgetMsg says: forget node id, and keep it out for ttl ms.
func forgetMsg(sender, id string, ttl int64) []byte {
	b := appendID(envelope(msgForget, sender, IDLen+8), id)
	return binary.BigEndian.AppendUint64(b, uint64(max(ttl, 0)))
}

// Forget is CLUSTER FORGET id: State.Forget here (the node goes, its id is banned for ForgetTTL) and
// the ban is broadcast so that every node forgets it. State.Forget's errors are returned as they are.
func (c *Cluster) Forget(id string) error {
	return c.do(func(st *State, fx *effects) error {
		now := nowMS()
		if err := st.Forget(id, now); err != nil {
			return err
		}
		delete(c.lastAlive, id)
		if ttl, ok := st.BlacklistTTL(id, now); ok {
			fx.forgets = append(fx.forgets, forgotten{id, ttl})
		}
		c.log.Info().Str("node", id).Msg("Node " + id + " forgotten (CLUSTER FORGET): banned for 60 s, telling the cluster")
		return nil
	})
}

// handleForgetLocked applies another node's FORGET: a node known here (other than myself and my
// primary) is removed and banned for the ttl the message carries (at most ForgetTTL), and the news is
// passed on. Valkey likewise ignores a forgotten-node entry about a node it does not know.
func (c *Cluster) handleForgetLocked(sender string, p []byte, now int64, fx *effects) error {
	if len(p) != IDLen+8 {
		return fmt.Errorf("clusterbus: FORGET message of %d bytes", len(p))
	}
	id := string(p[:IDLen])
	ttl := min(int64(binary.BigEndian.Uint64(p[IDLen:])), ForgetTTL)
	st := c.st
	me := st.Myself()
	n := st.Lookup(id)
	if n == nil || n == me || (me.IsReplica() && me.Primary() == n) || ttl <= 0 {
		return nil
	}
	st.Blacklist(id, now+ttl)
	st.RemoveNode(n)
	delete(c.recs, id)
	delete(c.lastAlive, id)
	c.log.Info().Str("node", id).Str("sender", sender).
		Msg("Node " + id + " forgotten: CLUSTER FORGET passed on by " + sender)
	fx.save, fx.updateState = true, true
	fx.forgets = append(fx.forgets, forgotten{id, ttl})
	return nil
}
