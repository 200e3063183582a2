package server

import (
	"errors"
	"io"
	"math/big"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/valkey-node/valkey-node/tlsmat"
)

// Security of the cluster bus, end to end through CLUSTER MEET: with tls-cluster yes only nodes whose
// certificate the cluster CA signed become members, a node whose bus is plain cannot mix with a TLS
// cluster (either way round), the TLS bus port says nothing to a plain-text client, and certificates can
// be rotated under a running cluster without it noticing.

// secNodeTimeout is the cluster-node-timeout of these tests, short so that failed handshakes are given up
// (and failures detected) quickly.
const secNodeTimeout = "1000"

// secStartNode starts a cluster node with a short node timeout and its bus on a free port (not
// port+10000, which may be taken). With cert set, the node serves cert/key on a TLS port trusting ca and,
// with tlsBus, runs its bus over TLS; without cert it has no TLS at all.
func secStartNode(t *testing.T, cert, key, ca string, tlsBus bool, extra ...string) *testNode {
	t.Helper()
	args := []string{"cluster-enabled", "yes", "cluster-port", strconv.Itoa(freePort(t)),
		"cluster-node-timeout", secNodeTimeout}
	if tlsBus {
		args = append(args, "tls-cluster", "yes")
	}
	args = append(args, extra...)
	var n *testNode
	if cert != "" {
		n = startTLSNode(t, cert, key, ca, args...)
	} else {
		n = startNode(t, args...)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("log of the node on %s:\n%s", n.addr, n.logs.String())
		}
	})
	return n
}

// secBusAddr is the node's bus address.
func (n *testNode) secBusAddr() string { return loopbackAddr(n.srv.cl.BusPort()) }

// secMeet sends CLUSTER MEET from r to node m (its plain port, bus port explicit).
func secMeet(t *testing.T, r *rawConn, m *testNode) {
	t.Helper()
	_, port, _ := net.SplitHostPort(m.addr)
	if got := r.do("CLUSTER", "MEET", "127.0.0.1", port, strconv.Itoa(m.srv.cl.BusPort())); got != "OK" {
		t.Fatalf("CLUSTER MEET %s: %s", m.addr, got)
	}
}

// secNodesLine is one line of CLUSTER NODES.
type secNodesLine struct {
	id, addr, flags, primary, link string
	slots                          []string // ranges as listed, without the [..] migration entries
}

func (l secNodesLine) hasFlag(f string) bool {
	for _, x := range strings.Split(l.flags, ",") {
		if x == f {
			return true
		}
	}
	return false
}

// secNodes parses CLUSTER NODES.
func secNodes(t *testing.T, r *rawConn) []secNodesLine {
	t.Helper()
	text := r.call("CLUSTER", "NODES").str
	var out []secNodesLine
	for _, l := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		f := strings.Fields(l)
		if len(f) < 8 {
			t.Fatalf("CLUSTER NODES line %q: fewer than 8 fields\n%s", l, text)
		}
		nl := secNodesLine{id: f[0], addr: f[1], flags: f[2], primary: f[3], link: f[7]}
		for _, s := range f[8:] {
			if !strings.HasPrefix(s, "[") {
				nl.slots = append(nl.slots, s)
			}
		}
		out = append(out, nl)
	}
	return out
}

// secInfoField is one field of CLUSTER INFO.
func secInfoField(t *testing.T, r *rawConn, name string) string {
	t.Helper()
	text := r.call("CLUSTER", "INFO").str
	for _, l := range strings.Split(text, "\r\n") {
		if v, ok := strings.CutPrefix(l, name+":"); ok {
			return v
		}
	}
	t.Fatalf("CLUSTER INFO has no %s:\n%s", name, text)
	return ""
}

// secKnowsConnected reports whether r's CLUSTER NODES lists id as a connected node (not in handshake).
func secKnowsConnected(t *testing.T, r *rawConn, id string) bool {
	t.Helper()
	for _, l := range secNodes(t, r) {
		if l.id == id && l.link == "connected" && !l.hasFlag("handshake") {
			return true
		}
	}
	return false
}

// secMyID is CLUSTER MYID.
func secMyID(t *testing.T, r *rawConn) string {
	t.Helper()
	return r.call("CLUSTER", "MYID").str
}

// TestClusterBusRefusesForeignCertificate: a node whose certificate another CA signed cannot join a TLS
// cluster, whether it sends the MEET or receives it, even though it trusts the cluster's CA itself; the
// members log why (the certificate), and a node with a certificate of the cluster CA joins the same way.
func TestClusterBusRefusesForeignCertificate(t *testing.T) {
	cluster := devCerts(t)
	other := t.TempDir()
	if err := tlsmat.GenerateDevCerts(other, false); err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(cluster, "ca.crt")
	start := func(certDir string) *testNode {
		return secStartNode(t, filepath.Join(certDir, "server.crt"), filepath.Join(certDir, "server.key"), ca, true,
			"loglevel", "verbose")
	}
	a, b := start(cluster), start(cluster)
	rogue := start(other) // trusts the cluster CA, but its own certificate is not from it
	ra, rb, rr := a.raw(), b.raw(), rogue.raw()
	idA, idB, idRogue := secMyID(t, ra), secMyID(t, rb), secMyID(t, rr)

	// Control: the same setup with a certificate of the cluster CA makes a member.
	secMeet(t, rb, a)
	waitFor(t, "a and b to know each other", func() bool {
		return secKnowsConnected(t, ra, idB) && secKnowsConnected(t, rb, idA)
	})

	secMeet(t, rr, a) // the rogue asks to join
	secMeet(t, ra, rogue)
	// Both MEETs are given up after the handshake timeout; until then, and after, nobody may list the
	// other side.
	never := func() {
		t.Helper()
		for _, r := range []*rawConn{ra, rb} {
			for _, l := range secNodes(t, r) {
				if l.id == idRogue {
					t.Fatalf("a member lists the rogue node: %+v", l)
				}
			}
		}
		for _, l := range secNodes(t, rr) {
			if l.id == idA || l.id == idB {
				t.Fatalf("the rogue node lists a member: %+v", l)
			}
		}
	}
	waitFor(t, "both MEETs to be given up", func() bool {
		never()
		return strings.Contains(a.logs.String(), "CLUSTER MEET failed") &&
			strings.Contains(rogue.logs.String(), "CLUSTER MEET failed")
	})
	never()
	if got := secInfoField(t, rr, "cluster_known_nodes"); got != "1" {
		t.Errorf("rogue's cluster_known_nodes = %s, want 1", got)
	}
	if got := secInfoField(t, ra, "cluster_known_nodes"); got != "2" {
		t.Errorf("a's cluster_known_nodes = %s, want 2", got)
	}

	// Why: a refused the rogue's certificate when the rogue dialled it, and could not verify it when a
	// dialled the rogue.
	logs := a.logs.String()
	const unknownCA = "certificate signed by unknown authority"
	if logLine(logs, "Cluster bus connection refused: TLS handshake failed", unknownCA) == "" {
		t.Errorf("a's log should say it refused the rogue's client certificate (unknown authority)")
	}
	if logLine(logs, "Cluster bus TLS handshake with peer failed", rogue.secBusAddr(), unknownCA) == "" {
		t.Errorf("a's log should say the rogue's server certificate did not verify (unknown authority)")
	}
	if logLine(rogue.logs.String(), "Cluster bus peer refused the TLS session", "certificate") == "" {
		t.Errorf("the rogue's log should say the member refused its certificate")
	}
}

// TestClusterBusTLSAndPlainDoNotMix: a node whose bus is plain (tls-cluster no, though it serves TLS to
// clients with the cluster's certificate) and a TLS cluster never join, whichever side sends the MEET, nor
// does a TLS node join a plain cluster; each cluster keeps exactly its own two members.
func TestClusterBusTLSAndPlainDoNotMix(t *testing.T) {
	certs := devCerts(t)
	crt, key, ca := filepath.Join(certs, "server.crt"), filepath.Join(certs, "server.key"), filepath.Join(certs, "ca.crt")
	t1 := secStartNode(t, crt, key, ca, true, "loglevel", "verbose")
	t2 := secStartNode(t, crt, key, ca, true, "loglevel", "verbose")
	p1 := secStartNode(t, crt, key, ca, false, "loglevel", "verbose")
	p2 := secStartNode(t, "", "", "", false, "loglevel", "verbose")
	rt1, rt2, rp1, rp2 := t1.raw(), t2.raw(), p1.raw(), p2.raw()
	ids := map[*rawConn]string{}
	for _, r := range []*rawConn{rt1, rt2, rp1, rp2} {
		ids[r] = secMyID(t, r)
	}

	// Two clusters, one per bus type.
	secMeet(t, rt2, t1)
	secMeet(t, rp2, p1)
	waitFor(t, "both clusters to form", func() bool {
		return secKnowsConnected(t, rt1, ids[rt2]) && secKnowsConnected(t, rt2, ids[rt1]) &&
			secKnowsConnected(t, rp1, ids[rp2]) && secKnowsConnected(t, rp2, ids[rp1])
	})

	// Plain into TLS and TLS into plain, from both ends.
	secMeet(t, rp1, t1)
	secMeet(t, rt1, p1)
	secMeet(t, rp2, t2)
	secMeet(t, rt2, p2)
	members := map[*rawConn][]*rawConn{rt1: {rt1, rt2}, rt2: {rt1, rt2}, rp1: {rp1, rp2}, rp2: {rp1, rp2}}
	separate := func() {
		t.Helper()
		for r, own := range members {
			var lines []secNodesLine // a node still in handshake (should a MEET list one) is no member
			for _, l := range secNodes(t, r) {
				if !l.hasFlag("handshake") {
					lines = append(lines, l)
				}
			}
			if len(lines) != 2 {
				t.Fatalf("%s lists %d nodes, want its own 2: %+v", ids[r], len(lines), lines)
			}
			for _, o := range own {
				if !secKnowsConnected(t, r, ids[o]) {
					t.Fatalf("%s lost its cluster peer %s: %+v", ids[r], ids[o], lines)
				}
			}
		}
	}
	waitFor(t, "every cross MEET to be given up", func() bool {
		separate()
		for _, n := range []*testNode{t1, t2, p1, p2} {
			if !strings.Contains(n.logs.String(), "CLUSTER MEET failed") {
				return false
			}
		}
		return true
	})
	separate()

	// Why: the TLS side saw no TLS answer; the plain side got a TLS ClientHello where a hello belongs.
	if logLine(t1.logs.String(), "Cluster bus TLS handshake with peer failed", p1.secBusAddr()) == "" {
		t.Errorf("t1's log should say its TLS handshake with the plain bus %s failed", p1.secBusAddr())
	}
	if l := logLine(t1.logs.String(), "the peer does not speak TLS; every node of this cluster needs tls-cluster yes"); l == "" {
		t.Errorf("t1's log should say it refused the plain node's connection and what to fix")
	} else if !strings.Contains(l, " # ") && !strings.Contains(l, "warn") {
		t.Errorf("the refusal of a plain bus must be a warning: %s", l)
	}
	if logLine(p1.logs.String(), "Cluster bus connection refused: no valid hello", "bad magic") == "" {
		t.Errorf("p1's log should say the TLS node's connection carried no valid hello")
	}
}

// TestClusterBusTLSPortSilentToPlainClients: whatever a plain-text client sends to a TLS bus port (a
// command, a plain bus hello, an HTTP request, nothing at all), it reads not a byte before the node closes
// the connection; a TLS client with a certificate of the cluster CA completes its handshake there.
func TestClusterBusTLSPortSilentToPlainClients(t *testing.T) {
	certs := devCerts(t)
	n := secStartNode(t, filepath.Join(certs, "server.crt"), filepath.Join(certs, "server.key"),
		filepath.Join(certs, "ca.crt"), true)
	bus := n.secBusAddr()

	dial := func() net.Conn {
		t.Helper()
		c, err := net.DialTimeout("tcp", bus, 5*time.Second)
		if err != nil {
			t.Fatalf("connect to the bus %s: %v", bus, err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	// expectNothing reads until the node closes c and fails on any byte read (or if it never closes).
	expectNothing := func(what string, c net.Conn) {
		t.Helper()
		c.SetReadDeadline(time.Now().Add(30 * time.Second))
		got, err := io.ReadAll(c)
		if len(got) > 0 {
			t.Errorf("%s: the TLS bus port answered %q", what, got)
		}
		if err != nil && !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("%s: want the connection closed, got %v", what, err)
		}
	}

	silent := dial() // says nothing: dropped at the end of the setup timeout
	plainHello := secBusHello{kind: 'P', port: 1, label: "valkey-node-cluster"}
	probes := []struct{ name, data string }{
		{"RESP command", "*1\r\n$4\r\nPING\r\n"},
		{"inline command", "PING\r\n"},
		{"plain bus hello", string(plainHello.encode())},
		{"HTTP request", "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"},
	}
	for _, p := range probes {
		c := dial()
		if _, err := c.Write([]byte(p.data)); err != nil {
			t.Fatalf("%s: write: %v", p.name, err)
		}
		expectNothing(p.name, c)
	}
	expectNothing("silent client", silent)

	// The port is the live bus: a client with a certificate of the cluster CA completes the handshake.
	c, err := dialTLS(bus, (&testNode{t: t, certs: certs}).tlsClientConfig(true))
	if err != nil {
		t.Fatalf("TLS handshake with the bus: %v", err)
	}
	c.Close()
}

// secBusHello mirrors the bus hello (clusterbus/transport_hello.go) so that a test can send what a plain bus
// node would.
type secBusHello struct {
	kind  byte
	port  int
	label string
}

func (h secBusHello) encode() []byte {
	b := []byte("VKBS")
	b = append(b, 1, h.kind, byte(h.port>>8), byte(h.port), byte(len(h.label)))
	return append(b, h.label...)
}

// TestClusterCertificateRotation: three TLS cluster nodes serving all slots have their certificate and key
// files replaced in place, one node after the other, by new ones of the same CA; tls-auto-reload-interval
// picks them up. Every node reports cluster_state:ok at every poll throughout, fresh handshakes on the
// client and bus ports see the new serials, and the bus keeps working over new connections (push/pull
// rounds, each a new TLS session, go on, and a fourth node with a certificate of the same CA joins).
func TestClusterCertificateRotation(t *testing.T) {
	pki := newTestPKI(t, "cluster rotation CA")
	cli := pki.clientConfig(pki)
	type member struct {
		n         *testNode
		r         *rawConn
		crt, key  string
		oldSerial *big.Int
	}
	ranges := [][2]int{{0, 5460}, {5461, 10922}, {10923, 16383}}
	var ms []*member
	for i := range ranges {
		crt, key, cert := pki.pair("node"+strconv.Itoa(i), leafSpec{})
		n := secStartNode(t, crt, key, pki.caFile, true, "tls-auto-reload-interval", "1")
		ms = append(ms, &member{n: n, r: n.raw(), crt: crt, key: key, oldSerial: cert.SerialNumber})
	}
	for i, m := range ms {
		if got := m.r.do("CLUSTER", "ADDSLOTSRANGE", strconv.Itoa(ranges[i][0]), strconv.Itoa(ranges[i][1])); got != "OK" {
			t.Fatalf("ADDSLOTSRANGE: %s", got)
		}
		if i > 0 {
			secMeet(t, m.r, ms[0].n)
		}
	}
	allOK := func() bool {
		for _, m := range ms {
			if secInfoField(t, m.r, "cluster_state") != "ok" {
				return false
			}
		}
		return true
	}
	waitFor(t, "cluster_state:ok on every node", allOK)

	// From here on every poll must find the cluster ok.
	mustOK := func() {
		t.Helper()
		for i, m := range ms {
			if st := secInfoField(t, m.r, "cluster_state"); st != "ok" {
				t.Fatalf("node %d reports cluster_state:%s during the rotation\n%s", i, st, m.r.call("CLUSTER", "NODES").str)
			}
		}
	}
	serialOn := func(addr string) *big.Int {
		t.Helper()
		c, err := dialTLS(addr, cli) // cli has no session cache: a full handshake, showing today's certificate
		if err != nil {
			t.Fatalf("TLS handshake with %s: %v", addr, err)
		}
		defer c.Close()
		return c.ConnectionState().PeerCertificates[0].SerialNumber
	}
	pongs := func(m *member) int {
		v, _ := strconv.Atoi(secInfoField(t, m.r, "cluster_stats_messages_pong_sent"))
		return v
	}

	for i, m := range ms {
		if s := serialOn(m.n.tlsAddr); s.Cmp(m.oldSerial) != 0 {
			t.Fatalf("node %d serves serial %X before rotation, want %X", i, s, m.oldSerial)
		}
		crtPEM, keyPEM, cert := pki.issue(leafSpec{})
		replaceTestFile(t, m.key, keyPEM)
		replaceTestFile(t, m.crt, crtPEM)
		waitFor(t, "node "+strconv.Itoa(i)+" to serve its new certificate", func() bool {
			mustOK()
			return serialOn(m.n.tlsAddr).Cmp(cert.SerialNumber) == 0
		})
		if s := serialOn(m.n.secBusAddr()); s.Cmp(cert.SerialNumber) != 0 {
			t.Fatalf("node %d's bus serves serial %X after rotation, want the new %X", i, s, cert.SerialNumber)
		}
		m.oldSerial = cert.SerialNumber
	}

	// The bus runs on new sessions: every node completes more push/pull rounds (each over a fresh TLS
	// connection, made with the new material on both ends), and a newcomer joins.
	base := make([]int, len(ms))
	for i, m := range ms {
		base[i] = pongs(m)
	}
	crt, key, _ := pki.pair("node3", leafSpec{})
	late := secStartNode(t, crt, key, pki.caFile, true)
	rl := late.raw()
	idLate := secMyID(t, rl)
	secMeet(t, rl, ms[1].n)
	waitFor(t, "the newcomer to be connected everywhere and push/pull to go on", func() bool {
		mustOK()
		for i, m := range ms {
			if !secKnowsConnected(t, m.r, idLate) || pongs(m) < base[i]+3 {
				return false
			}
		}
		return secInfoField(t, rl, "cluster_state") == "ok"
	})
	mustOK()
	for i, m := range ms {
		if !strings.Contains(m.n.logs.String(), "TLS materials reloaded successfully") {
			t.Errorf("node %d's log does not show the reload", i)
		}
	}
}
