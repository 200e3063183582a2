package tlsmat

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// ---- PKI ------------------------------------------------------------------------------------------

type testCA struct {
	cert *x509.Certificate
	key  crypto.Signer
	pem  []byte
}

type leafOpts struct {
	cn                  string
	notBefore, notAfter time.Time // zero: now-1h .. now+1y
	dns                 []string
	ips                 []net.IP
	uris                []string
	eku                 []x509.ExtKeyUsage
	rsa                 bool
	key                 crypto.Signer // reuse this key instead of generating one
	serial              int64         // 0: random
}

var (
	rsaKeyOnce sync.Once
	rsaKeys    []*rsa.PrivateKey
)

// testRSAKey returns one of a few cached RSA 2048 keys: generating them is slow and tests only need
// distinct keys, not fresh ones.
func testRSAKey(t testing.TB, i int) *rsa.PrivateKey {
	t.Helper()
	rsaKeyOnce.Do(func() {
		for range 3 {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			rsaKeys = append(rsaKeys, k)
		}
	})
	return rsaKeys[i%len(rsaKeys)]
}

func newECKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func randSerial(t testing.TB) *big.Int {
	t.Helper()
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		t.Fatal(err)
	}
	return n.Add(n, big.NewInt(1))
}

func newTestCA(t testing.TB, cn string, notBefore, notAfter time.Time) *testCA {
	t.Helper()
	if notBefore.IsZero() {
		notBefore = time.Now().Add(-time.Hour)
	}
	if notAfter.IsZero() {
		notAfter = time.Now().AddDate(5, 0, 0)
	}
	key := newECKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          randSerial(t),
		Subject:               pkix.Name{Organization: []string{"tlsmat test"}, CommonName: cn},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{cert: cert, key: key, pem: pemBytes("CERTIFICATE", der)}
}

// issue signs a leaf certificate and returns its PEM, its key's PKCS#8 PEM and the parsed certificate.
func (ca *testCA) issue(t testing.TB, o leafOpts) (certPEM, keyPEM []byte, cert *x509.Certificate) {
	t.Helper()
	if o.notBefore.IsZero() {
		o.notBefore = time.Now().Add(-time.Hour)
	}
	if o.notAfter.IsZero() {
		o.notAfter = time.Now().AddDate(1, 0, 0)
	}
	key := o.key
	if key == nil {
		if o.rsa {
			key = testRSAKey(t, 0)
		} else {
			key = newECKey(t)
		}
	}
	serial := randSerial(t)
	if o.serial != 0 {
		serial = big.NewInt(o.serial)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{Organization: []string{"tlsmat test"}, CommonName: o.cn},
		NotBefore:    o.notBefore,
		NotAfter:     o.notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  o.eku,
		DNSNames:     o.dns,
		IPAddresses:  o.ips,
	}
	for _, u := range o.uris {
		pu, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		tmpl.URIs = append(tmpl.URIs, pu)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, key.Public(), ca.key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err = x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	kp, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pemBytes("CERTIFICATE", der), pemBytes("PRIVATE KEY", kp), cert
}

func serverOpts(serial int64) leafOpts {
	return leafOpts{
		cn:     "localhost",
		dns:    []string{"localhost"},
		ips:    []net.IP{net.ParseIP("127.0.0.1"), net.IPv6loopback},
		eku:    []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		serial: serial,
	}
}

func clientOpts() leafOpts {
	return leafOpts{cn: "test-client", eku: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
}

func writeFile(t testing.TB, path string, data []byte) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// replaceFile swaps a file's contents atomically (temp file + rename), as deployment tools do.
func replaceFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := writeFileAtomic(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// fixture is a complete, valid PKI on disk and the Config that uses it.
type fixture struct {
	dir        string
	ca         *testCA
	cfg        Config
	serverCert *x509.Certificate
	clientCert *x509.Certificate
	clientTLS  tls.Certificate // the client certificate, for test clients
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	dir := t.TempDir()
	ca := newTestCA(t, "Test CA", time.Time{}, time.Time{})
	f := &fixture{dir: dir, ca: ca}
	writeFile(t, filepath.Join(dir, "ca.crt"), ca.pem)
	sc, sk, scert := ca.issue(t, serverOpts(0x1001))
	cc, ck, ccert := ca.issue(t, clientOpts())
	f.serverCert, f.clientCert = scert, ccert
	f.cfg = Config{
		CertFile:            writeFile(t, filepath.Join(dir, "server.crt"), sc),
		KeyFile:             writeFile(t, filepath.Join(dir, "server.key"), sk),
		ClientCertFile:      writeFile(t, filepath.Join(dir, "client.crt"), cc),
		ClientKeyFile:       writeFile(t, filepath.Join(dir, "client.key"), ck),
		CAFile:              filepath.Join(dir, "ca.crt"),
		AuthClients:         "yes",
		SessionCaching:      true,
		SessionCacheSize:    20480,
		SessionCacheTimeout: 300,
		Enabled:             true,
	}
	kp, err := tls.X509KeyPair(cc, ck)
	if err != nil {
		t.Fatal(err)
	}
	f.clientTLS = kp
	return f
}

// rotateServer writes a new server certificate with the given serial (and a new key) over the
// configured files and returns it.
func (f *fixture) rotateServer(t testing.TB, serial int64) *x509.Certificate {
	t.Helper()
	c, k, cert := f.ca.issue(t, serverOpts(serial))
	replaceFile(t, f.cfg.KeyFile, k)
	replaceFile(t, f.cfg.CertFile, c)
	return cert
}

// writeServerPair writes a new server pair under new names and returns a Config pointing at it.
func (f *fixture) withNewServerPair(t testing.TB, serial int64) (Config, *x509.Certificate) {
	t.Helper()
	c, k, cert := f.ca.issue(t, serverOpts(serial))
	cfg := f.cfg
	name := big.NewInt(serial).Text(16)
	cfg.CertFile = writeFile(t, filepath.Join(f.dir, "server-"+name+".crt"), c)
	cfg.KeyFile = writeFile(t, filepath.Join(f.dir, "server-"+name+".key"), k)
	return cfg, cert
}

func (f *fixture) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(f.ca.cert)
	return p
}

// clientConfig is a plain Go client (independent of the Manager) trusting the fixture CA and
// presenting the fixture client certificate.
func (f *fixture) clientConfig() *tls.Config {
	return &tls.Config{RootCAs: f.pool(), ServerName: "localhost", Certificates: []tls.Certificate{f.clientTLS}}
}

// ---- logs -----------------------------------------------------------------------------------------

type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuf) count(sub string) int { return strings.Count(l.String(), sub) }

// waitFor polls until the log contains sub n times.
func (l *logBuf) waitFor(t testing.TB, sub string, n int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for l.count(sub) < n {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %d× %q in logs:\n%s", n, sub, l.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func newTestManager(t testing.TB) (*Manager, *logBuf) {
	t.Helper()
	lb := &logBuf{}
	m := New(zerolog.New(lb).Level(zerolog.DebugLevel))
	t.Cleanup(m.Close)
	return m, lb
}

// ---- loopback TLS server ----------------------------------------------------------------------------

// testServer is a loopback echo server. It records the server-side state of each successful handshake.
type testServer struct {
	addr   string
	ln     net.Listener
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	states chan tls.ConnectionState
}

func startServer(t testing.TB, cfg *tls.Config) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &testServer{addr: ln.Addr().String(), ln: ln, conns: map[net.Conn]struct{}{}, states: make(chan tls.ConnectionState, 1024)}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns[c] = struct{}{}
			s.mu.Unlock()
			s.wg.Add(1)
			go s.serve(c, cfg)
		}
	}()
	t.Cleanup(s.close)
	return s
}

func (s *testServer) serve(c net.Conn, cfg *tls.Config) {
	defer s.wg.Done()
	defer func() {
		c.Close()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	}()
	tc := tls.Server(c, cfg)
	_ = tc.SetDeadline(time.Now().Add(10 * time.Second))
	if err := tc.Handshake(); err != nil {
		return
	}
	_ = tc.SetDeadline(time.Time{})
	select {
	case s.states <- tc.ConnectionState():
	default:
	}
	_, _ = io.Copy(tc, tc)
}

func (s *testServer) close() {
	s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// lastState returns the server-side state of the most recent handshake, discarding older ones. A
// client's dial returns only after its echo, which the server answers after recording the state, so the
// state of the client's own handshake is always there.
func (s *testServer) lastState(t testing.TB) tls.ConnectionState {
	t.Helper()
	var st tls.ConnectionState
	select {
	case st = <-s.states:
	case <-time.After(5 * time.Second):
		t.Fatal("no server-side handshake recorded")
	}
	for {
		select {
		case st = <-s.states:
		default:
			return st
		}
	}
}

// dial connects, handshakes and exchanges one message, so that a client certificate refused by a TLS 1.3
// server (which the client only learns after its handshake) surfaces as an error here.
func dial(addr string, cfg *tls.Config) (*tls.Conn, error) {
	raw, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	c := tls.Client(raw, cfg)
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if err := c.Handshake(); err != nil {
		c.Close()
		return nil, err
	}
	if err := echo(c, "ping"); err != nil {
		c.Close()
		return nil, err
	}
	_ = c.SetDeadline(time.Time{})
	return c, nil
}

func echo(c net.Conn, msg string) error {
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte(msg)); err != nil {
		return err
	}
	buf := make([]byte, len(msg))
	if _, err := io.ReadFull(c, buf); err != nil {
		return err
	}
	if string(buf) != msg {
		return errors.New("echo mismatch")
	}
	return nil
}

// servedSerial performs a fresh handshake and returns the serial of the certificate the server presented.
func servedSerial(t testing.TB, addr string, cfg *tls.Config) *big.Int {
	t.Helper()
	c, err := dial(addr, cfg)
	if err != nil {
		t.Fatalf("handshake with %s failed: %v", addr, err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0].SerialNumber
}

// waitSerial polls with new handshakes until the server presents the wanted serial.
func waitSerial(t testing.TB, addr string, cfg *tls.Config, want *big.Int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		c, err := dial(addr, cfg)
		if err == nil {
			got := c.ConnectionState().PeerCertificates[0].SerialNumber
			c.Close()
			if got.Cmp(want) == 0 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server never presented serial %X (last error %v)", want, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ---- openssl ----------------------------------------------------------------------------------------

// needOpenSSL returns the openssl path, or skips (fails with VALKEY_NODE_REQUIRE_INTEROP=1) when missing.
func needOpenSSL(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("openssl")
	if err != nil {
		if os.Getenv("VALKEY_NODE_REQUIRE_INTEROP") == "1" {
			t.Fatal("openssl not found (install the Debian package `openssl`); required by VALKEY_NODE_REQUIRE_INTEROP=1")
		}
		t.Skip("openssl not found: install the Debian package `openssl` to run this interop test")
	}
	return p
}

func runOpenSSL(t testing.TB, bin string, args ...string) {
	t.Helper()
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func decodeCertPEM(t testing.TB, data []byte) *x509.Certificate {
	t.Helper()
	b, _ := pem.Decode(data)
	if b == nil {
		t.Fatal("no PEM")
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func poolFromFile(t testing.TB, path string) *x509.CertPool {
	t.Helper()
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(mustRead(t, path)) {
		t.Fatalf("no certificates in %s", path)
	}
	return p
}

func loadKeyPair(t testing.TB, certFile, keyFile string) tls.Certificate {
	t.Helper()
	kp, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	return kp
}

func tlsClient(pool *x509.CertPool, kp tls.Certificate) *tls.Config {
	return &tls.Config{RootCAs: pool, ServerName: "localhost", Certificates: []tls.Certificate{kp}}
}
