package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestGenCerts checks what `valkey-node gen-certs DIR` writes: a CA, a server certificate for localhost,
// 127.0.0.1 and ::1 with serverAuth and clientAuth, a client certificate with clientAuth, private keys
// readable only by the owner, ECDSA P-256 by default and RSA 2048 with --rsa; and that OpenSSL (what
// redis-cli and Valkey use) accepts the chain for both purposes.
func TestGenCerts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		algo x509.PublicKeyAlgorithm
		bits int
	}{
		{"ecdsa", nil, x509.ECDSA, 256},
		{"rsa", []string{"--rsa"}, x509.RSA, 2048},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "certs")
			res := runBin(t, append(append([]string{"gen-certs"}, tc.args...), dir)...)
			if res.code != 0 {
				t.Fatalf("gen-certs: %s", res)
			}
			files := []string{"ca.crt", "ca.key", "server.crt", "server.key", "client.crt", "client.key"}
			var listed []string
			for _, f := range files {
				listed = append(listed, filepath.Join(dir, f))
			}
			if got := strings.Fields(res.stdout); !slices.Equal(got, listed) {
				t.Errorf("gen-certs printed %q, want %q", got, listed)
			}
			for _, f := range files {
				st, err := os.Stat(filepath.Join(dir, f))
				if err != nil {
					t.Fatal(err)
				}
				if strings.HasSuffix(f, ".key") && st.Mode().Perm() != 0o600 {
					t.Errorf("%s has mode %v, want 0600", f, st.Mode().Perm())
				}
			}
			ca := readCert(t, filepath.Join(dir, "ca.crt"))
			server := readCert(t, filepath.Join(dir, "server.crt"))
			client := readCert(t, filepath.Join(dir, "client.crt"))
			if !ca.IsCA || !ca.BasicConstraintsValid {
				t.Errorf("ca.crt is not a CA certificate")
			}
			for name, c := range map[string]*x509.Certificate{"ca": ca, "server": server, "client": client} {
				if c.PublicKeyAlgorithm != tc.algo || keyBits(c.PublicKey) != tc.bits {
					t.Errorf("%s key: %v %d bits, want %v %d", name, c.PublicKeyAlgorithm, keyBits(c.PublicKey), tc.algo, tc.bits)
				}
			}
			if !slices.Equal(server.DNSNames, []string{"localhost"}) {
				t.Errorf("server DNS SANs %v, want [localhost]", server.DNSNames)
			}
			var ips []string
			for _, ip := range server.IPAddresses {
				ips = append(ips, ip.String())
			}
			if !slices.Equal(ips, []string{"127.0.0.1", "::1"}) {
				t.Errorf("server IP SANs %v, want [127.0.0.1 ::1]", ips)
			}
			if !slices.Contains(server.ExtKeyUsage, x509.ExtKeyUsageServerAuth) ||
				!slices.Contains(server.ExtKeyUsage, x509.ExtKeyUsageClientAuth) {
				t.Errorf("server EKU %v, want serverAuth and clientAuth", server.ExtKeyUsage)
			}
			if !slices.Contains(client.ExtKeyUsage, x509.ExtKeyUsageClientAuth) {
				t.Errorf("client EKU %v, want clientAuth", client.ExtKeyUsage)
			}
			roots := x509.NewCertPool()
			roots.AddCert(ca)
			for _, v := range []struct {
				name string
				c    *x509.Certificate
				eku  x509.ExtKeyUsage
				host string
			}{
				{"server as server", server, x509.ExtKeyUsageServerAuth, "localhost"},
				{"server as client", server, x509.ExtKeyUsageClientAuth, ""},
				{"client", client, x509.ExtKeyUsageClientAuth, ""},
			} {
				opts := x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{v.eku}, DNSName: v.host}
				if _, err := v.c.Verify(opts); err != nil {
					t.Errorf("%s: %v", v.name, err)
				}
			}
			if openssl, err := exec.LookPath("openssl"); err == nil {
				for _, v := range [][2]string{{"sslserver", "server.crt"}, {"sslclient", "server.crt"}, {"sslclient", "client.crt"}} {
					out, err := exec.Command(openssl, "verify", "-CAfile", filepath.Join(dir, "ca.crt"),
						"-purpose", v[0], filepath.Join(dir, v[1])).CombinedOutput()
					if err != nil || !strings.Contains(string(out), ": OK") {
						t.Errorf("openssl verify -purpose %s %s: %v\n%s", v[0], v[1], err, out)
					}
				}
				out, err := exec.Command(openssl, "verify", "-CAfile", filepath.Join(dir, "ca.crt"),
					"-verify_ip", "127.0.0.1", "-verify_hostname", "localhost", filepath.Join(dir, "server.crt")).CombinedOutput()
				if err != nil {
					t.Errorf("openssl verify with host checks: %v\n%s", err, out)
				}
			}
		})
	}
	if res := runBin(t, "gen-certs"); res.code == 0 || !strings.Contains(res.stdout+res.stderr, "usage") {
		t.Errorf("gen-certs without DIR: %s", res)
	}
}

func readCert(t testing.TB, path string) *x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatalf("%s: no PEM certificate", path)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return c
}

func readKey(t testing.TB, path string) crypto.Signer {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		t.Fatalf("%s: no PEM block", path)
	}
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		return k.(crypto.Signer)
	}
	if k, err := x509.ParseECPrivateKey(block.Bytes); err == nil {
		return k
	}
	k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil {
		t.Fatalf("%s: unknown key format", path)
	}
	return k
}

func keyBits(pub any) int {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		return k.Curve.Params().BitSize
	case *rsa.PublicKey:
		return k.N.BitLen()
	}
	return 0
}

// writeExpiredCert writes an expired server certificate signed by the development CA of dir, with its key.
func writeExpiredCert(t testing.TB, dir, out string) (certPath, keyPath string) {
	t.Helper()
	ca := readCert(t, filepath.Join(dir, "ca.crt"))
	caKey := readKey(t, filepath.Join(dir, "ca.key"))
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "expired"},
		NotBefore:    time.Now().Add(-48 * time.Hour),
		NotAfter:     time.Now().Add(-24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath = filepath.Join(out, "expired.crt"), filepath.Join(out, "expired.key")
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certPath, keyPath
}

// TestCheckTLS: `valkey-node check-tls` with good material prints the certificates and OK and exits 0;
// with a missing or expired file it exits non-zero naming the file. It reads a config file too.
func TestCheckTLS(t *testing.T) {
	t.Parallel()
	certs := devCerts(t)
	good := append([]string{"check-tls", "--tls-port", "6380"}, tlsFlags(certs)...)
	res := runBin(t, good...)
	if res.code != 0 {
		t.Fatalf("check-tls on good material: %s", res)
	}
	lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
	if lines[len(lines)-1] != "OK" || slices.Index(lines, "OK") != len(lines)-1 {
		t.Errorf("check-tls should end with one OK line:\n%s", res.stdout)
	}
	for _, want := range []string{filepath.Join(certs, "server.crt"), filepath.Join(certs, "ca.crt"), "DNS:localhost"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("check-tls report lacks %q:\n%s", want, res.stdout)
		}
	}

	// the same material given in a config file
	conf := filepath.Join(t.TempDir(), "tls.conf")
	content := "tls-port 6380\ntls-cert-file " + filepath.Join(certs, "server.crt") +
		"\ntls-key-file " + filepath.Join(certs, "server.key") + "\ntls-ca-cert-file " + filepath.Join(certs, "ca.crt") + "\n"
	if err := os.WriteFile(conf, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if res := runBin(t, "check-tls", conf); res.code != 0 || !strings.HasSuffix(res.stdout, "OK\n") {
		t.Errorf("check-tls %s: %s", conf, res)
	}

	missing := filepath.Join(t.TempDir(), "absent.crt")
	res = runBin(t, "check-tls", "--tls-cert-file", missing, "--tls-key-file", filepath.Join(certs, "server.key"),
		"--tls-ca-cert-file", filepath.Join(certs, "ca.crt"))
	if res.code == 0 || !strings.Contains(res.stdout+res.stderr, missing) {
		t.Errorf("check-tls with a missing certificate: want non-zero exit naming %s\n%s", missing, res)
	}

	expired, expiredKey := writeExpiredCert(t, certs, t.TempDir())
	res = runBin(t, "check-tls", "--tls-cert-file", expired, "--tls-key-file", expiredKey,
		"--tls-ca-cert-file", filepath.Join(certs, "ca.crt"))
	if res.code == 0 || !strings.Contains(res.stdout+res.stderr, expired) || !strings.Contains(res.stdout+res.stderr, "expired") {
		t.Errorf("check-tls with an expired certificate: want non-zero exit naming %s\n%s", expired, res)
	}
	if strings.Contains(res.stdout, "\nOK\n") {
		t.Errorf("check-tls printed OK for an expired certificate:\n%s", res.stdout)
	}

	if res := runBin(t, "check-tls", "--frobnicate", "1"); res.code == 0 || !strings.Contains(res.stderr, "frobnicate") {
		t.Errorf("check-tls with a bad directive: %s", res)
	}
}
