package tlsmat

import (
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"slices"
	"testing"
	"time"
)

func TestIdentity(t *testing.T) {
	ca := newTestCA(t, "Test CA", time.Time{}, time.Time{})
	_, _, cert := ca.issue(t, leafOpts{cn: "Client-only", uris: []string{"urn:valkey:user:first", "urn:valkey:user:second"}})
	cases := []struct {
		mode string
		want []string
	}{
		{"CN", []string{"Client-only"}},
		{"cn", []string{"Client-only"}},
		{"URI", []string{"urn:valkey:user:first", "urn:valkey:user:second"}},
		{"off", nil},
		{"OFF", nil},
		{"bogus", nil},
	}
	for _, c := range cases {
		if got := Identity(cert, c.mode); !slices.Equal(got, c.want) {
			t.Errorf("Identity(%s) = %q, want %q", c.mode, got, c.want)
		}
	}
	if Identity(nil, "CN") != nil {
		t.Error("nil certificate")
	}
	_, _, bare := ca.issue(t, leafOpts{})
	if got := Identity(bare, "CN"); got != nil {
		t.Errorf("no CN: %q", got)
	}
	if got := Identity(bare, "URI"); got != nil {
		t.Errorf("no SAN: %q", got)
	}
}

// TestIdentityURIVerbatim: ACL user names are matched byte for byte, so URIs come from the raw SAN,
// not from net/url's re-encoding of it.
func TestIdentityURIVerbatim(t *testing.T) {
	// net/url lower-cases the scheme: "URN:..." would come back as "urn:...".
	raw := []string{"URN:valkey:user:First", "spiffe://example.org/ns/prod/sa/cache"}
	var names []asn1.RawValue
	for _, u := range raw {
		names = append(names, asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 6, Bytes: []byte(u)})
	}
	names = append(names, asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 2, Bytes: []byte("dns.example")})
	san, err := asn1.Marshal(names)
	if err != nil {
		t.Fatal(err)
	}
	key := newECKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:    randSerial(t),
		Subject:         pkix.Name{CommonName: "x"},
		NotBefore:       time.Now(),
		NotAfter:        time.Now().Add(time.Hour),
		ExtraExtensions: []pkix.Extension{{Id: oidSubjectAltName, Value: san}},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	if cert.URIs[0].String() == raw[0] {
		t.Fatal("net/url kept the URI verbatim; the test proves nothing")
	}
	if got := Identity(cert, "URI"); !slices.Equal(got, raw) {
		t.Fatalf("Identity(URI) = %q, want %q", got, raw)
	}
}
