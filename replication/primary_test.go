package replication

import (
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestPrimaryIDs(t *testing.T) {
	f := newPrimaryFixture(t, baseConfig())
	st := f.p.Status()
	if _, err := hex.DecodeString(st.ReplID); err != nil || len(st.ReplID) != 40 {
		t.Fatalf("replid %q is not 40 hex chars", st.ReplID)
	}
	if st.ReplID2 != strings.Repeat("0", 40) || st.SecondOffset != -1 || st.Offset != 0 || st.BacklogActive {
		t.Fatalf("fresh status %+v", st)
	}
	f.feed("*1\r\n$4\r\nPING\r\n")
	st = f.p.Status()
	if !st.BacklogActive || st.Offset != 14 || st.BacklogFirstOffset != 1 || st.BacklogHistlen != 14 ||
		st.BacklogSize != 1<<20 {
		t.Fatalf("after a feed %+v", st)
	}

	old := st.ReplID
	f.h.do(f.p.ShiftReplID)
	st = f.p.Status()
	if st.ReplID2 != old || st.SecondOffset != 15 || st.ReplID == old || len(st.ReplID) != 40 || st.BacklogHistlen != 14 {
		t.Fatalf("after ShiftReplID %+v (old id %s)", st, old)
	}

	f.h.do(f.p.ChangeReplID)
	st2 := f.p.Status()
	if st2.ReplID == st.ReplID || st2.ReplID2 != replIDZero || st2.SecondOffset != -1 || st2.Offset != 14 {
		t.Fatalf("after ChangeReplID %+v", st2)
	}

	primaryID := strings.Repeat("ab", 20)
	f.h.do(func() { f.p.SetIDs(primaryID, 1000) })
	st = f.p.Status()
	if st.ReplID != primaryID || st.Offset != 1000 || st.ReplID2 != replIDZero || st.SecondOffset != -1 ||
		!st.BacklogActive || st.BacklogFirstOffset != 1001 || st.BacklogHistlen != 0 {
		t.Fatalf("after SetIDs %+v", st)
	}

	newID := strings.Repeat("cd", 20)
	f.feed("*1\r\n$4\r\nPING\r\n")
	f.h.do(func() { f.p.ContinueWith(newID) })
	st = f.p.Status()
	if st.ReplID != newID || st.ReplID2 != primaryID || st.SecondOffset != 1015 || st.Offset != 1014 {
		t.Fatalf("after ContinueWith %+v", st)
	}
}

// partialFixture has a backlog with known content: 10 bytes per feed.
func partialFixture(t *testing.T, cfg PrimaryConfig) *primaryFixture {
	f := newPrimaryFixture(t, cfg)
	for i := 0; i < 5; i++ {
		f.feed(fmt.Sprintf("cmd-%05d|", i))
	}
	return f
}

func TestPrimaryPartialAccepted(t *testing.T) {
	f := partialFixture(t, baseConfig())
	r := newTestReplica(t, 1, false)
	replid := f.p.Status().ReplID
	if f.sync(r, true, replid, 21) {
		t.Fatal("partial resync refused")
	}
	if got := r.line(false); got != "+CONTINUE "+replid {
		t.Fatalf("got %q", got)
	}
	r.expect("cmd-00002|cmd-00003|cmd-00004|") // from offset 21 to the end
	f.feed("live|")
	r.expect("live|")
	if ri, ok := f.replica(1); !ok || ri.State != StateOnline || ri.IP != "127.0.0.1" || ri.Port != 6381 {
		t.Fatalf("replica info %+v %v", ri, ok)
	}
	if !strings.Contains(f.logs.String(), "Partial resynchronization request from 127.0.0.1:6381 accepted. "+
		"Sending 30 bytes of backlog starting from offset 21.") {
		t.Fatalf("log: %s", f.logs)
	}
}

func TestPrimaryPartialBareContinue(t *testing.T) {
	f := partialFixture(t, baseConfig())
	r := newTestReplica(t, 1, false)
	r.rc.CapaPSYNC2 = false
	if f.sync(r, true, f.p.Status().ReplID, 51) {
		t.Fatal("partial resync refused")
	}
	// No id for a replica without psync2, and nothing missing at offset+1.
	if got := r.line(false); got != "+CONTINUE" {
		t.Fatalf("got %q", got)
	}
	f.feed("next|")
	r.expect("next|")
}

func TestPrimaryPartialRefused(t *testing.T) {
	cases := []struct {
		name string
		// arrange returns the PSYNC arguments
		arrange func(f *primaryFixture) (string, int64)
		log     string
	}{
		{"unknown", func(f *primaryFixture) (string, int64) { return "?", -1 },
			"Full resync requested by replica 127.0.0.1:6381"},
		{"wrong id", func(f *primaryFixture) (string, int64) { return strings.Repeat("e", 40), 21 },
			"Replication ID mismatch"},
		{"zero id2", func(f *primaryFixture) (string, int64) { return replIDZero, 21 },
			"Requested offset for second ID was 21, but I can reply up to -1"},
		{"id2 beyond second offset", func(f *primaryFixture) (string, int64) {
			old := f.p.Status().ReplID
			f.h.do(f.p.ShiftReplID) // second offset 51
			f.feed("after-promotion|")
			return old, 52
		}, "Requested offset for second ID was 52, but I can reply up to 51"},
		{"offset too old", func(f *primaryFixture) (string, int64) {
			cfg := baseConfig()
			cfg.BacklogSize = 20 // keeps offsets 31..50
			f.h.do(func() { f.p.SetConfig(cfg) })
			return f.p.Status().ReplID, 30
		}, "for lack of backlog (Replica request was: 30)"},
		{"offset beyond the end", func(f *primaryFixture) (string, int64) { return f.p.Status().ReplID, 52 },
			"tried to PSYNC with an offset that is greater than the master replication offset"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := partialFixture(t, baseConfig())
			replid, off := c.arrange(f)
			r := newTestReplica(t, 1, false)
			if !f.sync(r, true, replid, off) {
				t.Fatal("partial resync accepted")
			}
			id, at := r.fullResync()
			if st := f.p.Status(); id != st.ReplID || at != st.Offset {
				t.Fatalf("+FULLRESYNC %s %d, want %s %d", id, at, st.ReplID, st.Offset)
			}
			if !strings.Contains(f.logs.String(), c.log) {
				t.Fatalf("log lacks %q:\n%s", c.log, f.logs)
			}
		})
	}
}

func TestPrimaryShiftReplIDContinue(t *testing.T) {
	f := partialFixture(t, baseConfig())
	old := f.p.Status().ReplID
	f.h.do(f.p.ShiftReplID) // a replica promoted: replicas of the old primary may continue here
	f.feed("new-write|")
	newID := f.p.Status().ReplID

	// Caught up with the old primary: continues with the new id and gets what was written since.
	r1 := newTestReplica(t, 1, false)
	if f.sync(r1, true, old, 51) {
		t.Fatal("replica of the old id refused at the second offset")
	}
	if got := r1.line(false); got != "+CONTINUE "+newID {
		t.Fatalf("got %q, want +CONTINUE %s", got, newID)
	}
	r1.expect("new-write|")

	// Behind: still within the old history and the backlog.
	r2 := newTestReplica(t, 2, false)
	if f.sync(r2, true, old, 41) {
		t.Fatal("lagging replica of the old id refused")
	}
	if got := r2.line(false); got != "+CONTINUE "+newID {
		t.Fatalf("got %q", got)
	}
	r2.expect("cmd-00004|new-write|")
}

func TestPrimaryRequestAcksAndAckedAtLeast(t *testing.T) {
	f := partialFixture(t, baseConfig())
	before := f.offset()
	f.h.do(f.p.RequestAcks) // no replica: nobody to ask, the offset doesn't move
	if f.offset() != before {
		t.Fatal("GETACK fed without replicas")
	}
	r := newTestReplica(t, 7, false)
	f.sync(r, true, f.p.Status().ReplID, 51)
	r.line(false)
	f.feed("write|")
	target := f.offset()
	f.h.do(f.p.RequestAcks)
	r.expect("write|*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n")
	if got := f.offset(); got != target+int64(len(getackCommand)) {
		t.Fatalf("offset %d after GETACK, want %d", got, target+int64(len(getackCommand)))
	}
	var n int
	f.h.do(func() { n = f.p.AckedAtLeast(target) })
	if n != 0 {
		t.Fatalf("AckedAtLeast before any ack = %d", n)
	}
	f.h.do(func() { f.p.Ack(7, target) })
	f.h.do(func() { n = f.p.AckedAtLeast(target) })
	if n != 1 {
		t.Fatalf("AckedAtLeast(%d) = %d after ack", target, n)
	}
	f.h.do(func() { n = f.p.AckedAtLeast(target + 1) })
	if n != 0 {
		t.Fatalf("AckedAtLeast(%d) = %d", target+1, n)
	}
	f.h.do(func() { f.p.Ack(7, target-5) }) // an older ack doesn't move it back
	if ri, _ := f.replica(7); ri.AckOffset != target {
		t.Fatalf("ack offset %d, want %d", ri.AckOffset, target)
	}
	f.h.do(func() { n = f.p.GoodReplicas(10 * time.Second) })
	if n != 1 {
		t.Fatalf("GoodReplicas = %d", n)
	}
}

func TestPrimaryCronPing(t *testing.T) {
	cfg := baseConfig()
	cfg.PingPeriod = 10 * time.Second
	f := partialFixture(t, cfg)
	now := time.Now()
	before := f.offset()
	f.h.do(func() { f.p.Cron(now) })
	if f.offset() != before {
		t.Fatal("PING fed without replicas")
	}
	r := newTestReplica(t, 1, false)
	f.sync(r, true, f.p.Status().ReplID, 51)
	r.line(false)
	f.h.do(func() { f.p.Cron(now) })
	f.h.do(func() { f.p.Cron(now.Add(time.Second)) }) // within the period: no second PING
	f.feed("marker|")
	f.h.do(func() { f.p.Cron(now.Add(10 * time.Second)) })
	r.expect("*1\r\n$4\r\nPING\r\nmarker|*1\r\n$4\r\nPING\r\n")
	if got := f.offset(); got != before+28+7 {
		t.Fatalf("offset %d, want %d (PINGs count)", got, before+35)
	}
}

func TestPrimaryTimeout(t *testing.T) {
	cfg := baseConfig()
	cfg.Timeout = time.Minute
	cfg.DisklessDelay = time.Hour // r2 stays waiting for its snapshot
	f := partialFixture(t, cfg)
	r1 := newTestReplica(t, 1, false)
	f.sync(r1, true, f.p.Status().ReplID, 51)
	r1.line(false)
	r2 := newTestReplica(t, 2, false)
	f.sync(r2, true, "?", -1)

	now := time.Now()
	f.h.do(func() { f.p.Cron(now.Add(30 * time.Second)) })
	if _, ok := f.replica(1); !ok {
		t.Fatal("replica dropped before repl-timeout")
	}
	f.h.do(func() { f.p.Ack(1, 51) })
	f.h.do(func() { f.p.Cron(time.Now().Add(59 * time.Second)) }) // the ack renewed it
	if _, ok := f.replica(1); !ok {
		t.Fatal("replica that acked was dropped")
	}
	f.h.do(func() { f.p.Cron(time.Now().Add(2 * time.Minute)) })
	f.waitGone(1)
	r1.eof()
	if _, ok := f.replica(1); ok {
		t.Fatal("timed-out replica still listed")
	}
	// Only online replicas time out on acks: the one waiting for its snapshot stays.
	if ri, ok := f.replica(2); !ok || ri.State != StateWaitBgsave {
		t.Fatalf("waiting replica: %+v %v", ri, ok)
	}
	if !strings.Contains(f.logs.String(), "Disconnecting timedout replica (streaming sync): 127.0.0.1:6381") {
		t.Fatalf("log: %s", f.logs)
	}
}

func TestPrimaryOutputHardLimit(t *testing.T) {
	cfg := baseConfig()
	cfg.OutputHard = 1000
	f := partialFixture(t, cfg)
	r := newTestReplica(t, 1, false) // never reads: the writer blocks on the pipe
	f.sync(r, true, f.p.Status().ReplID, 51)
	f.feed(strings.Repeat("x", 600))
	if _, ok := f.replica(1); !ok {
		t.Fatal("dropped below the hard limit")
	}
	f.feed(strings.Repeat("y", 600))
	f.waitGone(1)
	if _, ok := f.replica(1); ok {
		t.Fatal("replica over the hard limit still listed")
	}
	if !strings.Contains(f.logs.String(), "scheduled to be closed ASAP for overcoming of output buffer limits") {
		t.Fatalf("log: %s", f.logs)
	}
	r.eof()
}

func TestPrimaryOutputSoftLimit(t *testing.T) {
	cfg := baseConfig()
	cfg.OutputSoft = 100
	cfg.OutputSoftFor = 10 * time.Second
	f := partialFixture(t, cfg)
	r := newTestReplica(t, 1, false) // never reads
	f.sync(r, true, f.p.Status().ReplID, 51)
	f.feed(strings.Repeat("x", 200))
	f.h.do(func() { f.p.Cron(time.Now().Add(5 * time.Second)) })
	if ri, ok := f.replica(1); !ok || ri.OutputBytes < 200 {
		t.Fatalf("dropped before the soft limit's seconds, or output not counted: %+v %v", ri, ok)
	}
	f.h.do(func() { f.p.Cron(time.Now().Add(11 * time.Second)) })
	f.waitGone(1)
}

func TestPrimaryBacklogTTL(t *testing.T) {
	cfg := baseConfig()
	cfg.BacklogTTL = time.Hour
	f := partialFixture(t, cfg)
	replid := f.p.Status().ReplID
	f.h.do(func() { f.p.Cron(time.Now().Add(30 * time.Minute)) })
	if !f.p.Status().BacklogActive {
		t.Fatal("backlog freed before its TTL")
	}
	f.h.do(func() { f.p.Cron(time.Now().Add(61 * time.Minute)) })
	st := f.p.Status()
	if st.BacklogActive || st.BacklogHistlen != 0 || st.Offset != 50 {
		t.Fatalf("after TTL %+v", st)
	}
	f.feed("more|") // counts, but a write alone doesn't bring the backlog back
	if st := f.p.Status(); st.BacklogActive || st.Offset != 55 {
		t.Fatalf("after a feed %+v", st)
	}
	r := newTestReplica(t, 1, false)
	if !f.sync(r, true, replid, 51) {
		t.Fatal("partial resync accepted without a backlog")
	}
	if st := f.p.Status(); !st.BacklogActive || st.BacklogFirstOffset != 56 {
		t.Fatalf("the replica's sync should recreate the backlog: %+v", st)
	}
}

func TestPrimaryRemoveAndDisconnect(t *testing.T) {
	f := partialFixture(t, baseConfig())
	replid := f.p.Status().ReplID
	r1 := newTestReplica(t, 1, false)
	f.sync(r1, true, replid, 51)
	r1.line(false)
	f.h.do(func() { f.p.Remove(1) })
	r1.eof() // the package closes the connection, without calling ReplicaGone (the node knows)

	r2 := newTestReplica(t, 2, false)
	r3 := newTestReplica(t, 3, false)
	f.sync(r2, true, replid, 51)
	f.sync(r3, true, replid, 51)
	r2.line(false)
	r3.line(false)
	f.h.do(f.p.DisconnectReplicas)
	got := map[uint64]bool{}
	for range 2 {
		select {
		case id := <-f.h.gone:
			got[id] = true
		case <-time.After(safetyTimeout):
			t.Fatal("replicas not dropped")
		}
	}
	if !got[2] || !got[3] || len(f.h.gone) != 0 {
		t.Fatalf("ReplicaGone for %v", got)
	}
	r2.eof()
	r3.eof()
	// A second Sync on the same connection is ignored.
	r4 := newTestReplica(t, 4, false)
	f.sync(r4, true, replid, 51)
	r4.line(false)
	var full bool
	var errReply string
	f.h.do(func() { full, errReply = f.p.Sync(r4.rc, true, "?", -1) })
	if full || errReply != "" || len(f.p.Replicas()) != 1 {
		t.Fatalf("duplicate Sync: full %v err %q replicas %d", full, errReply, len(f.p.Replicas()))
	}
}
