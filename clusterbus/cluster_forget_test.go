package clusterbus

import (
	"encoding/binary"
	"testing"
)

// deliverAt is deliver at a given time (ms).
func (c *Cluster) deliverAt(t msgType, sender string, payload []byte, now int64) effects {
	var fx effects
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.processLocked(t, sender, payload, now, &fx); err != nil {
		panic(err)
	}
	_ = c.finishLocked(&fx, now)
	return fx
}

// queuedForgets lists the FORGET broadcasts waiting in c's queue as "id/ttl".
func (c *Cluster) queuedForgets() map[string]int64 {
	out := map[string]int64{}
	for _, m := range c.queue.GetBroadcasts(0, 1<<20) {
		if msgType(m[0]) == msgForget {
			p := m[envelopeLen:]
			out[string(p[:IDLen])] = int64(binary.BigEndian.Uint64(p[IDLen:]))
		}
	}
	return out
}

// A FORGET from a known node removes the node here too and bans it for the time the message says: its
// records, relayed or its own, and its MEETs are ignored until the ban ends; the news is passed on. A
// node does not forget itself or its primary, and ignores a FORGET from a stranger.
func TestBusForgetPassedOn(t *testing.T) {
	c := clBare(t)
	c.host = &clHost{}
	for i := 2; i <= 4; i++ {
		c.meetFrom(clRec(i, 1, uint64(i), -1, -2))
	}
	if err := c.Do(func(st *State) error { _, err := st.Replicate(clID(4), false); return err }); err != nil {
		t.Fatal(err)
	}
	now := nowMS()
	forget := func(id string, ttl uint64) []byte {
		return binary.BigEndian.AppendUint64([]byte(id), ttl)
	}
	c.deliverAt(msgForget, clID(9), forget(clID(3), 60000), now)
	if c.st.Lookup(clID(3)) == nil {
		t.Fatal("a FORGET from a stranger was applied")
	}
	fx := c.deliverAt(msgForget, clID(2), forget(clID(3), 30000), now)
	if c.st.Lookup(clID(3)) != nil {
		t.Fatal("FORGET passed on by a known node not applied")
	}
	if ttl, ok := c.st.BlacklistTTL(clID(3), now); !ok || ttl != 30000 {
		t.Fatalf("ban of %d ms (%v), want the 30000 the message carries", ttl, ok)
	}
	if len(fx.forgets) != 1 || fx.forgets[0] != (forgotten{clID(3), 30000}) {
		t.Fatalf("the FORGET is not passed on: %+v", fx.forgets)
	}
	if got := c.queuedForgets(); got[clID(3)] != 30000 {
		t.Fatalf("no FORGET broadcast queued: %v", got)
	}
	// Gossip about the node, relayed or its own MEET, does not bring it back during the ban.
	c.deliverAt(msgRecord, clID(2), clRec(3, 5, 3, -1, -2).encode(nil), now+1000)
	meet := encodeState(msgMeet, clID(3), 7, [][]byte{clRec(3, 6, 3, -1, -2).encode(nil)})
	c.deliverAt(msgMeet, clID(3), meet[envelopeLen:], now+2000)
	if c.st.Lookup(clID(3)) != nil {
		t.Fatal("a forgotten node came back during its ban")
	}
	// Myself and my primary are never forgotten that way.
	c.deliverAt(msgForget, clID(2), forget(clID(1), 60000), now)
	c.deliverAt(msgForget, clID(2), forget(clID(4), 60000), now)
	if c.st.Lookup(clID(1)) == nil || c.st.Lookup(clID(4)) == nil {
		t.Fatal("myself or my primary forgotten")
	}
	// After the ban, gossip may add the node again.
	c.deliverAt(msgRecord, clID(2), clRec(3, 7, 3, -1, -2).encode(nil), now+30001)
	if c.st.Lookup(clID(3)) == nil {
		t.Fatal("the node could not come back after its ban")
	}
	// A ban longer than CLUSTER FORGET's own is cut to it.
	c.deliverAt(msgForget, clID(2), forget(clID(3), 1<<40), now+30001)
	if ttl, ok := c.st.BlacklistTTL(clID(3), now+30001); !ok || ttl != ForgetTTL {
		t.Fatalf("ban of %d ms (%v), want %d", ttl, ok, ForgetTTL)
	}
}

// Cluster.Forget is CLUSTER FORGET: the node goes, its id is banned for ForgetTTL, and a FORGET for the
// whole ban is broadcast; State.Forget's errors come back unchanged.
func TestClusterForgetBroadcasts(t *testing.T) {
	c := clBare(t)
	c.host = &clHost{}
	c.meetFrom(clRec(2, 1, 2, -1, -2))
	if err := c.Forget(clID(2)); err != nil {
		t.Fatal(err)
	}
	if c.st.Lookup(clID(2)) != nil || !c.st.IsBlacklisted(clID(2), nowMS()) {
		t.Fatal("CLUSTER FORGET did not remove and ban the node")
	}
	if ttl := c.queuedForgets()[clID(2)]; ttl <= ForgetTTL-1000 || ttl > ForgetTTL {
		t.Fatalf("FORGET broadcast with a ban of %d ms, want about %d", ttl, ForgetTTL)
	}
	wantErr(t, "FORGET myself", c.Forget(clID(1)), "ERR I tried hard but I can't forget myself...")
	wantErr(t, "FORGET unknown", c.Forget(clID(8)), "ERR Unknown node "+clID(8))
}
