package tlsmat

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"
)

// TestAuthClientsPolicies is the mTLS matrix of spec §2 on one listener, switching the policy with
// SetAuthClients between connections (it applies to the next accepted connection).
func TestAuthClientsPolicies(t *testing.T) {
	f := newFixture(t)
	m, _ := newTestManager(t)
	if err := m.Load(f.cfg); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, m.ServerConfig())

	other := newTestCA(t, "Untrusted CA", time.Time{}, time.Time{})
	uc, uk, _ := other.issue(t, clientOpts())
	untrusted, err := tls.X509KeyPair(uc, uk)
	if err != nil {
		t.Fatal(err)
	}
	// Each client records whether the server sent a CertificateRequest.
	type client struct {
		name      string
		cert      *tls.Certificate
		requested atomic.Bool
	}
	clients := []*client{{name: "no cert"}, {name: "CA-signed cert", cert: &f.clientTLS}, {name: "untrusted-CA cert", cert: &untrusted}}
	cfgFor := func(c *client) *tls.Config {
		return &tls.Config{RootCAs: f.pool(), ServerName: "localhost",
			GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
				c.requested.Store(true)
				if c.cert == nil {
					return &tls.Certificate{}, nil
				}
				return c.cert, nil
			}}
	}
	matrix := []struct {
		policy    string
		accept    [3]bool // per client, in order
		requested bool
	}{
		{"yes", [3]bool{false, true, false}, true},
		{"optional", [3]bool{true, true, false}, true},
		{"no", [3]bool{true, true, true}, false},
		{"YES", [3]bool{false, true, false}, true}, // enum values are case-insensitive, as in Valkey
	}
	for _, row := range matrix {
		if err := m.SetAuthClients(row.policy); err != nil {
			t.Fatal(err)
		}
		for i, c := range clients {
			c.requested.Store(false)
			conn, err := dial(srv.addr, cfgFor(c))
			if ok := err == nil; ok != row.accept[i] {
				t.Errorf("auth-clients %s, %s: accepted=%v (err %v), want %v", row.policy, c.name, ok, err, row.accept[i])
			}
			if conn != nil {
				if row.policy != "no" && c.cert != nil {
					// The server saw and verified the certificate.
					st := srv.lastState(t)
					if len(st.VerifiedChains) == 0 {
						t.Errorf("auth-clients %s, %s: no verified chain on the server", row.policy, c.name)
					}
				}
				conn.Close()
			}
			if got := c.requested.Load(); got != row.requested {
				t.Errorf("auth-clients %s, %s: certificate requested=%v, want %v", row.policy, c.name, got, row.requested)
			}
		}
	}
	if err := m.SetAuthClients("sometimes"); err == nil {
		t.Error("SetAuthClients accepted an invalid value")
	}
}

func TestBusServerConfigAlwaysRequiresClientCert(t *testing.T) {
	f := newFixture(t)
	m, _ := newTestManager(t)
	cfg := f.cfg
	cfg.AuthClients, cfg.PeerLinks = "no", true
	if err := m.Load(cfg); err != nil {
		t.Fatal(err)
	}
	bus := startServer(t, m.BusServerConfig())
	noCert := &tls.Config{RootCAs: f.pool(), ServerName: "localhost"}
	if _, err := dial(bus.addr, noCert); err == nil {
		t.Fatal("bus accepted a peer without certificate under auth-clients no")
	}
	// A peer node dialling with the manager's own outgoing config is accepted.
	out, err := m.ClientConfig("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	c, err := dial(bus.addr, out)
	if err != nil {
		t.Fatalf("bus refused a CA-signed node certificate: %v", err)
	}
	c.Close()
	// The client-facing listener, meanwhile, follows auth-clients no.
	clients := startServer(t, m.ServerConfig())
	c, err = dial(clients.addr, noCert)
	if err != nil {
		t.Fatalf("client listener refused a no-cert client under auth-clients no: %v", err)
	}
	c.Close()
}

// peer is a plain crypto/tls server playing a primary or another node, with a certificate of our choice;
// it records the SNI and the client certificate it sees.
type peer struct {
	*testServer
	sni chan string
}

func startPeer(t *testing.T, certPEM, keyPEM []byte, clientCAs *x509.CertPool) *peer {
	t.Helper()
	kp, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	p := &peer{sni: make(chan string, 16)}
	cfg := &tls.Config{
		Certificates: []tls.Certificate{kp},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    clientCAs,
		GetConfigForClient: func(hi *tls.ClientHelloInfo) (*tls.Config, error) {
			p.sni <- hi.ServerName
			return nil, nil
		},
	}
	p.testServer = startServer(t, cfg)
	return p
}

// TestClientConfigVerifiesChainWithoutHostname: outgoing links accept a peer whose certificate names
// some other host (Valkey test certificates have no SAN at all) as long as the chain verifies, and refuse
// an untrusted or expired peer.
func TestClientConfigVerifiesChainWithoutHostname(t *testing.T) {
	f := newFixture(t)
	m, _ := newTestManager(t)
	if err := m.Load(f.cfg); err != nil {
		t.Fatal(err)
	}
	// Peer certificate with no name matching 127.0.0.1 or localhost, and no EKU at all.
	pc, pk, _ := f.ca.issue(t, leafOpts{cn: "Server-only", dns: []string{"other.example"}})
	p := startPeer(t, pc, pk, f.pool())

	// Proof the peer is "wrong" for a standard Go client.
	std := &tls.Config{RootCAs: f.pool(), ServerName: "127.0.0.1", Certificates: []tls.Certificate{f.clientTLS}}
	if _, err := dial(p.addr, std); err == nil {
		t.Fatal("standard client accepted a certificate not naming 127.0.0.1; the test proves nothing")
	}
	out, err := m.ClientConfig("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	c, err := dial(p.addr, out)
	if err != nil {
		t.Fatalf("ClientConfig refused a CA-signed peer without matching SAN: %v", err)
	}
	c.Close()

	// Untrusted CA.
	other := newTestCA(t, "Untrusted CA", time.Time{}, time.Time{})
	uc, uk, _ := other.issue(t, serverOpts(0))
	up := startPeer(t, uc, uk, f.pool())
	out, _ = m.ClientConfig("localhost")
	if _, err := dial(up.addr, out); err == nil {
		t.Fatal("ClientConfig accepted a peer from an untrusted CA")
	}

	// Expired peer certificate.
	o := serverOpts(0)
	o.notBefore, o.notAfter = time.Now().AddDate(-2, 0, 0), time.Now().AddDate(-1, 0, 0)
	ec, ek, _ := f.ca.issue(t, o)
	ep := startPeer(t, ec, ek, f.pool())
	out, _ = m.ClientConfig("localhost")
	if _, err := dial(ep.addr, out); err == nil {
		t.Fatal("ClientConfig accepted an expired peer certificate")
	}
}

func TestClientConfigSNIAndPresentedCertificate(t *testing.T) {
	f := newFixture(t)
	m, _ := newTestManager(t)
	if err := m.Load(f.cfg); err != nil {
		t.Fatal(err)
	}
	pc, pk, _ := f.ca.issue(t, serverOpts(0))
	p := startPeer(t, pc, pk, f.pool())

	for _, c := range []struct{ addr, sni string }{
		{"localhost", "localhost"},
		{"primary.example:6379", "primary.example"},
		{"127.0.0.1", ""},
		{"::1", ""},
		{"[::1]:6380", ""},
		{"", ""},
	} {
		out, err := m.ClientConfig(c.addr)
		if err != nil {
			t.Fatal(err)
		}
		conn, err := dial(p.addr, out)
		if err != nil {
			t.Fatalf("ClientConfig(%q): %v", c.addr, err)
		}
		conn.Close()
		if got := <-p.sni; got != c.sni {
			t.Errorf("ClientConfig(%q) sent SNI %q, want %q", c.addr, got, c.sni)
		}
		if got := p.lastState(t).PeerCertificates[0].Subject.CommonName; got != "test-client" {
			t.Errorf("presented %q, want the client certificate", got)
		}
	}

	// Without client files, outgoing links present the server certificate (Valkey test 6).
	cfg := f.cfg
	cfg.ClientCertFile, cfg.ClientKeyFile = "", ""
	if err := m.Load(cfg); err != nil {
		t.Fatal(err)
	}
	out, _ := m.ClientConfig("127.0.0.1")
	conn, err := dial(p.addr, out)
	if err != nil {
		t.Fatal(err)
	}
	conn.Close()
	<-p.sni
	if got := p.lastState(t).PeerCertificates[0].SerialNumber; got.Cmp(f.serverCert.SerialNumber) != 0 {
		t.Errorf("presented serial %X, want the server certificate %X", got, f.serverCert.SerialNumber)
	}
}

func TestNotConfigured(t *testing.T) {
	m, _ := newTestManager(t)
	if _, err := m.ClientConfig("localhost"); !errors.Is(err, ErrNotConfigured) {
		t.Fatalf("ClientConfig err = %v", err)
	}
	srv := startServer(t, m.BusServerConfig())
	raw, err := net.Dial("tcp", srv.addr)
	if err != nil {
		t.Fatal(err)
	}
	c := tls.Client(raw, &tls.Config{InsecureSkipVerify: true})
	if err := c.Handshake(); err == nil {
		t.Fatal("handshake succeeded without material")
	}
	c.Close()
}

// TestNoCAConfiguredTrustsNothing: with auth-clients no and no CA, switching to "yes" must not fall back
// to the system trust store: every client certificate is refused.
func TestNoCAConfiguredTrustsNothing(t *testing.T) {
	f := newFixture(t)
	m, logs := newTestManager(t)
	cfg := f.cfg
	cfg.CAFile, cfg.AuthClients = "", "no"
	if err := m.Load(cfg); err != nil {
		t.Fatal(err)
	}
	if err := m.SetAuthClients("yes"); err != nil {
		t.Fatal(err)
	}
	if logs.count("No CA certificate is configured") != 1 {
		t.Errorf("no warning about the missing CA:\n%s", logs)
	}
	srv := startServer(t, m.ServerConfig())
	if _, err := dial(srv.addr, f.clientConfig()); err == nil {
		t.Fatal("client certificate accepted with no CA configured")
	}
	out, _ := m.ClientConfig("localhost")
	pc, pk, _ := f.ca.issue(t, serverOpts(0))
	p := startPeer(t, pc, pk, f.pool())
	if _, err := dial(p.addr, out); err == nil {
		t.Fatal("outgoing link verified a peer with no CA configured")
	}
}
