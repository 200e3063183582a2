package clusterbus

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/valkey-node/valkey-node/tlsmat"
)

// Three memberlist nodes join each other and all see each other alive, over TLS and over plain TCP.
// The third node is announced to the second only by gossip (push/pull is off), and failure detection
// uses only packet pings, so the packet path is exercised as much as the stream path used by Join.
// User messages then travel both ways explicitly: best effort (packet) and reliable (stream).
func TestTransportJoin(t *testing.T) {
	pki := trPKI(t)
	for _, mode := range []string{"tls", "plain"} {
		t.Run(mode, func(t *testing.T) {
			trNoLeaks(t)
			opts := busNodeOpts{label: "cluster-1"}
			if mode == "tls" {
				cfg := trTLSConfig(pki, "")
				opts.tls = &cfg
			}
			a := startBusNode(t, "a", opts)
			b := startBusNode(t, "b", opts)
			c := startBusNode(t, "c", opts)
			if err := b.join(a); err != nil {
				t.Fatalf("b joins a: %v", err)
			}
			if err := c.join(a); err != nil {
				t.Fatalf("c joins a: %v", err)
			}
			trWait(t, "all three nodes to see each other alive", func() bool { return busAllSeeAlive(a, b, c) })
			busProbedAll(t, nil, a, b, c) // ping and ack packets flow between every pair

			if got := b.member("c").Addr.String(); got != "127.0.0.1" {
				t.Errorf("b sees c at %s, want 127.0.0.1", got)
			}
			if int(b.member("c").Port) != c.tr.Port() {
				t.Errorf("b sees c on port %d, want its bus port %d", b.member("c").Port, c.tr.Port())
			}

			if err := c.ml.SendBestEffort(c.member("b"), []byte("packet c->b")); err != nil {
				t.Fatalf("SendBestEffort: %v", err)
			}
			busExpectMsg(t, b, "packet c->b")
			if err := b.ml.SendReliable(b.member("c"), []byte("stream b->c")); err != nil {
				t.Fatalf("SendReliable: %v", err)
			}
			busExpectMsg(t, c, "stream b->c")

			for _, n := range []*busNode{a, b, c} {
				n.stop()
			}
		})
	}
}

func busExpectMsg(t *testing.T, n *busNode, want string) {
	t.Helper()
	select {
	case got := <-n.msgs:
		if string(got) != want {
			t.Fatalf("%s received %q, want %q", n.name, got, want)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("%s never received %q", n.name, want)
	}
}

// A node whose certificate comes from another CA cannot join. Two cases: it does not trust the
// cluster's CA (its own handshake fails), and it trusts it but its certificate is not trusted by the
// cluster (the listener, which always requires a verified client certificate, rejects it).
func TestTransportJoinRejectsForeignCA(t *testing.T) {
	pki1, pki2 := trPKI(t), trPKI(t)
	bundle := trBundle(t, pki1+"/ca.crt", pki2+"/ca.crt")
	cases := []struct {
		name    string
		intruda tlsmat.Config
		wantErr string
		wantLog string // in the intruder's log
	}{
		{"distrusts cluster CA", trTLSConfig(pki2, ""), "certificate signed by unknown authority",
			"Cluster bus TLS handshake with peer failed"},
		{"cert not trusted by cluster", trTLSConfig(pki2, bundle), "remote error",
			"Cluster bus peer refused the TLS session"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			trNoLeaks(t)
			good := trTLSConfig(pki1, "")
			a := startBusNode(t, "a", busNodeOpts{label: "c1", tls: &good})
			x := startBusNode(t, "x", busNodeOpts{label: "c1", tls: &tc.intruda})
			err := x.join(a)
			if err == nil {
				t.Fatal("join with a foreign certificate succeeded")
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("join error %q does not say %q", err, tc.wantErr)
			}
			if !x.logs.contains(tc.wantLog) {
				t.Errorf("intruder's log lacks %q", tc.wantLog)
			}
			if tc.name == "cert not trusted by cluster" {
				trWait(t, "a's verbose log of the refused handshake", func() bool {
					return a.logs.contains("Cluster bus connection refused: TLS handshake failed")
				})
			}
			if n := a.ml.NumMembers(); n != 1 {
				t.Errorf("a has %d members, want only itself", n)
			}
		})
	}
}

// A node of another cluster (another label) cannot join, over plain TCP and over TLS with the same PKI;
// both ends log a warning naming the peer.
func TestTransportJoinRejectsOtherLabel(t *testing.T) {
	pki := trPKI(t)
	for _, mode := range []string{"plain", "tls"} {
		t.Run(mode, func(t *testing.T) {
			trNoLeaks(t)
			var cfg *tlsmat.Config
			if mode == "tls" {
				c := trTLSConfig(pki, "")
				cfg = &c
			}
			a := startBusNode(t, "a", busNodeOpts{label: "alpha", tls: cfg})
			x := startBusNode(t, "x", busNodeOpts{label: "beta", tls: cfg})
			err := x.join(a)
			if err == nil {
				t.Fatal("join across labels succeeded")
			}
			if !strings.Contains(err.Error(), `has cluster label "alpha", this node has "beta"`) {
				t.Errorf("join error %q does not explain the label mismatch", err)
			}
			if !x.logs.contains("label mismatch") || !x.logs.contains(a.tr.addr()) {
				t.Errorf("joiner's log lacks a label warning naming %s", a.tr.addr())
			}
			trWait(t, "a's label warning", func() bool {
				return a.logs.contains("label mismatch") && a.logs.contains(`"peer_label":"beta"`) &&
					a.logs.contains(`"peer":"127.0.0.1:`)
			})
			if n := a.ml.NumMembers(); n != 1 {
				t.Errorf("a has %d members, want only itself", n)
			}

			// memberlist would retry such a peer at every probe: the repeat is logged at verbose.
			if err := x.join(a); err == nil {
				t.Fatal("second join across labels succeeded")
			}
			trWait(t, "a's verbose log of the repeated mismatch", func() bool {
				return a.logs.verboseLine("label mismatch")
			})
			if n := a.logs.warnLines("label mismatch"); n != 1 {
				t.Errorf("a logged %d warnings, want 1", n)
			}
		})
	}
}

// A client that does not speak TLS to a TLS bus port, and a TLS client without a certificate (even
// with tls-auth-clients no, which the bus ignores), are closed without receiving a single byte of
// the bus protocol; the plain-text one is logged as a warning (once per peer host and interval), the
// other refusal at verbose.
func TestTransportTLSPortRefusesStrangers(t *testing.T) {
	trNoLeaks(t)
	pki := trPKI(t)
	logs := newTrLogs(t, "a")
	cfg := trTLSConfig(pki, "")
	cfg.AuthClients = "no"
	a := trTransport(t, "c1", trManager(t, cfg, logs), logs)

	t.Run("plain client", func(t *testing.T) {
		c, err := net.Dial("tcp", a.addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		// A well-formed hello, sent in the clear.
		if _, err := c.Write(hello{kind: connStream, label: "c1"}.encode()); err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(c)
		if len(got) != 0 {
			t.Fatalf("plain client received %q", got)
		}
		if err != nil && !errors.Is(err, net.ErrClosed) && !strings.Contains(err.Error(), "reset") {
			t.Fatalf("read: %v", err)
		}
		// a plain-text bus is a misconfiguration worth a warning that says what to fix
		trWait(t, "warning about the plain-text peer", func() bool {
			return logs.warnLines("first record does not look like a TLS handshake") == 1 &&
				logs.warnLines("needs tls-cluster yes") == 1
		})
	})

	t.Run("TLS client without certificate", func(t *testing.T) {
		cc := tlsClientNoCert(t, pki)
		c, err := tlsDial(a.addr(), cc)
		if err == nil {
			defer c.Close()
			if _, err = c.Write(hello{kind: connStream, label: "c1"}.encode()); err == nil {
				var got []byte
				got, err = io.ReadAll(c)
				if len(got) != 0 {
					t.Fatalf("client without certificate received %q", got)
				}
			}
		}
		if err == nil || !strings.Contains(err.Error(), "certificate required") {
			t.Fatalf("got %v, want the server's certificate-required alert", err)
		}
		trWait(t, "verbose log of the refused handshake", func() bool {
			return logs.verboseLine("didn't provide a certificate")
		})
	})
}

// A plain bus port answers nothing to a client that does not send a bus hello.
func TestTransportPlainPortRefusesStrangers(t *testing.T) {
	trNoLeaks(t)
	logs := newTrLogs(t, "a")
	a := trTransport(t, "c1", nil, logs)
	c, err := net.Dial("tcp", a.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("*1\r\n$4\r\nPING\r\n")); err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(c)
	if len(got) != 0 {
		t.Fatalf("stranger received %q", got)
	}
	trWait(t, "verbose log", func() bool { return logs.contains("no valid hello") })
}

// Certificate rotation: after every node loads a new PKI, established members stay alive on the
// connections they already have, a node with the new material joins, and a node still holding the old
// material is refused — so the new material is what new handshakes use, on both ends.
func TestTransportCertificateRotation(t *testing.T) {
	trNoLeaks(t)
	oldPKI, newPKI := trPKI(t), trPKI(t)
	oldCfg, newCfg := trTLSConfig(oldPKI, ""), trTLSConfig(newPKI, "")
	a := startBusNode(t, "a", busNodeOpts{label: "c1", tls: &oldCfg})
	b := startBusNode(t, "b", busNodeOpts{label: "c1", tls: &oldCfg})
	mgrA, mgrB := a.tr.cfg.TLS, b.tr.cfg.TLS
	if err := b.join(a); err != nil {
		t.Fatalf("b joins a: %v", err)
	}
	trWait(t, "a and b alive", func() bool { return busAllSeeAlive(a, b) })
	probes := busProbedAll(t, nil, a, b)
	linkAB, linkBA := a.tr.pooledLink(b.tr.addr()), b.tr.pooledLink(a.tr.addr())
	if linkAB == nil || linkBA == nil {
		t.Fatal("no pooled packet links between a and b")
	}

	if err := mgrA.Load(newCfg); err != nil {
		t.Fatal(err)
	}
	if err := mgrB.Load(newCfg); err != nil {
		t.Fatal(err)
	}

	// The established links keep carrying probes and acks.
	busProbedAll(t, probes, a, b)
	if a.tr.pooledLink(b.tr.addr()) != linkAB || b.tr.pooledLink(a.tr.addr()) != linkBA {
		t.Fatal("the packet links between a and b were replaced by the rotation")
	}

	c := startBusNode(t, "c", busNodeOpts{label: "c1", tls: &newCfg})
	if err := c.join(a); err != nil {
		t.Fatalf("c (new material) joins a: %v", err)
	}
	trWait(t, "a, b and c alive", func() bool { return busAllSeeAlive(a, b, c) })
	busProbedAll(t, nil, a, b, c) // c's links to a and b, both ways, use the new material

	d := startBusNode(t, "d", busNodeOpts{label: "c1", tls: &oldCfg})
	if err := d.join(a); err == nil {
		t.Fatal("d (old material) joined after the rotation")
	}
	if !busAllSeeAlive(a, b, c) {
		t.Error("membership changed after a refused join")
	}
	for _, n := range []*busNode{a, b, c, d} {
		n.stop()
	}
}

// pooledLink lets tests look at the packet connection pool.
func (t *Transport) pooledLink(addr string) *packetLink {
	t.mu.Lock()
	defer t.mu.Unlock()
	l := t.links[addr]
	if l == nil {
		return nil
	}
	select {
	case <-l.gone:
		return nil
	default:
	}
	return l
}

// Packets over the raw transport: delivered with the sender's bus address as From and a receipt
// timestamp; a link whose peer goes away is evicted, and the next packet opens a new one.
func TestTransportPacketLinkEviction(t *testing.T) {
	trNoLeaks(t)
	logs := newTrLogs(t, "transports")
	a := trTransport(t, "c1", nil, logs)
	b := trTransport(t, "c1", nil, logs)

	before := time.Now()
	if _, err := a.WriteTo([]byte("one"), b.addr()); err != nil {
		t.Fatal(err)
	}
	p := <-b.PacketCh()
	if string(p.Buf) != "one" {
		t.Fatalf("got %q", p.Buf)
	}
	if p.From.String() != a.addr() {
		t.Errorf("From = %s, want the sender's bus address %s", p.From, a.addr())
	}
	if p.Timestamp.Before(before) {
		t.Errorf("Timestamp %v precedes the send", p.Timestamp)
	}
	old := a.pooledLink(b.addr())
	if old == nil {
		t.Fatal("no pooled link after a packet")
	}

	port := b.Port()
	if err := b.Shutdown(); err != nil {
		t.Fatal(err)
	}
	trWait(t, "eviction of the link to the stopped peer", func() bool { return a.pooledLink(b.addr()) == nil })

	b2, err := NewTransport(TransportConfig{BindAddr: "127.0.0.1", BindPort: port, Label: "c1"})
	if err != nil {
		t.Fatalf("restart peer on port %d: %v", port, err)
	}
	defer b2.Shutdown()
	if _, err := a.WriteTo([]byte("two"), b2.addr()); err != nil {
		t.Fatal(err)
	}
	if p := <-b2.PacketCh(); string(p.Buf) != "two" {
		t.Fatalf("got %q", p.Buf)
	}
	if l := a.pooledLink(b2.addr()); l == nil || l == old {
		t.Error("the second packet did not go over a new link")
	}

	// A peer that cannot be reached: the write is queued without blocking, then the link is dropped.
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := dead.Addr().String()
	dead.Close()
	if _, err := a.WriteTo([]byte("lost"), deadAddr); err != nil {
		t.Fatal(err)
	}
	trWait(t, "the failed link to be dropped", func() bool { return a.pooledLink(deadAddr) == nil })
	if !logs.contains("packet link could not be opened") {
		t.Error("the failed dial was not logged")
	}
}

// Streams: each dial is a fresh connection delivered on the peer's StreamCh, usable both ways;
// Shutdown closes streams that the owner (memberlist) has not closed, and refuses new work.
func TestTransportStreamsAndShutdown(t *testing.T) {
	trNoLeaks(t)
	pki := trPKI(t)
	logs := newTrLogs(t, "transports")
	cfg := trTLSConfig(pki, "")
	a := trTransport(t, "c1", trManager(t, cfg, logs), logs)
	b := trTransport(t, "c1", trManager(t, cfg, logs), logs)

	c1, err := a.DialTimeout(b.addr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	s1 := <-b.StreamCh()
	c2, err := a.DialTimeout(b.addr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	s2 := <-b.StreamCh()
	if s1.RemoteAddr().String() == s2.RemoteAddr().String() {
		t.Error("two stream dials shared one connection")
	}
	if _, err := c2.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(s2, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("stream read %q, %v", buf, err)
	}
	if _, err := s2.Write([]byte("pong")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(c2, buf); err != nil || string(buf) != "pong" {
		t.Fatalf("stream read %q, %v", buf, err)
	}

	if err := b.Shutdown(); err != nil {
		t.Fatal(err)
	}
	if err := b.Shutdown(); err != nil {
		t.Fatalf("second Shutdown: %v", err)
	}
	// s1 was never closed by its owner: Shutdown closed it, and the dialer sees the end.
	if n, err := c1.Read(buf); err == nil {
		t.Fatalf("stream still open after the peer's Shutdown (read %q)", buf[:n])
	}
	if _, err := b.WriteTo([]byte("x"), a.addr()); !errors.Is(err, ErrTransportClosed) {
		t.Errorf("WriteTo after Shutdown: %v", err)
	}
	if _, err := b.DialTimeout(a.addr(), time.Second); !errors.Is(err, ErrTransportClosed) {
		t.Errorf("DialTimeout after Shutdown: %v", err)
	}
	if _, err := a.DialTimeout(b.addr(), time.Second); err == nil {
		t.Error("dial to a shut down transport succeeded")
	}
}

// The hello codec round-trips and rejects what is not a bus hello.
func TestTransportHelloCodec(t *testing.T) {
	h := hello{kind: connPacket, port: 40001, label: "cluster-x"}
	got, err := readHello(bytes.NewReader(h.encode()))
	if err != nil || got != h {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	for _, bad := range [][]byte{
		[]byte("GET / HTTP/1.1\r\n"),
		append([]byte("VKBS\x02"), "P\x00\x01\x00"...),
	} {
		if _, err := readHello(bytes.NewReader(bad)); !errors.Is(err, errNotBus) {
			t.Errorf("readHello(%q) = %v, want errNotBus", bad, err)
		}
	}
	if _, err := readHello(bytes.NewReader(h.encode()[:12])); err == nil {
		t.Error("truncated hello accepted")
	}
	if _, err := NewTransport(TransportConfig{BindAddr: "127.0.0.1", Label: strings.Repeat("x", 256)}); err == nil {
		t.Error("a 256-byte label was accepted")
	}
	if _, err := NewTransport(TransportConfig{BindAddr: "127.0.0.1", TLS: tlsmat.New(trNopLog)}); err == nil {
		t.Error("TLS without material was accepted")
	}
}
