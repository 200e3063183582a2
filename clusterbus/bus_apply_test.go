package clusterbus

import (
	"encoding/binary"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/memberlist"
	"github.com/rs/zerolog"
)

// Deterministic tests of the bus rules: a Cluster without network (no memberlist, no goroutines) fed
// messages by hand.

// clID is a readable node id: "c" then n in 39 hex digits.
func clID(n int) string { return fmt.Sprintf("c%039x", n) }

// clBare is a Cluster around a fresh state whose myself is clID(1), a primary, with nodes.conf in a
// temporary directory; no bus is started.
func clBare(t *testing.T) *Cluster {
	t.Helper()
	me := NewNode(clID(1), clID(101), FlagMyself|FlagPrimary)
	me.IP, me.TCPPort, me.BusPort = "127.0.0.1", 7001, 17001
	st, err := NewState(DefaultConfig(), me)
	if err != nil {
		t.Fatal(err)
	}
	file, err := OpenConfigFile(filepath.Join(t.TempDir(), "nodes.conf"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = file.Close() })
	c := &Cluster{
		st: st, file: file, log: zerolog.Nop(), nt: 1000,
		recs: make(map[string]storedRecord), lastAlive: make(map[string]int64), meets: make(map[uint64]int64),
		queue: &memberlist.TransmitLimitedQueue{NumNodes: func() int { return 3 }, RetransmitMult: 4},
		tm:    timingsFor(time.Second),
	}
	c.live.Store(&c.tm)
	c.publishSelfLocked(true)
	return c
}

// clRec is the record of primary clID(n) (epoch, slots start..end; end < start for none).
func clRec(n int, version, epoch uint64, start, end int) *nodeRecord {
	r := &nodeRecord{Version: version, ID: clID(n), ShardID: clID(100 + n), Flags: FlagPrimary,
		CurrentEpoch: epoch, ConfigEpoch: epoch, IP: "127.0.0.1", TCPPort: 7000 + n, TLSPort: 8000 + n, BusPort: 17000 + n}
	for j := start; j <= end; j++ {
		r.Slots.Set(j)
	}
	return r
}

// deliver hands c a message from sender as memberlist would, and returns the effects it had.
func (c *Cluster) deliver(t msgType, sender string, payload []byte) effects {
	var fx effects
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.processLocked(t, sender, payload, nowMS(), &fx); err != nil {
		panic(err)
	}
	_ = c.finishLocked(&fx, nowMS())
	return fx
}

func (c *Cluster) deliverRecord(sender string, r *nodeRecord) effects {
	return c.deliver(msgRecord, sender, r.encode(nil))
}

// meetFrom makes c receive a MEET from r's author carrying only its record.
func (c *Cluster) meetFrom(r *nodeRecord) effects {
	msg := encodeState(msgMeet, r.ID, 7, [][]byte{r.encode(nil)})
	_, _, p, _ := parseEnvelope(msg)
	return c.deliver(msgMeet, r.ID, p)
}

func TestBusRecordRoundTrip(t *testing.T) {
	r := clRec(2, 42, 7, 100, 200)
	r.Slots.Set(5000)
	r.PrimaryID, r.Flags = clID(3), FlagReplica|FlagNoFailover
	r.ReplOffset, r.Hostname, r.HumanNodename, r.ClientIPv4, r.ClientIPv6 = 12345, "host-2", "n2", "10.0.0.2", "::2"
	r.Failing = []string{clID(4), clID(5)}
	got, err := decodeRecord(r.encode(nil))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, r) {
		t.Fatalf("decoded %+v\nwant %+v", got, r)
	}
	if !got.sameContent(r) {
		t.Fatal("sameContent false for equal records")
	}
	got.ReplOffset, got.Version = 1, 1
	if !got.sameContent(r) {
		t.Fatal("offset and version must not count as content")
	}
	got.Failing = got.Failing[:1]
	if got.sameContent(r) {
		t.Fatal("a different failing list is different content")
	}
}

func TestBusRecordRejectsMalformed(t *testing.T) {
	good := clRec(2, 1, 1, 0, 10).encode(nil)
	badRange := clRec(2, 1, 1, -1, -2).encode(nil)
	// Replace the empty range list (second to last u16 pair before the failing count) by 10-5.
	badRange = append(badRange[:len(badRange)-4], 0, 1, 0, 10, 0, 5, 0, 0)
	badID := append([]byte(nil), good...)
	copy(badID[9:], "NOT-AN-ID")
	for name, b := range map[string][]byte{
		"truncated": good[:len(good)-3],
		"trailing":  append(append([]byte(nil), good...), 0),
		"format":    append([]byte{9}, good[1:]...),
		"range":     badRange,
		"id":        badID,
		"empty":     nil,
	} {
		if _, err := decodeRecord(b); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
	if _, _, _, err := parseEnvelope([]byte{byte(msgRecord), 'x'}); err == nil {
		t.Error("short envelope accepted")
	}
}

// A MEET adds its sender; then records relayed by a known sender teach new nodes and their slots, and
// are passed on; records from a node nobody met are ignored, as Valkey ignores gossip from strangers.
func TestBusLearnsNodesOnlyFromKnownSenders(t *testing.T) {
	c := clBare(t)
	stranger := clRec(9, 1, 1, 0, 10)
	if fx := c.deliverRecord(stranger.ID, stranger); c.st.NumNodes() != 1 || len(fx.relays) != 0 {
		t.Fatalf("a record from an unknown sender was applied (%d nodes)", c.st.NumNodes())
	}
	c.meetFrom(clRec(2, 1, 0, -1, -2))
	if c.st.Lookup(clID(2)) == nil {
		t.Fatal("MEET did not add its sender")
	}
	fx := c.deliverRecord(clID(2), clRec(3, 1, 5, 0, 99))
	n3 := c.st.Lookup(clID(3))
	if n3 == nil || c.st.SlotOwner(50) != n3 || n3.ConfigEpoch != 5 || c.st.CurrentEpoch != 5 {
		t.Fatalf("relayed record not applied: %v owner %v epoch %d", n3, c.st.SlotOwner(50), c.st.CurrentEpoch)
	}
	if len(fx.relays) != 1 || fx.relays[0].author != clID(3) || !fx.save {
		t.Fatalf("new record not passed on and saved: %+v", fx)
	}
	// The same version again is old news; an older one is ignored.
	if fx := c.deliverRecord(clID(2), clRec(3, 1, 5, 0, 99)); len(fx.relays) != 0 {
		t.Fatal("a record already applied was passed on again")
	}
	c.deliverRecord(clID(2), clRec(3, 0, 5, -1, -2))
	if c.st.SlotOwner(50) != n3 || c.st.OwnerNotClaiming(50) {
		t.Fatal("an older record overrode a newer one")
	}
	// Records about myself are never applied.
	c.deliverRecord(clID(2), clRec(1, 99, 9, 0, 0))
	if c.st.Myself().ConfigEpoch == 9 || c.st.Myself().NumSlots() != 0 {
		t.Fatal("a record about myself was applied")
	}
}

// The highest config epoch wins a slot; a claim under an older epoch is answered with an UPDATE that
// carries the newer owner's record to the stale claimer.
func TestBusSlotClaimsAndUpdate(t *testing.T) {
	c := clBare(t)
	c.meetFrom(clRec(2, 1, 3, 0, 99))
	c.meetFrom(clRec(3, 1, 1, -1, -2))
	n2 := c.st.Lookup(clID(2))
	fx := c.deliverRecord(clID(3), clRec(3, 2, 1, 50, 60))
	if c.st.SlotOwner(55) != n2 {
		t.Fatal("an older epoch took a slot")
	}
	if len(fx.sends) != 1 || fx.sends[0].port != 17003 || msgType(fx.sends[0].msg[0]) != msgUpdate {
		t.Fatalf("no UPDATE sent to the stale claimer: %+v", fx.sends)
	}
	_, _, p, _ := parseEnvelope(fx.sends[0].msg)
	if r, err := decodeRecord(p); err != nil || r.ID != clID(2) {
		t.Fatalf("the UPDATE does not carry the owner's record: %v %v", r, err)
	}
	c.deliverRecord(clID(3), clRec(3, 3, 4, 50, 60))
	if c.st.SlotOwner(55) != c.st.Lookup(clID(3)) || c.st.SlotOwner(10) != n2 {
		t.Fatal("a newer epoch did not take the slots it claims (and only those)")
	}
	// An UPDATE is applied even when its version is not new.
	c.deliver(msgUpdate, clID(2), clRec(2, 1, 9, 50, 60).encode(nil))
	if c.st.SlotOwner(55) != n2 {
		t.Fatal("UPDATE not applied")
	}
}

// Two primaries on the same config epoch: the one with the smaller id moves to a new epoch and tells
// the cluster.
func TestBusConfigEpochCollision(t *testing.T) {
	c := clBare(t) // myself clID(1) < clID(2)
	before := c.self.Version
	fx := c.meetFrom(clRec(2, 1, 0, -1, -2))
	if c.st.Myself().ConfigEpoch == 0 || !fx.save {
		t.Fatal("epoch collision not resolved and saved")
	}
	if c.self.Version == before || c.self.ConfigEpoch != c.st.Myself().ConfigEpoch {
		t.Fatal("the new epoch was not published")
	}
	// The node with the larger id keeps its epoch.
	c.meetFrom(clRec(0, 1, c.st.Myself().ConfigEpoch, -1, -2))
	if c.st.Myself().ConfigEpoch != 1 {
		t.Fatalf("myself moved to epoch %d though its id is the larger", c.st.Myself().ConfigEpoch)
	}
}

// A record's role is applied: a primary that turns replica loses its slots here and joins its
// primary's shard; a replica that turns primary (a failover) is a primary.
func TestBusRoleChanges(t *testing.T) {
	c := clBare(t)
	c.meetFrom(clRec(2, 1, 2, 0, 9))
	c.meetFrom(clRec(3, 1, 3, 10, 19))
	r := clRec(3, 2, 2, 0, 9)
	r.Flags, r.PrimaryID = FlagReplica, clID(2)
	c.deliverRecord(clID(2), r)
	n2, n3 := c.st.Lookup(clID(2)), c.st.Lookup(clID(3))
	if !n3.IsReplica() || n3.Primary() != n2 || n3.NumSlots() != 0 || c.st.SlotOwner(15) != nil || n3.ShardID != n2.ShardID {
		t.Fatalf("primary turned replica: %s primary %v slots %d", n3.Flags, n3.Primary(), n3.NumSlots())
	}
	c.deliverRecord(clID(2), clRec(3, 3, 5, 0, 9))
	if !n3.IsPrimary() || c.st.SlotOwner(5) != n3 {
		t.Fatal("promoted replica not a primary owning its slots")
	}
}

// Failure reports: a primary's record listing a node this node sees PFAIL is a report; with a majority
// of the slot-serving primaries the node turns FAIL and a FAIL broadcast is queued. A FAIL message from
// a known node marks the node FAIL at once; from a stranger it is ignored.
func TestBusFailureReports(t *testing.T) {
	c := clBare(t)
	if err := c.st.AddSlotsRange(args("0 99")); err != nil {
		t.Fatal(err)
	}
	for i := 2; i <= 5; i++ {
		c.meetFrom(clRec(i, 1, uint64(i), 100*i, 100*i+99))
	}
	x := c.st.Lookup(clID(5))
	c.st.MarkPFail(x)
	report := clRec(2, 2, 2, 200, 299)
	report.Failing = []string{clID(5)}
	if fx := c.deliverRecord(clID(2), report); len(fx.fails) != 0 || x.Failed() {
		t.Fatal("FAIL with 2 of 5 primaries")
	}
	report = clRec(3, 2, 3, 300, 399)
	report.Failing = []string{clID(5)}
	fx := c.deliverRecord(clID(3), report)
	if !x.Failed() || len(fx.fails) != 1 || fx.fails[0] != clID(5) || !fx.save {
		t.Fatalf("3 of 5 primaries did not mark FAIL: %s %+v", x.Flags, fx)
	}
	// A record that no longer lists the node withdraws the report.
	c.deliverRecord(clID(3), clRec(3, 3, 3, 300, 399))
	if got := x.FailureReporters(); len(got) != 1 || got[0] != clID(2) {
		t.Fatalf("reporters %v, want only clID(2)", got)
	}

	y := c.st.Lookup(clID(4))
	c.deliver(msgFail, clID(9), []byte(clID(4)))
	if y.Failed() {
		t.Fatal("FAIL from a stranger applied")
	}
	if fx := c.deliver(msgFail, clID(2), []byte(clID(4))); !y.Failed() || len(fx.fails) != 1 {
		t.Fatal("FAIL message not applied and passed on")
	}
}

// A voting primary grants one vote per epoch to a replica of a FAIL primary, and none while the
// primary is healthy.
func TestBusFailoverVote(t *testing.T) {
	c := clBare(t)
	if err := c.st.AddSlotsRange(args("0 99")); err != nil {
		t.Fatal(err)
	}
	c.meetFrom(clRec(2, 1, 2, 100, 199))
	req := func(id int, version, epoch uint64) *nodeRecord {
		r := clRec(id, version, 2, 100, 199)
		r.Flags, r.PrimaryID, r.CurrentEpoch = FlagReplica, clID(2), epoch
		return r
	}
	c.meetFrom(req(3, 1, 2))
	c.meetFrom(req(4, 1, 2))
	votes := func(fx effects) int {
		n := 0
		for _, m := range fx.sends {
			if msgType(m.msg[0]) == msgAuthAck {
				n++
				if got := binary.BigEndian.Uint64(m.msg[envelopeLen:]); got != c.st.CurrentEpoch {
					t.Errorf("vote for epoch %d, current is %d", got, c.st.CurrentEpoch)
				}
			}
		}
		return n
	}
	if n := votes(c.deliver(msgAuthRequest, clID(3), req(3, 2, 3).encode(nil))); n != 0 {
		t.Fatal("voted while the primary is not FAIL")
	}
	c.st.MarkFailed(c.st.Lookup(clID(2)), nowMS())
	var n int
	_, _, syncs := c.saveDelta(func() { n = votes(c.deliver(msgAuthRequest, clID(3), req(3, 3, 4).encode(nil))) })
	if n != 1 || c.st.LastVoteEpoch != 4 {
		t.Fatalf("no vote for epoch 4 (votes %d, last vote epoch %d)", n, c.st.LastVoteEpoch)
	}
	// The vote reached the disk before the ack was handed on for sending.
	if conf := readConf(t, c); syncs != 1 || !strings.Contains(conf, "lastVoteEpoch 4") {
		t.Fatalf("the vote was not fsynced before its ack (%d fsyncs):\n%s", syncs, conf)
	}
	if n := votes(c.deliver(msgAuthRequest, clID(4), req(4, 2, 4).encode(nil))); n != 0 {
		t.Fatal("two votes in one epoch")
	}
	if n := votes(c.deliver(msgAuthRequest, clID(4), req(4, 3, 5).encode(nil))); n != 0 {
		t.Fatal("voted again for the same failed primary within 2 × node timeout")
	}
}
