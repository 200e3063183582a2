package tlsmat

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// warning is a non-fatal finding of a load (logged by Load, listed by Check).
type warning struct {
	msg, path, reason string
}

// builder accumulates one load. On failure its partially filled material still describes what was loaded
// so far, which Check reports.
type builder struct {
	cfg      Config
	now      time.Time
	clock    func() time.Time
	mat      *material
	warnings []warning
}

// build reads, parses and validates everything cfg names and returns complete material. It touches no
// shared state, so a failed build leaves the published material alone. cfg.Enabled is not consulted.
func build(cfg Config, clock func() time.Time) (*material, *builder, error) {
	b := &builder{cfg: cfg, now: clock(), clock: clock}
	b.mat = &material{cfg: cfg, loadedAt: b.now, clock: clock, pool: x509.NewCertPool()}
	if err := b.run(); err != nil {
		return nil, b, err
	}
	return b.mat, b, nil
}

func (b *builder) warn(msg, path, reason string) {
	b.warnings = append(b.warnings, warning{msg, path, reason})
}

func (b *builder) run() error {
	cfg, m := b.cfg, b.mat

	// Configuration-level checks, in Valkey's order (tlsCreateContexts).
	if cfg.CertFile == "" {
		return &Error{Msg: MsgNoCertFile, Directive: "tls-cert-file"}
	}
	if cfg.KeyFile == "" {
		return &Error{Msg: MsgNoKeyFile, Directive: "tls-key-file"}
	}
	auth, err := ParseAuthClients(cfg.AuthClients)
	if err != nil {
		return err
	}
	if (auth != tls.NoClientCert || cfg.PeerLinks) && cfg.CAFile == "" && cfg.CADir == "" {
		return &Error{Msg: MsgCARequired, Directive: "tls-ca-cert-file"}
	}
	if m.minVersion, m.maxVersion, err = ParseProtocols(cfg.Protocols); err != nil {
		return err
	}

	// Server certificate and key.
	if m.serverInfo, m.server, err = b.loadPair("tls-cert-file", cfg.CertFile, "tls-key-file", cfg.KeyFile,
		"tls-key-file-pass", cfg.KeyFilePass, MsgServerCertBad); err != nil {
		return err
	}

	// Trust store.
	if err := b.loadCAFile(); err != nil {
		return err
	}
	if err := b.loadCADir(); err != nil {
		return err
	}

	if m.suites, err = ParseCiphers(cfg.Ciphers); err != nil {
		return err
	}
	if m.tls13Suites, err = ValidateCipherSuites(cfg.CipherSuites); err != nil {
		return err
	}

	if cfg.DHParamsFile != "" {
		data, err := readFile(cfg.DHParamsFile)
		if err == nil {
			m.dhBits, err = checkDHParams(data)
		}
		if err != nil {
			return &Error{Msg: MsgDHParams, Directive: "tls-dh-params-file", Path: cfg.DHParamsFile, Err: err}
		}
	}

	if cfg.SessionCacheSize < 0 {
		return &Error{Msg: MsgSessionCache, Directive: "tls-session-cache-size", Err: fmt.Errorf("tls-session-cache-size %d is negative", cfg.SessionCacheSize)}
	}
	if cfg.SessionCacheTimeout < 0 {
		return &Error{Msg: MsgSessionCache, Directive: "tls-session-cache-timeout", Err: fmt.Errorf("tls-session-cache-timeout %d is negative", cfg.SessionCacheTimeout)}
	}
	m.ticketsOn = cfg.SessionCaching
	timeout := cfg.SessionCacheTimeout
	if timeout == 0 {
		timeout = DefaultSessionCacheTimeout
	}
	m.ticketTTL = time.Duration(timeout) * time.Second

	// Client certificate for outgoing links: only when both files are set, as Valkey does.
	switch {
	case cfg.hasClientCert():
		chain, cert, err := b.loadPair("tls-client-cert-file", cfg.ClientCertFile, "tls-client-key-file", cfg.ClientKeyFile,
			"tls-client-key-file-pass", cfg.ClientKeyFilePass, MsgClientCertBad)
		m.clientInfo = chain
		if err != nil {
			return err
		}
		m.client = &cert
	case cfg.ClientCertFile != "" || cfg.ClientKeyFile != "":
		b.warn("Only one of tls-client-cert-file and tls-client-key-file is set; outgoing links present tls-cert-file", "", "")
	}

	// Build the configs last: the material is complete and immutable from here on.
	m.ticketer = &tls.Config{}
	for i, p := range policies {
		m.byPolicy[i] = m.serverConfig(p)
	}
	if m.ticketsOn {
		m.clientSessions = tls.NewLRUClientSessionCache(64)
	}
	return nil
}

// loadPair loads a certificate chain and its private key, checking validity periods and that the key
// belongs to the leaf.
func (b *builder) loadPair(certDir, certPath, keyDir, keyPath, passDir, pass, invalidMsg string) (*certChain, tls.Certificate, error) {
	data, err := readFile(certPath)
	if err != nil {
		return nil, tls.Certificate{}, &Error{Msg: MsgLoadCert, Directive: certDir, Path: certPath, Err: err}
	}
	chain, err := parseCertPEM(data)
	if err != nil {
		return nil, tls.Certificate{}, &Error{Msg: MsgLoadCert, Directive: certDir, Path: certPath, Err: err}
	}
	info := &certChain{directive: certDir, path: certPath, chain: chain, keyPath: keyPath}
	if err := checkChainValidity(chain, b.now); err != nil {
		return info, tls.Certificate{}, &Error{Msg: invalidMsg, Directive: certDir, Path: certPath, Err: err}
	}

	kdata, err := readFile(keyPath)
	if err != nil {
		return info, tls.Certificate{}, &Error{Msg: MsgLoadKey, Directive: keyDir, Path: keyPath, Err: err}
	}
	key, err := parsePrivateKey(kdata, pass, passDir)
	if err == nil {
		err = checkKeyUsable(key)
	}
	if err != nil {
		return info, tls.Certificate{}, &Error{Msg: MsgLoadKey, Directive: keyDir, Path: keyPath, Err: err}
	}
	if !keyMatches(chain[0], key) {
		return info, tls.Certificate{}, &Error{Msg: MsgLoadKey, Directive: keyDir, Path: keyPath,
			Err: fmt.Errorf("key values mismatch: the private key does not belong to the certificate in %s", certPath)}
	}
	info.keyDesc = keyDescription(key.Public())

	cert := tls.Certificate{PrivateKey: key, Leaf: chain[0]}
	for _, c := range chain {
		cert.Certificate = append(cert.Certificate, c.Raw)
	}
	return info, cert, nil
}

func (b *builder) addCA(path string, c *x509.Certificate) error {
	for _, have := range b.mat.cas {
		if bytes.Equal(have.cert.Raw, c.Raw) {
			return nil // the same CA via a c_rehash symlink or in both file and dir
		}
	}
	if err := checkValidity(c, b.now); err != nil {
		return &Error{Msg: MsgCABad, Directive: b.caDirective(path), Path: path, Err: err}
	}
	b.mat.cas = append(b.mat.cas, caCert{path, c})
	b.mat.pool.AddCert(c)
	return nil
}

func (b *builder) caDirective(path string) string {
	if path == b.cfg.CAFile {
		return "tls-ca-cert-file"
	}
	return "tls-ca-cert-dir"
}

func (b *builder) loadCAFile() error {
	path := b.cfg.CAFile
	if path == "" {
		return nil
	}
	data, err := readFile(path)
	if err != nil {
		return &Error{Msg: MsgCAConfig, Directive: "tls-ca-cert-file", Path: path, Err: err}
	}
	certs, err := parseCertPEM(data)
	if err != nil {
		return &Error{Msg: MsgCAConfig, Directive: "tls-ca-cert-file", Path: path, Err: err}
	}
	for _, c := range certs {
		if err := b.addCA(path, c); err != nil {
			return err
		}
	}
	return nil
}

// loadCADir reads every regular file of tls-ca-cert-dir (following c_rehash symlinks). A file without
// certificates (README, serial file, CRL, key) is skipped with a warning, as Valkey skips it; a broken
// certificate, an unreadable file or an expired/not-yet-valid CA fails the load.
func (b *builder) loadCADir() error {
	dir := b.cfg.CADir
	if dir == "" {
		return nil
	}
	st, err := os.Stat(dir)
	if err == nil && !st.IsDir() {
		err = errors.New("not a directory")
	}
	if err != nil {
		return &Error{Msg: MsgCADirOpen, Directive: "tls-ca-cert-dir", Path: dir, Err: osReason(err)}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return &Error{Msg: MsgCADirOpen, Directive: "tls-ca-cert-dir", Path: dir, Err: osReason(err)}
	}
	found := 0
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		st, err := os.Stat(path)
		if err != nil {
			b.warn("Skipping unusable entry in CA certificate directory", path, osReason(err).Error())
			continue
		}
		if !st.Mode().IsRegular() {
			continue
		}
		data, err := readFile(path)
		if errors.Is(err, errEmptyFile) {
			b.warn("Skipping non-certificate file in CA certificate directory", path, err.Error())
			continue
		}
		if err != nil {
			return &Error{Msg: MsgCADirLoad, Directive: "tls-ca-cert-dir", Path: path, Err: err}
		}
		blocks, err := decodePEM(data)
		if err != nil && !bytes.Contains(data, pemBegin) {
			b.warn("Skipping non-certificate file in CA certificate directory", path, "not a PEM file")
			continue
		}
		if err != nil {
			return &Error{Msg: MsgCADirLoad, Directive: "tls-ca-cert-dir", Path: path, Err: err}
		}
		hasCert := false
		for _, blk := range blocks {
			hasCert = hasCert || blk.Type == "CERTIFICATE"
		}
		if !hasCert {
			b.warn("Skipping non-certificate file in CA certificate directory", path, "no CERTIFICATE block")
			continue
		}
		certs, err := parseCertPEM(data)
		if err != nil {
			return &Error{Msg: MsgCADirLoad, Directive: "tls-ca-cert-dir", Path: path, Err: err}
		}
		for _, c := range certs {
			if err := b.addCA(path, c); err != nil {
				return err
			}
		}
		found += len(certs)
	}
	if found == 0 {
		return &Error{Msg: MsgCADirLoad, Directive: "tls-ca-cert-dir", Path: dir, Err: errors.New("no certificates found")}
	}
	return nil
}
