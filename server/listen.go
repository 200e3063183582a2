package server

import (
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
	tcp     []net.Listener
	tls     []net.Listener
	unix    net.Listener
}

func (l *listenerSet) addr(kind string) string {
	switch kind {
	case "tcp":
		if len(l.tcp) > 0 {
			return l.tcp[0].Addr().String()
		}
	case "tls":
		if len(l.tls) > 0 {
			return l.tls[0].Addr().String()
		}
	case "unix":
		if l.unix != nil {
			return l.unix.Addr().String()
		}
	}
	return ""
}

func closeListeners(ls []net.Listener) {
	for _, x := range ls {
		x.Close()
	}
}

func (l *listenerSet) closeAll() {
	closeListeners(l.tcp)
	closeListeners(l.tls)
	l.tcp, l.tls = nil, nil
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

func (s *Server) listenTCP(port int64) ([]net.Listener, error) {
	var out []net.Listener
	for _, b := range s.cfg.Bind {
		network, host, optional := bindAddress(b)
		lc := net.ListenConfig{KeepAlive: -1}
		ln, err := lc.Listen(nil, network, net.JoinHostPort(host, strconv.FormatInt(port, 10)))
		if err != nil {
			if optional && (errors.Is(err, syscall.EADDRNOTAVAIL) || errors.Is(err, syscall.EAFNOSUPPORT) ||
				errors.Is(err, syscall.EPROTONOSUPPORT)) {
				s.log.Debug().Str("bind", b).Err(err).Msg("Skipping optional bind address")
				continue
			}
			closeListeners(out)
			shown := host
			if b == "*" || b == "-*" {
				shown = "*"
			}
			return nil, fmt.Errorf("Could not create server TCP listening socket %s:%d: %w", shown, port, unwrapOp(err))
		}
		out = append(out, ln)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("Could not create server TCP listening socket on any of %s:%d", strings.Join(s.cfg.Bind, " "), port)
	}
	return out, nil
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

// applyListeners is the apply function of bind, port and tls-port.
func (s *Server) applyListeners() error {
	if err := s.applyListenersLocked(false); err != nil {
		s.log.Warn().Err(err).Msg("Failed to update listeners")
		return &config.ApplyError{Msg: "Unable to listen on this port. Check server logs.", Err: err}
	}
	return nil
}

// applyListenersLocked makes the listeners match bind, port and tls-port. New sockets are opened before
// old ones are closed where the address differs, so a bad port leaves the old listener serving.
func (s *Server) applyListenersLocked(startup bool) error {
	bindChanged := strings.Join(s.lis.bind, " ") != strings.Join(s.cfg.Bind, " ")
	if startup || bindChanged || s.lis.port != s.cfg.Port {
		var ln []net.Listener
		if s.cfg.Port != 0 {
			// the same port on the same address cannot be bound twice: release it first, and take it back
			// if the new set cannot be bound
			sameAddr := !bindChanged && s.lis.port == s.cfg.Port
			if sameAddr {
				closeListeners(s.lis.tcp)
				s.lis.tcp = nil
			}
			var err error
			if ln, err = s.listenTCP(s.cfg.Port); err != nil {
				return err
			}
		}
		closeListeners(s.lis.tcp)
		s.lis.tcp = ln
		for _, l := range ln {
			s.serveListener(l, kindTCP)
		}
		s.lis.port = s.cfg.Port
	}
	if startup || bindChanged || s.lis.tlsPort != s.cfg.TLSPort {
		var ln []net.Listener
		if s.cfg.TLSPort != 0 {
			if !s.tls.Configured() {
				if err := s.tls.Load(s.tlsConfig()); err != nil {
					return fmt.Errorf("Failed to configure TLS: %w", err)
				}
			}
			var err error
			if ln, err = s.listenTCP(s.cfg.TLSPort); err != nil {
				return err
			}
		}
		closeListeners(s.lis.tls)
		s.lis.tls = ln
		for _, l := range ln {
			s.serveListener(l, kindTLS)
		}
		s.lis.tlsPort = s.cfg.TLSPort
	}
	s.lis.bind = append([]string(nil), s.cfg.Bind...)
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

type connKind uint8

const (
	kindTCP connKind = iota
	kindTLS
	kindUnix
)

// serveListener accepts connections until the listener is closed.
func (s *Server) serveListener(ln net.Listener, kind connKind) {
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
			go s.handleConn(conn, kind)
		}
	}()
}

// handleConn finishes setting up an accepted connection (TLS handshake, admission checks) and serves it.
func (s *Server) handleConn(conn net.Conn, kind connKind) {
	defer s.bg.Done()
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
		tc := tls.Server(conn, s.tls.ServerConfig())
		tc.SetDeadline(time.Now().Add(10 * time.Second))
		if err := tc.Handshake(); err != nil {
			s.log.Debug().Str("addr", conn.RemoteAddr().String()).Str("laddr", conn.LocalAddr().String()).
				Msgf("Error accepting a client connection: %v", err)
			tc.Close()
			s.mu.Lock()
			s.stats.tlsHandshakeErrors++
			s.mu.Unlock()
			return
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
	if s.cfg.ProtectedMode && s.acl.defaultNoPass() && kind != kindUnix && !isLoopback(conn.RemoteAddr()) {
		s.stats.rejectedConns++
		s.mu.Unlock()
		conn.SetWriteDeadline(time.Now().Add(time.Second))
		conn.Write([]byte("-" + protectedModeMsg + "\r\n"))
		conn.Close()
		return
	}
	s.registerClient(c)
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

func isLoopback(a net.Addr) bool {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.IsLoopback()
	}
	return true
}
