package sentinel

import (
	"fmt"
	"strings"
	"testing"
)

// CKQUORUM counts this sentinel and every other one that is neither down nor disconnected, and needs
// both the quorum and a majority of all known sentinels (self included).
func TestCKQuorumCounting(t *testing.T) {
	st := New()
	st.mu.Lock()
	defer st.mu.Unlock()
	m, err := st.createMasterLocked("m", "127.0.0.1", 6379, 3)
	if err != nil {
		t.Fatal(err)
	}
	var others []*Instance
	for i := 0; i < 4; i++ {
		se := st.addSentinelLocked(m, "127.0.0.1", 26380+i, fmt.Sprintf("%040d", i))
		fakeUp(st, se)
		others = append(others, se)
	}
	if q := st.checkQuorumLocked(m); q != (quorumCheck{usable: 5, quorum: true, majority: true}) {
		t.Fatalf("all up: %+v", q)
	}
	others[0].Flags |= FlagSDown
	others[1].link = nil // disconnected
	if q := st.checkQuorumLocked(m); q != (quorumCheck{usable: 3, quorum: true, majority: true}) {
		t.Fatalf("one down, one disconnected: %+v", q)
	}
	others[2].Flags |= FlagODown
	// 2 usable of 5 voters: neither the quorum (3) nor the majority (3)
	if q := st.checkQuorumLocked(m); q != (quorumCheck{usable: 2, quorum: false, majority: false}) {
		t.Fatalf("three lost: %+v", q)
	}
	m.Quorum = 2
	if q := st.checkQuorumLocked(m); q != (quorumCheck{usable: 2, quorum: true, majority: false}) {
		t.Fatalf("quorum 2: %+v", q)
	}
}

func TestCKQuorumReplies(t *testing.T) {
	n := surfStartIdle(t, "sentinel monitor alone 127.0.0.1 1 1\n"+
		"sentinel monitor pair 127.0.0.1 2 2\nsentinel known-sentinel pair 127.0.0.1 26380 "+idB+"\n"+
		"sentinel monitor trio 127.0.0.1 3 1\nsentinel known-sentinel trio 127.0.0.1 26380 "+idB+"\n"+
		"sentinel known-sentinel trio 127.0.0.1 26381 "+strings.Repeat("c", 40)+"\n")
	c := n.dial(2)
	if r := c.do("SENTINEL", "CKQUORUM", "alone"); r.kind != '+' || r.s != "OK 1 usable Sentinels. Quorum and failover authorization can be reached" {
		t.Fatalf("alone: %s", r)
	}
	// the known sentinels have no link (never connected): they are not usable
	c.wantErr("NOQUORUM 1 usable Sentinels. Not enough available Sentinels to reach the specified quorum for this master. "+
		"Not enough available Sentinels to reach the majority and authorize a failover", "SENTINEL", "CKQUORUM", "pair")
	c.wantErr("NOQUORUM 1 usable Sentinels. Not enough available Sentinels to reach the majority and authorize a failover",
		"SENTINEL", "CKQUORUM", "trio")
	m := quorumCheck{usable: 1, quorum: false, majority: true}
	if _, e := m.reply(); e != "NOQUORUM 1 usable Sentinels. Not enough available Sentinels to reach the specified quorum for this master" {
		t.Fatalf("quorum only: %q", e)
	}
}
