package tlsmat

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func readKeyFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func samePublicKey(a, b crypto.Signer) bool {
	pa, ok := a.Public().(interface{ Equal(crypto.PublicKey) bool })
	return ok && pa.Equal(b.Public())
}

// TestEncryptedKeyFixtures decrypts keys written by OpenSSL 3 (testdata/README.md) and checks each
// against the unencrypted original.
func TestEncryptedKeyFixtures(t *testing.T) {
	plainEC, err := parsePrivateKey(readKeyFixture(t, "ec.key"), "", "")
	if err != nil {
		t.Fatal(err)
	}
	plainRSA, err := parsePrivateKey(readKeyFixture(t, "rsa.key"), "", "")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		file  string
		plain crypto.Signer
	}{
		{"ec-pkcs8-aes256-sha256.pem", plainEC},
		{"ec-pkcs8-aes128-sha1.pem", plainEC},
		{"ec-pkcs8-aes192-sha512.pem", plainEC},
		{"ec-pkcs8-des3.pem", plainEC},
		{"ec-legacy-aes128.pem", plainEC},
		{"rsa-legacy-aes256.pem", plainRSA},
		{"rsa-legacy-des3.pem", plainRSA},
		{"rsa-pkcs8-aes256.pem", plainRSA},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			data := readKeyFixture(t, c.file)
			k, err := parsePrivateKey(data, "secret", "tls-key-file-pass")
			if err != nil {
				t.Fatalf("decrypt with the right passphrase: %v", err)
			}
			if !samePublicKey(k, c.plain) {
				t.Fatal("decrypted key differs from the original")
			}
			if _, err := parsePrivateKey(data, "Secret", "tls-key-file-pass"); !errors.Is(err, ErrBadPassphrase) {
				t.Fatalf("wrong passphrase: err = %v, want ErrBadPassphrase", err)
			}
			if _, err := parsePrivateKey(data, "", "tls-key-file-pass"); !errors.Is(err, ErrKeyEncrypted) {
				t.Fatalf("no passphrase: err = %v, want ErrKeyEncrypted", err)
			}
		})
	}
}

func TestUnsupportedKeyEncryption(t *testing.T) {
	for file, want := range map[string]string{
		"ec-pkcs8-scrypt.pem": "scrypt",
		"ec-pkcs8-pbes1.pem":  "PKCS#12 PBE",
	} {
		_, err := parsePrivateKey(readKeyFixture(t, file), "secret", "tls-key-file-pass")
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "openssl pkcs8 -topk8 -v2 aes256") {
			t.Errorf("%s: err = %v, want an unsupported-%s error with a re-encrypt hint", file, err, want)
		}
	}
}

func TestUnencryptedKeyEncodings(t *testing.T) {
	ec := newECKey(t)
	rsaKey := testRSAKey(t, 1)
	pkcs8EC, _ := x509.MarshalPKCS8PrivateKey(ec)
	sec1, _ := x509.MarshalECPrivateKey(ec)
	pkcs1 := x509.MarshalPKCS1PrivateKey(rsaKey)
	ecParams := pem.EncodeToMemory(&pem.Block{Type: "EC PARAMETERS", Bytes: []byte{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}})
	cases := []struct {
		name string
		data []byte
		want crypto.Signer
	}{
		{"PKCS#8 EC", pemBytes("PRIVATE KEY", pkcs8EC), ec},
		{"SEC1 EC", pemBytes("EC PRIVATE KEY", sec1), ec},
		{"SEC1 after EC PARAMETERS (openssl ecparam -genkey)", append(ecParams, pemBytes("EC PRIVATE KEY", sec1)...), ec},
		{"PKCS#1 RSA", pemBytes("RSA PRIVATE KEY", pkcs1), rsaKey},
		{"mislabelled PKCS#1 as PRIVATE KEY", pemBytes("PRIVATE KEY", pkcs1), rsaKey},
		{"key after certificate in one file", append(pemBytes("CERTIFICATE", []byte{0x30, 0x00}), pemBytes("PRIVATE KEY", pkcs8EC)...), ec},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// A passphrase configured for an unencrypted key is ignored, as OpenSSL does.
			k, err := parsePrivateKey(c.data, "unused", "tls-key-file-pass")
			if err != nil {
				t.Fatal(err)
			}
			if !samePublicKey(k, c.want) {
				t.Fatal("wrong key")
			}
		})
	}
	if _, err := parsePrivateKey(pemBytes("DSA PRIVATE KEY", []byte{1}), "", ""); err == nil || !strings.Contains(err.Error(), "unsupported key block") {
		t.Errorf("DSA key: err = %v", err)
	}
	if _, err := parsePrivateKey(pemBytes("PRIVATE KEY", []byte("junk")), "", ""); err == nil || !strings.Contains(err.Error(), "malformed private key") {
		t.Errorf("junk key: err = %v", err)
	}
}

func TestEvpBytesToKeyKnownAnswer(t *testing.T) {
	// Key and IV printed by `openssl enc -aes-256-cbc -md md5 -S 0102030405060708 -k secret -P`
	// (EVP_BytesToKey, MD5, one iteration): the same derivation as legacy encrypted PEM keys.
	const want = "C9E5A1BD216DBE1317E230CEF48F38EE7F0E17AD64022144BCCEC4A1AA2879AB" + "E24B32BBBC4EF02ECBCB6576523AD893"
	got := strings.ToUpper(hex.EncodeToString(evpBytesToKey([]byte("secret"), []byte{1, 2, 3, 4, 5, 6, 7, 8}, 48)))
	if got != want {
		t.Fatalf("EVP_BytesToKey = %s, want %s", got, want)
	}
}

// TestEncryptedKeysFromLiveOpenSSL loads, through Manager.Load, keys that the installed openssl writes
// right now in every format an operator is likely to produce.
func TestEncryptedKeysFromLiveOpenSSL(t *testing.T) {
	bin := needOpenSSL(t)
	dir := t.TempDir()
	const pass = "1234"
	variants := []struct {
		name string
		args func(plain, out string) [][]string
		algo string
		want string // marker of the encrypted format openssl must have written
	}{
		{"pkcs8 -topk8 -v2 aes256 (RSA)", func(p, o string) [][]string {
			return [][]string{{"pkcs8", "-topk8", "-v2", "aes256", "-in", p, "-out", o, "-passout", "pass:" + pass}}
		}, "rsa", "BEGIN ENCRYPTED PRIVATE KEY"},
		{"rsa -aes256 (OpenSSL 3 writes PKCS#8)", func(p, o string) [][]string {
			return [][]string{{"rsa", "-aes256", "-in", p, "-out", o, "-passout", "pass:" + pass}}
		}, "rsa", "BEGIN ENCRYPTED PRIVATE KEY"},
		{"rsa -traditional -aes256 (legacy PEM)", func(p, o string) [][]string {
			return [][]string{{"rsa", "-traditional", "-aes256", "-in", p, "-out", o, "-passout", "pass:" + pass}}
		}, "rsa", "Proc-Type: 4,ENCRYPTED"},
		{"genrsa -aes256 -traditional", nil, "genrsa", "Proc-Type: 4,ENCRYPTED"},
		{"pkcs8 -topk8 -v2 aes128 -v2prf hmacWithSHA1 (EC)", func(p, o string) [][]string {
			return [][]string{{"pkcs8", "-topk8", "-v2", "aes128", "-v2prf", "hmacWithSHA1", "-in", p, "-out", o, "-passout", "pass:" + pass}}
		}, "ec", "BEGIN ENCRYPTED PRIVATE KEY"},
		{"ec -aes256 (legacy EC)", func(p, o string) [][]string {
			return [][]string{{"ec", "-aes256", "-in", p, "-out", o, "-passout", "pass:" + pass}}
		}, "ec", "Proc-Type: 4,ENCRYPTED"},
	}
	for i, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			plain := filepath.Join(dir, "plain"+string(rune('a'+i))+".key")
			enc := filepath.Join(dir, "enc"+string(rune('a'+i))+".key")
			crt := filepath.Join(dir, "cert"+string(rune('a'+i))+".crt")
			switch v.algo {
			case "rsa":
				runOpenSSL(t, bin, "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", plain)
			case "ec":
				runOpenSSL(t, bin, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", plain)
			case "genrsa":
				runOpenSSL(t, bin, "genrsa", "-aes256", "-traditional", "-passout", "pass:"+pass, "-out", enc, "2048")
				plain = enc
			}
			if v.args != nil {
				for _, a := range v.args(plain, enc) {
					runOpenSSL(t, bin, a...)
				}
			}
			keyForCert := []string{"-key", plain}
			if plain == enc {
				keyForCert = []string{"-key", enc, "-passin", "pass:" + pass}
			}
			args := append([]string{"req", "-x509", "-new", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost", "-days", "2", "-out", crt}, keyForCert...)
			runOpenSSL(t, bin, args...)
			if !strings.Contains(string(mustRead(t, enc)), v.want) {
				t.Fatalf("openssl did not write %q:\n%s", v.want, mustRead(t, enc))
			}

			m, _ := newTestManager(t)
			cfg := Config{CertFile: crt, KeyFile: enc, CAFile: crt, AuthClients: "no", Enabled: true, KeyFilePass: pass}
			if err := m.Load(cfg); err != nil {
				t.Fatalf("Load with the right passphrase: %v", err)
			}
			srv := startServer(t, m.ServerConfig())
			pool := x509.NewCertPool()
			pool.AppendCertsFromPEM(mustRead(t, crt))
			c, err := dial(srv.addr, &tls.Config{RootCAs: pool, ServerName: "localhost"})
			if err != nil {
				t.Fatalf("handshake with the decrypted key: %v", err)
			}
			c.Close()

			cfg.KeyFilePass = "wrong"
			err = m.Load(cfg)
			if !errors.Is(err, ErrBadPassphrase) || !strings.Contains(err.Error(), enc) {
				t.Fatalf("wrong passphrase: err = %v, want ErrBadPassphrase naming %s", err, enc)
			}
			cfg.KeyFilePass = ""
			if err := m.Load(cfg); !errors.Is(err, ErrKeyEncrypted) {
				t.Fatalf("no passphrase: err = %v, want ErrKeyEncrypted", err)
			}
		})
	}
}
