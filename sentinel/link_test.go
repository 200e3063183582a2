package sentinel

import (
	"bufio"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valkey-node/valkey-node/server/resp"
)

func TestReadReply(t *testing.T) {
	cases := []struct{ in, want string }{
		{"+OK\r\n", `"OK"`},
		{"-ERR bad\r\n", `"ERR bad"`},
		{":42\r\n", "42"},
		{"$5\r\nhello\r\n", `"hello"`},
		{"$0\r\n\r\n", `""`},
		{"$-1\r\n", "(nil)"},
		{"*-1\r\n", "(nil array)"},
		{"*3\r\n:1\r\n$1\r\n*\r\n:0\r\n", `[1 "*" 0]`},
		{"*2\r\n*2\r\n:1\r\n:2\r\n*1\r\n$1\r\nx\r\n", `[[1 2] ["x"]]`},
		{">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$3\r\nmsg\r\n", `["message" "ch" "msg"]`},
		{"%1\r\n+a\r\n:1\r\n", `["a" 1]`},
		{"_\r\n", "(nil)"},
		{"#t\r\n", "1"},
		{"=8\r\ntxt:info\r\n", `"info"`},
		{"|1\r\n+k\r\n+v\r\n+after\r\n", `"after"`},
	}
	for _, tc := range cases {
		r, err := readReply(bufio.NewReader(strings.NewReader(tc.in)))
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if r.String() != tc.want {
			t.Errorf("%q decoded as %s, want %s", tc.in, r, tc.want)
		}
	}
	if r, _ := readReply(bufio.NewReader(strings.NewReader("-ERR x\r\n"))); !r.isError() {
		t.Error("error reply not flagged")
	}
	for _, bad := range []string{"?x\r\n", ":x\r\n", "$3\r\nab\r\n", "$5\r\nabcdefg", "+OK\n", "*2\r\n:1\r\n",
		"$-2\r\n", strings.Repeat("*1\r\n", maxReplyDepth+2) + ":1\r\n"} {
		if _, err := readReply(bufio.NewReader(strings.NewReader(bad))); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if got := string(resp.AppendCommand(nil, "SET", "k", "")); got != "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n" {
		t.Errorf("encoded %q", got)
	}
}

// fakeNode is a tiny RESP server that records the commands of each connection and answers PING, INFO
// and SUBSCRIBE; a test can push messages to the subscribed connections.
type fakeNode struct {
	t  *testing.T
	ln net.Listener
	wg sync.WaitGroup

	mu    sync.Mutex
	conns []*fakeConn
}

type fakeConn struct {
	c    net.Conn
	mu   sync.Mutex
	cmds []string
	sub  bool
}

func startFakeNode(t *testing.T) *fakeNode {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeNode{t: t, ln: ln}
	f.wg.Add(1)
	go f.accept()
	t.Cleanup(f.close)
	return f
}

func (f *fakeNode) port() int { return f.ln.Addr().(*net.TCPAddr).Port }

func (f *fakeNode) close() {
	f.ln.Close()
	f.dropAll()
	f.wg.Wait()
}

func (f *fakeNode) dropAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.conns {
		c.c.Close()
	}
}

func (f *fakeNode) accept() {
	defer f.wg.Done()
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		fc := &fakeConn{c: c}
		f.mu.Lock()
		f.conns = append(f.conns, fc)
		f.mu.Unlock()
		f.wg.Add(1)
		go f.serve(fc)
	}
}

func (f *fakeNode) serve(fc *fakeConn) {
	defer f.wg.Done()
	defer fc.c.Close()
	rd := bufio.NewReader(fc.c)
	for {
		args, err := readCommand(rd)
		if err != nil {
			return
		}
		fc.mu.Lock()
		fc.cmds = append(fc.cmds, strings.Join(args, " "))
		var out string
		switch strings.ToUpper(args[0]) {
		case "PING", "PONGME":
			out = "+PONG\r\n"
		case "INFO":
			body := "# Replication\r\nrole:master\r\n"
			out = fmt.Sprintf("$%d\r\n%s\r\n", len(body), body)
		case "SUBSCRIBE":
			fc.sub = true
			out = fmt.Sprintf("*3\r\n$9\r\nsubscribe\r\n$%d\r\n%s\r\n:1\r\n", len(args[1]), args[1])
		default:
			out = "+OK\r\n"
		}
		fc.mu.Unlock()
		fc.c.Write([]byte(out))
	}
}

// readCommand reads one RESP array of bulk strings.
func readCommand(rd *bufio.Reader) ([]string, error) {
	line, err := rd.ReadString('\n')
	if err != nil {
		return nil, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(line[1:]))
	if err != nil {
		return nil, err
	}
	args := make([]string, n)
	for i := range args {
		hdr, err := rd.ReadString('\n')
		if err != nil {
			return nil, err
		}
		l, _ := strconv.Atoi(strings.TrimSpace(hdr[1:]))
		buf := make([]byte, l+2)
		if _, err := ioReadFull(rd, buf); err != nil {
			return nil, err
		}
		args[i] = string(buf[:l])
	}
	return args, nil
}

func ioReadFull(rd *bufio.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := rd.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// commands returns the commands of the connections seen so far: the subscribed one(s) and the others.
func (f *fakeNode) commands() (cmd, pubsub []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.conns {
		c.mu.Lock()
		if c.sub {
			pubsub = append(pubsub, c.cmds...)
		} else {
			cmd = append(cmd, c.cmds...)
		}
		c.mu.Unlock()
	}
	return cmd, pubsub
}

// publish sends a message to the subscribed connections.
func (f *fakeNode) publish(msg string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.conns {
		c.mu.Lock()
		if c.sub {
			fmt.Fprintf(c.c, "*3\r\n$7\r\nmessage\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", len(helloChannel), helloChannel, len(msg), msg)
		}
		c.mu.Unlock()
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestLinkHandshakeHelloAndDisconnect(t *testing.T) {
	f := startFakeNode(t)
	s := newUnitSentinel(t)
	s.mu.Lock()
	m, err := s.createMasterLocked("mymaster", "127.0.0.1", f.port(), 2)
	if err != nil {
		t.Fatal(err)
	}
	m.AuthUser, m.AuthPass = "mon", "secret"
	m.RenamedCommands["ping"] = "PONGME"
	s.reconnectLocked(m, time.Now())
	if m.link.disconnected() {
		t.Fatal("link not initiated")
	}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.closeLinksLocked(m)
		s.mu.Unlock()
		s.wg.Wait()
	}()

	waitUntil(t, "ping reply", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return m.PingPending.IsZero()
	})
	waitUntil(t, "subscription", func() bool { _, ps := f.commands(); return len(ps) == 3 })
	cmd, ps := f.commands()
	wantCmd := []string{"AUTH mon secret", "CLIENT SETNAME sentinel-11111111-cmd", "PONGME"}
	if strings.Join(cmd, "|") != strings.Join(wantCmd, "|") {
		t.Fatalf("command connection got %q, want %q", cmd, wantCmd)
	}
	wantPS := []string{"AUTH mon secret", "CLIENT SETNAME sentinel-11111111-pubsub", "SUBSCRIBE __sentinel__:hello"}
	if strings.Join(ps, "|") != strings.Join(wantPS, "|") {
		t.Fatalf("pub/sub connection got %q, want %q", ps, wantPS)
	}

	// A hello from another sentinel arrives through the pub/sub connection; our own is ignored.
	f.publish(helloFrom(testMyID, "127.0.0.1", "26379", "0", "127.0.0.1", strconv.Itoa(f.port()), "0"))
	f.publish(helloFrom(testOtherA, "127.0.0.1", "26380", "3", "127.0.0.1", strconv.Itoa(f.port()), "0"))
	waitUntil(t, "the other sentinel", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return m.Sentinels[testOtherA] != nil
	})
	s.mu.Lock()
	if len(m.Sentinels) != 1 || s.currentEpoch != 3 {
		t.Fatalf("sentinels %v epoch %d", m.Sentinels, s.currentEpoch)
	}
	// An INFO in flight when the node drops the connections gets no reply: its callback sees nil
	// and the link is down.
	s.sendPeriodicLocked(m, time.Now())
	s.mu.Unlock()
	f.dropAll()
	waitUntil(t, "disconnection", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return m.link.disconnected() && m.link.cmd == nil && m.link.pubsub == nil
	})
	s.mu.Lock()
	if m.PendingCommands != 0 {
		t.Fatalf("pending commands %d after the link dropped", m.PendingCommands)
	}
	// Reconnection waits ping-period after the last attempt.
	s.reconnectLocked(m, m.link.lastReconnect.Add(s.timing.PingPeriod/2))
	if !m.link.disconnected() {
		t.Fatal("reconnected before ping-period")
	}
	s.reconnectLocked(m, m.link.lastReconnect.Add(s.timing.PingPeriod))
	if m.link.disconnected() {
		t.Fatal("not reconnected after ping-period")
	}
	s.mu.Unlock()
}

func TestLinkToDeadAddress(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close() // nothing listens there now
	s := newUnitSentinel(t)
	s.mu.Lock()
	m, _ := s.createMasterLocked("mymaster", "127.0.0.1", port, 2)
	s.reconnectLocked(m, time.Now())
	s.mu.Unlock()
	waitUntil(t, "the failed dial", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return m.link.cmd == nil && m.link.pubsub == nil
	})
	s.wg.Wait()
	got := eventTypes(takeEvents(s))
	if !hasEvent(got, "-cmd-link-reconnection") || !hasEvent(got, "-pubsub-link-reconnection") {
		t.Fatalf("events %q", got)
	}
}
