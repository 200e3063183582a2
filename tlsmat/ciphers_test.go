package tlsmat

import (
	"crypto/tls"
	"slices"
	"strings"
	"testing"
)

func idsOf(t *testing.T, names ...string) []uint16 {
	t.Helper()
	var ids []uint16
	for _, n := range names {
		found := false
		for _, s := range goSuites {
			if s.name == n {
				ids = append(ids, s.id)
				found = true
			}
		}
		if !found {
			t.Fatalf("no suite %s", n)
		}
	}
	return ids
}

func TestParseCiphers(t *testing.T) {
	all := func(pred func(suite) bool) []uint16 {
		var ids []uint16
		for _, s := range goSuites {
			if pred(s) {
				ids = append(ids, s.id)
			}
		}
		return ids
	}
	defaults := all(func(s suite) bool { return !s.medium })
	without := func(ids []uint16, drop ...uint16) []uint16 {
		return slices.DeleteFunc(slices.Clone(ids), func(id uint16) bool { return slices.Contains(drop, id) })
	}
	aes128sha256 := idsOf(t, "AES128-SHA256")[0]

	cases := []struct {
		in   string
		want []uint16
	}{
		{"", nil},
		{"DEFAULT", defaults},
		{"DEFAULT:-AES128-SHA256", without(defaults, aes128sha256)},
		{"ECDHE-RSA-AES128-GCM-SHA256", idsOf(t, "ECDHE-RSA-AES128-GCM-SHA256")},
		{"ecdhe-rsa-aes128-gcm-sha256", idsOf(t, "ECDHE-RSA-AES128-GCM-SHA256")},
		{"AES128-SHA256:AES128-SHA", idsOf(t, "AES128-SHA256", "AES128-SHA")},
		{"ECDHE+AESGCM", idsOf(t, "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256")},
		{"HIGH:!aNULL:!MD5:!RC4:!DHE", defaults},
		{"HIGH:!kRSA", all(func(s suite) bool { return !s.medium && s.kx == "kECDHE" })},
		{"!AES128-SHA256:DEFAULT", without(defaults, aes128sha256)},
		{"-AES128-SHA256:DEFAULT", defaults}, // '-' removes only what is already there
		{"AES128-SHA:AES256-SHA:+AES128-SHA", idsOf(t, "AES256-SHA", "AES128-SHA")},
		{"DEFAULT:@STRENGTH:@SECLEVEL=1", defaults},
		{"ALL:!3DES", defaults},
		{"DES-CBC3-SHA", idsOf(t, "DES-CBC3-SHA")},
		{"-DHE-RSA-AES128-SHA:ECDHE-ECDSA-CHACHA20-POLY1305", idsOf(t, "ECDHE-ECDSA-CHACHA20-POLY1305")},
		{"ECDHE-ECDSA-AES128-GCM-SHA256 ECDHE-ECDSA-AES256-GCM-SHA384", idsOf(t, "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384")},
	}
	for _, c := range cases {
		got, err := ParseCiphers(c.in)
		if err != nil {
			t.Errorf("ParseCiphers(%q): %v", c.in, err)
			continue
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("ParseCiphers(%q) = %s, want %s", c.in, suiteNames(got), suiteNames(c.want))
		}
	}
}

func TestParseCiphersRefusals(t *testing.T) {
	cases := []struct{ in, want string }{
		{"NOT-A-CIPHER", `unknown cipher "NOT-A-CIPHER"`},
		{"DEFAULT:FOO", `unknown cipher "FOO"`},
		{"AES256-SHA256", `cipher "AES256-SHA256" is not supported by Go's crypto/tls`},
		{"DHE-RSA-AES256-GCM-SHA384", `"DHE-RSA-AES256-GCM-SHA384" is not supported`},
		{"RC4-SHA", `"RC4-SHA" is not supported`},
		{"TLS_AES_128_GCM_SHA256", "configure it with tls-ciphersuites"},
		{"DHE", "no cipher match"},
		{"DEFAULT:-ALL", "no cipher match"},
		{"ECDHE+", "malformed cipher element"},
		{"@FOO", "unknown cipher command"},
	}
	for _, c := range cases {
		_, err := ParseCiphers(c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), MsgCiphers) {
			t.Errorf("ParseCiphers(%q) err = %v, want %q", c.in, err, c.want)
		}
	}
}

// Aliases are matched case-insensitively; two aliases differing only in case would make the lookup
// depend on map order.
func TestCipherAliasesUnambiguous(t *testing.T) {
	seen := map[string]string{}
	for k := range cipherAliases {
		up := strings.ToUpper(k)
		if other, ok := seen[up]; ok {
			t.Errorf("aliases %q and %q collide case-insensitively", k, other)
		}
		seen[up] = k
	}
	for _, s := range goSuites {
		if _, ok := seen[strings.ToUpper(s.name)]; ok {
			t.Errorf("suite %s collides with an alias", s.name)
		}
		if opensslOnlyCiphers[s.name] {
			t.Errorf("suite %s listed as unsupported", s.name)
		}
		if tls.CipherSuiteName(s.id) == "" {
			t.Errorf("suite %s has no Go name", s.name)
		}
	}
}

func TestValidateCipherSuites(t *testing.T) {
	ok := []string{"", "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_GCM_SHA256:"}
	for _, s := range ok {
		if _, err := ValidateCipherSuites(s); err != nil {
			t.Errorf("ValidateCipherSuites(%q): %v", s, err)
		}
	}
	bad := map[string]string{
		"TLS_AES_128_CCM_SHA256":             "not supported by Go",
		"TLS_AES_128_GCM_SHA256:TLS_FOO":     `unknown ciphersuite "TLS_FOO"`,
		"ECDHE-RSA-AES128-GCM-SHA256":        "unknown ciphersuite",
		":":                                  "no ciphersuite given",
		"TLS_AES_128_CCM_8_SHA256:TLS_AES_1": "not supported by Go",
	}
	for s, want := range bad {
		_, err := ValidateCipherSuites(s)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), MsgCipherSuites) {
			t.Errorf("ValidateCipherSuites(%q) err = %v, want %q", s, err, want)
		}
	}
}

// TestCiphersEnforcedOnHandshake reproduces Valkey's tls.tcl cipher test with suites Go has: with
// "DEFAULT:-AES128-SHA256" a TLS 1.2 client offering only AES128-SHA256 fails and one offering another
// suite works; after "DEFAULT" (or naming it) AES128-SHA256 works again.
func TestCiphersEnforcedOnHandshake(t *testing.T) {
	f := newFixture(t)
	// RSA certificate: AES128-SHA256 uses RSA key exchange.
	o := serverOpts(0x77)
	o.rsa = true
	c, k, _ := f.ca.issue(t, o)
	cfg := f.cfg
	cfg.CertFile = writeFile(t, f.dir+"/rsa.crt", c)
	cfg.KeyFile = writeFile(t, f.dir+"/rsa.key", k)
	cfg.Protocols = "TLSv1.2"
	cfg.Ciphers = "DEFAULT:-AES128-SHA256"
	m, _ := newTestManager(t)
	if err := m.Load(cfg); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, m.ServerConfig())
	client := func(suite string) *tls.Config {
		cc := f.clientConfig()
		cc.MaxVersion = tls.VersionTLS12
		cc.CipherSuites = idsOf(t, suite)
		return cc
	}
	if _, err := dial(srv.addr, client("AES128-SHA256")); err == nil {
		t.Fatal("AES128-SHA256 negotiated although removed")
	}
	conn, err := dial(srv.addr, client("ECDHE-RSA-AES256-GCM-SHA384"))
	if err != nil {
		t.Fatalf("ECDHE-RSA-AES256-GCM-SHA384: %v", err)
	}
	if got := conn.ConnectionState().CipherSuite; got != tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 {
		t.Fatalf("negotiated %s", tls.CipherSuiteName(got))
	}
	conn.Close()

	cfg.Ciphers = "DEFAULT"
	if err := m.Load(cfg); err != nil {
		t.Fatal(err)
	}
	conn, err = dial(srv.addr, client("AES128-SHA256"))
	if err != nil {
		t.Fatalf("AES128-SHA256 after DEFAULT: %v", err)
	}
	if got := conn.ConnectionState().CipherSuite; got != tls.TLS_RSA_WITH_AES_128_CBC_SHA256 {
		t.Fatalf("negotiated %s", tls.CipherSuiteName(got))
	}
	conn.Close()
}
