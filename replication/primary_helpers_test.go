package replication

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"go.uber.org/goleak"
)

// safetyTimeout bounds every blocking read in these tests so that a bug fails the test instead of
// hanging it; no assertion depends on it.
const safetyTimeout = 10 * time.Second

// fakePrimaryHost plays the node: mu is "the node's lock", the snapshot is a fixed RDB-like payload
// written in small chunks (so that a transfer spans many writes).
type fakePrimaryHost struct {
	mu        sync.Mutex
	payload   []byte
	chunk     int
	snapshots atomic.Int32
	released  atomic.Int32
	refuse    atomic.Int32  // this many Snapshot calls answer ok=false
	snapped   chan struct{} // gets a value at each snapshot (cap 16)
	gone      chan uint64
}

func newFakePrimaryHost() *fakePrimaryHost {
	payload := []byte("REDIS0010")
	for i := 0; len(payload) < 40000; i++ {
		payload = fmt.Appendf(payload, "key:%d=value:%d;", i, i*7)
	}
	payload = append(payload, 0xff)
	return &fakePrimaryHost{
		payload: payload,
		chunk:   1000,
		snapped: make(chan struct{}, 16),
		gone:    make(chan uint64, 16),
	}
}

func (h *fakePrimaryHost) WithLock(fn func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	fn()
}

func (h *fakePrimaryHost) Snapshot() (func(context.Context, io.Writer) error, func(), bool) {
	if h.refuse.Load() > 0 {
		h.refuse.Add(-1)
		return nil, nil, false
	}
	h.snapshots.Add(1)
	h.snapped <- struct{}{}
	payload, chunk := h.payload, h.chunk
	write := func(ctx context.Context, w io.Writer) error {
		for rest := payload; len(rest) > 0; {
			if err := ctx.Err(); err != nil {
				return err
			}
			n := min(chunk, len(rest))
			if _, err := w.Write(rest[:n]); err != nil {
				return err
			}
			rest = rest[n:]
		}
		return nil
	}
	return write, func() { h.released.Add(1) }, true
}

func (h *fakePrimaryHost) ReplicaGone(id uint64) { h.gone <- id }

// do runs fn as the node would call a "lock held" method.
func (h *fakePrimaryHost) do(fn func()) { h.WithLock(fn) }

// logBuf collects the Primary's log lines.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// primaryFixture is a Primary on a fake host, closed (and checked for leaked goroutines) at the end of
// the test.
type primaryFixture struct {
	t    *testing.T
	h    *fakePrimaryHost
	p    *Primary
	logs *logBuf
}

func baseConfig() PrimaryConfig {
	return PrimaryConfig{BacklogSize: 1 << 20, DisklessSync: true}
}

func newPrimaryFixture(t *testing.T, cfg PrimaryConfig) *primaryFixture {
	t.Helper()
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
	h := newFakePrimaryHost()
	logs := &logBuf{}
	p := NewPrimary(cfg, h, zerolog.New(logs))
	t.Cleanup(p.Close)
	return &primaryFixture{t: t, h: h, p: p, logs: logs}
}

// feed feeds under the node's lock.
func (f *primaryFixture) feed(s string) {
	f.h.do(func() { f.p.Feed([]byte(s)) })
}

func (f *primaryFixture) offset() (off int64) {
	f.h.do(func() { off = f.p.Offset() })
	return off
}

func (f *primaryFixture) sync(r *testReplica, psync bool, replid string, offset int64) (full bool) {
	f.t.Helper()
	var errReply string
	f.h.do(func() { full, errReply = f.p.Sync(r.rc, psync, replid, offset) })
	if errReply != "" {
		f.t.Fatalf("Sync: %s", errReply)
	}
	return full
}

func (f *primaryFixture) replica(id uint64) (ReplicaInfo, bool) {
	var infos []ReplicaInfo
	f.h.do(func() { infos = f.p.Replicas() })
	for _, ri := range infos {
		if ri.ID == id {
			return ri, true
		}
	}
	return ReplicaInfo{}, false
}

// waitGone waits for ReplicaGone(id).
func (f *primaryFixture) waitGone(id uint64) {
	f.t.Helper()
	select {
	case got := <-f.h.gone:
		if got != id {
			f.t.Fatalf("ReplicaGone(%d), want %d", got, id)
		}
	case <-time.After(safetyTimeout):
		f.t.Fatalf("replica %d was not dropped", id)
	}
}

// testReplica is the replica's end of a connection to the Primary.
type testReplica struct {
	t    *testing.T
	conn net.Conn
	rd   *bufio.Reader
	rc   *ReplicaConn
}

// newTestReplica connects a replica over net.Pipe, or over loopback TCP when tcp is set.
func newTestReplica(t *testing.T, id uint64, tcp bool) *testReplica {
	t.Helper()
	var local, remote net.Conn
	if tcp {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		accepted := make(chan net.Conn, 1)
		go func() {
			c, _ := ln.Accept()
			accepted <- c
		}()
		local, err = net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		remote = <-accepted
		if remote == nil {
			t.Fatal("accept failed")
		}
	} else {
		local, remote = net.Pipe()
	}
	t.Cleanup(func() { local.Close(); remote.Close() })
	return &testReplica{
		t:    t,
		conn: local,
		rd:   bufio.NewReader(local),
		rc: &ReplicaConn{
			ID: id, Conn: remote, Addr: fmt.Sprintf("127.0.0.1:%d", 50000+id),
			ListeningPort: 6380 + int(id), CapaEOF: true, CapaPSYNC2: true,
		},
	}
}

func (r *testReplica) deadline() {
	_ = r.conn.SetReadDeadline(time.Now().Add(safetyTimeout))
}

// line reads one line without its CRLF; with skipEmpty, "\n" keepalives are skipped.
func (r *testReplica) line(skipEmpty bool) string {
	r.t.Helper()
	for {
		r.deadline()
		s, err := r.rd.ReadString('\n')
		if err != nil {
			r.t.Fatalf("read line: %v (got %q)", err, s)
		}
		if skipEmpty && s == "\n" {
			continue
		}
		return strings.TrimSuffix(strings.TrimSuffix(s, "\n"), "\r")
	}
}

func (r *testReplica) bytes(n int) []byte {
	r.t.Helper()
	r.deadline()
	b := make([]byte, n)
	if _, err := io.ReadFull(r.rd, b); err != nil {
		r.t.Fatalf("read %d bytes: %v", n, err)
	}
	return b
}

func (r *testReplica) expect(want string) {
	r.t.Helper()
	if got := string(r.bytes(len(want))); got != want {
		r.t.Fatalf("stream: got %q, want %q", got, want)
	}
}

// fullResync reads the +FULLRESYNC line and returns its id and offset.
func (r *testReplica) fullResync() (string, int64) {
	r.t.Helper()
	l := r.line(true)
	f := strings.Fields(l)
	if len(f) != 3 || f[0] != "+FULLRESYNC" || len(f[1]) != 40 {
		r.t.Fatalf("want +FULLRESYNC <id> <offset>, got %q", l)
	}
	off, err := strconv.ParseInt(f[2], 10, 64)
	if err != nil {
		r.t.Fatalf("offset in %q: %v", l, err)
	}
	return f[1], off
}

// disklessRDB reads "$EOF:<mark>", the payload and the mark, checking the framing; returns the mark.
func (r *testReplica) disklessRDB(payload []byte) string {
	r.t.Helper()
	mark, err := r.readDiskless(payload)
	if err != nil {
		r.t.Fatal(err)
	}
	return mark
}

// readDiskless is disklessRDB for another goroutine than the test's (several replicas of one snapshot
// must read at once: the transfer goes at the pace of the slowest).
func (r *testReplica) readDiskless(payload []byte) (string, error) {
	r.deadline()
	l, err := r.rd.ReadString('\n')
	for err == nil && l == "\n" {
		l, err = r.rd.ReadString('\n')
	}
	if err != nil {
		return "", fmt.Errorf("read $EOF line: %w", err)
	}
	mark, ok := strings.CutPrefix(strings.TrimSuffix(l, "\r\n"), "$EOF:")
	if !ok || len(mark) != 40 {
		return "", fmt.Errorf("want $EOF:<40 chars>, got %q", l)
	}
	got := make([]byte, len(payload)+40)
	if _, err := io.ReadFull(r.rd, got); err != nil {
		return "", fmt.Errorf("read RDB: %w", err)
	}
	if !bytes.Equal(got[:len(payload)], payload) {
		return "", fmt.Errorf("diskless RDB payload differs")
	}
	if end := string(got[len(payload):]); end != mark {
		return "", fmt.Errorf("end mark %q, want %q", end, mark)
	}
	return mark, nil
}

// disklessRDBs reads the same snapshot on several replicas at once and returns their marks.
func disklessRDBs(t *testing.T, payload []byte, rs ...*testReplica) []string {
	t.Helper()
	marks := make([]string, len(rs))
	errs := make([]error, len(rs))
	var wg sync.WaitGroup
	for i, r := range rs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			marks[i], errs[i] = r.readDiskless(payload)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: %v", rs[i].rc.ID, err)
		}
	}
	return marks
}

// eof checks that the primary closed the connection (after any bytes still in flight).
func (r *testReplica) eof() {
	r.t.Helper()
	r.deadline()
	if _, err := io.Copy(io.Discard, r.rd); err != nil {
		r.t.Fatalf("want EOF, got %v", err)
	}
}
