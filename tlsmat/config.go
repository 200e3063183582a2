package tlsmat

import (
	"crypto/tls"
	"fmt"
	"strings"
)

// Config is every TLS directive value, as strings/ints exactly as configured (empty string = unset).
type Config struct {
	CertFile, KeyFile, KeyFilePass                   string // tls-cert-file, tls-key-file, tls-key-file-pass
	ClientCertFile, ClientKeyFile, ClientKeyFilePass string // tls-client-cert-file, tls-client-key-file, tls-client-key-file-pass
	DHParamsFile                                     string // tls-dh-params-file: validated, then unused (Go has no DHE)
	CAFile, CADir                                    string // tls-ca-cert-file, tls-ca-cert-dir
	AuthClients                                      string // tls-auth-clients: "yes" | "no" | "optional" ("" = "yes")
	Protocols                                        string // tls-protocols: "" = "TLSv1.2 TLSv1.3"
	Ciphers, CipherSuites                            string // tls-ciphers (mapped to Go suites), tls-ciphersuites (validated only)
	PreferServerCiphers                              bool   // tls-prefer-server-ciphers: ignored by Go
	SessionCaching                                   bool   // tls-session-caching: session tickets on/off
	SessionCacheSize                                 int    // tls-session-cache-size: validated only (tickets are stateless)
	SessionCacheTimeout                              int    // tls-session-cache-timeout, seconds: ticket lifetime (0 = 300)
	// Enabled: tls-port != 0 || tls-replication || tls-cluster. When false, Load clears the material
	// (no validation, Configured()==false).
	Enabled bool
	// PeerLinks: tls-replication || tls-cluster (a CA is then required even with auth-clients no).
	PeerLinks bool
}

// DefaultSessionCacheTimeout is Valkey's tls-session-cache-timeout default, used when the field is 0.
const DefaultSessionCacheTimeout = 300

// hasClientCert reports whether outgoing links get their own certificate (Valkey builds the client
// context only when both files are set).
func (c Config) hasClientCert() bool { return c.ClientCertFile != "" && c.ClientKeyFile != "" }

// ParseAuthClients maps a tls-auth-clients value (case-insensitive; "" = "yes") to Go's policy.
func ParseAuthClients(s string) (tls.ClientAuthType, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "yes":
		return tls.RequireAndVerifyClientCert, nil
	case "optional":
		return tls.VerifyClientCertIfGiven, nil
	case "no":
		return tls.NoClientCert, nil
	}
	return 0, &Error{Msg: MsgAuthClients, Directive: "tls-auth-clients", Err: fmt.Errorf("got %q", s)}
}

// policyIndex maps the three supported client-auth policies to a small array index.
func policyIndex(p tls.ClientAuthType) int {
	switch p {
	case tls.NoClientCert:
		return 0
	case tls.VerifyClientCertIfGiven:
		return 1
	default:
		return 2
	}
}

var policies = [3]tls.ClientAuthType{tls.NoClientCert, tls.VerifyClientCertIfGiven, tls.RequireAndVerifyClientCert}
