package main

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/valkey-node/valkey-node/tlsmat"
)

// These tests call run() in-process (no binary, no network): check-tls only reads files.

// ckRun runs `valkey-node args...` in-process and returns the exit code and both outputs.
func ckRun(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(append([]string{"valkey-node"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

// ckPKI is a CA for bad-material cases.
type ckPKI struct {
	t      *testing.T
	cert   *x509.Certificate
	key    crypto.Signer
	caFile string
}

func ckKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func ckSerial(t *testing.T) *big.Int {
	t.Helper()
	n, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		t.Fatal(err)
	}
	return n.Add(n, big.NewInt(1))
}

func ckWrite(t *testing.T, path string, data []byte) string {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func ckPEM(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func newCkPKI(t *testing.T, notBefore, notAfter time.Time) *ckPKI {
	t.Helper()
	p := &ckPKI{t: t, key: ckKey(t)}
	tmpl := &x509.Certificate{
		SerialNumber: ckSerial(t), Subject: pkix.Name{CommonName: "check-tls test CA"},
		NotBefore: notBefore, NotAfter: notAfter, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, p.key.Public(), p.key)
	if err != nil {
		t.Fatal(err)
	}
	if p.cert, err = x509.ParseCertificate(der); err != nil {
		t.Fatal(err)
	}
	p.caFile = ckWrite(t, filepath.Join(t.TempDir(), "ca.crt"), ckPEM("CERTIFICATE", der))
	return p
}

// leaf issues a server certificate valid for [notBefore, notAfter]; it returns PEM and the key.
func (p *ckPKI) leaf(notBefore, notAfter time.Time) (certPEM []byte, key *ecdsa.PrivateKey, cert *x509.Certificate) {
	t := p.t
	t.Helper()
	key = ckKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: ckSerial(t), Subject: pkix.Name{CommonName: "check-tls server"},
		NotBefore: notBefore, NotAfter: notAfter, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:    []string{"db.example.test"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.cert, key.Public(), p.key)
	if err != nil {
		t.Fatal(err)
	}
	if cert, err = x509.ParseCertificate(der); err != nil {
		t.Fatal(err)
	}
	return ckPEM("CERTIFICATE", der), key, cert
}

func ckPKCS8(t *testing.T, k *ecdsa.PrivateKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return ckPEM("PRIVATE KEY", der)
}

// TestCheckTLSRunGood: good material prints every certificate (subject, SANs, serial, validity, key
// type) and a final OK, exit 0; for ECDSA and RSA development certificates and for a config file.
func TestCheckTLSRunGood(t *testing.T) {
	for _, useRSA := range []bool{false, true} {
		dir := t.TempDir()
		if err := tlsmat.GenerateDevCerts(dir, useRSA); err != nil {
			t.Fatal(err)
		}
		code, out, errOut := ckRun("check-tls", "--tls-port", "6380",
			"--tls-cert-file", filepath.Join(dir, "server.crt"), "--tls-key-file", filepath.Join(dir, "server.key"),
			"--tls-client-cert-file", filepath.Join(dir, "client.crt"), "--tls-client-key-file", filepath.Join(dir, "client.key"),
			"--tls-ca-cert-file", filepath.Join(dir, "ca.crt"))
		if code != 0 || errOut != "" {
			t.Fatalf("rsa=%v: exit %d, stderr %q\n%s", useRSA, code, errOut, out)
		}
		if !strings.HasSuffix(out, "\nOK\n") || strings.Count(out, "OK\n") != 1 {
			t.Errorf("rsa=%v: the report must end with one OK line:\n%s", useRSA, out)
		}
		keyType := "ECDSA P-256"
		if useRSA {
			keyType = "RSA 2048"
		}
		want := []string{filepath.Join(dir, "server.crt"), filepath.Join(dir, "client.crt"), filepath.Join(dir, "ca.crt"),
			"subject:    CN=localhost,O=valkey-node dev", "subject:    CN=" + tlsmat.DevClientCN,
			"SANs:       DNS:localhost, IP:127.0.0.1, IP:::1", "not before: ", "not after:  ", "key:        " + keyType}
		for _, name := range []string{"server.crt", "client.crt", "ca.crt"} {
			want = append(want, "serial:     "+ckSerialOf(t, filepath.Join(dir, name)))
		}
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("rsa=%v: report lacks %q:\n%s", useRSA, w, out)
			}
		}
	}

	// the same material from a config file, with a command-line override of one value
	dir := t.TempDir()
	if err := tlsmat.GenerateDevCerts(dir, false); err != nil {
		t.Fatal(err)
	}
	conf := ckWrite(t, filepath.Join(t.TempDir(), "valkey.conf"), []byte(fmt.Sprintf(
		"# a node's config\nport 0\ntls-port 6380\ntls-cert-file %s\ntls-key-file %s\ntls-ca-cert-file \"%s\"\ntls-auth-clients optional\ntls-protocols \"TLSv1.2 TLSv1.3\"\n",
		filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key"), filepath.Join(dir, "ca.crt"))))
	if code, out, errOut := ckRun("check-tls", conf); code != 0 || !strings.HasSuffix(out, "\nOK\n") {
		t.Errorf("check-tls %s: exit %d, stderr %q\n%s", conf, code, errOut, out)
	}
	missing := filepath.Join(t.TempDir(), "absent.crt")
	code, out, errOut := ckRun("check-tls", conf, "--tls-cert-file", missing)
	if code != 1 || !strings.Contains(errOut, missing) || strings.Contains(out, "\nOK\n") {
		t.Errorf("a command-line override should win over the file: exit %d, stderr %q\n%s", code, errOut, out)
	}
}

func ckSerialOf(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(data)
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return strings.ToUpper(fmt.Sprintf("%x", c.SerialNumber.Bytes()))
}

// TestCheckTLSRunBadMaterial: every bad material case exits 1 naming the file and the reason, and the
// report does not say OK.
func TestCheckTLSRunBadMaterial(t *testing.T) {
	now := time.Now()
	pki := newCkPKI(t, now.Add(-time.Hour), now.Add(24*time.Hour))
	dir := t.TempDir()
	w := func(name string, data []byte) string { return ckWrite(t, filepath.Join(dir, name), data) }

	goodPEM, goodKey, _ := pki.leaf(now.Add(-time.Hour), now.Add(24*time.Hour))
	goodCrt, goodKeyFile := w("good.crt", goodPEM), w("good.key", ckPKCS8(t, goodKey))
	otherPEM, _, _ := pki.leaf(now.Add(-time.Hour), now.Add(24*time.Hour))
	mismatch := w("mismatch.crt", otherPEM)
	expPEM, expKey, _ := pki.leaf(now.Add(-48*time.Hour), now.Add(-24*time.Hour))
	expCrt, expKeyFile := w("expired.crt", expPEM), w("expired.key", ckPKCS8(t, expKey))
	futPEM, futKey, _ := pki.leaf(now.Add(24*time.Hour), now.Add(48*time.Hour))
	futCrt, futKeyFile := w("future.crt", futPEM), w("future.key", ckPKCS8(t, futKey))
	empty := w("empty.crt", nil)
	malformed := w("malformed.crt", []byte("-----BEGIN CERTIFICATE-----\n@@not base64@@\n-----END CERTIFICATE-----\n"))
	notPEM := w("der.crt", []byte{0x30, 0x82, 0x01, 0x0a})
	subdir := filepath.Join(dir, "a-directory.crt")
	if err := os.Mkdir(subdir, 0o755); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.crt")
	ecDER, err := x509.MarshalECPrivateKey(goodKey)
	if err != nil {
		t.Fatal(err)
	}
	//lint:ignore SA1019 the legacy encrypted PEM format is what is under test
	encBlk, err := x509.EncryptPEMBlock(rand.Reader, "EC PRIVATE KEY", ecDER, []byte("right-pass"), x509.PEMCipherAES256) //nolint:staticcheck
	if err != nil {
		t.Fatal(err)
	}
	encKey := w("enc.key", pem.EncodeToMemory(encBlk))
	expiredCA := newCkPKI(t, now.Add(-48*time.Hour), now.Add(-24*time.Hour))
	caDirExpired := t.TempDir()
	caDirFile := ckWrite(t, filepath.Join(caDirExpired, "old-ca.pem"), ckMust(os.ReadFile(expiredCA.caFile)))

	base := func(crt, key string, extra ...string) []string {
		return append([]string{"check-tls", "--tls-port", "6380", "--tls-cert-file", crt, "--tls-key-file", key,
			"--tls-ca-cert-file", pki.caFile}, extra...)
	}
	for _, tc := range []struct {
		name   string
		args   []string
		path   string
		reason string
	}{
		{"mismatched key", base(mismatch, goodKeyFile), goodKeyFile, "key values mismatch"},
		{"expired certificate", base(expCrt, expKeyFile), expCrt, "has expired"},
		{"not yet valid certificate", base(futCrt, futKeyFile), futCrt, "is not yet valid"},
		{"empty file", base(empty, goodKeyFile), empty, "file is empty"},
		{"malformed PEM", base(malformed, goodKeyFile), malformed, "malformed PEM block"},
		{"DER instead of PEM", base(notPEM, goodKeyFile), notPEM, "no PEM data found"},
		{"wrong passphrase", base(goodCrt, encKey, "--tls-key-file-pass", "wrong-pass"), encKey, "wrong passphrase"},
		{"encrypted key without passphrase", base(goodCrt, encKey), encKey, "no passphrase is configured"},
		{"directory instead of file", base(subdir, goodKeyFile), subdir, "is a directory"},
		{"missing file", base(missing, goodKeyFile), missing, "no such file or directory"},
		{"missing key", base(goodCrt, missing), missing, "no such file or directory"},
		{"expired CA file", base(goodCrt, goodKeyFile, "--tls-ca-cert-file", expiredCA.caFile), expiredCA.caFile, "has expired"},
		{"expired CA in the CA dir", base(goodCrt, goodKeyFile, "--tls-ca-cert-dir", caDirExpired), caDirFile, "has expired"},
		{"no CA", []string{"check-tls", "--tls-port", "6380", "--tls-cert-file", goodCrt, "--tls-key-file", goodKeyFile},
			"", "Either tls-ca-cert-file or tls-ca-cert-dir must be specified"},
		{"no certificate", []string{"check-tls", "--tls-port", "6380"}, "", "No tls-cert-file configured!"},
		{"unknown protocol", base(goodCrt, goodKeyFile, "--tls-protocols", "TLSv1.4"), "", "Invalid tls-protocols specified"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := ckRun(tc.args...)
			if code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			if !strings.HasPrefix(errOut, "check-tls: ") || !strings.Contains(errOut, tc.path) || !strings.Contains(errOut, tc.reason) {
				t.Errorf("stderr should name %q and %q: %q", tc.path, tc.reason, errOut)
			}
			if strings.Contains(out, "\nOK\n") || strings.HasPrefix(out, "OK") || !strings.Contains(out, "FAILED: ") {
				t.Errorf("the report should end in FAILED, not OK:\n%s", out)
			}
		})
	}

	// tls-auth-clients no lifts the CA requirement
	if code, out, errOut := ckRun("check-tls", "--tls-port", "6380", "--tls-cert-file", goodCrt, "--tls-key-file", goodKeyFile,
		"--tls-auth-clients", "no"); code != 0 || !strings.HasSuffix(out, "\nOK\n") {
		t.Errorf("tls-auth-clients no without a CA: exit %d, stderr %q\n%s", code, errOut, out)
	}
	// the right passphrase decrypts the key
	if code, out, errOut := ckRun(base(goodCrt, encKey, "--tls-key-file-pass", "right-pass")...); code != 0 || !strings.HasSuffix(out, "\nOK\n") {
		t.Errorf("encrypted key with its passphrase: exit %d, stderr %q\n%s", code, errOut, out)
	}
}

// TestCheckTLSRunBadConfig: a bad config file or directive is reported with where it came from, and
// --help describes the subcommand.
func TestCheckTLSRunBadConfig(t *testing.T) {
	conf := ckWrite(t, filepath.Join(t.TempDir(), "bad.conf"), []byte("tls-port 6380\ntls-port many\n"))
	code, _, errOut := ckRun("check-tls", conf)
	if code != 1 || !strings.Contains(errOut, conf+":2:") || !strings.Contains(errOut, "tls-port") {
		t.Errorf("bad config file: exit %d, stderr %q", code, errOut)
	}
	code, _, errOut = ckRun("check-tls", "--tls-frobnicate", "yes")
	if code != 1 || !strings.Contains(errOut, "tls-frobnicate") {
		t.Errorf("unknown directive: exit %d, stderr %q", code, errOut)
	}
	code, _, errOut = ckRun("check-tls", filepath.Join(t.TempDir(), "absent.conf"))
	if code != 1 || !strings.Contains(errOut, "absent.conf") {
		t.Errorf("missing config file: exit %d, stderr %q", code, errOut)
	}
	code, out, _ := ckRun("check-tls", "--help")
	if code != 0 || !strings.Contains(out, "check-tls [/path/to/valkey.conf|sentinel.conf]") {
		t.Errorf("check-tls --help: exit %d\n%s", code, out)
	}
}

func ckMust[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestCheckTLSSentinelConf: check-tls reads a sentinel.conf as the sentinel does — its "sentinel" lines
// are parsed (a bad one is named), and the TLS material is checked like a node's.
func TestCheckTLSSentinelConf(t *testing.T) {
	dir := t.TempDir()
	if err := tlsmat.GenerateDevCerts(dir, false); err != nil {
		t.Fatal(err)
	}
	base := fmt.Sprintf("port 0\ntls-port 26379\ntls-replication yes\ntls-cert-file %s\ntls-key-file %s\ntls-ca-cert-file %s\n"+
		"sentinel monitor mymaster 127.0.0.1 6379 2\nsentinel down-after-milliseconds mymaster 5000\n",
		filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key"), filepath.Join(dir, "ca.crt"))
	conf := ckWrite(t, filepath.Join(t.TempDir(), "sentinel.conf"), []byte(base))
	if code, out, errOut := ckRun("check-tls", conf); code != 0 || !strings.HasSuffix(out, "\nOK\n") {
		t.Fatalf("check-tls %s: exit %d, stderr %q\n%s", conf, code, errOut, out)
	}
	bad := ckWrite(t, filepath.Join(t.TempDir(), "sentinel.conf"), []byte(base+"sentinel parallel-syncs nosuch 1\n"))
	if code, out, errOut := ckRun("check-tls", bad); code != 1 || !strings.Contains(errOut, "sentinel parallel-syncs nosuch 1") ||
		strings.Contains(out, "\nOK\n") {
		t.Fatalf("a bad sentinel line: exit %d, stderr %q\n%s", code, errOut, out)
	}
	missing := ckWrite(t, filepath.Join(t.TempDir(), "sentinel.conf"),
		[]byte(strings.Replace(base, filepath.Join(dir, "server.key"), filepath.Join(dir, "absent.key"), 1)))
	if code, _, errOut := ckRun("check-tls", missing); code != 1 || !strings.Contains(errOut, "absent.key") {
		t.Fatalf("missing key in a sentinel.conf: exit %d, stderr %q", code, errOut)
	}
}
