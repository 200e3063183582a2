package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/valkey-node/valkey-node/server/config"
)

// listenerSet is what the node listens on now.
type listenerSet struct {
	bind    []string
	port    int64
	tlsPort int64
	socks   []*sock // TCP sockets of the plain and TLS ports, in bind order
	unix    net.Listener
	// tlsCfg is the manager's long-lived listener config: it serves the material current at each
	// handshake, so it is made once and never rebuilt by a reload.
	tlsCfg *tls.Config
}

// sock is one listening TCP socket and what it was opened for.
type sock struct {
	kind    connKind
	network string // tcp4 or tcp6
	host    string
	port    int64
	ln      net.Listener
}

// sockSpec is a socket the configuration asks for.
type sockSpec struct {
	kind     connKind
	network  string
	host     string
	port     int64
	bind     string // the bind word, for messages
	optional bool   // "-" prefix: an unavailable address is skipped
}

func (s *sock) same(w sockSpec) bool {
	return s.kind == w.kind && s.network == w.network && s.host == w.host && s.port == w.port
}

// conflicts reports whether s holds an address w could not be bound to while s stays open: the same
// family and port, and the same host or a wildcard on either side. (Go opens tcp6 sockets IPv6-only,
// so the two families never collide.)
func (s *sock) conflicts(w sockSpec) bool {
	wild := func(h string) bool { return h == "0.0.0.0" || h == "::" }
	return s.network == w.network && s.port == w.port && (s.host == w.host || wild(s.host) || wild(w.host))
}

func (l *listenerSet) addr(kind string) string {
	switch kind {
	case "tcp", "tls":
		want := kindTCP
		if kind == "tls" {
			want = kindTLS
		}
		for _, s := range l.socks {
			if s.kind == want {
				return s.ln.Addr().String()
			}
		}
	case "unix":
		if l.unix != nil {
			return l.unix.Addr().String()
		}
	}
	return ""
}

func (l *listenerSet) closeAll() {
	for _, s := range l.socks {
		s.ln.Close()
	}
	l.socks = nil
	if l.unix != nil {
		l.unix.Close()
		l.unix = nil
	}
}

// bindAddress turns a bind word into a network and host: "*" is every IPv4 address, "::*" every IPv6
// address; a leading "-" marks an address that may be unavailable without it being an error.
func bindAddress(b string) (network, host string, optional bool) {
	if strings.HasPrefix(b, "-") {
		optional = true
		b = b[1:]
	}
	switch {
	case b == "*":
		return "tcp4", "0.0.0.0", optional
	case b == "::*":
		return "tcp6", "::", optional
	case strings.Contains(b, ":"):
		return "tcp6", b, optional
	}
	return "tcp4", b, optional
}

// wantedSocks lists the sockets bind, port and tls-port ask for.
func (s *Server) wantedSocks() []sockSpec {
	var out []sockSpec
	for _, p := range []struct {
		kind connKind
		port int64
	}{{kindTCP, s.cfg.Port}, {kindTLS, s.cfg.TLSPort}} {
		if p.port == 0 {
			continue
		}
		for _, b := range s.cfg.Bind {
			network, host, optional := bindAddress(b)
			out = append(out, sockSpec{kind: p.kind, network: network, host: host, port: p.port, bind: b, optional: optional})
		}
	}
	return out
}

// listen opens one socket. A nil listener with a nil error means an optional address was skipped.
func (s *Server) listen(w sockSpec) (net.Listener, error) {
	lc := net.ListenConfig{KeepAlive: -1}
	ln, err := lc.Listen(context.Background(), w.network, net.JoinHostPort(w.host, strconv.FormatInt(w.port, 10)))
	if err == nil {
		return ln, nil
	}
	if w.optional && (errors.Is(err, syscall.EADDRNOTAVAIL) || errors.Is(err, syscall.EAFNOSUPPORT) ||
		errors.Is(err, syscall.EPROTONOSUPPORT)) {
		s.log.Debug().Str("bind", w.bind).Err(err).Msg("Skipping optional bind address")
		return nil, nil
	}
	shown := w.host
	if w.bind == "*" || w.bind == "-*" {
		shown = "*"
	}
	return nil, fmt.Errorf("Could not create server TCP listening socket %s:%d: %w", shown, w.port, unwrapOp(err))
}

// unwrapOp shortens "listen tcp4 0.0.0.0:6379: bind: address already in use" to "bind: Address already in use".
func unwrapOp(err error) error {
	var op *net.OpError
	if errors.As(err, &op) {
		var se *os.SyscallError
		if errors.As(op.Err, &se) {
			msg := se.Err.Error()
			if msg != "" {
				msg = strings.ToUpper(msg[:1]) + msg[1:]
			}
			return fmt.Errorf("%s: %s", se.Syscall, msg)
		}
	}
	return err
}

// tlsLoadError is a failure to load the TLS material when tls-port is switched on: CONFIG SET reports it
// as a TLS configuration problem, not as a port problem.
type tlsLoadError struct{ err error }

func (e *tlsLoadError) Error() string { return "Failed to configure TLS: " + e.err.Error() }
func (e *tlsLoadError) Unwrap() error { return e.err }

// applyListeners is the apply function of bind, port and tls-port.
func (s *Server) applyListeners() error {
	if err := s.applyListenersLocked(false); err != nil {
		var te *tlsLoadError
		if errors.As(err, &te) {
			s.log.Warn().Msg(te.err.Error())
			return &config.ApplyError{Msg: "Unable to update TLS configuration. Check server logs.", Err: err}
		}
		s.log.Warn().Msg(err.Error())
		return &config.ApplyError{Msg: "Unable to listen on this port. Check server logs.", Err: err}
	}
	return nil
}

// applyListenersLocked makes the listeners match bind, port and tls-port (lock held). It is all or
// nothing: sockets that stay are kept open (their clients never notice), new ones are opened before old
// ones are closed, and if any new one cannot be opened everything is left as it was. The only socket
// closed before the new ones are open is an old one holding an address a new one needs (the plain port
// moving to the old TLS port, say); on failure it is opened again.
func (s *Server) applyListenersLocked(startup bool) error {
	if s.cfg.TLSPort != 0 && !s.tls.Configured() {
		// Valkey configures TLS when tls-port is switched on only if it is not configured yet.
		if err := s.tls.Load(s.tlsConfig()); err != nil {
			return &tlsLoadError{err}
		}
	}
	if s.lis.tlsCfg == nil {
		s.lis.tlsCfg = s.tls.ServerConfig()
	}
	want := s.wantedSocks()
	var keep, drop []*sock
	var open []sockSpec
	for _, old := range s.lis.socks {
		stays := false
		for _, w := range want {
			stays = stays || old.same(w)
		}
		if stays {
			keep = append(keep, old)
		} else {
			drop = append(drop, old)
		}
	}
	for _, w := range want {
		have := false
		for _, old := range keep {
			have = have || old.same(w)
		}
		if !have {
			open = append(open, w)
		}
	}

	var released []*sock
	for _, old := range drop {
		for _, w := range open {
			if old.conflicts(w) {
				old.ln.Close()
				released = append(released, old)
				break
			}
		}
	}
	opened, err := s.openSocks(open, keep)
	if err != nil {
		s.reopen(released)
		return err
	}
	for _, old := range drop {
		if !containsSock(released, old) {
			old.ln.Close()
		}
	}
	s.lis.socks = append(keep, opened...)
	for _, so := range opened {
		s.serveListener(so.ln, so.kind)
	}
	s.lis.port, s.lis.tlsPort = s.cfg.Port, s.cfg.TLSPort
	s.lis.bind = append([]string(nil), s.cfg.Bind...)

	if s.cfg.TLSPort == 0 && !s.cfg.TLS.Replication && !s.cfg.TLS.Cluster && s.tls.Configured() {
		// Nothing uses TLS any more: drop the material (INFO tls shows none) and stop reloading it.
		// Switching tls-port on again loads the files afresh. Clearing cannot fail.
		_ = s.tls.Load(s.tlsConfig())
	}

	if startup && s.cfg.UnixSocket != "" {
		os.Remove(s.cfg.UnixSocket)
		ln, err := net.Listen("unix", s.cfg.UnixSocket)
		if err != nil {
			return fmt.Errorf("Failed opening Unix socket: %w", err)
		}
		if s.cfg.UnixSocketPerm != 0 {
			if err := os.Chmod(s.cfg.UnixSocket, os.FileMode(s.cfg.UnixSocketPerm)); err != nil {
				ln.Close()
				return fmt.Errorf("Failed setting permissions of Unix socket %s: %w", s.cfg.UnixSocket, err)
			}
		}
		s.lis.unix = ln
		s.serveListener(ln, kindUnix)
	}
	return nil
}

// openSocks opens the sockets of open (not serving them yet). A port must end up with at least one
// socket, counting those kept; on failure whatever was opened is closed again.
func (s *Server) openSocks(open []sockSpec, keep []*sock) ([]*sock, error) {
	var opened []*sock
	fail := func(err error) ([]*sock, error) {
		for _, so := range opened {
			so.ln.Close()
		}
		return nil, err
	}
	for _, w := range open {
		ln, err := s.listen(w)
		if err != nil {
			return fail(err)
		}
		if ln != nil {
			opened = append(opened, &sock{kind: w.kind, network: w.network, host: w.host, port: w.port, ln: ln})
		}
	}
	for _, p := range []struct {
		kind connKind
		port int64
	}{{kindTCP, s.cfg.Port}, {kindTLS, s.cfg.TLSPort}} {
		if p.port == 0 {
			continue
		}
		n := 0
		for _, so := range append(keep[:len(keep):len(keep)], opened...) {
			if so.kind == p.kind {
				n++
			}
		}
		if n == 0 {
			return fail(fmt.Errorf("Could not create server TCP listening socket on any of %s:%d",
				strings.Join(s.cfg.Bind, " "), p.port))
		}
	}
	return opened, nil
}

// reopen takes back sockets released for a change that then failed, so the node keeps listening where it
// did. Losing the address in between to another process is logged; it is rare (the window is one bind).
func (s *Server) reopen(released []*sock) {
	var lost []*sock
	for _, so := range released {
		ln, err := s.listen(sockSpec{kind: so.kind, network: so.network, host: so.host, port: so.port})
		if err == nil && ln == nil {
			err = errors.New("address unavailable")
		}
		if err != nil {
			s.log.Warn().Err(err).Msg("Could not listen again on a released address after a failed listener change")
			lost = append(lost, so)
			continue
		}
		so.ln = ln
		s.serveListener(ln, so.kind)
	}
	if len(lost) > 0 {
		kept := s.lis.socks[:0]
		for _, so := range s.lis.socks {
			if !containsSock(lost, so) {
				kept = append(kept, so)
			}
		}
		s.lis.socks = kept
	}
}

func containsSock(list []*sock, x *sock) bool {
	for _, so := range list {
		if so == x {
			return true
		}
	}
	return false
}

type connKind uint8

const (
	kindTCP connKind = iota
	kindTLS
	kindUnix
)

// serveListener accepts connections until the listener is closed.
func (s *Server) serveListener(ln net.Listener, kind connKind) {
	tlsCfg := s.lis.tlsCfg
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		var delay time.Duration
		for {
			conn, err := ln.Accept()
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				// out of file descriptors and the like: back off instead of spinning
				if delay == 0 {
					delay = 5 * time.Millisecond
				} else if delay *= 2; delay > time.Second {
					delay = time.Second
				}
				s.log.Warn().Err(err).Msg("Accepting client connection")
				time.Sleep(delay)
				continue
			}
			delay = 0
			s.bg.Add(1)
			go s.handleConn(conn, kind, tlsCfg)
		}
	}()
}

// handleConn finishes setting up an accepted connection (TLS handshake, admission checks) and serves it.
func (s *Server) handleConn(conn net.Conn, kind connKind, tlsCfg *tls.Config) {
	defer s.bg.Done()
	// Valkey's verbose line for every accepted connection
	if kind == kindUnix {
		s.log.Debug().Msgf("Accepted connection to %s", conn.LocalAddr())
	} else {
		s.log.Debug().Msgf("Accepted %s", conn.RemoteAddr())
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		s.mu.Lock()
		ka := s.cfg.TCPKeepalive
		s.mu.Unlock()
		tc.SetNoDelay(true)
		if ka > 0 {
			tc.SetKeepAliveConfig(net.KeepAliveConfig{Enable: true, Idle: time.Duration(ka) * time.Second,
				Interval: time.Duration(ka) * time.Second / 3, Count: 3})
		}
	}
	var state *tls.ConnectionState
	if kind == kindTLS {
		qc := newQuickAckConn(conn)
		tc := tls.Server(qc, tlsCfg)
		tc.SetDeadline(time.Now().Add(10 * time.Second))
		if err := tc.Handshake(); err != nil {
			// Valkey logs failed handshakes (plain text on the TLS port, a refused client certificate)
			// as warnings: they are what an operator looks for after a rotation.
			s.log.Warn().Msgf("Error accepting a client connection: %v (addr=%s laddr=%s)",
				err, conn.RemoteAddr(), conn.LocalAddr())
			tc.Close()
			s.mu.Lock()
			s.stats.tlsHandshakeErrors++
			s.mu.Unlock()
			return
		}
		if q, ok := qc.(*quickAckConn); ok {
			q.handshakeDone()
		}
		tc.SetDeadline(time.Time{})
		st := tc.ConnectionState()
		state = &st
		conn = tc
	}
	c := newClient(s, conn, kind, state)
	s.mu.Lock()
	if s.shuttingDown {
		s.mu.Unlock()
		conn.Close()
		return
	}
	if int64(len(s.clients)) >= s.cfg.MaxClients {
		s.stats.rejectedConns++
		s.mu.Unlock()
		conn.SetWriteDeadline(time.Now().Add(time.Second))
		conn.Write([]byte("-ERR max number of clients reached\r\n"))
		conn.Close()
		return
	}
	if s.cfg.ProtectedMode && s.acl.defaultNoPass() && kind != kindUnix && !s.peerIsLocal(conn.RemoteAddr()) {
		s.stats.rejectedConns++
		s.mu.Unlock()
		conn.SetWriteDeadline(time.Now().Add(time.Second))
		conn.Write([]byte("-" + protectedModeMsg + "\r\n"))
		conn.Close()
		return
	}
	s.registerClient(c)
	s.acl.authByCertificate(c)
	s.mu.Unlock()
	c.serve()
}

const protectedModeMsg = "DENIED valkey-node is running in protected mode because protected mode is enabled and no " +
	"password is set for the default user. In this mode connections are only accepted from the loopback interface. " +
	"If you want to connect from external computers, you may adopt one of the following solutions: " +
	"1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface " +
	"by connecting from the same host the server is running, however MAKE SURE the server is not publicly accessible " +
	"from internet if you do so. Use CONFIG REWRITE to make this change permanent. " +
	"2) Alternatively you can just disable the protected mode by editing the configuration file, and setting the " +
	"protected mode option to 'no', and then restarting the server. " +
	"3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. " +
	"4) Set up an authentication password for the default user. NOTE: You only need to do one of the above things " +
	"in order for the server to start accepting connections from the outside."

// peerIsLocal is protected mode's test of a client address: the loopback check, unless a test replaced it.
func (s *Server) peerIsLocal(a net.Addr) bool {
	if s.isLocal != nil {
		return s.isLocal(a)
	}
	return isLoopback(a)
}

func isLoopback(a net.Addr) bool {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.IsLoopback()
	}
	return true
}
