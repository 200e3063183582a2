package server

import (
	"errors"
	"time"

	"github.com/valkey-node/valkey-node/server/config"
	"github.com/valkey-node/valkey-node/tlsmat"
)

// tlsConfig collects the tls-* directives for the certificate manager.
func (s *Server) tlsConfig() tlsmat.Config {
	t := &s.cfg.TLS
	return tlsmat.Config{
		CertFile: t.CertFile, KeyFile: t.KeyFile, KeyFilePass: t.KeyFilePass,
		ClientCertFile: t.ClientCertFile, ClientKeyFile: t.ClientKeyFile, ClientKeyFilePass: t.ClientKeyFilePass,
		DHParamsFile: t.DHParamsFile,
		CAFile:       t.CAFile, CADir: t.CADir,
		AuthClients:         t.AuthClients,
		Protocols:           t.Protocols,
		Ciphers:             t.Ciphers,
		CipherSuites:        t.CipherSuites,
		PreferServerCiphers: t.PreferServerCiphers,
		SessionCaching:      t.SessionCaching,
		SessionCacheSize:    int(t.SessionCacheSize),
		SessionCacheTimeout: int(t.SessionCacheTimeout),
		Enabled:             s.cfg.TLSPort != 0 || t.Replication || t.Cluster,
		PeerLinks:           t.Replication || t.Cluster,
	}
}

// applyTLS rebuilds the TLS material from the current directives. On failure the old material stays in use
// and CONFIG SET reports Valkey's message (the reason is in the log).
func (s *Server) applyTLS() error {
	if err := s.tls.Load(s.tlsConfig()); err != nil {
		// Valkey's own line (e.g. "Failed to load private key: <file>: <reason>"), which names the file
		ev := s.log.Warn()
		var te *tlsmat.Error
		if errors.As(err, &te) && te.Directive != "" {
			ev = ev.Str("directive", te.Directive)
		}
		ev.Msg(err.Error())
		return &config.ApplyError{Msg: "Unable to update TLS configuration. Check server logs.", Err: err}
	}
	return nil
}

func (s *Server) applyAuthClients() error { return s.tls.SetAuthClients(s.cfg.TLS.AuthClients) }

func (s *Server) applyAutoReload() error {
	s.tls.SetAutoReload(time.Duration(s.cfg.TLS.AutoReloadInterval) * time.Second)
	return nil
}

func (s *Server) applyExpiryWarning() error {
	s.tls.SetExpiryWarningDays(int(s.cfg.TLS.ExpiryWarningDays))
	return nil
}

// TLSConfigFrom reads a configuration (file and command-line directives) and returns its TLS material
// settings, with TLS enabled, without starting anything (check-tls).
func TLSConfigFrom(file string, opts []config.Option) (tlsmat.Config, error) {
	return TLSConfigFromMode(file, opts, nil)
}

// TLSConfigFromMode is TLSConfigFrom for the configuration of a node run in mode (a sentinel.conf, whose
// "sentinel …" lines the mode parses and so validates too).
func TLSConfigFromMode(file string, opts []config.Option, mode Mode) (tlsmat.Config, error) {
	s := &Server{reg: config.NewRegistry()}
	s.acl = newACLState(s)
	s.registerDirectives()
	s.mode = mode
	if mode != nil {
		s.registerModeDirective()
	}
	if err := s.reg.SetDefaults(); err != nil {
		return tlsmat.Config{}, err
	}
	if err := s.reg.Load(file, opts); err != nil {
		return tlsmat.Config{}, err
	}
	cfg := s.tlsConfig()
	cfg.Enabled = true
	return cfg, nil
}
