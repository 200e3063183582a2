package tlsmat

import (
	"crypto/x509"
	"encoding/asn1"
	"strings"
)

var oidSubjectAltName = asn1.ObjectIdentifier{2, 5, 29, 17}

// Identity extracts ACL user-name candidates from a verified peer certificate (tls-auth-clients-user):
// mode "CN" returns the subject common name; "URI" returns every SAN URI in certificate order (the caller
// takes the first naming an enabled user); "off" or anything else returns nil. Modes are
// case-insensitive.
func Identity(cert *x509.Certificate, mode string) []string {
	if cert == nil {
		return nil
	}
	switch strings.ToUpper(mode) {
	case "CN":
		if cert.Subject.CommonName == "" {
			return nil
		}
		return []string{cert.Subject.CommonName}
	case "URI":
		if uris, ok := rawSANURIs(cert); ok {
			return uris
		}
		var out []string
		for _, u := range cert.URIs {
			out = append(out, u.String())
		}
		return out
	}
	return nil
}

// rawSANURIs returns the SAN URIs exactly as written in the certificate. cert.URIs holds them re-parsed
// by net/url, whose String() may re-encode a value, and ACL user names must match byte for byte.
func rawSANURIs(cert *x509.Certificate) ([]string, bool) {
	for _, ext := range cert.Extensions {
		if !ext.Id.Equal(oidSubjectAltName) {
			continue
		}
		var seq asn1.RawValue
		if rest, err := asn1.Unmarshal(ext.Value, &seq); err != nil || len(rest) != 0 || !seq.IsCompound {
			return nil, false
		}
		var out []string
		for rest := seq.Bytes; len(rest) > 0; {
			var gn asn1.RawValue
			var err error
			if rest, err = asn1.Unmarshal(rest, &gn); err != nil {
				return nil, false
			}
			// GeneralName uniformResourceIdentifier is [6] IMPLICIT IA5String.
			if gn.Class == asn1.ClassContextSpecific && gn.Tag == 6 {
				out = append(out, string(gn.Bytes))
			}
		}
		return out, true
	}
	return nil, true
}
