package main

// End-to-end tests of the built binary: every test here runs `valkey-node` as a subprocess on free
// loopback ports, the way an operator or a supervisor would, and talks to it with a Go client, go-redis or
// the real redis-cli / redis-benchmark.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binPath is the valkey-node binary built once by TestMain (with -race when the tests run with -race, so
// the subprocess is checked for data races too: a race makes it exit with code 66).
var binPath string

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "valkey-node-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binPath = filepath.Join(dir, "valkey-node")
	args := []string{"build", "-o", binPath}
	if raceEnabled {
		args = append(args, "-race")
	}
	args = append(args, ".")
	build := exec.Command(goTool(), args...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "building valkey-node: %v\n", err)
		return 1
	}
	return m.Run()
}

// goTool is the go command that runs these tests: `go test` puts its own GOROOT/bin first in PATH.
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "/usr/local/go/bin/go"
}

// requireTool returns the path of an external program the interop tests need. When it is missing the
// test is skipped with the Debian package to install, unless VALKEY_NODE_REQUIRE_INTEROP=1 (CI), where a
// silently skipped interop test would hide a regression, so it fails instead.
func requireTool(t testing.TB, name, debianPackage string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	msg := fmt.Sprintf("%s not found: install the Debian package %s", name, debianPackage)
	if os.Getenv("VALKEY_NODE_REQUIRE_INTEROP") == "1" {
		t.Fatal(msg + " (VALKEY_NODE_REQUIRE_INTEROP=1)")
	}
	t.Skip(msg)
	return ""
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

// syncBuffer collects a subprocess's output while it runs.
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

// ---- development certificates, made by the binary's own gen-certs subcommand ------------------------

var (
	certsOnce sync.Once
	certsDir  string
	certsErr  error
)

// devCerts returns a directory with ca.crt, server.crt/key and client.crt/key written by
// `valkey-node gen-certs`, shared by the tests of one run.
func devCerts(t testing.TB) string {
	t.Helper()
	certsOnce.Do(func() {
		certsDir, certsErr = os.MkdirTemp("", "valkey-node-e2e-certs-")
		if certsErr != nil {
			return
		}
		out, err := exec.Command(binPath, "gen-certs", certsDir).CombinedOutput()
		if err != nil {
			certsErr = fmt.Errorf("gen-certs: %v: %s", err, out)
		}
	})
	if certsErr != nil {
		t.Fatal(certsErr)
	}
	return certsDir
}

// tlsFlags are the server-side quick-start flags for the certificates in dir.
func tlsFlags(dir string) []string {
	return []string{
		"--tls-cert-file", filepath.Join(dir, "server.crt"),
		"--tls-key-file", filepath.Join(dir, "server.key"),
		"--tls-ca-cert-file", filepath.Join(dir, "ca.crt"),
	}
}

// clientTLS trusts the CA in dir and, with withCert, presents the client certificate.
func clientTLS(t testing.TB, dir string, withCert bool) *tls.Config {
	t.Helper()
	caPEM, err := os.ReadFile(filepath.Join(dir, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatal("ca.crt holds no certificate")
	}
	cfg := &tls.Config{RootCAs: pool, ServerName: "localhost"}
	if withCert {
		cert, err := tls.LoadX509KeyPair(filepath.Join(dir, "client.crt"), filepath.Join(dir, "client.key"))
		if err != nil {
			t.Fatal(err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg
}

// ---- running the binary ------------------------------------------------------------------------------

// runResult is a finished short-lived invocation (bad input, --help, gen-certs, check-tls).
type runResult struct {
	stdout, stderr string
	code           int
}

func (r runResult) String() string {
	return fmt.Sprintf("exit %d\n--- stdout:\n%s--- stderr:\n%s", r.code, r.stdout, r.stderr)
}

// runBin runs the binary to completion. A process that is still running after the timeout (for example a
// node that started although its configuration should have been refused) is killed and fails the test.
func runBin(t testing.TB, args ...string) runResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, args...)
	cmd.Dir = t.TempDir()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := runResult{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("valkey-node %s did not exit within 20s\n%s", strings.Join(args, " "), res)
	case errors.As(err, &ee):
		res.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("running valkey-node: %v", err)
	}
	return res
}

// node is a running valkey-node subprocess.
type node struct {
	t       testing.TB
	cmd     *exec.Cmd
	out     *syncBuffer // stdout and stderr (the log, unless logfile is set)
	port    int         // plain port, 0 if off
	tlsPort int         // TLS port, 0 if off
	certs   string      // certificate directory when TLS is on
	dir     string      // working directory (dir directive)
	done    chan struct{}
	waitErr error
	stopped bool
}

// nodeSpec says how to start a node; zero values give a plain-port node on a free port.
type nodeSpec struct {
	plain bool     // serve a plain port (free port chosen)
	tls   bool     // serve a TLS port with devCerts (free port chosen), the quick-start flags
	args  []string // more arguments, appended last so they win
	// readyCert says whether the readiness probe presents the client certificate (false for nodes that
	// do not ask for one and should be probed as an anonymous TLS client).
	noReadyCert bool
	// noWait skips the readiness probe (the caller waits for something else).
	noWait bool
	// raw, if set, are the whole command line (nothing is added); rawPort is its plain port.
	raw     []string
	rawPort int
	// shell, if set, is run instead of the binary with raw as its arguments (to set limits first)
	shell string
}

// startNode starts the binary: --bind 127.0.0.1, --dir a temporary directory, the ports of spec, then
// spec.args. It waits until the node answers PING and stops it (SIGTERM, expecting exit 0) at cleanup.
func startNode(t testing.TB, spec nodeSpec) *node {
	t.Helper()
	n := &node{t: t, out: &syncBuffer{}, done: make(chan struct{}), dir: t.TempDir()}
	var args []string
	if spec.raw != nil {
		args, n.port = spec.raw, spec.rawPort
	} else {
		args = []string{"--bind", "127.0.0.1", "--dir", n.dir}
		if spec.plain {
			n.port = freePort(t)
		}
		args = append(args, "--port", strconv.Itoa(n.port))
		if spec.tls {
			n.certs = devCerts(t)
			n.tlsPort = freePort(t)
			args = append(args, "--tls-port", strconv.Itoa(n.tlsPort))
			args = append(args, tlsFlags(n.certs)...)
		}
		args = append(args, spec.args...)
	}
	prog := binPath
	if spec.shell != "" {
		prog = spec.shell
	}
	n.cmd = exec.Command(prog, args...)
	n.cmd.Dir = n.dir
	n.cmd.Stdout, n.cmd.Stderr = n.out, n.out
	if err := n.cmd.Start(); err != nil {
		t.Fatalf("starting valkey-node: %v", err)
	}
	go func() {
		n.waitErr = n.cmd.Wait()
		close(n.done)
	}()
	t.Cleanup(n.stop)
	if !spec.noWait {
		n.waitReady(!spec.noReadyCert)
	}
	return n
}

// exited reports whether the process has ended.
func (n *node) exited() bool {
	select {
	case <-n.done:
		return true
	default:
		return false
	}
}

// exitCode waits for the process to end (at most 20s) and returns its exit code.
func (n *node) exitCode() int {
	n.t.Helper()
	select {
	case <-n.done:
	case <-time.After(20 * time.Second):
		n.t.Fatalf("valkey-node did not exit within 20s\n%s", n.out)
	}
	var ee *exec.ExitError
	if errors.As(n.waitErr, &ee) {
		return ee.ExitCode()
	}
	if n.waitErr != nil {
		return -1
	}
	return 0
}

// waitReady polls PING on every port the node serves until each answers PONG.
func (n *node) waitReady(withCert bool) {
	n.t.Helper()
	n.waitPingWith(n.t, "valkey-node", withCert)
}

// waitPing waits until n answers PING on each of its listeners (TLS with a client certificate).
func (n *node) waitPing(tb testing.TB, what string) {
	tb.Helper()
	n.waitPingWith(tb, what, true)
}

// waitPingWith fails the test if the process exits before it answers or 20 s pass; what names the node.
func (n *node) waitPingWith(tb testing.TB, what string, withCert bool) {
	tb.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := n.pingAll(withCert)
		if err == nil {
			return
		}
		if n.exited() {
			tb.Fatalf("%s exited before it was ready (exit %d)\n%s", what, n.exitCode(), n.out)
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s not ready after 20s: %v\n%s", what, err, n.out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (n *node) pingAll(withCert bool) error {
	if n.port != 0 {
		if err := pingAddr(n.addr(), nil); err != nil {
			return err
		}
	}
	if n.tlsPort != 0 {
		if err := pingAddr(n.tlsAddr(), clientTLS(n.t, n.certs, withCert)); err != nil {
			return err
		}
	}
	return nil
}

// pingAddr sends one inline PING (over TLS when cfg is set) and expects +PONG (or NOAUTH).
func pingAddr(addr string, cfg *tls.Config) error {
	d := &net.Dialer{Timeout: 2 * time.Second}
	var c net.Conn
	var err error
	if cfg != nil {
		c, err = tls.DialWithDialer(d, "tcp", addr, cfg)
	} else {
		c, err = d.Dial("tcp", addr)
	}
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	// a node that requires a password answers NOAUTH: it is up all the same
	if line != "+PONG\r\n" && !strings.HasPrefix(line, "-NOAUTH ") {
		return fmt.Errorf("PING answered %q", line)
	}
	return nil
}

func (n *node) addr() string    { return net.JoinHostPort("127.0.0.1", strconv.Itoa(n.port)) }
func (n *node) tlsAddr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(n.tlsPort)) }

// signal sends sig to the node.
func (n *node) signal(sig os.Signal) {
	n.t.Helper()
	if err := n.cmd.Process.Signal(sig); err != nil {
		n.t.Fatalf("signal %v: %v", sig, err)
	}
}

// terminate sends SIGTERM and returns the exit code. Every node is stopped this way at cleanup, so every
// e2e test also checks the graceful shutdown and, under -race, that the node had no data race.
func (n *node) terminate() int {
	n.t.Helper()
	if !n.exited() {
		n.signal(syscall.SIGTERM)
	}
	n.stopped = true
	return n.exitCode()
}

func (n *node) stop() {
	if n.exited() {
		if !n.stopped {
			n.checkNoRace()
		}
		return
	}
	n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.done:
	case <-time.After(20 * time.Second):
		n.cmd.Process.Kill()
		<-n.done
		n.t.Errorf("valkey-node ignored SIGTERM for 20s\n%s", n.out)
		return
	}
	if code := n.exitCode(); code != 0 && !n.stopped {
		n.t.Errorf("valkey-node exited with %d after SIGTERM\n%s", code, n.out)
	}
	n.checkNoRace()
}

func (n *node) checkNoRace() {
	if strings.Contains(n.out.String(), "WARNING: DATA RACE") {
		n.t.Errorf("the node reported a data race:\n%s", n.out)
	}
}

// waitUntil polls cond for up to 20 seconds.
func waitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ---- external clients ----------------------------------------------------------------------------------

// cliResult is one redis-cli invocation.
type cliResult struct {
	out  string // stdout and stderr
	code int
}

// redisCLI runs the real redis-cli against 127.0.0.1 with args (connection flags and a command).
func redisCLI(t testing.TB, args ...string) cliResult {
	t.Helper()
	cli := requireTool(t, "redis-cli", "redis-tools")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, cli, append([]string{"-h", "127.0.0.1"}, args...)...)
	cmd.Stdin = strings.NewReader("")
	out, err := cmd.CombinedOutput()
	res := cliResult{out: strings.TrimSpace(string(out))}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("redis-cli %s did not finish within 20s: %s", strings.Join(args, " "), out)
	case errors.As(err, &ee):
		res.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("redis-cli: %v", err)
	}
	return res
}

// cliTLS are redis-cli's flags for the node's TLS port, with or without the client certificate.
func (n *node) cliTLS(withCert bool) []string {
	f := []string{"-p", strconv.Itoa(n.tlsPort), "--tls", "--cacert", filepath.Join(n.certs, "ca.crt")}
	if withCert {
		f = append(f, "--cert", filepath.Join(n.certs, "client.crt"), "--key", filepath.Join(n.certs, "client.key"))
	}
	return f
}
