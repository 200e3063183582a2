package tlsmat

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

func TestGenerateDevCerts(t *testing.T) {
	for _, useRSA := range []bool{false, true} {
		name := "ECDSA P-256"
		if useRSA {
			name = "RSA 2048"
		}
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "certs") // created by GenerateDevCerts
			if err := GenerateDevCerts(dir, useRSA); err != nil {
				t.Fatal(err)
			}
			for _, f := range DevCertFiles {
				st, err := os.Stat(filepath.Join(dir, f))
				if err != nil {
					t.Fatal(err)
				}
				if filepath.Ext(f) == ".key" && st.Mode().Perm() != 0o600 {
					t.Errorf("%s has mode %o, want 600", f, st.Mode().Perm())
				}
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != len(DevCertFiles) {
				t.Errorf("%d files in dir, want %d (temporary files left behind?)", len(entries), len(DevCertFiles))
			}
			read := func(n string) *x509.Certificate { return decodeCertPEM(t, mustRead(t, filepath.Join(dir, n))) }
			ca, server, client := read("ca.crt"), read("server.crt"), read("client.crt")
			if !ca.IsCA || ca.KeyUsage&x509.KeyUsageCertSign == 0 {
				t.Error("CA is not a CA")
			}
			for _, c := range []*x509.Certificate{ca, server, client} {
				switch c.PublicKey.(type) {
				case *rsa.PublicKey:
					if !useRSA || keyDescription(c.PublicKey) != "RSA 2048" {
						t.Errorf("%s: key %s", c.Subject, keyDescription(c.PublicKey))
					}
				case *ecdsa.PublicKey:
					if useRSA || keyDescription(c.PublicKey) != "ECDSA P-256" {
						t.Errorf("%s: key %s", c.Subject, keyDescription(c.PublicKey))
					}
				}
			}
			if !slices.Equal(server.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}) {
				t.Errorf("server EKUs %v", server.ExtKeyUsage)
			}
			if !slices.Equal(client.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}) {
				t.Errorf("client EKUs %v", client.ExtKeyUsage)
			}
			if client.Subject.CommonName != DevClientCN {
				t.Errorf("client CN %q", client.Subject.CommonName)
			}
			if !slices.Equal(server.DNSNames, []string{"localhost"}) || len(server.IPAddresses) != 2 ||
				!server.IPAddresses[0].Equal(net.ParseIP("127.0.0.1")) || !server.IPAddresses[1].Equal(net.IPv6loopback) {
				t.Errorf("server SANs %v %v", server.DNSNames, server.IPAddresses)
			}
			roots := x509.NewCertPool()
			roots.AddCert(ca)
			for _, v := range []struct {
				cert *x509.Certificate
				name string
				eku  x509.ExtKeyUsage
			}{
				{server, "localhost", x509.ExtKeyUsageServerAuth},
				{server, "127.0.0.1", x509.ExtKeyUsageServerAuth},
				{server, "::1", x509.ExtKeyUsageServerAuth},
				{server, "", x509.ExtKeyUsageClientAuth}, // server cert doubles as client cert
				{client, "", x509.ExtKeyUsageClientAuth},
			} {
				_, err := v.cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: v.name, KeyUsages: []x509.ExtKeyUsage{v.eku}})
				if err != nil {
					t.Errorf("verify %s for %q/%v: %v", v.cert.Subject.CommonName, v.name, v.eku, err)
				}
			}

			// The generated set works as-is with mutual TLS, both as listener and as outgoing link.
			m, _ := newTestManager(t)
			cfg := Config{CertFile: filepath.Join(dir, "server.crt"), KeyFile: filepath.Join(dir, "server.key"),
				CAFile: filepath.Join(dir, "ca.crt"), AuthClients: "yes", PeerLinks: true, Enabled: true}
			if err := m.Load(cfg); err != nil {
				t.Fatal(err)
			}
			srv := startServer(t, m.BusServerConfig())
			out, err := m.ClientConfig("127.0.0.1")
			if err != nil {
				t.Fatal(err)
			}
			c, err := dial(srv.addr, out)
			if err != nil {
				t.Fatalf("node-to-node handshake with generated certs: %v", err)
			}
			c.Close()
			kp, err := tls.LoadX509KeyPair(filepath.Join(dir, "client.crt"), filepath.Join(dir, "client.key"))
			if err != nil {
				t.Fatal(err)
			}
			c, err = dial(srv.addr, &tls.Config{RootCAs: roots, ServerName: "localhost", Certificates: []tls.Certificate{kp}})
			if err != nil {
				t.Fatalf("client handshake with generated certs: %v", err)
			}
			c.Close()

			// And the real openssl agrees.
			bin, err := exec.LookPath("openssl")
			if err != nil {
				if os.Getenv("VALKEY_NODE_REQUIRE_INTEROP") == "1" {
					t.Fatal("openssl not found (Debian package `openssl`)")
				}
				t.Log("openssl not found (install the Debian package `openssl`): skipping openssl verify")
				return
			}
			runOpenSSL(t, bin, "verify", "-CAfile", filepath.Join(dir, "ca.crt"), "-purpose", "sslserver", filepath.Join(dir, "server.crt"))
			runOpenSSL(t, bin, "verify", "-CAfile", filepath.Join(dir, "ca.crt"), "-purpose", "sslclient", filepath.Join(dir, "server.crt"), filepath.Join(dir, "client.crt"))
			runOpenSSL(t, bin, "pkey", "-in", filepath.Join(dir, "server.key"), "-noout")
		})
	}
}

func TestGenerateDevCertsRefusesUnwritableTarget(t *testing.T) {
	file := writeFile(t, filepath.Join(t.TempDir(), "plain-file"), []byte("x"))
	if err := GenerateDevCerts(file, false); err == nil {
		t.Fatal("GenerateDevCerts wrote into a path that is a file")
	}
}
