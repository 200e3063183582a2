package replication

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"go.uber.org/goleak"

	"github.com/valkey-node/valkey-node/server/resp"
)

// This file is the test harness of the replica side: a fake ReplicaHost that records what the link
// tells it, and a fake primary (a loopback listener driven step by step by the test).

const linkTestWait = 20 * time.Second

// linkLeakCheck fails the test if goroutines started during it are still running once every cleanup
// registered after it (the link's Stop, the fake primary's Close) has run.
func linkLeakCheck(t *testing.T) {
	t.Helper()
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
}

// linkWaitFor polls cond until it holds; the deadline only guards against a hung test.
func linkWaitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(linkTestWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// linkFullSyncCall is one FullSync the host received.
type linkFullSyncCall struct {
	replid string
	offset int64
	data   []byte
	err    error // the error reading r ended with, if any
	file   string
}

// linkTestHost is a ReplicaHost that keeps everything in memory.
type linkTestHost struct {
	mu        sync.Mutex
	replid    string // the cached primary PSYNCArgs returns ("" = none)
	offset    int64
	cmds      [][]string
	raws      [][]byte // one per Apply
	sizes     []int    // commands per Apply
	fulls     []linkFullSyncCall
	continues []string
	ups       int
	downs     int
	// onFullSync, if set, runs inside FullSync before the RDB is read.
	onFullSync func(r io.Reader)
	// failLoad makes FullSync return an error after reading the RDB.
	failLoad error
}

func (h *linkTestHost) PSYNCArgs() (string, int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.replid == "" {
		return "?", -1
	}
	return h.replid, h.offset + 1
}

func (h *linkTestHost) FullSync(r io.Reader, replid string, offset int64) error {
	h.mu.Lock()
	hook := h.onFullSync
	h.mu.Unlock()
	call := linkFullSyncCall{replid: replid, offset: offset}
	if f, ok := r.(interface{ Name() string }); ok {
		call.file = f.Name()
	}
	if hook != nil {
		hook(r)
	}
	call.data, call.err = io.ReadAll(r)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.fulls = append(h.fulls, call)
	if call.err != nil {
		return fmt.Errorf("loading: %w", call.err)
	}
	if h.failLoad != nil {
		return h.failLoad
	}
	if replid == "" {
		replid = strings.Repeat("f", 40) // the node invents an id after SYNC
	}
	h.replid = replid
	h.offset = max(offset, 0)
	h.cmds, h.raws, h.sizes = nil, nil, nil
	return nil
}

func (h *linkTestHost) Continue(newReplID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.continues = append(h.continues, newReplID)
	if newReplID != "" {
		h.replid = newReplID
	}
}

func (h *linkTestHost) Apply(cmds [][][]byte, raw []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range cmds {
		s := make([]string, len(c))
		for i, a := range c {
			s[i] = string(a)
		}
		h.cmds = append(h.cmds, s)
	}
	h.raws = append(h.raws, bytes.Clone(raw))
	h.sizes = append(h.sizes, len(cmds))
	h.offset += int64(len(raw))
}

func (h *linkTestHost) Offset() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.offset
}

func (h *linkTestHost) LinkUp() {
	h.mu.Lock()
	h.ups++
	h.mu.Unlock()
}

func (h *linkTestHost) LinkDown() {
	h.mu.Lock()
	h.downs++
	h.mu.Unlock()
}

// snapshot returns copies for assertions.
func (h *linkTestHost) state() (fulls []linkFullSyncCall, cmds [][]string, raw []byte, ups, downs int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]linkFullSyncCall(nil), h.fulls...), append([][]string(nil), h.cmds...),
		bytes.Join(h.raws, nil), h.ups, h.downs
}

func (h *linkTestHost) counts() (fulls, ups, downs int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.fulls), h.ups, h.downs
}

// linkLogBuf collects the link's log lines for assertions.
type linkLogBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *linkLogBuf) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *linkLogBuf) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// linkFakePrimary accepts the replica's connections; the test drives each one.
type linkFakePrimary struct {
	t     *testing.T
	ln    net.Listener
	conns chan net.Conn
	wg    sync.WaitGroup

	mu   sync.Mutex
	open []net.Conn
}

func newLinkFakePrimary(t *testing.T) *linkFakePrimary {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	p := &linkFakePrimary{t: t, ln: ln, conns: make(chan net.Conn, 16)}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			p.open = append(p.open, c)
			p.mu.Unlock()
			p.conns <- c
		}
	}()
	t.Cleanup(p.close)
	return p
}

func (p *linkFakePrimary) close() {
	_ = p.ln.Close()
	p.wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.open {
		_ = c.Close()
	}
}

func (p *linkFakePrimary) port() int { return p.ln.Addr().(*net.TCPAddr).Port }

// accept waits for the replica's next connection.
func (p *linkFakePrimary) accept() *linkPeer {
	p.t.Helper()
	select {
	case c := <-p.conns:
		return &linkPeer{t: p.t, conn: c, r: bufio.NewReader(c)}
	case <-time.After(linkTestWait):
		p.t.Fatal("timed out waiting for the replica to connect")
		return nil
	}
}

// linkPeer is one replica connection as the fake primary sees it.
type linkPeer struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

func (c *linkPeer) send(s string) {
	c.t.Helper()
	if _, err := c.conn.Write([]byte(s)); err != nil {
		c.t.Fatalf("fake primary write: %v", err)
	}
}

// readExact reads exactly len(want) bytes and compares them.
func (c *linkPeer) readExact(want string) {
	c.t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(linkTestWait))
	got := make([]byte, len(want))
	if _, err := io.ReadFull(c.r, got); err != nil {
		c.t.Fatalf("fake primary reading %q: %v (got %q)", want, err, got)
	}
	if string(got) != want {
		c.t.Fatalf("replica sent %q, want %q", got, want)
	}
}

// readCmd reads one command: a RESP array, or an inline line (a bare newline gives an empty command).
func (c *linkPeer) readCmd() ([]string, error) {
	_ = c.conn.SetReadDeadline(time.Now().Add(linkTestWait))
	line, err := c.r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimRight(line, "\r\n")
	if !strings.HasPrefix(line, "*") {
		return strings.Fields(line), nil
	}
	n, err := strconv.Atoi(line[1:])
	if err != nil {
		return nil, fmt.Errorf("bad array header %q", line)
	}
	args := make([]string, n)
	for i := range args {
		hdr, err := c.r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		size, err := strconv.Atoi(strings.TrimRight(hdr, "\r\n")[1:])
		if err != nil {
			return nil, fmt.Errorf("bad bulk header %q", hdr)
		}
		b := make([]byte, size+2)
		if _, err := io.ReadFull(c.r, b); err != nil {
			return nil, err
		}
		args[i] = string(b[:size])
	}
	return args, nil
}

// expect reads the next command, skipping the replica's keep-alive newlines, and compares it.
func (c *linkPeer) expect(want ...string) {
	c.t.Helper()
	got := c.next()
	if strings.Join(got, " ") != strings.Join(want, " ") {
		c.t.Fatalf("replica sent %q, want %q", got, want)
	}
}

// next returns the next non-empty command.
func (c *linkPeer) next() []string {
	c.t.Helper()
	for {
		got, err := c.readCmd()
		if err != nil {
			c.t.Fatalf("fake primary reading a command: %v", err)
		}
		if len(got) > 0 {
			return got
		}
	}
}

// expectClosed checks that the replica closes the connection without sending another command.
func (c *linkPeer) expectClosed() {
	c.t.Helper()
	for {
		got, err := c.readCmd()
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) && !strings.Contains(err.Error(), "reset") {
				c.t.Fatalf("expected the replica to close the connection, got %v", err)
			}
			return
		}
		if len(got) > 0 {
			c.t.Fatalf("expected the replica to close the connection, it sent %q", got)
		}
	}
}

// handshake plays a primary that accepts the whole handshake and returns the PSYNC arguments.
func (c *linkPeer) handshake() []string {
	c.t.Helper()
	c.expect("PING")
	c.send("+PONG\r\n")
	for {
		cmd := c.next()
		if strings.EqualFold(cmd[0], "PSYNC") {
			return cmd
		}
		c.send("+OK\r\n")
	}
}

// linkTestConfig is a config that dials the fake primary.
func linkTestConfig(p *linkFakePrimary) LinkConfig {
	var d net.Dialer
	return LinkConfig{
		Host:          "127.0.0.1",
		Port:          p.port(),
		Dial:          func(ctx context.Context, addr string) (net.Conn, error) { return d.DialContext(ctx, "tcp", addr) },
		ListeningPort: 6380,
		Timeout:       time.Minute,
		DisklessLoad:  "on-empty-db",
		Version:       "8.0.1",
	}
}

// startTestLink starts a link with fast retries and no periodic traffic unless a test asks for it;
// it is stopped at cleanup.
func startTestLink(t *testing.T, cfg LinkConfig, h *linkTestHost, tune func(*Link)) (*Link, *linkLogBuf) {
	t.Helper()
	logs := &linkLogBuf{}
	log := zerolog.New(zerolog.MultiLevelWriter(logs, zerolog.NewTestWriter(t)))
	l := NewLink(cfg, h, log)
	l.retryMin, l.retryMax = 5*time.Millisecond, 20*time.Millisecond
	l.ackEvery, l.keepaliveEvery = time.Hour, time.Hour
	if tune != nil {
		tune(l)
	}
	l.Start()
	t.Cleanup(l.Stop)
	return l, logs
}

func linkNopLogger() zerolog.Logger { return zerolog.Nop() }

// linkBulk encodes a command the way a primary streams it.
func linkBulk(args ...string) string { return string(resp.AppendCommand(nil, args...)) }

// linkTestID is a 40-character replication id.
func linkTestID(c byte) string { return strings.Repeat(string(c), 40) }
