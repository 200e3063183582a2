package server

import (
	"bufio"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valkey-node/valkey-node/server/config"
)

// ---- a small PKI for node tests ----

// testPKI is a CA that issues server and client certificates into a temporary directory.
type testPKI struct {
	t      testing.TB
	dir    string
	cert   *x509.Certificate
	key    crypto.Signer
	caFile string
}

// leafSpec describes a certificate to issue. Zero values mean: ECDSA P-256, valid from an hour ago for a
// day, a server certificate for localhost/127.0.0.1.
type leafSpec struct {
	rsa       bool
	client    bool
	cn        string
	notBefore time.Time
	notAfter  time.Time
}

func randomSerial(t testing.TB) *big.Int {
	t.Helper()
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		t.Fatal(err)
	}
	return n.Add(n, big.NewInt(1))
}

func newKey(t testing.TB, useRSA bool) crypto.Signer {
	t.Helper()
	var k crypto.Signer
	var err error
	if useRSA {
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	} else {
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newTestPKI(t testing.TB, cn string) *testPKI {
	t.Helper()
	p := &testPKI{t: t, dir: t.TempDir(), key: newKey(t, false)}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          randomSerial(t),
		Subject:               pkix.Name{Organization: []string{"valkey-node test"}, CommonName: cn},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(10 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, p.key.Public(), p.key)
	if err != nil {
		t.Fatal(err)
	}
	if p.cert, err = x509.ParseCertificate(der); err != nil {
		t.Fatal(err)
	}
	p.caFile = writeTestFile(t, filepath.Join(p.dir, "ca.crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	return p
}

// issue signs a leaf certificate and returns it and its key in PEM.
func (p *testPKI) issue(s leafSpec) (certPEM, keyPEM []byte, cert *x509.Certificate) {
	t := p.t
	t.Helper()
	key := newKey(t, s.rsa)
	now := time.Now()
	if s.notBefore.IsZero() {
		s.notBefore = now.Add(-time.Hour)
	}
	if s.notAfter.IsZero() {
		s.notAfter = now.Add(24 * time.Hour)
	}
	if s.cn == "" {
		s.cn = "localhost"
	}
	tmpl := &x509.Certificate{
		SerialNumber: randomSerial(t),
		Subject:      pkix.Name{Organization: []string{"valkey-node test"}, CommonName: s.cn},
		NotBefore:    s.notBefore,
		NotAfter:     s.notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
	}
	if s.client {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
		tmpl.DNSNames, tmpl.IPAddresses = nil, nil
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.cert, key.Public(), p.key)
	if err != nil {
		t.Fatal(err)
	}
	if cert, err = x509.ParseCertificate(der); err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), cert
}

// pair issues a certificate and writes it as <name>.crt and <name>.key in a fresh directory.
func (p *testPKI) pair(name string, s leafSpec) (certPath, keyPath string, cert *x509.Certificate) {
	p.t.Helper()
	c, k, cert := p.issue(s)
	dir := p.t.TempDir()
	return writeTestFile(p.t, filepath.Join(dir, name+".crt"), c), writeTestFile(p.t, filepath.Join(dir, name+".key"), k), cert
}

// clientConfig trusts the CA; with a client certificate issued by issuer when issuer is not nil.
func (p *testPKI) clientConfig(issuer *testPKI) *tls.Config {
	p.t.Helper()
	pool := x509.NewCertPool()
	pool.AddCert(p.cert)
	cfg := &tls.Config{RootCAs: pool, ServerName: "localhost"}
	if issuer != nil {
		c, k, _ := issuer.issue(leafSpec{client: true, cn: "test-client"})
		kp, err := tls.X509KeyPair(c, k)
		if err != nil {
			p.t.Fatal(err)
		}
		cfg.Certificates = []tls.Certificate{kp}
	}
	return cfg
}

func writeTestFile(t testing.TB, path string, data []byte) string {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// replaceTestFile swaps a file's contents atomically (write a temporary file, rename), as deployment
// tools do, so a reload never reads half a file.
func replaceTestFile(t testing.TB, path string, data []byte) {
	t.Helper()
	tmp := path + ".tmp"
	writeTestFile(t, tmp, data)
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// ---- TLS clients ----

// dialTLS connects and completes the handshake.
func dialTLS(addr string, cfg *tls.Config) (*tls.Conn, error) {
	d := &net.Dialer{Timeout: 5 * time.Second}
	c, err := tls.DialWithDialer(d, "tcp", addr, cfg)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// pingTLS opens a new TLS connection, sends PING and expects PONG. With TLS 1.3 the server judges the
// client certificate after the client has finished its handshake, so a refusal shows on the first read.
func pingTLS(addr string, cfg *tls.Config) error {
	c, err := dialTLS(addr, cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if line != "+PONG\r\n" {
		return fmt.Errorf("PING replied %q", line)
	}
	return nil
}

// servedSerial is the serial of the certificate a new handshake sees.
func servedSerial(t testing.TB, addr string, cfg *tls.Config) *big.Int {
	t.Helper()
	c, err := dialTLS(addr, cfg)
	if err != nil {
		t.Fatalf("TLS handshake with %s: %v", addr, err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0].SerialNumber
}

// tlsRaw is a raw RESP connection over TLS, closed at cleanup.
func tlsRaw(t testing.TB, addr string, cfg *tls.Config) *rawConn {
	t.Helper()
	c, err := dialTLS(addr, cfg)
	if err != nil {
		t.Fatalf("TLS handshake with %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawConn{t: t, c: c, br: bufio.NewReader(c)}
}

func (r *rawConn) peerSerial() *big.Int {
	return r.c.(*tls.Conn).ConnectionState().PeerCertificates[0].SerialNumber
}

// infoField returns one field of INFO <section>.
func (r *rawConn) infoField(section, name string) string {
	r.t.Helper()
	text, err := strconv.Unquote(r.do("INFO", section))
	if err != nil {
		r.t.Fatalf("INFO %s: %v", section, err)
	}
	for _, l := range strings.Split(text, "\r\n") {
		if v, ok := strings.CutPrefix(l, name+":"); ok {
			return v
		}
	}
	r.t.Fatalf("INFO %s has no %s:\n%s", section, name, text)
	return ""
}

func serialHexOf(n *big.Int) string { return strings.ToUpper(fmt.Sprintf("%x", n.Bytes())) }

// startTLSNode starts a node serving cert/key on a TLS port, trusting ca, with extra directives.
func startTLSNode(t testing.TB, cert, key, ca string, extra ...string) *testNode {
	t.Helper()
	args := []string{"tls-port", strconv.Itoa(freePort(t)), "tls-cert-file", cert, "tls-key-file", key}
	if ca != "" {
		args = append(args, "tls-ca-cert-file", ca)
	}
	return startNode(t, append(args, extra...)...)
}

// ---- bad material ----

// badMaterial is one broken replacement for the server certificate pair.
type badMaterial struct {
	name      string
	pairs     []string // CONFIG SET arguments
	directive string   // the argument CONFIG SET names: the first directive whose apply failed
	path      string   // the file the log and the start-up error must name
	reason    string   // a substring of the reason
}

// badMaterials builds every broken replacement, issued by pki.
func badMaterials(t testing.TB, pki *testPKI) []badMaterial {
	t.Helper()
	dir := t.TempDir()
	now := time.Now()
	write := func(name string, data []byte) string { return writeTestFile(t, filepath.Join(dir, name), data) }
	pairArgs := func(c, k string) []string { return []string{"tls-cert-file", c, "tls-key-file", k} }

	goodCrt, goodKey, _ := pki.pair("good", leafSpec{})
	otherCrtPEM, _, _ := pki.issue(leafSpec{})
	mismatchCrt := write("mismatch.crt", otherCrtPEM)
	expCrt, expKey, _ := pki.pair("expired", leafSpec{notBefore: now.Add(-48 * time.Hour), notAfter: now.Add(-24 * time.Hour)})
	futCrt, futKey, _ := pki.pair("future", leafSpec{notBefore: now.Add(24 * time.Hour), notAfter: now.Add(48 * time.Hour)})
	empty := write("empty.crt", nil)
	malformed := write("malformed.crt", []byte("-----BEGIN CERTIFICATE-----\n@@not base64@@\n-----END CERTIFICATE-----\n"))
	subdir := filepath.Join(dir, "a-directory.crt")
	if err := os.Mkdir(subdir, 0o755); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.crt")

	// a legacy encrypted key (Proc-Type: 4,ENCRYPTED), as `openssl ec -aes256` writes it
	encCrtPEM, encKeyPEM, _ := pki.issue(leafSpec{})
	blk, _ := pem.Decode(encKeyPEM)
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, err := x509.MarshalECPrivateKey(k.(*ecdsa.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	//lint:ignore SA1019 the legacy format is what is under test; tlsmat decrypts it itself
	encBlk, err := x509.EncryptPEMBlock(rand.Reader, "EC PRIVATE KEY", ecDER, []byte("right-pass"), x509.PEMCipherAES256) //nolint:staticcheck
	if err != nil {
		t.Fatal(err)
	}
	encCrt := write("enc.crt", encCrtPEM)
	encKey := write("enc.key", pem.EncodeToMemory(encBlk))

	expCA := newTestPKI(t, "expired CA")
	expCAFile := write("expired-ca.crt", pemOfCA(t, expCA, now.Add(-48*time.Hour), now.Add(-24*time.Hour)))

	return []badMaterial{
		{"mismatched key", pairArgs(mismatchCrt, goodKey), "tls-cert-file", goodKey, "key values mismatch"},
		{"mismatched key, key named first", []string{"tls-key-file", goodKey, "tls-cert-file", mismatchCrt}, "tls-key-file", goodKey, "key values mismatch"},
		{"expired certificate", pairArgs(expCrt, expKey), "tls-cert-file", expCrt, "has expired"},
		{"not yet valid certificate", pairArgs(futCrt, futKey), "tls-cert-file", futCrt, "is not yet valid"},
		{"empty certificate file", pairArgs(empty, goodKey), "tls-cert-file", empty, "file is empty"},
		{"malformed PEM", pairArgs(malformed, goodKey), "tls-cert-file", malformed, "malformed PEM block"},
		{"wrong passphrase", append(pairArgs(encCrt, encKey), "tls-key-file-pass", "wrong-pass"), "tls-cert-file", encKey, "wrong passphrase"},
		{"encrypted key without passphrase", pairArgs(encCrt, encKey), "tls-cert-file", encKey, "no passphrase is configured"},
		{"directory instead of file", pairArgs(subdir, goodKey), "tls-cert-file", subdir, "is a directory"},
		{"missing file", pairArgs(missing, goodKey), "tls-cert-file", missing, "no such file or directory"},
		{"expired CA", []string{"tls-ca-cert-file", expCAFile}, "tls-ca-cert-file", expCAFile, "has expired"},
		{"good pair, expired CA", append(pairArgs(goodCrt, goodKey), "tls-ca-cert-file", expCAFile), "tls-cert-file", expCAFile, "has expired"},
	}
}

// pemOfCA re-signs a CA certificate with another validity period.
func pemOfCA(t testing.TB, ca *testPKI, notBefore, notAfter time.Time) []byte {
	t.Helper()
	tmpl := *ca.cert
	tmpl.NotBefore, tmpl.NotAfter = notBefore, notAfter
	der, err := x509.CreateCertificate(rand.Reader, &tmpl, &tmpl, ca.key.Public(), ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// logLine returns the first log line that mentions every one of subs, or "".
func logLine(logs string, subs ...string) string {
	for _, l := range strings.Split(logs, "\n") {
		all := true
		for _, sub := range subs {
			all = all && strings.Contains(l, sub)
		}
		if all {
			return l
		}
	}
	return ""
}

// ---- tests ----

// TestTLSRotateWithConfigSet: CONFIG SET of a cert/key pair is the manual rotation. A broken replacement is
// refused with Valkey's exact error naming the first directive, every value is restored, the log names the
// file and the reason, and the old certificate keeps being served; a good pair is served to the next
// handshake while a connection made before keeps working.
func TestTLSRotateWithConfigSet(t *testing.T) {
	pki := newTestPKI(t, "rotation CA")
	aCrt, aKey, aCert := pki.pair("a", leafSpec{})
	bCrt, bKey, bCert := pki.pair("b", leafSpec{})
	n := startTLSNode(t, aCrt, aKey, pki.caFile)
	cli := pki.clientConfig(pki)
	before := tlsRaw(t, n.tlsAddr, cli)
	if got := before.do("SET", "k", "v"); got != "OK" {
		t.Fatalf("SET before rotation: %s", got)
	}
	admin := n.raw()

	for _, bm := range badMaterials(t, pki) {
		t.Run(bm.name, func(t *testing.T) {
			args := append([]string{"CONFIG", "SET"}, bm.pairs...)
			want := "-ERR CONFIG SET failed (possibly related to argument '" + bm.directive +
				"') - Unable to update TLS configuration. Check server logs."
			if got := admin.do(args...); got != want {
				t.Fatalf("CONFIG SET %v\n got %s\nwant %s", bm.pairs, got, want)
			}
			got := admin.do("CONFIG", "GET", "tls-cert-file", "tls-key-file", "tls-key-file-pass", "tls-ca-cert-file")
			wantGet := fmt.Sprintf("[%q %q %q %q %q %q %q %q]", "tls-ca-cert-file", pki.caFile, "tls-cert-file", aCrt,
				"tls-key-file", aKey, "tls-key-file-pass", "")
			if got != wantGet {
				t.Errorf("values not restored:\n got %s\nwant %s", got, wantGet)
			}
			if logLine(n.logs.String(), bm.path, bm.reason) == "" {
				t.Errorf("no log line names %s and %q; log:\n%s", bm.path, bm.reason, n.logs.String())
			}
			if s := servedSerial(t, n.tlsAddr, cli); s.Cmp(aCert.SerialNumber) != 0 {
				t.Errorf("after a refused replacement a new handshake sees serial %s, want A's %s", s, aCert.SerialNumber)
			}
		})
	}
	if !strings.Contains(n.logs.String(), "Failed applying new configuration. Possibly related to new tls-cert-file setting. Restoring previous settings.") {
		t.Errorf("no 'Failed applying new configuration' line in the log")
	}

	if got := admin.do("CONFIG", "SET", "tls-cert-file", bCrt, "tls-key-file", bKey); got != "OK" {
		t.Fatalf("CONFIG SET of a good pair: %s", got)
	}
	if s := servedSerial(t, n.tlsAddr, cli); s.Cmp(bCert.SerialNumber) != 0 {
		t.Fatalf("after rotation a new handshake sees serial %s, want B's %s", s, bCert.SerialNumber)
	}
	if got := admin.infoField("tls", "tls_server_cert_serial"); got != serialHexOf(bCert.SerialNumber) {
		t.Errorf("INFO tls_server_cert_serial = %s, want %s", got, serialHexOf(bCert.SerialNumber))
	}
	// the connection made before the rotation keeps its session and keeps working
	if got := before.do("GET", "k"); got != `"v"` {
		t.Errorf("GET on the connection made before the rotation: %s", got)
	}
	if s := before.peerSerial(); s.Cmp(aCert.SerialNumber) != 0 {
		t.Errorf("the old connection's session changed serial to %s", s)
	}
	// setting the same paths again re-reads the files (volatile directives): the manual reload
	bPEM, bKeyPEM, cCert := pki.issue(leafSpec{})
	replaceTestFile(t, bCrt, bPEM)
	replaceTestFile(t, bKey, bKeyPEM)
	if got := admin.do("CONFIG", "SET", "tls-cert-file", bCrt, "tls-key-file", bKey); got != "OK" {
		t.Fatalf("CONFIG SET of the same paths: %s", got)
	}
	if s := servedSerial(t, n.tlsAddr, cli); s.Cmp(cCert.SerialNumber) != 0 {
		t.Fatalf("CONFIG SET of unchanged paths did not re-read the files: serial %s, want %s", s, cCert.SerialNumber)
	}
}

// TestTLSAutoReloadThroughNode: with tls-auto-reload-interval 1 the node picks up files replaced on disk;
// a broken replacement is refused in the background and the old certificate keeps being served.
func TestTLSAutoReloadThroughNode(t *testing.T) {
	pki := newTestPKI(t, "auto-reload CA")
	dir := t.TempDir()
	aPEM, aKeyPEM, aCert := pki.issue(leafSpec{})
	bPEM, bKeyPEM, bCert := pki.issue(leafSpec{})
	crt := writeTestFile(t, filepath.Join(dir, "server.crt"), aPEM)
	key := writeTestFile(t, filepath.Join(dir, "server.key"), aKeyPEM)
	n := startTLSNode(t, crt, key, pki.caFile, "tls-auto-reload-interval", "1")
	cli := pki.clientConfig(pki)
	before := tlsRaw(t, n.tlsAddr, cli)
	if got := before.do("PING"); got != "PONG" {
		t.Fatalf("PING: %s", got)
	}

	// broken: B's certificate with A's key
	replaceTestFile(t, crt, bPEM)
	waitFor(t, "Background TLS reload failed", func() bool {
		return strings.Contains(n.logs.String(), "Background TLS reload failed")
	})
	if logLine(n.logs.String(), "Background TLS reload failed", "key values mismatch", key) == "" {
		t.Errorf("the failure line should name %s and the reason:\n%s", key, n.logs.String())
	}
	if s := servedSerial(t, n.tlsAddr, cli); s.Cmp(aCert.SerialNumber) != 0 {
		t.Fatalf("after a broken replacement a new handshake sees %s, want A's %s", s, aCert.SerialNumber)
	}

	// complete: B's key too
	replaceTestFile(t, key, bKeyPEM)
	waitFor(t, "a new handshake to see B", func() bool {
		return servedSerial(t, n.tlsAddr, cli).Cmp(bCert.SerialNumber) == 0
	})
	for _, want := range []string{"TLS materials changed, reloading in background", "TLS materials reloaded successfully"} {
		if !strings.Contains(n.logs.String(), want) {
			t.Errorf("log lacks %q", want)
		}
	}
	if got := before.do("PING"); got != "PONG" {
		t.Errorf("PING on the connection made before the reload: %s", got)
	}

	if openssl, ok := optionalBinary(t, "openssl", "openssl"); ok {
		if got := opensslServedSerial(t, openssl, n.tlsAddr, pki); got.Cmp(bCert.SerialNumber) != 0 {
			t.Errorf("openssl s_client sees serial %X, want B's %X", got, bCert.SerialNumber)
		}
	}

	admin := n.raw()
	if got := admin.do("CONFIG", "SET", "tls-auto-reload-interval", "-1"); !strings.HasPrefix(got,
		"-ERR CONFIG SET failed (possibly related to argument 'tls-auto-reload-interval')") {
		t.Errorf("tls-auto-reload-interval -1: %s", got)
	}
	for _, v := range []string{"0", "5", "3600"} {
		if got := admin.do("CONFIG", "SET", "tls-auto-reload-interval", v); got != "OK" {
			t.Errorf("tls-auto-reload-interval %s: %s", v, got)
		}
		if got := admin.do("CONFIG", "GET", "tls-auto-reload-interval"); got != fmt.Sprintf(`["tls-auto-reload-interval" %q]`, v) {
			t.Errorf("CONFIG GET after setting %s: %s", v, got)
		}
	}
}

// opensslServedSerial runs the real `openssl s_client` against addr and reads the served certificate's
// serial with `openssl x509 -noout -serial`.
func opensslServedSerial(t testing.TB, openssl, addr string, pki *testPKI) *big.Int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// the node asks for a client certificate (tls-auth-clients yes): give it one from the same CA
	crt, key, _ := pki.pair("client", leafSpec{client: true, cn: "openssl-client"})
	cmd := exec.CommandContext(ctx, openssl, "s_client", "-connect", addr, "-CAfile", pki.caFile,
		"-cert", crt, "-key", key, "-verify_return_error", "-servername", "localhost")
	cmd.Stdin = strings.NewReader("")
	out, err := cmd.CombinedOutput()
	if err != nil && !strings.Contains(string(out), "BEGIN CERTIFICATE") {
		t.Fatalf("openssl s_client: %v\n%s", err, out)
	}
	text := string(out)
	i := strings.Index(text, "-----BEGIN CERTIFICATE-----")
	j := strings.Index(text, "-----END CERTIFICATE-----")
	if i < 0 || j < i {
		t.Fatalf("openssl s_client printed no certificate:\n%s", out)
	}
	x := exec.CommandContext(ctx, openssl, "x509", "-noout", "-serial")
	x.Stdin = strings.NewReader(text[i:j+len("-----END CERTIFICATE-----")] + "\n")
	sout, err := x.Output()
	if err != nil {
		t.Fatalf("openssl x509 -serial: %v", err)
	}
	hex, ok := strings.CutPrefix(strings.TrimSpace(string(sout)), "serial=")
	serial, ok2 := new(big.Int).SetString(hex, 16)
	if !ok || !ok2 {
		t.Fatalf("openssl x509 -serial printed %q", sout)
	}
	return serial
}

// TestTLSAuthClientsCertificateRequest: with tls-auth-clients no the server sends no CertificateRequest,
// with yes and optional it does; CONFIG SET tls-auth-clients affects the next connection only.
func TestTLSAuthClientsCertificateRequest(t *testing.T) {
	pki := newTestPKI(t, "auth CA")
	crt, key, _ := pki.pair("server", leafSpec{})
	n := startTLSNode(t, crt, key, pki.caFile, "tls-auth-clients", "no")
	admin := n.raw()

	asked := func() bool {
		var called atomic.Bool
		cfg := pki.clientConfig(nil)
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			called.Store(true)
			return &tls.Certificate{}, nil // no certificate
		}
		_ = pingTLS(n.tlsAddr, cfg)
		return called.Load()
	}
	for _, tc := range []struct {
		mode  string
		asked bool
	}{{"no", false}, {"optional", true}, {"yes", true}, {"no", false}} {
		if got := admin.do("CONFIG", "SET", "tls-auth-clients", tc.mode); got != "OK" {
			t.Fatalf("CONFIG SET tls-auth-clients %s: %s", tc.mode, got)
		}
		if got := asked(); got != tc.asked {
			t.Errorf("tls-auth-clients %s: CertificateRequest sent = %v, want %v", tc.mode, got, tc.asked)
		}
	}

	// a connection without a certificate, made under "no", survives the switch to "yes"
	noCert := pki.clientConfig(nil)
	early := tlsRaw(t, n.tlsAddr, noCert)
	if got := early.do("PING"); got != "PONG" {
		t.Fatalf("PING without a certificate under 'no': %s", got)
	}
	if got := admin.do("CONFIG", "SET", "tls-auth-clients", "yes"); got != "OK" {
		t.Fatal(got)
	}
	if got := early.do("PING"); got != "PONG" {
		t.Errorf("the existing connection was affected by tls-auth-clients yes: %s", got)
	}
	if err := pingTLS(n.tlsAddr, noCert); err == nil {
		t.Errorf("a new connection without a certificate was accepted under 'yes'")
	}
	if err := pingTLS(n.tlsAddr, pki.clientConfig(pki)); err != nil {
		t.Errorf("a new connection with a CA-signed certificate under 'yes': %v", err)
	}
	if got := admin.do("CONFIG", "SET", "tls-auth-clients", "maybe"); !strings.HasPrefix(got, "-ERR CONFIG SET failed (possibly related to argument 'tls-auth-clients')") {
		t.Errorf("tls-auth-clients maybe: %s", got)
	}
}

// TestTLSStartupFailures: server.New refuses bad material with an error naming the file and the reason,
// and applies spec §1.2's rules for the certificate, key and CA.
func TestTLSStartupFailures(t *testing.T) {
	pki := newTestPKI(t, "startup CA")
	crt, key, _ := pki.pair("server", leafSpec{})
	newNode := func(args ...string) (*Server, *syncBuffer, error) {
		opts := []config.Option{{Name: "bind", Args: []string{"127.0.0.1"}}, {Name: "port", Args: []string{"0"}},
			{Name: "tls-port", Args: []string{strconv.Itoa(freePort(t))}}, {Name: "dir", Args: []string{t.TempDir()}}}
		for i := 0; i+1 < len(args); i += 2 {
			opts = append(opts, config.Option{Name: args[i], Args: []string{args[i+1]}})
		}
		logs := &syncBuffer{}
		srv, err := New(Options{Args: opts, LogWriter: logs})
		return srv, logs, err
	}
	for _, bm := range badMaterials(t, pki) {
		t.Run(bm.name, func(t *testing.T) {
			args := []string{"tls-cert-file", crt, "tls-key-file", key, "tls-ca-cert-file", pki.caFile}
			srv, _, err := newNode(append(args, bm.pairs...)...)
			if err == nil {
				srv.Shutdown(context.Background())
				t.Fatalf("New accepted %v", bm.pairs)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "Failed to configure TLS. Check logs for more info") ||
				!strings.Contains(msg, bm.path) || !strings.Contains(msg, bm.reason) {
				t.Errorf("error should name %s and %q:\n%s", bm.path, bm.reason, msg)
			}
		})
	}

	const caRule = "Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, tls-replication or tls-auth-clients are enabled!"
	for _, tc := range []struct {
		name string
		args []string
		want string // "" = starts
	}{
		{"no certificate", nil, "No tls-cert-file configured!"},
		{"no key", []string{"tls-cert-file", crt}, "No tls-key-file configured!"},
		{"no CA, auth-clients yes", []string{"tls-cert-file", crt, "tls-key-file", key}, caRule},
		{"no CA, auth-clients optional", []string{"tls-cert-file", crt, "tls-key-file", key, "tls-auth-clients", "optional"}, caRule},
		{"no CA, auth-clients no", []string{"tls-cert-file", crt, "tls-key-file", key, "tls-auth-clients", "no"}, ""},
		{"CA dir instead of file", []string{"tls-cert-file", crt, "tls-key-file", key, "tls-ca-cert-dir", pki.dir}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, _, err := newNode(tc.args...)
			if tc.want != "" {
				if err == nil {
					srv.Shutdown(context.Background())
					t.Fatalf("New accepted %v", tc.args)
				}
				if !strings.Contains(err.Error(), tc.want) {
					t.Errorf("error %q lacks %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			defer srv.Shutdown(context.Background())
			if err := srv.Start(); err != nil {
				t.Fatal(err)
			}
			cfg := pki.clientConfig(nil)
			if !strings.Contains(tc.name, "auth-clients no") {
				cfg = pki.clientConfig(pki)
			}
			if err := pingTLS(srv.Addr("tls"), cfg); err != nil {
				t.Errorf("PING over TLS: %v", err)
			}
		})
	}
}

// TestTLSPortSwitchOnLoadsMaterial: switching tls-port on at run time loads (and validates) the material;
// bad material gives the TLS error naming tls-port, and switching it off drops the material.
func TestTLSPortSwitchOnLoadsMaterial(t *testing.T) {
	pki := newTestPKI(t, "switch CA")
	crt, key, cert := pki.pair("server", leafSpec{})
	n := startNode(t)
	admin := n.raw()
	port := strconv.Itoa(freePort(t))
	want := "-ERR CONFIG SET failed (possibly related to argument 'tls-port') - Unable to update TLS configuration. Check server logs."
	if got := admin.do("CONFIG", "SET", "tls-port", port); got != want {
		t.Fatalf("tls-port without a certificate:\n got %s\nwant %s", got, want)
	}
	if !strings.Contains(n.logs.String(), "No tls-cert-file configured!") {
		t.Errorf("log lacks the reason:\n%s", n.logs.String())
	}
	if got := admin.do("CONFIG", "GET", "tls-port"); got != `["tls-port" "0"]` {
		t.Errorf("tls-port not restored: %s", got)
	}
	// with TLS off, the file directives are stored without validation (nothing uses them yet)
	if got := admin.do("CONFIG", "SET", "tls-cert-file", crt, "tls-key-file", key, "tls-ca-cert-file", pki.caFile); got != "OK" {
		t.Fatalf("setting the files with TLS off: %s", got)
	}
	if got := admin.infoField("tls", "tls_server_cert_serial"); got != "none" {
		t.Errorf("tls_server_cert_serial with TLS off = %s", got)
	}
	if got := admin.do("CONFIG", "SET", "tls-port", port); got != "OK" {
		t.Fatalf("tls-port with material: %s", got)
	}
	addr := net.JoinHostPort("127.0.0.1", port)
	if s := servedSerial(t, addr, pki.clientConfig(pki)); s.Cmp(cert.SerialNumber) != 0 {
		t.Errorf("served serial %s, want %s", s, cert.SerialNumber)
	}
	if got := admin.infoField("tls", "tls_server_cert_serial"); got != serialHexOf(cert.SerialNumber) {
		t.Errorf("tls_server_cert_serial = %s, want %s", got, serialHexOf(cert.SerialNumber))
	}
	if got := admin.do("CONFIG", "SET", "tls-port", "0"); got != "OK" {
		t.Fatal(got)
	}
	if got := admin.infoField("tls", "tls_server_cert_serial"); got != "none" {
		t.Errorf("tls_server_cert_serial after tls-port 0 = %s, want none", got)
	}
	if err := pingTLS(addr, pki.clientConfig(pki)); err == nil {
		t.Errorf("the TLS port still answers after tls-port 0")
	}
}

// TestTLSPlainClientOnTLSPort: a plain-text client on the TLS port is dropped and the node logs why,
// while the plain port and the TLS port serve together.
func TestTLSPlainClientOnTLSPort(t *testing.T) {
	pki := newTestPKI(t, "plain CA")
	crt, key, _ := pki.pair("server", leafSpec{})
	n := startTLSNode(t, crt, key, pki.caFile)
	c, err := net.DialTimeout("tcp", n.tlsAddr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte("*1\r\n$4\r\nPING\r\n")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	got, err := c.Read(buf)
	for err == nil {
		// Go's server answers a non-TLS record with a plain-text HTTP-ish alert at most; never a RESP reply
		if strings.Contains(string(buf[:got]), "PONG") {
			t.Fatalf("a plain-text client on the TLS port got a reply: %q", buf[:got])
		}
		got, err = c.Read(buf)
	}
	if isTimeout(err) {
		t.Fatalf("the plain-text client was not dropped")
	}
	waitFor(t, "the handshake failure in the log", func() bool {
		return logLine(n.logs.String(), "Error accepting a client connection: ", "addr=127.0.0.1:", "laddr="+n.tlsAddr) != ""
	})

	// both ports at once
	if got := n.raw().do("PING"); got != "PONG" {
		t.Errorf("plain port: %s", got)
	}
	if got := tlsRaw(t, n.tlsAddr, pki.clientConfig(pki)).do("PING"); got != "PONG" {
		t.Errorf("TLS port: %s", got)
	}
}

// ---- benchmark ----

// BenchmarkNodeTLSHandshake measures new TLS connections per second against a real node: dial, full
// handshake, PING, close. Key types ECDSA P-256 and RSA 2048; with and without a client certificate
// (mTLS); without and with session resumption (tickets).
//
//	go test -run '^$' -bench BenchmarkNodeTLSHandshake -benchtime 2s ./server/
func BenchmarkNodeTLSHandshake(b *testing.B) {
	for _, key := range []struct {
		name string
		rsa  bool
	}{{"ecdsa-p256", false}, {"rsa-2048", true}} {
		pki := newTestPKI(b, "bench CA")
		crt, keyFile, _ := pki.pair("server", leafSpec{rsa: key.rsa})
		for _, mtls := range []bool{false, true} {
			auth, base := "no", pki.clientConfig(nil)
			if mtls {
				auth, base = "yes", pki.clientConfig(pki)
			}
			n := startTLSNode(b, crt, keyFile, pki.caFile, "tls-auth-clients", auth)
			for _, resume := range []bool{false, true} {
				b.Run(fmt.Sprintf("%s/mtls=%v/resume=%v", key.name, mtls, resume), func(b *testing.B) {
					cfg := base.Clone()
					if resume {
						cfg.ClientSessionCache = tls.NewLRUClientSessionCache(16)
					}
					if err := pingTLS(n.tlsAddr, cfg); err != nil { // and fills the session cache
						b.Fatal(err)
					}
					b.ResetTimer()
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							if err := pingTLS(n.tlsAddr, cfg); err != nil {
								b.Error(err)
								return
							}
						}
					})
					b.StopTimer()
					b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "conns/s")
				})
			}
		}
	}
}
