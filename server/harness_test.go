package server

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/valkey-node/valkey-node/server/config"
	"github.com/valkey-node/valkey-node/tlsmat"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// syncBuffer collects a node's log for assertions.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// testNode is an in-process node on loopback ports.
type testNode struct {
	t       testing.TB
	srv     *Server
	addr    string // plain TCP, "" if port 0
	tlsAddr string // TLS, "" if tls-port 0
	logs    *syncBuffer
	certs   string // directory with ca.crt, server.crt/key, client.crt/key when TLS was requested
}

// freePort finds a loopback port that is free right now.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// devCerts writes a development PKI into a temporary directory (shared by the tests of one package run).
var (
	devCertsOnce sync.Once
	devCertsDir  string
	devCertsErr  error
)

func devCerts(t testing.TB) string {
	t.Helper()
	devCertsOnce.Do(func() {
		devCertsDir, devCertsErr = os.MkdirTemp("", "valkey-node-test-certs-")
		if devCertsErr == nil {
			devCertsErr = tlsmat.GenerateDevCerts(devCertsDir, false)
		}
	})
	if devCertsErr != nil {
		t.Fatal(devCertsErr)
	}
	return devCertsDir
}

// startNode starts a node with directives given as "name", "value" pairs (or "name value" strings).
// Unless given, bind is 127.0.0.1 and port a free port. With "tls" as the first argument the node also
// serves TLS on a free port with development certificates.
func startNode(t testing.TB, args ...string) *testNode {
	t.Helper()
	n := &testNode{t: t, logs: &syncBuffer{}}
	useTLS := len(args) > 0 && args[0] == "tls"
	if useTLS {
		args = args[1:]
	}
	var opts []config.Option
	has := map[string]bool{}
	for i := 0; i < len(args); i++ {
		f := strings.Fields(args[i])
		if len(f) == 1 {
			// a "name", "value" pair
			if i+1 >= len(args) {
				t.Fatalf("directive %s without a value", args[i])
			}
			opts = append(opts, config.Option{Name: args[i], Args: []string{args[i+1]}})
			has[args[i]] = true
			i++
			continue
		}
		opts = append(opts, config.Option{Name: f[0], Args: f[1:]})
		has[f[0]] = true
	}
	var pre []config.Option
	if !has["bind"] {
		pre = append(pre, config.Option{Name: "bind", Args: []string{"127.0.0.1"}})
	}
	if !has["port"] {
		pre = append(pre, config.Option{Name: "port", Args: []string{strconv.Itoa(freePort(t))}})
	}
	if useTLS {
		n.certs = devCerts(t)
		pre = append(pre,
			config.Option{Name: "tls-port", Args: []string{strconv.Itoa(freePort(t))}},
			config.Option{Name: "tls-cert-file", Args: []string{filepath.Join(n.certs, "server.crt")}},
			config.Option{Name: "tls-key-file", Args: []string{filepath.Join(n.certs, "server.key")}},
			config.Option{Name: "tls-ca-cert-file", Args: []string{filepath.Join(n.certs, "ca.crt")}},
		)
	}
	if !has["save"] {
		// no save points unless a test asks: most tests have no use for a final save at cleanup
		pre = append(pre, config.Option{Name: "save", Args: []string{""}})
	}
	if !has["dir"] {
		pre = append(pre, config.Option{Name: "dir", Args: []string{t.TempDir()}})
	}
	srv, err := New(Options{Args: append(pre, opts...), LogWriter: n.logs})
	if err != nil {
		t.Fatalf("starting node: %v", err)
	}
	if err := srv.Start(); err != nil {
		srv.Shutdown(context.Background())
		t.Fatalf("starting node: %v", err)
	}
	n.srv = srv
	n.addr = srv.Addr("tcp")
	n.tlsAddr = srv.Addr("tls")
	t.Cleanup(n.stop)
	return n
}

func (n *testNode) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n.srv.Shutdown(ctx)
}

// client returns a go-redis client on the plain port (RESP3 unless opts says otherwise), closed at cleanup.
func (n *testNode) client(opts ...func(*redis.Options)) *redis.Client {
	o := &redis.Options{Addr: n.addr, Protocol: 3, MaxRetries: -1, PoolSize: 4}
	for _, f := range opts {
		f(o)
	}
	c := redis.NewClient(o)
	n.t.Cleanup(func() { c.Close() })
	return c
}

// tlsClient returns a go-redis client in protocol proto on the TLS port, presenting the client
// certificate, closed at cleanup.
func (n *testNode) tlsClient(proto int) *redis.Client {
	return n.client(func(o *redis.Options) {
		o.Protocol = proto
		o.Addr = n.tlsAddr
		o.TLSConfig = n.tlsClientConfig(true)
	})
}

// tlsClientConfig trusts the test CA and presents the client certificate (withCert).
func (n *testNode) tlsClientConfig(withCert bool) *tls.Config {
	n.t.Helper()
	caPEM, err := os.ReadFile(filepath.Join(n.certs, "ca.crt"))
	if err != nil {
		n.t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	cfg := &tls.Config{RootCAs: pool, ServerName: "localhost"}
	if withCert {
		cert, err := tls.LoadX509KeyPair(filepath.Join(n.certs, "client.crt"), filepath.Join(n.certs, "client.key"))
		if err != nil {
			n.t.Fatal(err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg
}

// rawConn is a connection that speaks RESP by hand, for protocol tests.
type rawConn struct {
	t  testing.TB
	c  net.Conn
	br *bufio.Reader
}

func (n *testNode) raw() *rawConn {
	n.t.Helper()
	return dialRaw(n.t, n.addr)
}

// send writes raw bytes.
func (r *rawConn) send(s string) {
	r.t.Helper()
	r.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := r.c.Write([]byte(s)); err != nil {
		r.t.Fatal(err)
	}
}

// cmd sends a command as a multibulk request.
func (r *rawConn) cmd(args ...string) {
	r.t.Helper()
	r.send(string(respCommand(args...)))
}

// line reads one CRLF-terminated line (without the CRLF).
func (r *rawConn) line() string {
	r.t.Helper()
	r.c.SetReadDeadline(time.Now().Add(60 * time.Second))
	l, err := r.br.ReadString('\n')
	if err != nil {
		r.t.Fatalf("reading reply: %v (got %q)", err, l)
	}
	return strings.TrimSuffix(l, "\r\n")
}

// reply reads one whole reply and renders it compactly (respNode.String).
func (r *rawConn) reply() string {
	r.t.Helper()
	return r.node().String()
}

// node reads one whole reply, parsed.
func (r *rawConn) node() respNode {
	r.t.Helper()
	r.c.SetReadDeadline(time.Now().Add(60 * time.Second))
	n, err := readNode(r.br)
	if err != nil {
		r.t.Fatalf("reading reply: %v", err)
	}
	return n
}

// call sends a command and returns its parsed reply.
func (r *rawConn) call(args ...string) respNode {
	r.t.Helper()
	r.cmd(args...)
	return r.node()
}

// do sends a command and returns its rendered reply.
func (r *rawConn) do(args ...string) string {
	r.t.Helper()
	r.cmd(args...)
	return r.reply()
}

// closed reports whether the server closed the connection (reads EOF within the timeout).
func (r *rawConn) closed() bool {
	r.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := r.br.ReadByte()
	return err != nil && !isTimeout(err)
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// expectKeyEvents reads keyevent messages of database 0 ("pmessage" pattern channel key) and compares
// "event key".
func expectKeyEvents(t *testing.T, sub *rawConn, want []string) {
	t.Helper()
	for i, w := range want {
		got := sub.reply()
		parts := strings.Fields(strings.Trim(got, "[]"))
		if len(parts) != 4 {
			t.Fatalf("event %d: %s", i, got)
		}
		ev := strings.TrimPrefix(strings.Trim(parts[2], `"`), "__keyevent@0__:") + " " + strings.Trim(parts[3], `"`)
		if ev != w {
			t.Fatalf("event %d: got %q, want %q", i, ev, w)
		}
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// dialRaw opens a rawConn to addr, closed at cleanup. It retries for a while, so that it can wait for a
// server that is still starting.
func dialRaw(t testing.TB, addr string) *rawConn {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			t.Cleanup(func() { c.Close() })
			return &rawConn{t: t, c: c, br: bufio.NewReader(c)}
		}
		if time.Now().After(deadline) {
			t.Fatalf("dialing %s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// loopbackAddr is the address of a port on 127.0.0.1.
func loopbackAddr(port int) string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}

// The interop rule: a test that needs a real tool (redis-server, redis-cli, openssl...) is skipped,
// naming the Debian package to install, when the tool is missing; with VALKEY_NODE_REQUIRE_INTEROP=1 it
// fails instead, so that a CI that installed the tools cannot pass by skipping.

// optionalBinary finds a real tool for a part of a test that can be left out: missing, it logs that the
// part is skipped and returns false (or fails the test under VALKEY_NODE_REQUIRE_INTEROP=1).
func optionalBinary(t testing.TB, name, debPackage string) (string, bool) {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p, true
	}
	if os.Getenv("VALKEY_NODE_REQUIRE_INTEROP") == "1" {
		t.Fatalf("%s not found: install the Debian package %s", name, debPackage)
	}
	t.Logf("%s not found, skipping the %s part: install the Debian package %s", name, name, debPackage)
	return "", false
}

// requireBinary finds a real tool the whole test needs, or skips the test (fails it under
// VALKEY_NODE_REQUIRE_INTEROP=1).
func requireBinary(t testing.TB, name, debPackage string) string {
	t.Helper()
	p, ok := optionalBinary(t, name, debPackage)
	if !ok {
		t.Skipf("%s not found: install the Debian package %s", name, debPackage)
	}
	return p
}

// startRedisServer runs the real redis-server on a free loopback port, without persistence, with the
// extra directives given as command-line arguments ("--name", "value"...). It returns a raw connection to
// it and its port; the process is killed at cleanup. Missing redis-server follows the interop rule.
func startRedisServer(t testing.TB, args ...string) (*rawConn, int) {
	t.Helper()
	port := freePort(t)
	startRedisServerNoConn(t, port, append([]string{"--port", strconv.Itoa(port)}, args...)...)
	r := dialRaw(t, loopbackAddr(port))
	if got := r.do("PING"); got != "PONG" {
		t.Fatalf("redis-server PING: %s", got)
	}
	return r, port
}

// startRedisServerNoConn runs the real redis-server, without persistence, with the given arguments (which
// must make it listen on port, plain or TLS), and waits until port accepts connections. The process is
// killed at cleanup. Missing redis-server follows the interop rule.
func startRedisServerNoConn(t testing.TB, port int, args ...string) {
	t.Helper()
	bin := requireBinary(t, "redis-server", "redis-server")
	full := append([]string{"--bind", "127.0.0.1", "--save", "",
		"--appendonly", "no", "--daemonize", "no", "--dir", t.TempDir(), "--loglevel", "warning"}, args...)
	logs := &syncBuffer{}
	cmd := exec.Command(bin, full...)
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting redis-server: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	addr := loopbackAddr(port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		select {
		case <-exited:
			t.Fatalf("redis-server %v exited at start:\n%s", args, logs)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server did not start: %v\n%s", err, logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// dialTLSRaw opens a rawConn over TLS (the test PKI, client certificate presented) to addr.
func dialTLSRaw(t testing.TB, addr string) *rawConn {
	t.Helper()
	certs := devCerts(t)
	n := &testNode{t: t, certs: certs}
	cfg := n.tlsClientConfig(true)
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := tls.DialWithDialer(&net.Dialer{Timeout: time.Second}, "tcp", addr, cfg)
		if err == nil {
			t.Cleanup(func() { c.Close() })
			return &rawConn{t: t, c: c, br: bufio.NewReader(c)}
		}
		if time.Now().After(deadline) {
			t.Fatalf("dialing %s over TLS: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// respNode is one parsed reply that keeps its RESP3 type, for comparing the replies of two servers.
type respNode struct {
	// '+', '-', ':', '$', '=' (verbatim), ',', '#', '(', '*', '%', '~', '>' (push), or '_' for a null
	kind byte
	// the text after the type byte, a bulk payload, or for a null how it came: "$" or "*" (RESP2), "_"
	str string
	// aggregate elements; a map's keys and values alternate
	elems []respNode
}

// readNode reads one whole reply.
func readNode(br *bufio.Reader) (respNode, error) {
	line, err := br.ReadString('\n')
	if err != nil {
		return respNode{}, fmt.Errorf("reading a reply line (got %q): %w", line, err)
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return respNode{}, fmt.Errorf("empty reply line")
	}
	n := respNode{kind: line[0], str: line[1:]}
	switch n.kind {
	case '+', '-', ':', ',', '#', '(':
		return n, nil
	case '_':
		return n, nil // str is ""
	case '$', '=':
		size, err := strconv.Atoi(n.str)
		if err != nil {
			return n, fmt.Errorf("bad bulk length in %q", line)
		}
		if size < 0 {
			return respNode{kind: '_', str: "$"}, nil
		}
		buf := make([]byte, size+2)
		if _, err := io.ReadFull(br, buf); err != nil {
			return n, fmt.Errorf("reading a bulk string of %d bytes: %w", size, err)
		}
		n.str = string(buf[:size])
		return n, nil
	case '*', '%', '~', '>':
		size, err := strconv.Atoi(n.str)
		if err != nil {
			return n, fmt.Errorf("bad aggregate length in %q", line)
		}
		if size < 0 {
			return respNode{kind: '_', str: "*"}, nil
		}
		if n.kind == '%' {
			size *= 2
		}
		n.str = ""
		n.elems = make([]respNode, size)
		for i := range n.elems {
			if n.elems[i], err = readNode(br); err != nil {
				return n, err
			}
		}
		return n, nil
	}
	return n, fmt.Errorf("unexpected reply line %q", line)
}

// String renders a reply compactly, as the exact-reply tables write them: simple strings as is, errors
// with their '-', integers as ":n", doubles as ",x", bulk and verbatim strings quoted, every null as
// "(nil)", every aggregate as [a b c] (a map's pairs flat).
func (n respNode) String() string {
	return n.render(false)
}

// typed renders a reply like String but keeps what String folds: the kind of an aggregate (%[..] map,
// ~[..] set, >[..] push), the kind of a null ((nil) bulk, (nil*) array, (null) RESP3) and verbatim
// strings (=".."). Differential tests compare this form.
func (n respNode) typed() string {
	return n.render(true)
}

func (n respNode) render(typed bool) string {
	switch n.kind {
	case '+':
		return n.str
	case '_':
		if !typed || n.str == "$" {
			return "(nil)"
		}
		if n.str == "*" {
			return "(nil*)"
		}
		return "(null)"
	case '$':
		return strconv.Quote(n.str)
	case '=':
		if typed {
			return "=" + strconv.Quote(n.str)
		}
		return strconv.Quote(n.str)
	case '*', '%', '~', '>':
		parts := make([]string, len(n.elems))
		for i, e := range n.elems {
			parts[i] = e.render(typed)
		}
		prefix := ""
		if typed && n.kind != '*' {
			prefix = string(n.kind)
		}
		return prefix + "[" + strings.Join(parts, " ") + "]"
	}
	return string(n.kind) + n.str
}

// unordered renders an aggregate (typed) with its elements, or with pairs its element pairs, sorted: for
// replies whose order is a hash table's.
func (n respNode) unordered(pairs bool) string {
	if n.elems == nil {
		return n.typed()
	}
	step := 1
	if pairs {
		step = 2
	}
	var items []string
	for i := 0; i+step <= len(n.elems); i += step {
		var s []string
		for _, e := range n.elems[i : i+step] {
			s = append(s, e.typed())
		}
		items = append(items, strings.Join(s, " "))
	}
	sort.Strings(items)
	return string(n.kind) + "{" + strings.Join(items, " ") + "}"
}

// skipReply reads one reply of any type without keeping it, for benchmarks.
func skipReply(br *bufio.Reader) error {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return err
	}
	if len(line) < 3 {
		return fmt.Errorf("short reply line %q", line)
	}
	switch line[0] {
	case '$', '=', '*', '%', '~', '>':
		n, err := strconv.Atoi(string(line[1 : len(line)-2]))
		if err != nil {
			return fmt.Errorf("bad length in %q", line)
		}
		if line[0] == '$' || line[0] == '=' {
			if n >= 0 {
				_, err = br.Discard(n + 2)
			}
			return err
		}
		if line[0] == '%' {
			n *= 2
		}
		for i := 0; i < n && err == nil; i++ {
			err = skipReply(br)
		}
		return err
	}
	return nil
}

// tableStep is one row of an exact-reply table: a command (split by splitCmd) and its reply as rawConn
// renders it. valkeyOnly marks rows where Valkey, which valkey-node follows, differs from redis-server
// 7.0 (or has what 7.0 lacks); runTable leaves them out when the table runs on redis-server.
type tableStep struct {
	cmd, want  string
	valkeyOnly bool
}

// runTable sends each command of a table in order on r and reports every reply that differs.
func runTable(t *testing.T, r *rawConn, steps []tableStep, onRedis bool) {
	t.Helper()
	for _, st := range steps {
		if onRedis && st.valkeyOnly {
			continue
		}
		checkReply(t, r, st.want, splitCmd(t, st.cmd)...)
	}
}

// checkReply sends one command and reports (without stopping the test) a reply other than want.
func checkReply(t *testing.T, r *rawConn, want string, args ...string) {
	t.Helper()
	if got := r.do(args...); got != want {
		t.Errorf("%q:\n got  %s\n want %s", args, got, want)
	}
}

// splitCmd splits a table command into arguments: on spaces, with a token in Go quotes ("a b", "",
// "\x00") as one argument, unquoted.
func splitCmd(t *testing.T, cmd string) []string {
	t.Helper()
	var args []string
	for cmd = strings.TrimLeft(cmd, " "); cmd != ""; cmd = strings.TrimLeft(cmd, " ") {
		if cmd[0] == '"' {
			q, err := strconv.QuotedPrefix(cmd)
			if err != nil {
				t.Fatalf("bad quoted argument in %q: %v", cmd, err)
			}
			a, _ := strconv.Unquote(q)
			args = append(args, a)
			cmd = cmd[len(q):]
			continue
		}
		i := strings.IndexByte(cmd, ' ')
		if i < 0 {
			i = len(cmd)
		}
		args = append(args, cmd[:i])
		cmd = cmd[i:]
	}
	return args
}
