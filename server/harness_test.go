package server

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"path/filepath"
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
	c, err := net.DialTimeout("tcp", n.addr, 5*time.Second)
	if err != nil {
		n.t.Fatal(err)
	}
	n.t.Cleanup(func() { c.Close() })
	return &rawConn{t: n.t, c: c, br: bufio.NewReader(c)}
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
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	r.send(b.String())
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

// reply reads one whole reply and renders it compactly: simple strings as is, errors with their '-',
// integers as ":n", bulk strings quoted, nulls as "(nil)", aggregates as [a b c].
func (r *rawConn) reply() string {
	r.t.Helper()
	l := r.line()
	if l == "" {
		r.t.Fatal("empty reply line")
	}
	switch l[0] {
	case '+':
		return l[1:]
	case '-', ':', ',', '#', '(':
		return l
	case '_':
		return "(nil)"
	case '$', '=':
		n, _ := strconv.Atoi(l[1:])
		if n < 0 {
			return "(nil)"
		}
		buf := make([]byte, n+2)
		if _, err := ioReadFull(r.br, buf); err != nil {
			r.t.Fatal(err)
		}
		return strconv.Quote(string(buf[:n]))
	case '*', '%', '~', '>':
		n, _ := strconv.Atoi(l[1:])
		if n < 0 {
			return "(nil)"
		}
		if l[0] == '%' {
			n *= 2
		}
		parts := make([]string, n)
		for i := range parts {
			parts[i] = r.reply()
		}
		return "[" + strings.Join(parts, " ") + "]"
	}
	r.t.Fatalf("unexpected reply line %q", l)
	return ""
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

func ioReadFull(r *bufio.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
