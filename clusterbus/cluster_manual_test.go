package clusterbus

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// mfHost is the fake host of the manual failover tests: clHost plus CLUSTER FAILOVER's pause. Its
// offset follows a node's replication stream: on a primary, every accepted write grows it, and no write
// is accepted while writes are paused; on a replica the test sets it as the replica catches up.
type mfHost struct {
	*clHost
	mu         sync.Mutex
	paused     bool
	pauses     int
	unpauses   int
	promotedAt int64        // the offset when PromoteSelf ran
	reads      atomic.Int64 // ReplOffset calls: the cron makes one per tick
}

var _ WritePauser = (*mfHost)(nil)

func (h *mfHost) PauseWritesFor(time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.paused = true
	h.pauses++
}

func (h *mfHost) UnpauseWrites() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.paused = false
	h.unpauses++
}

func (h *mfHost) ReplOffset() int64 {
	h.reads.Add(1)
	return h.offset.Load()
}

func (h *mfHost) PromoteSelf() {
	h.mu.Lock()
	h.promotedAt = h.offset.Load()
	h.mu.Unlock()
	h.clHost.PromoteSelf()
}

// write is a client write on a primary: it grows the offset by n unless writes are paused.
func (h *mfHost) write(n int64) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.paused {
		return false
	}
	h.offset.Add(n)
	return true
}

// pauseState reports whether writes are paused and how many pauses and unpauses the bus asked for.
func (h *mfHost) pauseState() (paused bool, pauses, unpauses int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.paused, h.pauses, h.unpauses
}

func (h *mfHost) promotionOffset() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.promotedAt
}

// mfNode is a cluster node whose host is an mfHost.
type mfNode struct {
	*clNode
	mh *mfHost
}

// mfStart opens a node like clStart (1 s node timeout, plain TCP), with an mfHost; conf is its
// nodes.conf ("" for a new one).
func mfStart(t *testing.T, name, conf string, port int) *mfNode {
	t.Helper()
	if conf == "" {
		conf = filepath.Join(t.TempDir(), "nodes.conf")
	}
	n := &clNode{name: name, host: &clHost{}, conf: conf, port: port, logs: newTrLogs(t, name),
		opts: clOpts{label: "mf", nt: time.Second}}
	h := &mfHost{clHost: n.host}
	c, err := Open(ClusterConfig{
		State: DefaultConfig(), NodeTimeout: time.Second, BindAddr: "127.0.0.1",
		Port: port, TLSPort: port + 1000, Label: "mf", ConfigFile: conf,
		Log: zerolog.New(n.logs).Level(zerolog.TraceLevel),
	}, h)
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	n.c = c
	t.Cleanup(func() { _ = c.Close() })
	return &mfNode{n, h}
}

// mfCluster forms three primaries a, b, c sharing the slots (epochs 1..3) and a replica r of a, and
// waits until every node agrees and r sees a's link up.
func mfCluster(t *testing.T) (a, b, c, r *mfNode) {
	t.Helper()
	nodes := make([]*mfNode, 4)
	for i := range nodes {
		nodes[i] = mfStart(t, string("abcr"[i]), "", 7100+i)
	}
	a, b, c, r = nodes[0], nodes[1], nodes[2], nodes[3]
	for i, rg := range []string{"0 5460", "5461 10922", "10923 16383"} {
		epoch := fmt.Sprint(i + 1)
		nodes[i].do(t, func(st *State) error {
			if err := st.SetConfigEpoch([]byte(epoch)); err != nil {
				return err
			}
			return st.AddSlotsRange(args(rg))
		})
	}
	for _, n := range nodes[1:] {
		n.meet(t, a.clNode)
	}
	trWait(t, "the primaries to agree", func() bool { return clConverged(a.clNode, b.clNode, c.clNode, r.clNode) })
	aID := a.id()
	r.do(t, func(st *State) error { _, err := st.Replicate(aID, false); return err })
	all := []*clNode{a.clNode, b.clNode, c.clNode, r.clNode}
	trWait(t, "r to be a's replica everywhere", func() bool {
		return clConverged(all...) && strings.Contains(a.signature(), r.id()+" replica "+aID)
	})
	trWait(t, "r to see a's link up", func() bool {
		up := false
		r.c.Read(func(st *State) { up = st.Lookup(aID).LinkConnected })
		return up
	})
	trWait(t, "cluster state ok", func() bool { return a.stateOK() && b.stateOK() && c.stateOK() })
	return a, b, c, r
}

// configEpochOf is the config epoch n holds for node id.
func (n *mfNode) configEpochOf(id string) uint64 {
	var e uint64
	n.c.Read(func(st *State) { e = st.Lookup(id).ConfigEpoch })
	return e
}

// mfWaitOwner waits until every node sees owner serve slots 0 and 5460 (a's range) as a primary.
func mfWaitOwner(t *testing.T, owner *mfNode, nodes ...*mfNode) {
	t.Helper()
	id := owner.id()
	for _, n := range nodes {
		trWait(t, n.name+" to see "+owner.name+" own a's slots", func() bool {
			return n.owner(0) == id && n.owner(5460) == id && n.flagsOf(id)&FlagPrimary != 0
		})
	}
}

// CLUSTER FAILOVER on a replica whose primary is up: the primary pauses its writes and reports the
// offset it stopped at; the replica does not start the election before its own offset gets there (so
// no write the primary accepted is lost), then wins it although the primary never failed, takes the
// slots under a new highest epoch; the old primary becomes its replica and lifts the pause.
func TestClusterManualFailover(t *testing.T) {
	trNoLeaks(t)
	a, b, c, r := mfCluster(t)
	aID, rID := a.id(), r.id()
	r.mh.offset.Store(900) // behind its primary, which keeps taking writes
	a.mh.offset.Store(1000)
	writerDone := make(chan struct{})
	stop := make(chan struct{})
	defer func() { close(stop); <-writerDone }()
	go func() { // a client writing to a until it is paused
		defer close(writerDone)
		for a.mh.write(10) {
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()

	if err := r.c.ManualFailover(FailoverDefault); err != nil {
		t.Fatal(err)
	}
	trWait(t, "a to pause its writes", func() bool { p, _, _ := a.mh.pauseState(); return p })
	<-writerDone // the writer stops at its first refused write
	final := a.mh.offset.Load()
	trWait(t, "r to learn a's offset", func() bool {
		return r.logs.contains(fmt.Sprintf("Received replication offset for paused primary manual failover: %d", final))
	})
	// Let r's cron look at its offset (still behind) a few times: an election would have begun.
	reads := r.mh.reads.Load()
	trWait(t, "a few cron ticks on r", func() bool { return r.mh.reads.Load() >= reads+5 })
	if r.host.promotions() != 0 || r.c.Stats().Sent[MsgFailoverAuthRequest] != 0 {
		t.Fatalf("r started the election at offset 900, before reaching its primary's %d", final)
	}
	r.mh.offset.Store(final) // r processes the rest of the stream

	trWait(t, "r to be promoted", func() bool { return r.host.promotions() == 1 })
	if got := r.mh.promotionOffset(); got < final {
		t.Errorf("r was promoted at offset %d, the paused primary had accepted writes up to %d", got, final)
	}
	mfWaitOwner(t, r, a, b, c, r)
	rAddr := fmt.Sprintf("127.0.0.1:%d", r.port)
	trWait(t, "a to replicate r", func() bool { return a.host.lastReplicate() == rAddr })
	trWait(t, "a to lift its pause", func() bool { p, _, u := a.mh.pauseState(); return !p && u == 1 })
	if _, pauses, _ := a.mh.pauseState(); pauses != 1 {
		t.Errorf("a paused %d times, want 1", pauses)
	}
	for _, n := range []*mfNode{b, c} {
		if e := r.configEpochOf(n.id()); r.configEpochOf(rID) <= e {
			t.Errorf("r's config epoch %d is not above %s's %d", r.configEpochOf(rID), n.name, e)
		}
	}
	sig := clWaitConverged(t, a.clNode, b.clNode, c.clNode, r.clNode)
	if !strings.Contains(sig, aID+" replica "+rID) {
		t.Errorf("a is not r's replica everywhere:\n%s", sig)
	}
	if got := a.c.Stats().Received[MsgMFStart]; got != 1 {
		t.Errorf("a received %d MFSTART, want 1", got)
	}
	if got := r.c.Stats().Sent[MsgFailoverAuthRequest]; got == 0 {
		t.Errorf("r won without asking for votes")
	}
}

// FORCE does not talk to the primary: with the primary down (FAIL, and r flagged nofailover so that no
// automatic election happens), the default mode is refused and FORCE fails over at once.
func TestClusterManualFailoverForce(t *testing.T) {
	trNoLeaks(t)
	a, b, c, r := mfCluster(t)
	r.do(t, func(st *State) error { st.Myself().Flags |= FlagNoFailover; return nil })
	aID := a.id()
	if err := a.c.Close(); err != nil {
		t.Fatal(err)
	}
	trWait(t, "r to see a FAIL", func() bool { return r.flagsOf(aID)&FlagFail != 0 })
	wantErr(t, "default mode with the primary down", r.c.ManualFailover(FailoverDefault),
		"ERR Master is down or failed, please use CLUSTER FAILOVER FORCE")
	if r.host.promotions() != 0 {
		t.Fatal("a nofailover replica was promoted without being asked")
	}

	if err := r.c.ManualFailover(FailoverForce); err != nil {
		t.Fatal(err)
	}
	trWait(t, "r to be promoted", func() bool { return r.host.promotions() == 1 })
	mfWaitOwner(t, r, b, c, r)
	if got := r.c.Stats().Sent[MsgMFStart]; got != 0 {
		t.Errorf("FORCE sent %d MFSTART to the dead primary", got)
	}
	if got := r.c.Stats().Sent[MsgFailoverAuthRequest]; got == 0 {
		t.Errorf("FORCE won without an election")
	}
}

// TAKEOVER needs nobody: the replica bumps the epoch itself and owns the slots when the call returns,
// without vote requests; the old primary, up all along, becomes its replica.
func TestClusterManualFailoverTakeover(t *testing.T) {
	trNoLeaks(t)
	a, b, c, r := mfCluster(t)
	aID, rID := a.id(), r.id()
	if err := r.c.ManualFailover(FailoverTakeover); err != nil {
		t.Fatal(err)
	}
	var epoch, others uint64
	var current uint64
	r.c.Read(func(st *State) {
		me := st.Myself()
		if !me.IsPrimary() || st.SlotOwner(0) != me || st.SlotOwner(5460) != me || st.SlotOwner(5461) == me {
			t.Errorf("after TAKEOVER r is not the primary of a's slots (and only those):\n%s", st.NodesText(View{}))
		}
		epoch, current = me.ConfigEpoch, st.CurrentEpoch
		for _, n := range st.Nodes() {
			if n != me {
				others = max(others, n.ConfigEpoch)
			}
		}
	})
	if epoch <= others || epoch != current {
		t.Errorf("TAKEOVER epoch %d (currentEpoch %d), other nodes up to %d", epoch, current, others)
	}
	trWait(t, "r to be promoted", func() bool { return r.host.promotions() == 1 })
	mfWaitOwner(t, r, a, b, c, r)
	rAddr := fmt.Sprintf("127.0.0.1:%d", r.port)
	trWait(t, "a to replicate r", func() bool { return a.host.lastReplicate() == rAddr })
	sig := clWaitConverged(t, a.clNode, b.clNode, c.clNode, r.clNode)
	if !strings.Contains(sig, aID+" replica "+rID) {
		t.Errorf("a is not r's replica everywhere:\n%s", sig)
	}
	st := r.c.Stats()
	if st.Sent[MsgFailoverAuthRequest] != 0 || st.Sent[MsgMFStart] != 0 {
		t.Errorf("TAKEOVER sent %d vote requests and %d MFSTART, want none",
			st.Sent[MsgFailoverAuthRequest], st.Sent[MsgMFStart])
	}
	if _, pauses, _ := a.mh.pauseState(); pauses != 0 {
		t.Errorf("TAKEOVER paused the old primary")
	}
}

// A replica that never catches up: both sides give up after the manual failover timeout, the primary
// lifts its pause, and nobody is promoted.
func TestClusterManualFailoverTimeout(t *testing.T) {
	trNoLeaks(t)
	a, _, _, r := mfCluster(t)
	for _, n := range []*mfNode{a, r} {
		n.c.mu.Lock()
		n.c.fo.mfTimeout = 300
		n.c.mu.Unlock()
	}
	a.mh.offset.Store(1000)
	r.mh.offset.Store(500)
	if err := r.c.ManualFailover(FailoverDefault); err != nil {
		t.Fatal(err)
	}
	trWait(t, "a to pause its writes", func() bool { p, _, _ := a.mh.pauseState(); return p })
	trWait(t, "r to give up", func() bool { return r.logs.contains("Manual failover timed out.") })
	trWait(t, "a to give up and lift the pause", func() bool {
		p, _, u := a.mh.pauseState()
		return !p && u == 1 && a.logs.contains("Manual failover timed out.")
	})
	if r.host.promotions() != 0 || r.flagsOf(r.id())&FlagReplica == 0 {
		t.Fatal("r was promoted without reaching its primary's offset")
	}
	if !a.mh.write(1) {
		t.Fatal("a still refuses writes after the manual failover timed out")
	}
}

// The refusals of CLUSTER FAILOVER, with Valkey's texts.
func TestClusterManualFailoverErrors(t *testing.T) {
	trNoLeaks(t)
	for _, tc := range []struct {
		args string
		mode FailoverMode
		err  string
	}{
		{"", FailoverDefault, ""},
		{"force", FailoverForce, ""},
		{"TAKEOVER", FailoverTakeover, ""},
		{"now", 0, "ERR syntax error"},
		{"force takeover", 0, "ERR syntax error"},
	} {
		mode, err := ParseFailover(args(tc.args))
		wantErr(t, "CLUSTER FAILOVER "+tc.args, err, tc.err)
		if err == nil && mode != tc.mode {
			t.Errorf("CLUSTER FAILOVER %s: mode %d, want %d", tc.args, mode, tc.mode)
		}
	}

	// The rules on states built by hand.
	s := testState(t)
	p := addPrimary(t, s, 2, 1, "0-99")
	wantErr(t, "on a primary", s.checkManualFailover(true), "ERR You should send CLUSTER FAILOVER to a replica")
	if _, err := s.Replicate(p.ID, false); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "primary up", s.checkManualFailover(false), "")
	p.LinkConnected = false
	wantErr(t, "no link to the primary", s.checkManualFailover(false),
		"ERR Master is down or failed, please use CLUSTER FAILOVER FORCE")
	wantErr(t, "FORCE, no link to the primary", s.checkManualFailover(true), "")
	p.LinkConnected, p.Flags = true, p.Flags|FlagFail
	wantErr(t, "primary FAIL", s.checkManualFailover(false),
		"ERR Master is down or failed, please use CLUSTER FAILOVER FORCE")

	// Live nodes: a primary, and a replica whose primary is unknown (as nodes.conf may say).
	prim := mfStart(t, "p", "", 7200)
	conf := filepath.Join(t.TempDir(), "nodes.conf")
	orphan := nid(7) + " 127.0.0.1:7201@0 myself,slave - 0 0 0 connected\nvars currentEpoch 0 lastVoteEpoch 0\n"
	if err := os.WriteFile(conf, []byte(orphan), 0o644); err != nil {
		t.Fatal(err)
	}
	repl := mfStart(t, "o", conf, 7201)
	for _, mode := range []FailoverMode{FailoverDefault, FailoverForce, FailoverTakeover} {
		wantErr(t, "primary", prim.c.ManualFailover(mode), "ERR You should send CLUSTER FAILOVER to a replica")
		wantErr(t, "unknown primary", repl.c.ManualFailover(mode), "ERR I'm a replica but my master is unknown to me")
	}
	if repl.host.promotions() != 0 || prim.host.promotions() != 0 {
		t.Fatal("a refused CLUSTER FAILOVER promoted a node")
	}
}

// The bus rules without a network: a voter grants a manual request although the candidate's primary is
// healthy (and still refuses a plain one), and a primary only pauses for its own replicas.
func TestBusManualFailoverRules(t *testing.T) {
	c := clBare(t)
	if err := c.st.AddSlotsRange(args("0 99")); err != nil {
		t.Fatal(err)
	}
	c.meetFrom(clRec(2, 1, 2, 100, 199))
	cand := func(version, epoch uint64) []byte {
		r := clRec(3, version, 2, 100, 199)
		r.Flags, r.PrimaryID, r.CurrentEpoch = FlagReplica, clID(2), epoch
		return r.encode(nil)
	}
	c.meetFrom(func() *nodeRecord {
		r := clRec(3, 1, 2, 100, 199)
		r.Flags, r.PrimaryID = FlagReplica, clID(2)
		return r
	}())
	acks := func(fx effects) int {
		n := 0
		for _, m := range fx.sends {
			if msgType(m.msg[0]) == msgAuthAck {
				n++
			}
		}
		return n
	}
	if n := acks(c.deliver(msgAuthRequest, clID(3), cand(2, 3))); n != 0 {
		t.Fatal("plain vote request granted while the primary is healthy")
	}
	if n := acks(c.deliver(msgMFAuthReq, clID(3), cand(3, 4))); n != 1 || c.st.LastVoteEpoch != 4 {
		t.Fatalf("manual vote request not granted (%d acks, last vote epoch %d)", n, c.st.LastVoteEpoch)
	}

	// MFSTART: clID(3) replicates clID(2), not this node: ignored.
	c.deliver(msgMFStart, clID(3), nil)
	if c.fo.mf.end != 0 {
		t.Fatal("paused for another primary's replica")
	}
	c.meetFrom(func() *nodeRecord {
		r := clRec(4, 1, 1, 0, -1)
		r.Flags, r.PrimaryID = FlagReplica, clID(1)
		return r
	}())
	c.deliver(msgMFStart, clID(4), nil)
	if c.fo.mf.replica != clID(4) || c.fo.mf.end == 0 {
		t.Fatalf("MFSTART from my replica not taken: %+v", c.fo.mf)
	}
	if _, _, _, err := parseEnvelope(mfOffsetMsg(clID(1), 5)); err != nil {
		t.Fatalf("offset message refused by the envelope parser: %v", err)
	}
}
