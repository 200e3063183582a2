package tlsmat

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"time"
)

// parseCertPEM returns the certificates in a PEM file, in file order. Blocks of other types (a private key
// kept in the same file, EC PARAMETERS) are ignored as OpenSSL's chain reader does.
func parseCertPEM(data []byte) ([]*x509.Certificate, error) {
	blocks, err := decodePEM(data)
	if err != nil {
		return nil, err
	}
	var certs []*x509.Certificate
	for _, b := range blocks {
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certificate #%d: malformed DER: %w", len(certs)+1, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, errors.New("no CERTIFICATE block found")
	}
	return certs, nil
}

// checkValidity reports whether now lies inside the certificate's validity period.
func checkValidity(c *x509.Certificate, now time.Time) error {
	const layout = time.RFC3339
	if now.Before(c.NotBefore) {
		return fmt.Errorf("certificate %q is not yet valid: valid from %s (now %s)",
			c.Subject.String(), c.NotBefore.UTC().Format(layout), now.UTC().Format(layout))
	}
	if now.After(c.NotAfter) {
		return fmt.Errorf("certificate %q has expired: valid until %s (now %s)",
			c.Subject.String(), c.NotAfter.UTC().Format(layout), now.UTC().Format(layout))
	}
	return nil
}

// checkChainValidity checks the leaf and every intermediate shipped in a cert file.
func checkChainValidity(chain []*x509.Certificate, now time.Time) error {
	for i, c := range chain {
		if err := checkValidity(c, now); err != nil {
			if i == 0 {
				return err
			}
			return fmt.Errorf("intermediate #%d: %w", i, err)
		}
	}
	return nil
}

// keyMatches reports whether priv is the private half of the certificate's public key (OpenSSL's
// "key values mismatch" check).
func keyMatches(cert *x509.Certificate, priv crypto.Signer) bool {
	pub, ok := cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	return ok && pub.Equal(priv.Public())
}

// checkKeyUsable refuses keys Go's TLS stack would only reject later, during a handshake.
func checkKeyUsable(priv crypto.Signer) error {
	switch k := priv.(type) {
	case *rsa.PrivateKey:
		if k.N.BitLen() < 1024 {
			return fmt.Errorf("RSA key of %d bits is too small (Go requires at least 1024)", k.N.BitLen())
		}
	case *ecdsa.PrivateKey, ed25519.PrivateKey:
	default:
		return fmt.Errorf("unsupported private key type %T", priv)
	}
	return nil
}

// keyDescription names a key type the way operators speak of it: "RSA 2048", "ECDSA P-256", "Ed25519".
func keyDescription(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d", k.N.BitLen())
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name
	case ed25519.PublicKey:
		return "Ed25519"
	default:
		return fmt.Sprintf("%T", pub)
	}
}
