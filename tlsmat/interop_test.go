package tlsmat

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSharedGenCertsMaterial runs the project's openssl-based PKI script (../../shared/bench/gen-certs.sh)
// and checks that material written by the real openssl — including its deliberately broken files — is
// judged the same way as the Go-made fixtures.
func TestSharedGenCertsMaterial(t *testing.T) {
	needOpenSSL(t)
	script, _ := filepath.Abs("../../shared/bench/gen-certs.sh")
	if _, err := os.Stat(script); err != nil {
		t.Skipf("%s not available: %v", script, err)
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash not available")
	}
	dir := t.TempDir()
	if out, err := exec.Command("bash", script, "-a", "ec256", dir).CombinedOutput(); err != nil {
		t.Fatalf("gen-certs.sh: %v\n%s", err, out)
	}
	p := func(n string) string { return filepath.Join(dir, n) }
	good := Config{
		CertFile: p("server.crt"), KeyFile: p("server.key"),
		ClientCertFile: p("client.crt"), ClientKeyFile: p("client.key"),
		CAFile: p("ca.crt"), AuthClients: "yes", SessionCaching: true, Enabled: true,
	}
	m, _ := newTestManager(t)
	if err := m.Load(good); err != nil {
		t.Fatalf("valid gen-certs.sh material refused: %v", err)
	}
	cases := []struct {
		name    string
		mutate  func(c *Config)
		wantMsg string
		reason  string
	}{
		{"expired.crt", func(c *Config) { c.CertFile, c.KeyFile = p("expired.crt"), p("expired.key") }, MsgServerCertBad, "has expired"},
		{"notyetvalid.crt", func(c *Config) { c.CertFile, c.KeyFile = p("notyetvalid.crt"), p("notyetvalid.key") }, MsgServerCertBad, "not yet valid"},
		{"mismatch.key", func(c *Config) { c.CertFile, c.KeyFile = p("mismatch.crt"), p("mismatch.key") }, MsgLoadKey, "key values mismatch"},
		{"empty.pem", func(c *Config) { c.CertFile = p("empty.pem") }, MsgLoadCert, "file is empty"},
		{"malformed.pem", func(c *Config) { c.CertFile = p("malformed.pem") }, MsgLoadCert, "malformed PEM"},
		{"malformed-der.pem", func(c *Config) { c.CertFile = p("malformed-der.pem") }, MsgLoadCert, "malformed DER"},
		{"expired as CA", func(c *Config) { c.CAFile = p("expired.crt") }, MsgCABad, "has expired"},
	}
	for _, tc := range cases {
		cfg := good
		tc.mutate(&cfg)
		err := m.Load(cfg)
		var e *Error
		if !errors.As(err, &e) || e.Msg != tc.wantMsg || !strings.Contains(err.Error(), tc.reason) {
			t.Errorf("%s: err = %v, want %q with %q", tc.name, err, tc.wantMsg, tc.reason)
		}
	}

	// The untrusted client is refused by a server trusting ca.crt; the real client is accepted.
	srv := startServer(t, m.ServerConfig())
	pool := poolFromFile(t, p("ca.crt"))
	for _, c := range []struct {
		cert, key string
		ok        bool
	}{{"client.crt", "client.key", true}, {"untrusted-client.crt", "untrusted-client.key", false}} {
		kp := loadKeyPair(t, p(c.cert), p(c.key))
		_, err := dial(srv.addr, tlsClient(pool, kp))
		if (err == nil) != c.ok {
			t.Errorf("%s: accepted=%v (%v), want %v", c.cert, err == nil, err, c.ok)
		}
	}
}
