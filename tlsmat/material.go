package tlsmat

import (
	"crypto/tls"
	"crypto/x509"
	"time"
)

// certChain is a certificate file as loaded: the leaf first, then the intermediates it ships.
type certChain struct {
	directive string // "tls-cert-file" or "tls-client-cert-file"
	path      string
	chain     []*x509.Certificate
	keyPath   string
	keyDesc   string
}

func (c *certChain) leaf() *x509.Certificate { return c.chain[0] }

// caCert is one trusted certificate and the file it came from.
type caCert struct {
	path string
	cert *x509.Certificate
}

// material is one complete, validated, immutable generation of TLS material. It is built whole by build
// and published with one atomic pointer swap; nothing mutates it afterwards.
type material struct {
	cfg      Config
	loadedAt time.Time
	clock    func() time.Time

	server     tls.Certificate
	serverInfo *certChain
	client     *tls.Certificate // nil: outgoing links present the server certificate
	clientInfo *certChain

	cas  []caCert
	pool *x509.CertPool // never nil: an empty pool trusts nothing (no system roots, ever)

	minVersion, maxVersion uint16
	suites                 []uint16 // nil = Go defaults
	tls13Suites            []uint16 // validated tls-ciphersuites (not enforceable)
	dhBits                 int      // validated tls-dh-params-file prime size, 0 if unset

	ticketsOn bool
	ticketTTL time.Duration
	// ticketer owns the session-ticket keys of this generation (auto-rotated by crypto/tls). Tickets are
	// sealed with it, so a reload invalidates every ticket issued for the previous material, as a new
	// SSL_CTX (with an empty session cache) does in Valkey.
	ticketer *tls.Config

	byPolicy [3]*tls.Config // server configs for tls-auth-clients no / optional / yes

	// clientSessions lets outgoing links (replica reconnects, bus links) resume sessions. Per material,
	// so that a reload (for example a new CA) forces full handshakes.
	clientSessions tls.ClientSessionCache
}

// serverConfig builds the per-handshake server config for one client-auth policy.
func (m *material) serverConfig(auth tls.ClientAuthType) *tls.Config {
	c := &tls.Config{
		Certificates:           []tls.Certificate{m.server},
		ClientAuth:             auth,
		ClientCAs:              m.pool,
		MinVersion:             m.minVersion,
		MaxVersion:             m.maxVersion,
		CipherSuites:           m.suites,
		SessionTicketsDisabled: !m.ticketsOn,
		Time:                   m.clock,
	}
	if m.ticketsOn {
		c.WrapSession = m.wrapSession
		c.UnwrapSession = m.unwrapSession
	}
	return c
}

// outgoingCert is the certificate outgoing links present: the client certificate when both client files
// are configured, else the server certificate (Valkey's fallback to the server context).
func (m *material) outgoingCert() *tls.Certificate {
	if m.client != nil {
		return m.client
	}
	return &m.server
}

// allCerts lists every loaded certificate with its role, for expiry warnings and reports.
func (m *material) allCerts() []roleCert {
	var out []roleCert
	for _, c := range m.serverInfo.chain {
		out = append(out, roleCert{"server", m.serverInfo.path, c})
	}
	if m.clientInfo != nil {
		for _, c := range m.clientInfo.chain {
			out = append(out, roleCert{"client", m.clientInfo.path, c})
		}
	}
	for _, ca := range m.cas {
		out = append(out, roleCert{"ca", ca.path, ca.cert})
	}
	return out
}

type roleCert struct {
	role, path string
	cert       *x509.Certificate
}
