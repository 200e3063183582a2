package clusterbus

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"log"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/memberlist"
	"github.com/rs/zerolog"
	"go.uber.org/goleak"

	"github.com/valkey-node/valkey-node/tlsmat"
)

// Helpers of the transport tests. Their names start with "tr" or "bus" so that they cannot collide
// with the helpers of the package's other tests.

// trLogs collects a node's log lines (the transport's zerolog and memberlist's log) for assertions,
// and prints them when the test fails. Nothing is written to t after the test, even by stragglers.
type trLogs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *trLogs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *trLogs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *trLogs) contains(sub string) bool { return strings.Contains(l.String(), sub) }

func newTrLogs(t testing.TB, name string) *trLogs {
	l := &trLogs{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("logs of %s:\n%s", name, l.String())
		}
	})
	return l
}

// trNoLeaks checks, after every other cleanup of t (transports, memberlists, managers) has run, that no
// goroutine started during the test is left.
func trNoLeaks(t *testing.T) {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
}

// trWait polls cond until it holds; the bound only keeps a broken test from hanging.
func trWait(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// trPKI writes a fresh development PKI (its own CA) into a temporary directory.
func trPKI(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if err := tlsmat.GenerateDevCerts(dir, false); err != nil {
		t.Fatal(err)
	}
	return dir
}

// trTLSConfig is the tlsmat configuration of a node using dir's server certificate for both roles,
// trusting caFile (dir's CA when empty).
func trTLSConfig(dir, caFile string) tlsmat.Config {
	if caFile == "" {
		caFile = filepath.Join(dir, "ca.crt")
	}
	return tlsmat.Config{
		CertFile:  filepath.Join(dir, "server.crt"),
		KeyFile:   filepath.Join(dir, "server.key"),
		CAFile:    caFile,
		Enabled:   true,
		PeerLinks: true,
	}
}

// trManager returns a manager loaded with cfg.
func trManager(t testing.TB, cfg tlsmat.Config, logs *trLogs) *tlsmat.Manager {
	t.Helper()
	m := tlsmat.New(zerolog.New(logs))
	t.Cleanup(m.Close)
	if err := m.Load(cfg); err != nil {
		t.Fatalf("load TLS material: %v", err)
	}
	return m
}

// trBundle writes the concatenation of the given CA files and returns its path.
func trBundle(t testing.TB, files ...string) string {
	t.Helper()
	var b []byte
	for _, f := range files {
		p, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b = append(b, p...)
	}
	path := filepath.Join(t.TempDir(), "bundle.crt")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// trTransport starts a transport on 127.0.0.1 with a kernel-chosen port; Shutdown runs at cleanup.
func trTransport(t testing.TB, label string, mgr *tlsmat.Manager, logs *trLogs) *Transport {
	t.Helper()
	tr, err := NewTransport(TransportConfig{
		BindAddr:    "127.0.0.1",
		TLS:         mgr,
		Label:       label,
		Log:         zerolog.New(logs).Level(zerolog.DebugLevel),
		DialTimeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatalf("NewTransport: %v", err)
	}
	t.Cleanup(func() { _ = tr.Shutdown() })
	return tr
}

func (t *Transport) addr() string { return "127.0.0.1:" + strconv.Itoa(t.Port()) }

// busNode is one memberlist instance over the transport.
type busNode struct {
	name string
	tr   *Transport
	ml   *memberlist.Memberlist
	logs *trLogs
	msgs chan []byte // user messages received (SendBestEffort / SendReliable)

	pingMu sync.Mutex
	pings  map[string]int // direct probes of each peer answered by an ack (packets both ways)
}

type busNodeOpts struct {
	label string
	tls   *tlsmat.Config // nil: plain TCP
}

// startBusNode creates a memberlist node whose only transport is ours. Periodic push/pull is off and
// TCP fallback pings are disabled, so that membership news and failure detection travel only as
// packets: a broken packet path cannot hide behind the stream path.
func startBusNode(t testing.TB, name string, o busNodeOpts) *busNode {
	t.Helper()
	n := &busNode{name: name, logs: newTrLogs(t, name), msgs: make(chan []byte, 16), pings: map[string]int{}}
	var mgr *tlsmat.Manager
	if o.tls != nil {
		mgr = trManager(t, *o.tls, n.logs)
	}
	n.tr = trTransport(t, o.label, mgr, n.logs)
	c := memberlist.DefaultLocalConfig()
	c.Name = name
	c.Transport = n.tr
	c.BindAddr, c.BindPort = "127.0.0.1", n.tr.Port()
	c.AdvertiseAddr, c.AdvertisePort = "", 0
	c.Logger = log.New(n.logs, name+" memberlist: ", log.Lmicroseconds)
	c.Delegate = &busDelegate{msgs: n.msgs}
	c.Ping = n
	c.PushPullInterval = 0
	c.DisableTcpPings = true
	c.ProbeInterval = 200 * time.Millisecond
	c.ProbeTimeout = 100 * time.Millisecond
	c.GossipInterval = 20 * time.Millisecond
	c.TCPTimeout = 5 * time.Second
	c.SuspicionMult = 10 // a slow -race run must not declare anyone dead
	ml, err := memberlist.Create(c)
	if err != nil {
		t.Fatalf("memberlist.Create(%s): %v", name, err)
	}
	n.ml = ml
	t.Cleanup(n.stop)
	return n
}

func (n *busNode) stop() { _ = n.ml.Shutdown() }

func (n *busNode) join(other *busNode) error {
	_, err := n.ml.Join([]string{other.tr.addr()})
	return err
}

// aliveNames returns the names of the members this node sees alive.
func (n *busNode) aliveNames() []string {
	var names []string
	for _, m := range n.ml.Members() {
		if m.State == memberlist.StateAlive {
			names = append(names, m.Name)
		}
	}
	return names
}

func (n *busNode) member(name string) *memberlist.Node {
	for _, m := range n.ml.Members() {
		if m.Name == name {
			return m
		}
	}
	return nil
}

// AckPayload and NotifyPingComplete make busNode a memberlist.PingDelegate, counting successful probes.
func (n *busNode) AckPayload() []byte { return nil }

func (n *busNode) NotifyPingComplete(other *memberlist.Node, _ time.Duration, _ []byte) {
	n.pingMu.Lock()
	defer n.pingMu.Unlock()
	n.pings[other.Name]++
}

// probed returns how many of n's probes of peer were acknowledged.
func (n *busNode) probed(peer string) int {
	n.pingMu.Lock()
	defer n.pingMu.Unlock()
	return n.pings[peer]
}

// busProbedAll waits until each node has had more than since[node][peer] acknowledged probes of every
// other node (since may be nil), and returns the new counts.
func busProbedAll(t testing.TB, since map[*busNode]map[string]int, nodes ...*busNode) map[*busNode]map[string]int {
	t.Helper()
	now := map[*busNode]map[string]int{}
	for _, n := range nodes {
		now[n] = map[string]int{}
		for _, o := range nodes {
			if o == n {
				continue
			}
			trWait(t, n.name+" to probe "+o.name, func() bool { return n.probed(o.name) > since[n][o.name] })
			now[n][o.name] = n.probed(o.name)
		}
	}
	return now
}

// busAllSeeAlive reports whether every node sees exactly the given nodes, all alive.
func busAllSeeAlive(nodes ...*busNode) bool {
	for _, n := range nodes {
		alive := n.aliveNames()
		if len(alive) != len(nodes) || n.ml.NumMembers() != len(nodes) {
			return false
		}
	}
	return true
}

// busDelegate delivers user messages to a channel and has no metadata or state.
type busDelegate struct{ msgs chan []byte }

func (d *busDelegate) NodeMeta(int) []byte { return nil }
func (d *busDelegate) NotifyMsg(b []byte) {
	select {
	case d.msgs <- append([]byte(nil), b...):
	default:
	}
}
func (d *busDelegate) GetBroadcasts(int, int) [][]byte { return nil }
func (d *busDelegate) LocalState(bool) []byte          { return nil }
func (d *busDelegate) MergeRemoteState([]byte, bool)   {}

// verboseLine reports whether a line containing sub was logged at verbose (zerolog Debug, whose level
// name depends on whether server/logging's names are installed).
func (l *trLogs) verboseLine(sub string) bool {
	for _, line := range strings.Split(l.String(), "\n") {
		if strings.Contains(line, sub) &&
			(strings.Contains(line, `"level":"debug"`) || strings.Contains(line, `"level":"verbose"`)) {
			return true
		}
	}
	return false
}

var trNopLog = zerolog.Nop()

// tlsClientNoCert is a TLS client configuration that trusts dir's CA and presents no certificate.
func tlsClientNoCert(t testing.TB, dir string) *tls.Config {
	t.Helper()
	pem, err := os.ReadFile(filepath.Join(dir, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("bad CA PEM")
	}
	return &tls.Config{RootCAs: pool, ServerName: "localhost"}
}

// tlsDial connects and completes the client's side of the handshake.
func tlsDial(addr string, cfg *tls.Config) (*tls.Conn, error) {
	d := &net.Dialer{Timeout: 5 * time.Second}
	c, err := tls.DialWithDialer(d, "tcp", addr, cfg)
	if err != nil {
		return nil, err
	}
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	return c, nil
}

// warnLines counts the lines containing sub logged at warning level.
func (l *trLogs) warnLines(sub string) int {
	n := 0
	for _, line := range strings.Split(l.String(), "\n") {
		if strings.Contains(line, sub) &&
			(strings.Contains(line, `"level":"warn"`) || strings.Contains(line, `"level":"warning"`)) {
			n++
		}
	}
	return n
}
