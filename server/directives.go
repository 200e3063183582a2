package server

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/valkey-node/valkey-node/server/config"
	"github.com/valkey-node/valkey-node/server/logging"
)

// notYet refuses every value of a directive except its "off" value, for features that do not exist yet:
// accepting and ignoring them would mislead the operator.
func notYet(name string, p *string, off ...string) config.Value {
	return config.Func{
		SetFn: func(args []string) error {
			v := strings.Join(args, " ")
			for _, o := range off {
				if strings.EqualFold(v, o) {
					*p = o
					return nil
				}
			}
			return fmt.Errorf("'%s %s' is not supported yet by valkey-node (only '%s %s' is accepted)",
				name, v, name, quoteOff(off[0]))
		},
		GetFn: func() string { return *p },
	}
}

func quoteOff(s string) string {
	if s == "" {
		return `""`
	}
	return s
}

// boolNotYet is notYet for yes/no directives whose "yes" does not exist yet.
func boolNotYet(name string, p *bool) config.Value {
	return config.Func{
		SetFn: func(args []string) error {
			if len(args) != 1 {
				return errors.New("wrong number of arguments")
			}
			switch strings.ToLower(args[0]) {
			case "no":
				*p = false
				return nil
			case "yes":
				return fmt.Errorf("'%s yes' is not supported yet by valkey-node", name)
			}
			return errors.New("argument must be 'yes' or 'no'")
		},
		GetFn: func() string { return "no" },
	}
}

// octal is an integer written in base 8 (unixsocketperm).
type octal struct{ p *int64 }

func (o octal) Set(args []string) error {
	if len(args) != 1 {
		return errors.New("wrong number of arguments")
	}
	n, err := strconv.ParseInt(args[0], 8, 64)
	if err != nil || n < 0 || n > 0o777 {
		return errors.New("argument must be an octal number between 0 and 777")
	}
	*o.p = n
	return nil
}

func (o octal) Get() string { return strconv.FormatInt(*o.p, 8) }

// registerDirectives declares every directive of the node, bound to s.cfg.
func (s *Server) registerDirectives() {
	c := &s.cfg
	r := s.reg
	i64 := func(p *int64, lo, hi int64) config.Value { return config.Int{P: p, Min: lo, Max: hi} }
	mem := func(p *int64, lo int64) config.Value { return config.Memory{P: p, Min: lo, Max: math.MaxInt64} }

	listeners := &config.Apply{Name: "listeners", Fn: s.applyListeners}
	tlsApply := &config.Apply{Name: "tls", Fn: s.applyTLS}

	r.Add(
		&config.Directive{Name: "bind", Default: "* -::*", Flags: config.Multi, Apply: listeners,
			Value: config.Func{
				SetFn: func(args []string) error {
					if len(args) == 0 || (len(args) == 1 && args[0] == "") {
						return errors.New("Too few bind addresses specified")
					}
					if len(args) > 16 {
						return errors.New("Too many bind addresses specified")
					}
					c.Bind = append([]string(nil), args...)
					return nil
				},
				GetFn: func() string { return strings.Join(c.Bind, " ") },
			}},
		&config.Directive{Name: "port", Default: "6379", Value: i64(&c.Port, 0, 65535), Apply: listeners},
		&config.Directive{Name: "tls-port", Default: "0", Value: i64(&c.TLSPort, 0, 65535), Apply: listeners},
		&config.Directive{Name: "unixsocket", Default: "", Value: config.String{P: &c.UnixSocket}, Flags: config.Immutable},
		&config.Directive{Name: "unixsocketperm", Default: "0", Value: octal{&c.UnixSocketPerm}, Flags: config.Immutable},
		&config.Directive{Name: "protected-mode", Default: "yes", Value: config.Bool{P: &c.ProtectedMode}},
		&config.Directive{Name: "maxclients", Default: "10000", Value: i64(&c.MaxClients, 1, math.MaxInt32)},
		&config.Directive{Name: "tracking-table-max-keys", Default: "1000000", Value: i64(&c.TrackingTableMaxKeys, 0, math.MaxInt64)},
		&config.Directive{Name: "timeout", Default: "0", Value: i64(&c.Timeout, 0, math.MaxInt32)},
		&config.Directive{Name: "tcp-keepalive", Default: "300", Value: i64(&c.TCPKeepalive, 0, math.MaxInt32)},

		&config.Directive{Name: "databases", Default: "16", Value: i64(&c.Databases, 1, math.MaxInt32), Flags: config.Immutable},
		&config.Directive{Name: "dir", Default: "./", Value: config.String{P: &c.Dir, Validate: checkDir}, Apply: &config.Apply{Name: "dir", Fn: func() error { return nil }}},
		&config.Directive{Name: "pidfile", Default: "", Value: config.String{P: &c.PidFile}, Flags: config.Immutable},
		&config.Directive{Name: "daemonize", Default: "no", Flags: config.Immutable, Value: config.Func{
			SetFn: func(args []string) error {
				if len(args) == 1 && strings.EqualFold(args[0], "no") {
					return nil
				}
				if len(args) == 1 && strings.EqualFold(args[0], "yes") {
					return errors.New("'daemonize yes' is not supported: run valkey-node in the foreground under a supervisor (systemd, runit, a container runtime)")
				}
				return errors.New("argument must be 'yes' or 'no'")
			},
			GetFn: func() string { return "no" },
		}},
		&config.Directive{Name: "loglevel", Default: "notice", Apply: &config.Apply{Name: "loglevel", Fn: s.applyLogLevel},
			Value: config.Enum{P: &c.LogLevel, Options: []string{"debug", "verbose", "notice", "warning", "nothing"}}},
		&config.Directive{Name: "logfile", Default: "", Value: config.String{P: &c.LogFile}, Flags: config.Immutable},
		&config.Directive{Name: "log-format", Default: "legacy", Flags: config.Immutable,
			Value: config.Enum{P: &c.LogFormat, Options: []string{"legacy", "logfmt", "json"}}},
		&config.Directive{Name: "hz", Default: "10", Value: i64(&c.Hz, 1, 500)},

		&config.Directive{Name: "proto-max-bulk-len", Default: "536870912", Value: mem(&c.ProtoMaxBulkLen, 1<<20)},
		&config.Directive{Name: "client-query-buffer-limit", Default: "1073741824", Value: mem(&c.ClientQueryBufferLimit, 1<<20)},

		&config.Directive{Name: "slowlog-log-slower-than", Default: "10000", Value: i64(&c.SlowlogLogSlowerThan, -1, math.MaxInt64)},
		&config.Directive{Name: "slowlog-max-len", Default: "128", Value: i64(&c.SlowlogMaxLen, 0, math.MaxInt64)},
		&config.Directive{Name: "latency-monitor-threshold", Default: "0", Value: i64(&c.LatencyMonitorThreshold, 0, math.MaxInt64)},
		&config.Directive{Name: "latency-tracking", Default: "yes", Value: config.Bool{P: &c.LatencyTracking}},

		// TLS
		&config.Directive{Name: "tls-cert-file", Default: "", Value: config.String{P: &c.TLS.CertFile}, Flags: config.Volatile, Apply: tlsApply},
		&config.Directive{Name: "tls-key-file", Default: "", Value: config.String{P: &c.TLS.KeyFile}, Flags: config.Volatile, Apply: tlsApply},
		&config.Directive{Name: "tls-key-file-pass", Default: "", Value: config.String{P: &c.TLS.KeyFilePass}, Flags: config.Sensitive, Apply: tlsApply},
		&config.Directive{Name: "tls-client-cert-file", Default: "", Value: config.String{P: &c.TLS.ClientCertFile}, Flags: config.Volatile, Apply: tlsApply},
		&config.Directive{Name: "tls-client-key-file", Default: "", Value: config.String{P: &c.TLS.ClientKeyFile}, Flags: config.Volatile, Apply: tlsApply},
		&config.Directive{Name: "tls-client-key-file-pass", Default: "", Value: config.String{P: &c.TLS.ClientKeyFilePass}, Flags: config.Sensitive, Apply: tlsApply},
		&config.Directive{Name: "tls-dh-params-file", Default: "", Value: config.String{P: &c.TLS.DHParamsFile}, Flags: config.Volatile, Apply: tlsApply},
		&config.Directive{Name: "tls-ca-cert-file", Default: "", Value: config.String{P: &c.TLS.CAFile}, Flags: config.Volatile, Apply: tlsApply},
		&config.Directive{Name: "tls-ca-cert-dir", Default: "", Value: config.String{P: &c.TLS.CADir}, Flags: config.Volatile, Apply: tlsApply},
		&config.Directive{Name: "tls-auth-clients", Default: "yes", Apply: &config.Apply{Name: "tls-auth-clients", Fn: s.applyAuthClients},
			Value: config.Enum{P: &c.TLS.AuthClients, Options: []string{"yes", "no", "optional"}}},
		&config.Directive{Name: "tls-auth-clients-user", Default: "off",
			Value: config.Enum{P: &c.TLS.AuthClientsUser, Options: []string{"off", "CN", "URI"}}},
		&config.Directive{Name: "tls-replication", Default: "no", Value: config.Bool{P: &c.TLS.Replication}, Apply: tlsApply},
		&config.Directive{Name: "tls-cluster", Default: "no", Value: config.Bool{P: &c.TLS.Cluster}, Apply: tlsApply},
		&config.Directive{Name: "tls-protocols", Default: "", Value: config.String{P: &c.TLS.Protocols}, Apply: tlsApply},
		&config.Directive{Name: "tls-ciphers", Default: "", Value: config.String{P: &c.TLS.Ciphers}, Apply: tlsApply},
		&config.Directive{Name: "tls-ciphersuites", Default: "", Value: config.String{P: &c.TLS.CipherSuites}, Apply: tlsApply},
		&config.Directive{Name: "tls-prefer-server-ciphers", Default: "no", Value: config.Bool{P: &c.TLS.PreferServerCiphers}, Apply: tlsApply},
		&config.Directive{Name: "tls-session-caching", Default: "yes", Value: config.Bool{P: &c.TLS.SessionCaching}, Apply: tlsApply},
		&config.Directive{Name: "tls-session-cache-size", Default: "20480", Value: i64(&c.TLS.SessionCacheSize, 0, math.MaxInt32), Apply: tlsApply},
		&config.Directive{Name: "tls-session-cache-timeout", Default: "300", Value: i64(&c.TLS.SessionCacheTimeout, 0, math.MaxInt32), Apply: tlsApply},
		&config.Directive{Name: "tls-auto-reload-interval", Default: "0", Value: i64(&c.TLS.AutoReloadInterval, 0, math.MaxInt32),
			Apply: &config.Apply{Name: "tls-auto-reload", Fn: s.applyAutoReload}},
		&config.Directive{Name: "tls-expiry-warning-days", Default: "7", Value: i64(&c.TLS.ExpiryWarningDays, 0, 36500),
			Apply: &config.Apply{Name: "tls-expiry-warning", Fn: s.applyExpiryWarning}},
	)
	s.registerSecurityDirectives()
	s.registerPersistDirectives()
	s.registerAOFDirectives()
	s.registerReplDirectives()
	s.registerClusterDirectives()
	s.registerOutputLimitDirective()
	s.registerNotifyDirective()
	s.registerIntrospectionDirectives()
	s.registerListDirectives()
	s.registerZSetDirectives()
	s.registerHashDirectives()
	s.registerSetDirectives()
	s.registerHLLDirectives()
	s.registerMemoryDirectives()
}

func checkDir(d string) error {
	st, err := os.Stat(d)
	if err != nil {
		return fmt.Errorf("No such directory %s: %w", d, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("%s is not a directory", d)
	}
	return nil
}

func (s *Server) applyLogLevel() error {
	l, err := logging.ParseLevel(s.cfg.LogLevel)
	if err != nil {
		return err
	}
	if s.sink != nil {
		s.sink.SetLevel(l)
	}
	return nil
}
