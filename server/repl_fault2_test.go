package server

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valkey-node/valkey-node/tlsmat"
)

// stallProxy forwards TCP between a listener on 127.0.0.1 and target; freeze stops forwarding (without
// closing), as a network that silently drops traffic.
type stallProxy struct {
	l      net.Listener
	mu     sync.Mutex
	frozen bool
	closed bool
	conns  []net.Conn
	wg     sync.WaitGroup
}

func newStallProxy(t *testing.T, target string) *stallProxy {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &stallProxy{l: l}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, u)
			p.mu.Unlock()
			p.wg.Add(2)
			go p.pipe(c, u)
			go p.pipe(u, c)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		p.mu.Lock()
		p.closed = true
		for _, c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p
}

func (p *stallProxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			for {
				p.mu.Lock()
				f, closed := p.frozen, p.closed
				p.mu.Unlock()
				if closed {
					return
				}
				if !f {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			dst.Close()
			return
		}
	}
}

func (p *stallProxy) freeze() {
	p.mu.Lock()
	p.frozen = true
	p.mu.Unlock()
}

func (p *stallProxy) addr() string { return p.l.Addr().String() }

// TestReplTimeoutOnStalledLink: when the primary's traffic stops arriving (no PINGs, no data), the
// replica drops the link after repl-timeout, says so, keeps serving its data and reconnects.
func TestReplTimeoutOnStalledLink(t *testing.T) {
	p := startNode(t, "repl-diskless-sync-delay", "0", "repl-ping-replica-period", "1")
	pr := p.raw()
	pr.do("SET", "k", "v")
	px := newStallProxy(t, p.addr)
	a := startNode(t, "replicaof", "127.0.0.1 "+portOf(px.addr()), "repl-timeout", "2")
	ar := a.raw()
	caughtUp(t, pr, ar)
	px.freeze()
	waitFor(t, "the replica to time the link out", func() bool {
		return infoField(t, ar, "replication", "master_link_status") == "down"
	})
	if !strings.Contains(strings.ToLower(a.logs.String()), "timeout") {
		t.Errorf("the replica's log does not mention the timeout:\n%s", a.logs)
	}
	if got := ar.do("GET", "k"); got != `"v"` {
		t.Fatalf("data after the timeout: %s", got)
	}
}

// TestSlowReplicaIsCutOff: a replica that stops reading is disconnected when its pending output passes
// client-output-buffer-limit replica, and the primary stays healthy.
func TestSlowReplicaIsCutOff(t *testing.T) {
	p := startNode(t, "repl-diskless-sync-delay", "0", "client-output-buffer-limit replica 256kb 0 0")
	pr := p.raw()
	fake := dialRaw(t, p.addr)
	fake.do("REPLCONF", "listening-port", "1")
	fake.do("REPLCONF", "capa", "eof", "capa", "psync2")
	fake.cmd("PSYNC", "?", "-1")
	waitFor(t, "the fake replica to be registered", func() bool {
		return infoField(t, pr, "replication", "connected_slaves") == "1"
	})
	// the fake replica never reads again; the socket buffers fill, then the output limit trips
	val := strings.Repeat("z", 10_000)
	for i := 0; i < 2000 && infoField(t, pr, "replication", "connected_slaves") == "1"; i++ {
		pr.do("SET", "k", val)
	}
	waitFor(t, "the slow replica to be dropped", func() bool {
		return infoField(t, pr, "replication", "connected_slaves") == "0"
	})
	if got := pr.do("PING"); got != "PONG" {
		t.Fatalf("primary after dropping the replica: %s", got)
	}
	if !strings.Contains(p.logs.String(), "output buffer") && !strings.Contains(p.logs.String(), "overcoming") {
		t.Errorf("the primary's log does not say why it dropped the replica:\n%s", p.logs)
	}
}

// TestPrimaryVanishesDuringTransfer: the primary dies while the RDB is on its way: the replica keeps the
// data it had, reconnects, and completes the sync once the primary is back.
func TestPrimaryVanishesDuringTransfer(t *testing.T) {
	old := startNode(t, "repl-diskless-sync-delay", "0")
	old.raw().do("SET", "previous", "data")
	port := freePort(t)
	p := startNode(t, "port", strconv.Itoa(port), "repl-diskless-sync-delay", "0", "rdb-key-save-delay", "2000")
	pipeline(t, p.raw(), mixedWorkload(12, 3_000))
	a := startNode(t, "replicaof", "127.0.0.1 "+portOf(old.addr))
	ar := a.raw()
	caughtUp(t, old.raw(), ar)
	ar.do("REPLICAOF", "127.0.0.1", strconv.Itoa(port))
	waitFor(t, "the transfer to start", func() bool {
		return infoField(t, ar, "replication", "master_sync_in_progress") == "1"
	})
	p.stop()
	waitFor(t, "the sync to fail", func() bool {
		return infoField(t, ar, "replication", "master_sync_in_progress") == "0"
	})
	if got := ar.do("GET", "previous"); got != `"data"` {
		t.Fatalf("the failed transfer lost the replica's data: GET previous = %s", got)
	}
	p2 := startNode(t, "port", strconv.Itoa(port), "repl-diskless-sync-delay", "0")
	p2r := p2.raw()
	pipeline(t, p2r, mixedWorkload(13, 1_000))
	caughtUp(t, p2r, ar)
	if got, want := scanDBs(t, ar), scanDBs(t, p2r); got != want {
		t.Fatalf("after the completed sync: %s", firstDiff(got, want))
	}
}

// TestCertificateRotationAndReplicas: the primary's certificate is replaced by one from another CA while
// two TLS replicas are connected. The links stay up; after they are cut, the replica that trusts the new
// CA reconnects with the new certificate, and the one that does not reports the link down with a clear
// log line and keeps serving its data.
func TestCertificateRotationAndReplicas(t *testing.T) {
	certs := devCerts(t)
	newCA := t.TempDir()
	if err := tlsmat.GenerateDevCerts(newCA, false); err != nil {
		t.Fatal(err)
	}
	both := filepath.Join(t.TempDir(), "both-ca.crt")
	a, _ := os.ReadFile(filepath.Join(certs, "ca.crt"))
	b, _ := os.ReadFile(filepath.Join(newCA, "ca.crt"))
	if err := os.WriteFile(both, append(a, b...), 0o644); err != nil {
		t.Fatal(err)
	}
	// the primary accepts clients of either CA, so the only question is whether replicas trust it
	p := startNode(t, "tls", "repl-diskless-sync-delay", "0", "tls-ca-cert-file", both)
	pr := p.raw()
	pr.do("SET", "k", "v")
	src := "127.0.0.1 " + portOf(p.tlsAddr)
	trusting := startNode(t, "tls", "tls-replication", "yes", "replicaof", src, "tls-ca-cert-file", both)
	oldOnly := startNode(t, "tls", "tls-replication", "yes", "replicaof", src)
	tr, or := trusting.raw(), oldOnly.raw()
	caughtUp(t, pr, tr, or)

	if got := pr.do("CONFIG", "SET", "tls-cert-file", filepath.Join(newCA, "server.crt"),
		"tls-key-file", filepath.Join(newCA, "server.key")); got != "OK" {
		t.Fatalf("rotating the certificate: %s", got)
	}
	pr.do("SET", "k", "after-rotation")
	caughtUp(t, pr, tr, or) // existing links stay up and keep streaming
	if got := or.do("GET", "k"); got != `"after-rotation"` {
		t.Fatalf("existing link after rotation: %s", got)
	}
	if got := pr.do("CLIENT", "KILL", "TYPE", "replica"); got != ":2" {
		t.Fatalf("CLIENT KILL TYPE replica: %s", got)
	}
	pr.do("SET", "k", "after-reconnect")
	caughtUp(t, pr, tr)
	waitFor(t, "the untrusting replica to report a certificate error", func() bool {
		return strings.Contains(oldOnly.logs.String(), "certificate")
	})
	if got := infoField(t, or, "replication", "master_link_status"); got != "down" {
		t.Fatalf("the untrusting replica's link is %s", got)
	}
	if got := or.do("GET", "k"); got != `"after-rotation"` {
		t.Fatalf("the untrusting replica stopped serving its data: %s", got)
	}
	_ = io.EOF
}
