package tlsmat

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadGoodMaterial(t *testing.T) {
	f := newFixture(t)
	m, logs := newTestManager(t)
	if m.Configured() {
		t.Fatal("configured before Load")
	}
	if err := m.Load(f.cfg); err != nil {
		t.Fatal(err)
	}
	if !m.Configured() {
		t.Fatal("not configured after Load")
	}
	srv := startServer(t, m.ServerConfig())
	if got := servedSerial(t, srv.addr, f.clientConfig()); got.Cmp(f.serverCert.SerialNumber) != 0 {
		t.Fatalf("served serial %X, want %X", got, f.serverCert.SerialNumber)
	}
	// The server verified and recorded the client certificate.
	st := srv.lastState(t)
	if len(st.PeerCertificates) == 0 || st.PeerCertificates[0].Subject.CommonName != "test-client" {
		t.Fatalf("server did not see the client certificate: %+v", st.PeerCertificates)
	}
	if strings.Contains(logs.String(), `"level":"warn"`) {
		t.Fatalf("unexpected warnings: %s", logs)
	}
}

func TestLoadConfigurationRequirements(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		name    string
		mutate  func(c *Config)
		wantMsg string // "" = success
	}{
		{"no cert file", func(c *Config) { c.CertFile = "" }, MsgNoCertFile},
		{"no key file", func(c *Config) { c.KeyFile = "" }, MsgNoKeyFile},
		{"auth-clients yes needs a CA", func(c *Config) { c.CAFile = "" }, MsgCARequired},
		{"auth-clients optional needs a CA", func(c *Config) { c.CAFile, c.AuthClients = "", "optional" }, MsgCARequired},
		{"default auth-clients is yes", func(c *Config) { c.CAFile, c.AuthClients = "", "" }, MsgCARequired},
		{"auth-clients no needs no CA", func(c *Config) { c.CAFile, c.AuthClients = "", "no" }, ""},
		{"peer links need a CA even with auth-clients no", func(c *Config) { c.CAFile, c.AuthClients, c.PeerLinks = "", "no", true }, MsgCARequired},
		{"bad auth-clients value", func(c *Config) { c.AuthClients = "maybe" }, MsgAuthClients},
		{"negative session cache size", func(c *Config) { c.SessionCacheSize = -1 }, MsgSessionCache},
		{"only one client file is tolerated", func(c *Config) { c.ClientKeyFile = "" }, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, _ := newTestManager(t)
			cfg := f.cfg
			tc.mutate(&cfg)
			err := m.Load(cfg)
			if tc.wantMsg == "" {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Msg != tc.wantMsg {
				t.Fatalf("Load error = %v, want message %q", err, tc.wantMsg)
			}
			if m.Configured() {
				t.Fatal("failed first Load published material")
			}
		})
	}
}

func TestLoadDisabledClearsMaterial(t *testing.T) {
	f := newFixture(t)
	m, _ := newTestManager(t)
	if err := m.Load(f.cfg); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, m.ServerConfig())
	servedSerial(t, srv.addr, f.clientConfig())

	off := Config{Enabled: false, CertFile: "/nonexistent"} // nothing is validated when disabled
	if err := m.Load(off); err != nil {
		t.Fatal(err)
	}
	if m.Configured() {
		t.Fatal("still configured")
	}
	if _, err := dial(srv.addr, f.clientConfig()); err == nil {
		t.Fatal("handshake succeeded with TLS disabled")
	}
	if _, err := m.ClientConfig("localhost"); !errors.Is(err, ErrNotConfigured) {
		t.Fatalf("ClientConfig error = %v, want ErrNotConfigured", err)
	}
}

func TestLoadFailureAtStartupPublishesNothing(t *testing.T) {
	f := newFixture(t)
	m, _ := newTestManager(t)
	cfg := f.cfg
	cfg.CertFile = writeFile(t, filepath.Join(t.TempDir(), "empty.crt"), nil)
	if err := m.Load(cfg); err == nil {
		t.Fatal("Load accepted an empty certificate file")
	}
	if m.Configured() {
		t.Fatal("configured after failed Load")
	}
	srv := startServer(t, m.ServerConfig())
	if _, err := dial(srv.addr, f.clientConfig()); err == nil {
		t.Fatal("handshake succeeded without material")
	}
}

// badCase describes one invalid material: mutate points cfg at it and returns the path the error must
// name ("" when no file is involved).
type badCase struct {
	name       string
	mutate     func(t *testing.T, f *fixture, cfg *Config) string
	wantMsg    string
	wantReason string
	wantIs     error
}

func badCases() []badCase {
	past := time.Now().AddDate(-2, 0, 0)
	return []badCase{
		{name: "empty cert file", wantMsg: MsgLoadCert, wantReason: "file is empty",
			mutate: func(t *testing.T, f *fixture, cfg *Config) string {
				cfg.CertFile = writeFile(t, filepath.Join(t.TempDir(), "empty.pem"), nil)
				return cfg.CertFile
			}},
		{name: "malformed PEM", wantMsg: MsgLoadCert, wantReason: "malformed PEM block at line 1",
			mutate: func(t *testing.T, f *fixture, cfg *Config) string {
				body := "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUThisIsNotAValidCertificate!!!***notbase64***\nAAAA====\n-----END CERTIFICATE-----\n"
				cfg.CertFile = writeFile(t, filepath.Join(t.TempDir(), "malformed.pem"), []byte(body))
				return cfg.CertFile
			}},
		{name: "malformed DER", wantMsg: MsgLoadCert, wantReason: "malformed DER",
			mutate: func(t *testing.T, f *fixture, cfg *Config) string {
				der := base64.StdEncoding.EncodeToString([]byte("this is not a DER encoded X.509 certificate, only text"))
				body := "-----BEGIN CERTIFICATE-----\n" + der + "\n-----END CERTIFICATE-----\n"
				cfg.CertFile = writeFile(t, filepath.Join(t.TempDir(), "malformed-der.pem"), []byte(body))
				return cfg.CertFile
			}},
		{name: "DER instead of PEM", wantMsg: MsgLoadCert, wantReason: "no PEM data found",
			mutate: func(t *testing.T, f *fixture, cfg *Config) string {
				cfg.CertFile = writeFile(t, filepath.Join(t.TempDir(), "server.der"), f.serverCert.Raw)
				return cfg.CertFile
			}},
		{name: "key not matching cert", wantMsg: MsgLoadKey, wantReason: "key values mismatch",
			mutate: func(t *testing.T, f *fixture, cfg *Config) string {
				_, k, _ := f.ca.issue(t, serverOpts(0))
				cfg.KeyFile = writeFile(t, filepath.Join(t.TempDir(), "other.key"), k)
				return cfg.KeyFile
			}},
		{name: "expired cert", wantMsg: MsgServerCertBad, wantReason: "has expired",
			mutate: func(t *testing.T, f *fixture, cfg *Config) string {
				o := serverOpts(0)
				o.notBefore, o.notAfter = past, time.Now().AddDate(-1, 0, 0)
				c, k, _ := f.ca.issue(t, o)
				cfg.CertFile = writeFile(t, filepath.Join(t.TempDir(), "expired.crt"), c)
				cfg.KeyFile = writeFile(t, filepath.Join(t.TempDir(), "expired.key"), k)
				return cfg.CertFile
			}},
		{name: "not yet valid cert", wantMsg: MsgServerCertBad, wantReason: "not yet valid",
			mutate: func(t *testing.T, f *fixture, cfg *Config) string {
				o := serverOpts(0)
				o.notBefore, o.notAfter = time.Now().AddDate(10, 0, 0), time.Now().AddDate(20, 0, 0)
				c, k, _ := f.ca.issue(t, o)
				cfg.CertFile = writeFile(t, filepath.Join(t.TempDir(), "notyet.crt"), c)
				cfg.KeyFile = writeFile(t, filepath.Join(t.TempDir(), "notyet.key"), k)
				return cfg.CertFile
			}},
		{name: "expired client cert", wantMsg: MsgClientCertBad, wantReason: "has expired",
			mutate: func(t *testing.T, f *fixture, cfg *Config) string {
				o := clientOpts()
				o.notBefore, o.notAfter = past, time.Now().AddDate(-1, 0, 0)
				c, k, _ := f.ca.issue(t, o)
				cfg.ClientCertFile = writeFile(t, filepath.Join(t.TempDir(), "client-expired.crt"), c)
				cfg.ClientKeyFile = writeFile(t, filepath.Join(t.TempDir(), "client-expired.key"), k)
				return cfg.ClientCertFile
			}},
		{name: "expired CA in CA file", wantMsg: MsgCABad, wantReason: "has expired",
			mutate: func(t *testing.T, f *fixture, cfg *Config) string {
				old := newTestCA(t, "Old CA", past, time.Now().AddDate(-1, 0, 0))
				cfg.CAFile = writeFile(t, filepath.Join(t.TempDir(), "bundle.crt"), append(append([]byte{}, f.ca.pem...), old.pem...))
				return cfg.CAFile
			}},
		{name: "expired CA in CA dir", wantMsg: MsgCABad, wantReason: "has expired",
			mutate: func(t *testing.T, f *fixture, cfg *Config) string {
				dir := t.TempDir()
				writeFile(t, filepath.Join(dir, "good.pem"), f.ca.pem)
				old := newTestCA(t, "Old CA", past, time.Now().AddDate(-1, 0, 0))
				cfg.CAFile, cfg.CADir = "", dir
				return writeFile(t, filepath.Join(dir, "old.pem"), old.pem)
			}},
		{name: "not yet valid CA in CA dir", wantMsg: MsgCABad, wantReason: "not yet valid",
			mutate: func(t *testing.T, f *fixture, cfg *Config) string {
				dir := t.TempDir()
				writeFile(t, filepath.Join(dir, "good.pem"), f.ca.pem)
				future := newTestCA(t, "Future CA", time.Now().AddDate(50, 0, 0), time.Now().AddDate(60, 0, 0))
				cfg.CADir = dir
				return writeFile(t, filepath.Join(dir, "future.pem"), future.pem)
			}},
		{name: "broken certificate in CA dir", wantMsg: MsgCADirLoad, wantReason: "malformed DER",
			mutate: func(t *testing.T, f *fixture, cfg *Config) string {
				dir := t.TempDir()
				writeFile(t, filepath.Join(dir, "good.pem"), f.ca.pem)
				cfg.CADir = dir
				body := "-----BEGIN CERTIFICATE-----\n" + base64.StdEncoding.EncodeToString([]byte("garbage")) + "\n-----END CERTIFICATE-----\n"
				return writeFile(t, filepath.Join(dir, "broken.pem"), []byte(body))
			}},
		{name: "CA dir without certificates", wantMsg: MsgCADirLoad, wantReason: "no certificates found",
			mutate: func(t *testing.T, f *fixture, cfg *Config) string {
				dir := t.TempDir()
				writeFile(t, filepath.Join(dir, "README"), []byte("nothing here\n"))
				cfg.CAFile, cfg.CADir = "", dir
				return dir
			}},
		{name: "CA dir is a file", wantMsg: MsgCADirOpen, wantReason: "not a directory",
			mutate: func(t *testing.T, f *fixture, cfg *Config) string {
				cfg.CADir = f.cfg.CAFile
				return cfg.CADir
			}},
		{name: "wrong passphrase PKCS#8", wantMsg: MsgLoadKey, wantIs: ErrBadPassphrase,
			mutate: func(t *testing.T, f *fixture, cfg *Config) string {
				encryptedPair(t, f, cfg, "ec-pkcs8-aes256-sha256.pem")
				cfg.KeyFilePass = "wrong"
				return cfg.KeyFile
			}},
		{name: "wrong passphrase legacy PEM", wantMsg: MsgLoadKey, wantIs: ErrBadPassphrase,
			mutate: func(t *testing.T, f *fixture, cfg *Config) string {
				encryptedPair(t, f, cfg, "ec-legacy-aes128.pem")
				cfg.KeyFilePass = "wrong"
				return cfg.KeyFile
			}},
		{name: "encrypted key without passphrase", wantMsg: MsgLoadKey, wantIs: ErrKeyEncrypted, wantReason: "set tls-key-file-pass",
			mutate: func(t *testing.T, f *fixture, cfg *Config) string {
				encryptedPair(t, f, cfg, "ec-pkcs8-aes256-sha256.pem")
				cfg.KeyFilePass = ""
				return cfg.KeyFile
			}},
		{name: "encrypted client key without passphrase", wantMsg: MsgLoadKey, wantIs: ErrKeyEncrypted, wantReason: "set tls-client-key-file-pass",
			mutate: func(t *testing.T, f *fixture, cfg *Config) string {
				c := *cfg
				encryptedPair(t, f, &c, "ec-legacy-aes128.pem")
				cfg.ClientCertFile, cfg.ClientKeyFile = c.CertFile, c.KeyFile
				return cfg.ClientKeyFile
			}},
		{name: "unreadable file", wantMsg: MsgLoadKey, wantReason: "permission denied",
			mutate: func(t *testing.T, f *fixture, cfg *Config) string {
				p := writeFile(t, filepath.Join(t.TempDir(), "locked.key"), []byte("x"))
				if err := os.Chmod(p, 0); err != nil {
					t.Fatal(err)
				}
				if _, err := os.ReadFile(p); err == nil {
					t.Skip("file with mode 000 is still readable (running as root or with CAP_DAC_OVERRIDE): permission failures cannot be provoked")
				}
				cfg.KeyFile = p
				return p
			}},
		{name: "directory instead of file", wantMsg: MsgLoadCert, wantReason: "is a directory",
			mutate: func(t *testing.T, f *fixture, cfg *Config) string {
				cfg.CertFile = t.TempDir()
				return cfg.CertFile
			}},
		{name: "missing file", wantMsg: MsgCAConfig, wantReason: "no such file or directory",
			mutate: func(t *testing.T, f *fixture, cfg *Config) string {
				cfg.CAFile = filepath.Join(t.TempDir(), "nope.crt")
				return cfg.CAFile
			}},
		{name: "key file without a key", wantMsg: MsgLoadKey, wantReason: "no PRIVATE KEY block",
			mutate: func(t *testing.T, f *fixture, cfg *Config) string {
				cfg.KeyFile = f.cfg.CertFile
				return cfg.KeyFile
			}},
		{name: "tls-protocols TLSv1.4", wantMsg: MsgInvalidProtocols, wantReason: `"TLSv1.4"`,
			mutate: func(t *testing.T, f *fixture, cfg *Config) string {
				cfg.Protocols = "TLSv1.2 TLSv1.4"
				return ""
			}},
		{name: "unknown cipher", wantMsg: MsgCiphers, wantReason: `unknown cipher "NOT-A-CIPHER"`,
			mutate: func(t *testing.T, f *fixture, cfg *Config) string {
				cfg.Ciphers = "ECDHE-RSA-AES128-GCM-SHA256:NOT-A-CIPHER"
				return ""
			}},
		{name: "cipher Go lacks", wantMsg: MsgCiphers, wantReason: `"AES256-SHA256" is not supported by Go`,
			mutate: func(t *testing.T, f *fixture, cfg *Config) string {
				cfg.Ciphers = "AES128-SHA256:AES256-SHA256"
				return ""
			}},
		{name: "unknown TLS 1.3 ciphersuite", wantMsg: MsgCipherSuites, wantReason: `unknown ciphersuite "TLS_FOO"`,
			mutate: func(t *testing.T, f *fixture, cfg *Config) string {
				cfg.CipherSuites = "TLS_AES_128_GCM_SHA256:TLS_FOO"
				return ""
			}},
		{name: "malformed DH params", wantMsg: MsgDHParams, wantReason: "failed to read DH params",
			mutate: func(t *testing.T, f *fixture, cfg *Config) string {
				cfg.DHParamsFile = f.cfg.CAFile // a certificate, not DH parameters
				return cfg.DHParamsFile
			}},
	}
}

// encryptedPair points cfg at a testdata encrypted key (passphrase "secret") and a fresh certificate
// for it, issued by the fixture CA.
func encryptedPair(t *testing.T, f *fixture, cfg *Config, keyFixture string) {
	t.Helper()
	plainName := "ec.key"
	if strings.HasPrefix(keyFixture, "rsa") {
		plainName = "rsa.key"
	}
	plain, err := os.ReadFile(filepath.Join("testdata", plainName))
	if err != nil {
		t.Fatal(err)
	}
	key, err := parsePrivateKey(plain, "", "")
	if err != nil {
		t.Fatal(err)
	}
	o := serverOpts(0)
	o.key = key
	c, _, _ := f.ca.issue(t, o)
	cfg.CertFile = writeFile(t, filepath.Join(t.TempDir(), "enc.crt"), c)
	cfg.KeyFile, err = filepath.Abs(filepath.Join("testdata", keyFixture))
	if err != nil {
		t.Fatal(err)
	}
	cfg.KeyFilePass = "secret"
}

// TestLoadBadInputKeepsOldMaterial: every invalid material is refused with an error naming the file and
// the reason, and a new handshake after the failed Load still gets the old certificate.
func TestLoadBadInputKeepsOldMaterial(t *testing.T) {
	f := newFixture(t)
	m, _ := newTestManager(t)
	if err := m.Load(f.cfg); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, m.ServerConfig())
	old := f.serverCert.SerialNumber
	before := m.Info()

	for _, tc := range badCases() {
		t.Run(tc.name, func(t *testing.T) {
			cfg := f.cfg
			path := tc.mutate(t, f, &cfg)
			err := m.Load(cfg)
			if err == nil {
				t.Fatal("Load accepted invalid material")
			}
			t.Logf("Load error: %v", err)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is %T, want *Error", err, err)
			}
			if e.Msg != tc.wantMsg {
				t.Errorf("message = %q, want %q (error: %v)", e.Msg, tc.wantMsg, err)
			}
			if path != "" && !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name %s", err, path)
			}
			if tc.wantReason != "" && !strings.Contains(err.Error(), tc.wantReason) {
				t.Errorf("error %q does not give reason %q", err, tc.wantReason)
			}
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Errorf("error %q is not %v", err, tc.wantIs)
			}
			// The old material still serves new handshakes.
			if got := servedSerial(t, srv.addr, f.clientConfig()); got.Cmp(old) != 0 {
				t.Fatalf("after failed Load the server presents serial %X, want old %X", got, old)
			}
			// the expiry countdowns tick while the test runs: compare the identities and allow a
			// few seconds of drift in the countdowns
			if after := m.Info(); !sameMaterialInfo(before, after) {
				t.Fatalf("Info changed after failed Load: %+v -> %+v", before, after)
			}
		})
	}
}

func TestCADirNonCertificateFilesSkippedWithWarning(t *testing.T) {
	f := newFixture(t)
	m, logs := newTestManager(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "ca.pem"), f.ca.pem)
	readme := writeFile(t, filepath.Join(dir, "README.txt"), []byte("CA certificates live here\n"))
	keyFile := writeFile(t, filepath.Join(dir, "stray.key"), mustRead(t, f.cfg.KeyFile))
	empty := writeFile(t, filepath.Join(dir, "empty"), nil)
	if err := os.Mkdir(filepath.Join(dir, "subdir"), 0o755); err != nil {
		t.Fatal(err)
	}
	// c_rehash style symlink to the same CA: loaded once.
	if err := os.Symlink("ca.pem", filepath.Join(dir, "abcdef12.0")); err != nil {
		t.Fatal(err)
	}
	cfg := f.cfg
	cfg.CAFile, cfg.CADir = "", dir
	if err := m.Load(cfg); err != nil {
		t.Fatalf("Load: %v", err)
	}
	for _, p := range []string{readme, keyFile, empty} {
		if !strings.Contains(logs.String(), p) {
			t.Errorf("no warning naming %s in logs:\n%s", p, logs)
		}
	}
	if n := logs.count("Skipping non-certificate file in CA certificate directory"); n != 3 {
		t.Errorf("%d skip warnings, want 3:\n%s", n, logs)
	}
	if n := len(m.cur.Load().cas); n != 1 {
		t.Errorf("%d CA certificates loaded, want 1 (symlink deduplicated)", n)
	}
	// The CA from the directory is in force: the client certificate it signed is accepted.
	srv := startServer(t, m.ServerConfig())
	servedSerial(t, srv.addr, f.clientConfig())
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestErrorFormatting(t *testing.T) {
	cases := []struct {
		err  *Error
		want string
	}{
		{&Error{Msg: MsgNoCertFile}, "No tls-cert-file configured!"},
		{&Error{Msg: MsgLoadCert, Path: "/a.crt", Err: errors.New("file is empty")}, "Failed to load certificate: /a.crt: file is empty"},
		{&Error{Msg: MsgServerCertBad, Path: "/a.crt", Err: errors.New("expired")}, "Server TLS certificate is invalid. Aborting TLS configuration. /a.crt: expired"},
		{&Error{Msg: MsgInvalidProtocols, Err: errors.New(`unknown protocol "TLSv1.4"`)}, MsgInvalidProtocols + ` (unknown protocol "TLSv1.4")`},
		{&Error{Msg: MsgCiphers, Err: errors.New("x: unknown")}, "Failed to configure ciphers: x: unknown"},
	}
	for _, c := range cases {
		if got := c.err.Error(); got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
	}
}

func TestIntermediateChainServedAndChecked(t *testing.T) {
	f := newFixture(t)
	// An intermediate CA signed by the root, and a leaf signed by the intermediate; the cert file
	// carries leaf + intermediate, the client trusts only the root.
	inter := newTestCA(t, "Intermediate", time.Time{}, time.Time{})
	tmpl := *inter.cert
	der, err := x509.CreateCertificate(rand.Reader, &tmpl, f.ca.cert, inter.key.Public(), f.ca.key)
	if err != nil {
		t.Fatal(err)
	}
	inter.cert, _ = x509.ParseCertificate(der)
	inter.pem = pemBytes("CERTIFICATE", der)
	leaf, key, leafCert := inter.issue(t, serverOpts(0x4242))
	cfg := f.cfg
	cfg.CertFile = writeFile(t, filepath.Join(t.TempDir(), "chain.crt"), append(leaf, inter.pem...))
	cfg.KeyFile = writeFile(t, filepath.Join(t.TempDir(), "leaf.key"), key)
	m, _ := newTestManager(t)
	if err := m.Load(cfg); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, m.ServerConfig())
	c, err := dial(srv.addr, f.clientConfig())
	if err != nil {
		t.Fatalf("client trusting only the root could not verify leaf+intermediate: %v", err)
	}
	defer c.Close()
	if got := c.ConnectionState().PeerCertificates; len(got) != 2 || got[0].SerialNumber.Cmp(leafCert.SerialNumber) != 0 {
		t.Fatalf("server sent %d certificates", len(got))
	}

	// An expired intermediate is refused.
	expInter := newTestCA(t, "Old intermediate", time.Now().AddDate(-3, 0, 0), time.Now().AddDate(-1, 0, 0))
	cfg.CertFile = writeFile(t, filepath.Join(t.TempDir(), "chain2.crt"), append(leaf, expInter.pem...))
	err = m.Load(cfg)
	if err == nil || !strings.Contains(err.Error(), "intermediate #1") {
		t.Fatalf("expired intermediate: err = %v", err)
	}
	if got := servedSerial(t, srv.addr, f.clientConfig()); got.Cmp(big.NewInt(0x4242)) != 0 {
		t.Fatalf("served %X after failed load", got)
	}
}

// sameMaterialInfo reports whether two Info snapshots describe the same material: equal serials, and
// expiry countdowns within a few seconds of each other.
func sameMaterialInfo(a, b Info) bool {
	near := func(x, y int64) bool { d := x - y; return d >= -5 && d <= 5 }
	return a.ServerSerial == b.ServerSerial && a.ClientSerial == b.ClientSerial && a.CASerial == b.CASerial &&
		near(a.ServerExpiresIn, b.ServerExpiresIn) && near(a.ClientExpiresIn, b.ClientExpiresIn) &&
		near(a.CAExpiresIn, b.CAExpiresIn)
}
