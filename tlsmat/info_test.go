package tlsmat

import (
	"math/big"
	"path/filepath"
	"testing"
	"time"
)

func TestSerialHex(t *testing.T) {
	cases := []struct {
		n    *big.Int
		want string
	}{
		{big.NewInt(0), "0"},
		{big.NewInt(1), "01"},
		{big.NewInt(0xABC), "0ABC"},
		{big.NewInt(0x1000), "1000"},
		{big.NewInt(-0x1F), "-1F"},
		{new(big.Int).SetBytes([]byte{0x00, 0x8f, 0x01}), "8F01"},
		{nil, "none"},
	}
	for _, c := range cases {
		if got := serialHex(c.n); got != c.want {
			t.Errorf("serialHex(%v) = %q, want %q", c.n, got, c.want)
		}
	}
}

func TestInfo(t *testing.T) {
	f := newFixture(t)
	m, _ := newTestManager(t)
	off := Info{ServerSerial: "none", ClientSerial: "none", CASerial: "none"}
	if got := m.Info(); got != off {
		t.Fatalf("Info before Load = %+v", got)
	}
	now := time.Now()
	m.clock = func() time.Time { return now }

	// CA file expiring in 5 years; a CA dir holding one expiring in 2 years, which must win.
	soon := newTestCA(t, "Sooner CA", time.Time{}, now.AddDate(2, 0, 0))
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "soon.pem"), soon.pem)
	cfg := f.cfg
	cfg.CADir = dir
	if err := m.Load(cfg); err != nil {
		t.Fatal(err)
	}
	got := m.Info()
	want := Info{
		ServerSerial:    "1001",
		ServerExpiresIn: int64(f.serverCert.NotAfter.Sub(now) / time.Second),
		ClientSerial:    serialHex(f.clientCert.SerialNumber),
		ClientExpiresIn: int64(f.clientCert.NotAfter.Sub(now) / time.Second),
		CASerial:        serialHex(soon.cert.SerialNumber),
		CAExpiresIn:     int64(soon.cert.NotAfter.Sub(now) / time.Second),
	}
	if got != want {
		t.Fatalf("Info = %+v\nwant   %+v", got, want)
	}
	if got.ServerExpiresIn <= 0 {
		t.Fatal("server expiry not positive")
	}

	// The countdown decreases.
	now = now.Add(10 * time.Second)
	if later := m.Info(); later.ServerExpiresIn != got.ServerExpiresIn-10 {
		t.Fatalf("countdown %d -> %d", got.ServerExpiresIn, later.ServerExpiresIn)
	}

	// No client files: client fields absent.
	cfg.ClientCertFile, cfg.ClientKeyFile, cfg.CADir = "", "", ""
	if err := m.Load(cfg); err != nil {
		t.Fatal(err)
	}
	got = m.Info()
	if got.ClientSerial != "none" || got.ClientExpiresIn != 0 {
		t.Fatalf("client fields without client files: %+v", got)
	}
	if got.CASerial != serialHex(f.ca.cert.SerialNumber) {
		t.Fatalf("CA serial %s, want the CA file's", got.CASerial)
	}

	// Disabling TLS clears everything; re-enabling restores it.
	if err := m.Load(Config{}); err != nil {
		t.Fatal(err)
	}
	if got := m.Info(); got != off {
		t.Fatalf("Info with TLS off = %+v", got)
	}
	if err := m.Load(f.cfg); err != nil {
		t.Fatal(err)
	}
	if m.Info().ServerSerial != "1001" {
		t.Fatal("not restored")
	}

	lines := m.Info().Lines()
	if len(lines) != 6 || lines[0] != "tls_server_cert_serial:1001" || lines[5][:len("tls_ca_cert_expires_in_seconds:")] != "tls_ca_cert_expires_in_seconds:" {
		t.Fatalf("Lines() = %q", lines)
	}
}
