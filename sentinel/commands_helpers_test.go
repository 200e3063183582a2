package sentinel

// Helpers of the surface tests (SENTINEL commands, config, scripts): an in-process sentinel on a free
// loopback port and a raw RESP client that keeps the reply types, so tests can tell a bulk string from an
// integer and a RESP3 map from a flat array.

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valkey-node/valkey-node/server"
	"github.com/valkey-node/valkey-node/server/config"
)

// surfLog collects a node's or a sentinel's log (the server writes it from several goroutines).
type surfLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *surfLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *surfLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// surfNode is a running sentinel.
type surfNode struct {
	t    testing.TB
	st   *Sentinel
	srv  *server.Server
	conf string // its configuration file
	addr string // plain TCP address
	logs *surfLog
}

// surfFreePort finds a loopback port that is free right now.
func surfFreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// surfStart writes conf (sentinel.conf text) to a temporary file and runs a sentinel on it, plain text
// on a free loopback port. It is stopped at cleanup.
func surfStart(t testing.TB, conf string) *surfNode {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "sentinel.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	return surfStartFile(t, path)
}

// surfStartIdle is surfStart without the sentinel's own Start: the server answers SENTINEL commands but
// no engine changes the instances' flags behind the test's back (no events are delivered either).
func surfStartIdle(t testing.TB, conf string) *surfNode {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sentinel.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	return surfRun(t, path, false)
}

// surfStartFile runs a sentinel on an existing configuration file.
func surfStartFile(t testing.TB, path string) *surfNode {
	t.Helper()
	return surfRun(t, path, true)
}

func surfRun(t testing.TB, path string, start bool) *surfNode {
	t.Helper()
	n := &surfNode{t: t, conf: path, logs: &surfLog{}}
	opts := []config.Option{
		{Name: "bind", Args: []string{"127.0.0.1"}},
		{Name: "port", Args: []string{strconv.Itoa(surfFreePort(t))}},
		{Name: "dir", Args: []string{filepath.Dir(path)}},
	}
	n.st = New()
	srv, err := server.New(server.Options{ConfigFile: path, Args: opts, Mode: n.st, LogWriter: n.logs})
	if err != nil {
		t.Fatalf("sentinel config refused: %v", err)
	}
	n.srv = srv
	n.st.Attach(srv)
	if err := srv.Start(); err != nil {
		srv.Shutdown(context.Background())
		t.Fatalf("starting the sentinel's server: %v", err)
	}
	if !start {
		n.st.mu.Lock()
		n.st.myID = idA
		n.st.mu.Unlock()
	} else if err := n.st.Start(); err != nil {
		srv.Shutdown(context.Background())
		t.Fatalf("starting the sentinel: %v", err)
	}
	n.addr = srv.Addr("tcp")
	t.Cleanup(n.stop)
	return n
}

func (n *surfNode) stop() {
	n.st.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n.srv.Shutdown(ctx)
}

// confText is the configuration file as it is now.
func (n *surfNode) confText() string {
	n.t.Helper()
	b, err := os.ReadFile(n.conf)
	if err != nil {
		n.t.Fatal(err)
	}
	return string(b)
}

// rv is one RESP reply with its type: '+', '-', ':', '$', '*', '%' (map: elems are key, value, …), '_'
// (RESP3 null), '~', '>', ',', '#', '='. A RESP2 null bulk or array has null set.
type rv struct {
	kind  byte
	s     string
	n     int64
	null  bool
	elems []rv
}

// String renders a reply compactly for messages and comparisons: strings bare, integers as :n, errors
// as -text, arrays [a b], maps {k:v ...}, nulls as nil.
func (r rv) String() string {
	switch {
	case r.null || r.kind == '_':
		return "nil"
	case r.kind == ':':
		return ":" + strconv.FormatInt(r.n, 10)
	case r.kind == '-':
		return "-" + r.s
	case r.kind == '*' || r.kind == '~' || r.kind == '>':
		parts := make([]string, len(r.elems))
		for i, e := range r.elems {
			parts[i] = e.String()
		}
		return "[" + strings.Join(parts, " ") + "]"
	case r.kind == '%':
		parts := make([]string, 0, len(r.elems)/2)
		for i := 0; i+1 < len(r.elems); i += 2 {
			parts = append(parts, r.elems[i].String()+":"+r.elems[i+1].String())
		}
		return "{" + strings.Join(parts, " ") + "}"
	}
	return r.s
}

// pairs reads a record: a RESP3 map or a RESP2 flat array of names and values. Every value must be a
// bulk string (spec §5.5), checked here.
func (r rv) pairs(t testing.TB) [][2]string {
	t.Helper()
	if r.kind != '%' && r.kind != '*' {
		t.Fatalf("expected a record, got %s", r)
	}
	if len(r.elems)%2 != 0 {
		t.Fatalf("record with an odd number of elements: %s", r)
	}
	var out [][2]string
	for i := 0; i < len(r.elems); i += 2 {
		k, v := r.elems[i], r.elems[i+1]
		if k.kind != '$' || v.kind != '$' || v.null {
			t.Fatalf("record field %s = %s: names and values must be bulk strings (kinds %c %c)", k, v, k.kind, v.kind)
		}
		out = append(out, [2]string{k.s, v.s})
	}
	return out
}

// fields is pairs as a map.
func (r rv) fields(t testing.TB) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, p := range r.pairs(t) {
		m[p[0]] = p[1]
	}
	return m
}

// surfConn is a raw RESP connection.
type surfConn struct {
	t testing.TB
	c net.Conn
	r *bufio.Reader
}

// dial connects to the sentinel; proto 3 sends HELLO 3 first.
func (n *surfNode) dial(proto int) *surfConn {
	n.t.Helper()
	c, err := net.DialTimeout("tcp", n.addr, 5*time.Second)
	if err != nil {
		n.t.Fatal(err)
	}
	sc := &surfConn{t: n.t, c: c, r: bufio.NewReader(c)}
	n.t.Cleanup(func() { c.Close() })
	if proto == 3 {
		if r := sc.do("HELLO", "3"); r.kind != '%' {
			n.t.Fatalf("HELLO 3: %s", r)
		}
	}
	return sc
}

// send writes one command.
func (c *surfConn) send(args ...string) {
	c.t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	c.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.c.Write([]byte(b.String())); err != nil {
		c.t.Fatal(err)
	}
}

// do sends one command and reads its reply.
func (c *surfConn) do(args ...string) rv {
	c.t.Helper()
	c.send(args...)
	return c.read(10 * time.Second)
}

// read reads one reply, failing the test after the timeout.
func (c *surfConn) read(timeout time.Duration) rv {
	c.t.Helper()
	c.c.SetReadDeadline(time.Now().Add(timeout))
	r, err := readRV(c.r)
	if err != nil {
		c.t.Fatalf("reading a reply: %v", err)
	}
	return r
}

func readRV(br *bufio.Reader) (rv, error) {
	line, err := br.ReadString('\n')
	if err != nil {
		return rv{}, err
	}
	if len(line) < 3 || !strings.HasSuffix(line, "\r\n") {
		return rv{}, fmt.Errorf("bad reply line %q", line)
	}
	kind, body := line[0], line[1:len(line)-2]
	r := rv{kind: kind}
	switch kind {
	case '+', '-', ',', '#':
		r.s = body
	case ':':
		r.n, err = strconv.ParseInt(body, 10, 64)
	case '_':
	case '$', '=':
		size, _ := strconv.Atoi(body)
		if size < 0 {
			r.null = true
			return r, nil
		}
		buf := make([]byte, size+2)
		if _, err = io.ReadFull(br, buf); err == nil {
			r.s = string(buf[:size])
		}
		if kind == '=' {
			r.kind, r.s = '$', r.s[4:] // verbatim: drop "txt:"
		}
	case '*', '%', '~', '>':
		count, _ := strconv.Atoi(body)
		if count < 0 {
			r.null = true
			return r, nil
		}
		if kind == '%' {
			count *= 2
		}
		for i := 0; i < count && err == nil; i++ {
			var e rv
			e, err = readRV(br)
			r.elems = append(r.elems, e)
		}
	default:
		return r, fmt.Errorf("unknown reply type %q", line)
	}
	return r, err
}

// mustOK fails unless the reply is +OK.
func (c *surfConn) mustOK(args ...string) {
	c.t.Helper()
	if r := c.do(args...); r.kind != '+' || r.s != "OK" {
		c.t.Fatalf("%v: %s", args, r)
	}
}

// wantErr fails unless the reply is exactly the error want (without the leading "-").
func (c *surfConn) wantErr(want string, args ...string) {
	c.t.Helper()
	if r := c.do(args...); r.kind != '-' || r.s != want {
		c.t.Fatalf("%v: got %s, want -%s", args, r, want)
	}
}

// surfWait polls cond until it holds, failing after 20 s.
func surfWait(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// subscribe opens a connection subscribed to the channels and returns it; next() reads one message.
func (n *surfNode) subscribe(channels ...string) *surfConn {
	n.t.Helper()
	c := n.dial(2)
	c.send(append([]string{"SUBSCRIBE"}, channels...)...)
	for range channels {
		if r := c.read(10 * time.Second); r.kind != '*' || len(r.elems) != 3 || r.elems[0].s != "subscribe" {
			n.t.Fatalf("SUBSCRIBE: %s", r)
		}
	}
	return c
}

// nextMessage reads the next pub/sub message: channel and payload.
func (c *surfConn) nextMessage() (string, string) {
	c.t.Helper()
	r := c.read(20 * time.Second)
	if r.kind != '*' || len(r.elems) != 3 || r.elems[0].s != "message" {
		c.t.Fatalf("expected a pub/sub message, got %s", r)
	}
	return r.elems[1].s, r.elems[2].s
}
