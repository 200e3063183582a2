package tlsmat

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
)

// DefaultExpiryWarningDays is the default of the tls-expiry-warning-days directive. The Manager itself
// starts with expiry warnings off; the server passes the configured value to SetExpiryWarningDays.
const DefaultExpiryWarningDays = 7

// Manager owns the process's TLS material. One Manager is shared by every role (client listener, cluster
// bus, replication, sentinel); all methods are safe for concurrent use.
type Manager struct {
	log   zerolog.Logger
	clock func() time.Time // time.Now; tests substitute a fake clock before the first Load

	cur        atomic.Pointer[material] // published material; nil = not configured
	authPolicy atomic.Int32             // index into policies, read at each handshake
	expiryDays atomic.Int64
	onReload   atomic.Pointer[func(error)]

	// loadMu serialises Load, background reloads and SetAuthClients so that a stale background reload
	// can never publish over a newer explicit Load.
	loadMu   sync.Mutex
	lastCfg  *Config  // config of the published material; nil when disabled or never loaded
	baseline [32]byte // fingerprint of the files the published material was built from
	failedFP [32]byte // fingerprint of the last failed background attempt, not retried until it changes
	failed   bool
	noticed  string // unenforceable settings already reported, to log each notice once per change

	// mu guards the maintenance goroutine's lifecycle.
	mu          sync.Mutex
	reloadEvery time.Duration
	expiryEvery time.Duration // 24h; tests shorten it
	stop, done  chan struct{}
	closed      bool
}

// New returns a Manager with no material (Configured() == false), tls-auth-clients "yes", and no
// background work until SetAutoReload or SetExpiryWarningDays is called.
func New(log zerolog.Logger) *Manager {
	m := &Manager{log: log, clock: time.Now, expiryEvery: 24 * time.Hour}
	m.authPolicy.Store(int32(policyIndex(tls.RequireAndVerifyClientCert)))
	return m
}

// Load validates and builds the whole material for cfg, then publishes it with one atomic pointer swap.
// On any error the previously published material stays in use and the returned *Error names the
// directive, the file and the reason (Valkey's texts, spec §1.2); Load does not log the error itself, the
// caller does. Non-fatal findings (a non-certificate file in the CA dir) are logged as warnings. A
// successful Load sets the tls-auth-clients policy and becomes the auto-reload baseline. With
// cfg.Enabled false, Load clears the material without validating anything.
func (m *Manager) Load(cfg Config) error {
	m.loadMu.Lock()
	defer m.loadMu.Unlock()
	auth, authErr := ParseAuthClients(cfg.AuthClients)
	if !cfg.Enabled {
		m.cur.Store(nil)
		m.lastCfg, m.failed = nil, false
		if authErr == nil {
			m.authPolicy.Store(int32(policyIndex(auth)))
		}
		return nil
	}
	// Fingerprint before reading: if a file changes while we build, the next tick sees a difference
	// and reloads again, rather than missing the change.
	fp := fingerprint(cfg)
	mat, b, err := build(cfg, m.clock)
	m.logWarnings(b.warnings)
	if err != nil {
		return err
	}
	m.authPolicy.Store(int32(policyIndex(auth)))
	m.publishLocked(mat, fp)
	return nil
}

func (m *Manager) publishLocked(mat *material, fp [32]byte) {
	m.cur.Store(mat)
	cfg := mat.cfg
	m.lastCfg, m.baseline, m.failed = &cfg, fp, false
	m.noticeUnenforceable(cfg)
	m.warnExpiring(mat)
}

func (m *Manager) logWarnings(ws []warning) {
	for _, w := range ws {
		ev := m.log.Warn()
		if w.path != "" {
			ev = ev.Str("file", w.path)
		}
		if w.reason != "" {
			ev = ev.Str("reason", w.reason)
		}
		ev.Msg(w.msg)
	}
}

// noticeUnenforceable logs, once per change, the directives Go's crypto/tls cannot honour.
func (m *Manager) noticeUnenforceable(cfg Config) {
	key := fmt.Sprintf("%s|%t|%s", cfg.CipherSuites, cfg.PreferServerCiphers, cfg.DHParamsFile)
	if key == m.noticed {
		return
	}
	m.noticed = key
	if cfg.CipherSuites != "" {
		m.log.Info().Str("tls-ciphersuites", cfg.CipherSuites).
			Msg("tls-ciphersuites is validated but not enforced: Go's crypto/tls always enables all of its TLS 1.3 suites")
	}
	if cfg.PreferServerCiphers {
		m.log.Info().Msg("tls-prefer-server-ciphers is ignored: Go's crypto/tls chooses the cipher suite itself")
	}
	if cfg.DHParamsFile != "" {
		m.log.Info().Str("file", cfg.DHParamsFile).
			Msg("tls-dh-params-file is validated but unused: Go's crypto/tls has no finite-field DHE")
	}
}

// Configured reports whether material is published.
func (m *Manager) Configured() bool { return m.cur.Load() != nil }

// ServerConfig returns a long-lived *tls.Config for client-facing listeners. At each handshake it serves
// the material current at that moment and applies the current tls-auth-clients policy (no: no certificate
// request; optional: verify if sent; yes: require and verify). Handshakes fail while nothing is loaded.
func (m *Manager) ServerConfig() *tls.Config {
	return &tls.Config{GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
		mat := m.cur.Load()
		if mat == nil {
			return nil, ErrNotConfigured
		}
		return mat.byPolicy[m.authPolicy.Load()], nil
	}}
}

// BusServerConfig is ServerConfig for the cluster-bus listener: a client certificate is always required
// and verified, whatever tls-auth-clients says.
func (m *Manager) BusServerConfig() *tls.Config {
	yes := policyIndex(tls.RequireAndVerifyClientCert)
	return &tls.Config{GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
		mat := m.cur.Load()
		if mat == nil {
			return nil, ErrNotConfigured
		}
		return mat.byPolicy[yes], nil
	}}
}

// SetAuthClients changes the tls-auth-clients policy for the next accepted connection (no reload; Valkey
// has no apply function for it). Established connections are not affected.
func (m *Manager) SetAuthClients(policy string) error {
	auth, err := ParseAuthClients(policy)
	if err != nil {
		return err
	}
	m.loadMu.Lock()
	defer m.loadMu.Unlock()
	m.authPolicy.Store(int32(policyIndex(auth)))
	// Keep the reload baseline's config in step, so that a background reload validates against the
	// policy in force (and does not resurrect the old one).
	if m.lastCfg != nil {
		c := *m.lastCfg
		c.AuthClients = policy
		m.lastCfg = &c
	}
	if mat := m.cur.Load(); mat != nil && auth != tls.NoClientCert && len(mat.cas) == 0 {
		m.log.Warn().Str("tls-auth-clients", policy).
			Msg("No CA certificate is configured: client certificates cannot be verified and will be refused")
	}
	return nil
}

// ClientConfig returns a config for one outgoing link (replication, cluster bus, sentinel, MIGRATE),
// built from the material current at call time. It presents the client certificate when both client files
// are configured, else the server certificate; it verifies the peer chain against the configured CA with
// no hostname check (Valkey's behaviour: test certificates carry no SAN); it sends SNI only when
// serverName is a hostname, not an IP literal.
func (m *Manager) ClientConfig(serverName string) (*tls.Config, error) {
	mat := m.cur.Load()
	if mat == nil {
		return nil, ErrNotConfigured
	}
	cert, pool, clock := mat.outgoingCert(), mat.pool, mat.clock
	cfg := &tls.Config{
		// Return the certificate unconditionally: OpenSSL always sends the configured certificate,
		// while Go's Certificates selection would silently send none if the CertificateRequest's
		// acceptable CAs do not list our issuer.
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil },
		RootCAs:              pool,
		// Hostname verification is off on purpose; VerifyConnection below verifies the chain. It also
		// runs on resumed sessions.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			return verifyPeerChain(cs.PeerCertificates, pool, clock())
		},
		MinVersion:         mat.minVersion,
		MaxVersion:         mat.maxVersion,
		CipherSuites:       mat.suites,
		ClientSessionCache: mat.clientSessions,
		Time:               clock,
	}
	cfg.ServerName = sniName(serverName)
	return cfg, nil
}

// verifyPeerChain verifies a peer's chain against pool with any key usage and no name check.
func verifyPeerChain(certs []*x509.Certificate, pool *x509.CertPool, now time.Time) error {
	if len(certs) == 0 {
		return errors.New("tlsmat: peer presented no certificate")
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	_, err := certs[0].Verify(x509.VerifyOptions{
		Roots:         pool,
		Intermediates: inter,
		CurrentTime:   now,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err != nil {
		return fmt.Errorf("tlsmat: peer certificate verification failed: %w", err)
	}
	return nil
}

// sniName returns the SNI to send for an address: the host name, or "" for an IP literal (RFC 6066
// forbids IP addresses in SNI). A "host:port" form is accepted.
func sniName(addr string) string {
	host := addr
	if h, _, err := net.SplitHostPort(addr); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if _, err := netip.ParseAddr(host); err == nil {
		return ""
	}
	return host
}

// SetOnReload installs a hook called after every background reload attempt with its result (nil on
// success). It runs on the maintenance goroutine: it must not call SetAutoReload, SetExpiryWarningDays
// or Close synchronously.
func (m *Manager) SetOnReload(fn func(error)) {
	if fn == nil {
		m.onReload.Store(nil)
		return
	}
	m.onReload.Store(&fn)
}
