package tlsmat

import (
	"crypto/tls"
	"strings"
	"testing"
)

func TestParseProtocols(t *testing.T) {
	cases := []struct {
		in       string
		min, max uint16
		err      string
	}{
		{"", tls.VersionTLS12, tls.VersionTLS13, ""},
		{"TLSv1.2", tls.VersionTLS12, tls.VersionTLS12, ""},
		{"tlsv1.3", tls.VersionTLS13, tls.VersionTLS13, ""},
		{"TLSv1.3 TLSv1.2", tls.VersionTLS12, tls.VersionTLS13, ""},
		{"TLSv1 TLSv1.1 TLSv1.2 TLSv1.3", tls.VersionTLS10, tls.VersionTLS13, ""},
		{"  TLSv1.1   TLSv1.2 ", tls.VersionTLS11, tls.VersionTLS12, ""},
		{"TLSv1.4", 0, 0, `unknown protocol "TLSv1.4"`},
		{"SSLv3", 0, 0, `unknown protocol "SSLv3"`},
		{"TLSv1 TLSv1.3", 0, 0, "cannot disable TLSv1.1"},
		{"   ", tls.VersionTLS12, tls.VersionTLS13, ""}, // blank = unset, like ""
	}
	for _, c := range cases {
		lo, hi, err := ParseProtocols(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) || !strings.HasPrefix(err.Error(), MsgInvalidProtocols) {
				t.Errorf("ParseProtocols(%q) err = %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || lo != c.min || hi != c.max {
			t.Errorf("ParseProtocols(%q) = %x..%x, %v; want %x..%x", c.in, lo, hi, err, c.min, c.max)
		}
	}
}

// TestProtocolsEnforcedOnHandshake: with tls-protocols TLSv1.2 a client limited to TLS 1.3 (or 1.1) fails
// and a TLS 1.2 client works; TLSv1 can be re-enabled explicitly.
func TestProtocolsEnforcedOnHandshake(t *testing.T) {
	f := newFixture(t)
	cfg := f.cfg
	cfg.Protocols = "TLSv1.2"
	m, _ := newTestManager(t)
	if err := m.Load(cfg); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, m.ServerConfig())
	client := func(lo, hi uint16) *tls.Config {
		c := f.clientConfig()
		c.MinVersion, c.MaxVersion = lo, hi
		return c
	}
	if _, err := dial(srv.addr, client(tls.VersionTLS13, tls.VersionTLS13)); err == nil {
		t.Error("TLS 1.3-only client connected to a TLSv1.2 server")
	}
	if _, err := dial(srv.addr, client(tls.VersionTLS10, tls.VersionTLS11)); err == nil {
		t.Error("TLS 1.1 client connected to a TLSv1.2 server")
	}
	c, err := dial(srv.addr, client(tls.VersionTLS12, tls.VersionTLS13))
	if err != nil {
		t.Fatalf("TLS 1.2 client: %v", err)
	}
	if v := c.ConnectionState().Version; v != tls.VersionTLS12 {
		t.Errorf("negotiated %x", v)
	}
	c.Close()

	cfg.Protocols = "TLSv1 TLSv1.1 TLSv1.2 TLSv1.3"
	if err := m.Load(cfg); err != nil {
		t.Fatal(err)
	}
	c, err = dial(srv.addr, client(tls.VersionTLS10, tls.VersionTLS10))
	if err != nil {
		t.Fatalf("TLS 1.0 client after enabling TLSv1: %v", err)
	}
	c.Close()
}
