package tlsmat

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCheckGood(t *testing.T) {
	f := newFixture(t)
	cfg := f.cfg
	cfg.Ciphers = "ECDHE+AESGCM"
	cfg.CipherSuites = "TLS_AES_128_GCM_SHA256"
	report, err := Check(cfg)
	if err != nil {
		t.Fatalf("Check: %v\n%s", err, report)
	}
	for _, want := range []string{
		"tls-cert-file " + f.cfg.CertFile,
		"subject:    CN=localhost,O=tlsmat test",
		"SANs:       DNS:localhost, IP:127.0.0.1, IP:::1",
		"serial:     1001",
		"key:        ECDSA P-256",
		"tls-key-file " + f.cfg.KeyFile + "\n  key: ECDSA P-256, matches the certificate",
		"tls-client-cert-file " + f.cfg.ClientCertFile,
		"CN=test-client",
		"tls-ca-cert-file " + f.cfg.CAFile,
		"not after:",
		"tls-protocols: TLSv1.2 TLSv1.3",
		"tls-ciphers: ECDHE-ECDSA-AES256-GCM-SHA384:",
		"tls-ciphersuites: TLS_AES_128_GCM_SHA256 (validated; Go always enables",
		"outgoing links present: tls-client-cert-file",
		"OK\n",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
}

func TestCheckBad(t *testing.T) {
	f := newFixture(t)
	for _, tc := range badCases() {
		t.Run(tc.name, func(t *testing.T) {
			cfg := f.cfg
			path := tc.mutate(t, f, &cfg)
			report, err := Check(cfg)
			if err == nil {
				t.Fatalf("Check passed invalid material:\n%s", report)
			}
			var e *Error
			if !errors.As(err, &e) || e.Msg != tc.wantMsg {
				t.Errorf("Check error %v, want message %q", err, tc.wantMsg)
			}
			if !strings.Contains(report, "FAILED: "+err.Error()) || strings.Contains(report, "\nOK\n") {
				t.Errorf("report does not end with the failure:\n%s", report)
			}
			if path != "" && !strings.Contains(report, path) {
				t.Errorf("report does not name %s:\n%s", path, report)
			}
		})
	}
}

func TestCheckReportsWhatFailed(t *testing.T) {
	f := newFixture(t)
	o := serverOpts(0xE0)
	o.notBefore, o.notAfter = time.Now().AddDate(-2, 0, 0), time.Now().AddDate(-1, 0, 0)
	c, k, _ := f.ca.issue(t, o)
	cfg := f.cfg
	cfg.CertFile = writeFile(t, filepath.Join(t.TempDir(), "expired.crt"), c)
	cfg.KeyFile = writeFile(t, filepath.Join(t.TempDir(), "expired.key"), k)
	report, err := Check(cfg)
	if err == nil {
		t.Fatal("expired certificate passed")
	}
	// The expired certificate itself is described, so the operator sees its dates.
	for _, want := range []string{"serial:     E0", "(in the past: expired)", "FAILED: " + MsgServerCertBad} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
}

func TestCheckDisabledAndWarnings(t *testing.T) {
	report, err := Check(Config{})
	if err != nil || !strings.Contains(report, "nothing to check") {
		t.Fatalf("disabled: %q %v", report, err)
	}
	f := newFixture(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "ca.pem"), f.ca.pem)
	writeFile(t, filepath.Join(dir, "notes.txt"), []byte("hello"))
	cfg := f.cfg
	cfg.CADir = dir
	report, err = Check(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(report, "warning: Skipping non-certificate file in CA certificate directory: "+filepath.Join(dir, "notes.txt")) {
		t.Errorf("report lacks the skipped file:\n%s", report)
	}
}
