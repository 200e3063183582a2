package tlsmat

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// DevCertFiles are the files GenerateDevCerts writes, in order.
var DevCertFiles = []string{"ca.crt", "ca.key", "server.crt", "server.key", "client.crt", "client.key"}

// DevClientCN is the common name of the development client certificate.
const DevClientCN = "test-client"

// GenerateDevCerts writes a development PKI into dir (created if missing): a CA (10 years), a server
// certificate (1 year, CN "localhost", SANs DNS:localhost IP:127.0.0.1 IP:::1, EKUs serverAuth AND
// clientAuth so that it also works as the client certificate of outgoing links) and a client certificate
// (1 year, CN DevClientCN, EKU clientAuth). Keys are ECDSA P-256, or RSA 2048 with rsaKeys; they are
// written as unencrypted PKCS#8 with mode 0600. Each file is written to a temporary name and renamed,
// so a server auto-reloading from dir never reads a half-written file. Not for production.
func GenerateDevCerts(dir string, rsaKeys bool) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("gen-certs: %w", err)
	}
	newKey := func() (crypto.Signer, error) {
		if rsaKeys {
			return rsa.GenerateKey(rand.Reader, 2048)
		}
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	leafUsage := x509.KeyUsageDigitalSignature
	if rsaKeys {
		leafUsage |= x509.KeyUsageKeyEncipherment // RSA key exchange suites encrypt to the key
	}
	now := time.Now().Add(-5 * time.Minute) // tolerate small clock skew between hosts

	caKey, err := newKey()
	if err != nil {
		return fmt.Errorf("gen-certs: CA key: %w", err)
	}
	caTmpl := &x509.Certificate{
		Subject:               pkix.Name{Organization: []string{"valkey-node dev"}, CommonName: "valkey-node dev CA"},
		NotBefore:             now,
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, caCert, err := signCert(caTmpl, caTmpl, caKey, caKey)
	if err != nil {
		return fmt.Errorf("gen-certs: CA certificate: %w", err)
	}

	type leaf struct {
		name string
		tmpl *x509.Certificate
	}
	leaves := []leaf{
		{"server", &x509.Certificate{
			Subject:     pkix.Name{Organization: []string{"valkey-node dev"}, CommonName: "localhost"},
			NotBefore:   now,
			NotAfter:    now.AddDate(1, 0, 0),
			KeyUsage:    leafUsage,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
			DNSNames:    []string{"localhost"},
			IPAddresses: []net.IP{net.ParseIP("127.0.0.1"), net.IPv6loopback},
		}},
		{"client", &x509.Certificate{
			Subject:     pkix.Name{Organization: []string{"valkey-node dev"}, CommonName: DevClientCN},
			NotBefore:   now,
			NotAfter:    now.AddDate(1, 0, 0),
			KeyUsage:    leafUsage,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		}},
	}

	files := map[string][]byte{"ca.crt": pemBytes("CERTIFICATE", caDER)}
	if files["ca.key"], err = keyPEM(caKey); err != nil {
		return err
	}
	for _, l := range leaves {
		key, err := newKey()
		if err != nil {
			return fmt.Errorf("gen-certs: %s key: %w", l.name, err)
		}
		der, _, err := signCert(l.tmpl, caCert, key.Public(), caKey)
		if err != nil {
			return fmt.Errorf("gen-certs: %s certificate: %w", l.name, err)
		}
		files[l.name+".crt"] = pemBytes("CERTIFICATE", der)
		if files[l.name+".key"], err = keyPEM(key); err != nil {
			return err
		}
	}
	for _, name := range DevCertFiles {
		mode := os.FileMode(0o644)
		if filepath.Ext(name) == ".key" {
			mode = 0o600
		}
		if err := writeFileAtomic(filepath.Join(dir, name), files[name], mode); err != nil {
			return fmt.Errorf("gen-certs: %w", err)
		}
	}
	return nil
}

// signCert gives tmpl a random 128-bit serial and signs it.
func signCert(tmpl, parent *x509.Certificate, pub crypto.PublicKey, signer crypto.Signer) ([]byte, *x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, err
	}
	tmpl.SerialNumber = serial.Add(serial, big.NewInt(1)) // never zero
	if tmpl == parent {
		pub = signer.Public()
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		return nil, nil, err
	}
	c, err := x509.ParseCertificate(der)
	return der, c, err
}

func pemBytes(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func keyPEM(k crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, fmt.Errorf("gen-certs: marshal key: %w", err)
	}
	return pemBytes("PRIVATE KEY", der), nil
}

// writeFileAtomic writes data to a temporary file in the same directory, then renames it over path.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after a successful rename
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
