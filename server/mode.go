package server

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/valkey-node/valkey-node/server/config"
	"github.com/valkey-node/valkey-node/tlsmat"
)

// Mode turns the node into another kind of server that keeps the node's listeners, connections, RESP,
// authentication, ACL, CLIENT and pub/sub machinery, and the shared certificate manager: sentinel mode.
// The node keeps only the commands the mode lists; the mode adds its own command (SENTINEL), its
// directive ("sentinel …" lines), an INFO section, and its own PUBLISH and ROLE.
//
// Every method except SetDirective is called with the node's execution lock held, so a mode must never
// wait for that lock (Publish, RewriteConfig) while holding a lock of its own that these methods take.
type Mode interface {
	// Name is the mode as INFO's redis_mode and HELLO's mode report it ("sentinel").
	Name() string
	// Keeps reports whether the node's command (top-level name, lower case) stays available.
	Keeps(name string) bool
	// Command runs the mode's own command (SENTINEL …).
	Command(c *Client, args [][]byte)
	// Publish runs PUBLISH channel message.
	Publish(c *Client, channel, message []byte)
	// Role runs ROLE.
	Role(c *Client)
	// InfoSection returns the title of the mode's INFO section ("Sentinel") and its "field:value\r\n" lines.
	InfoSection() (title, body string)
	// SetDirective applies one "sentinel …" line of the configuration file (its arguments).
	SetDirective(args []string) error
	// DirectiveLines returns the "sentinel …" lines CONFIG REWRITE writes (arguments only).
	DirectiveLines() []string
}

// modeCommandName is the mode's command in the command table; it is unknown to a node without a mode.
const modeCommandName = "sentinel"

// modeDefaults are the directive defaults a mode changes: a sentinel listens on 26379, has no data to
// save, and does not run protected mode (it must be reachable by the other sentinels).
var modeDefaults = map[string]string{"port": "26379", "save": "", "protected-mode": "no", "appendonly": "no"}

// registerModeDirective declares the mode's "sentinel" directive, whose lines the mode owns.
func (s *Server) registerModeDirective() {
	for name, v := range modeDefaults {
		if d := s.reg.Lookup(name); d != nil {
			d.Default = v
		}
	}
	s.reg.Add(&config.Directive{Name: modeCommandName, Flags: config.Multi | config.Repeatable | config.Hidden | config.Immutable,
		Value: modeDirective{s.mode}})
}

// modeDirective stores "sentinel …" lines in the mode.
type modeDirective struct{ m Mode }

func (v modeDirective) Set(args []string) error {
	if len(args) == 0 {
		return nil // the default (no lines)
	}
	return v.m.SetDirective(args)
}

// Get is the mode's lines: a non-empty value makes CONFIG REWRITE append them to a file that had no
// "sentinel" line yet (a new sentinel.conf gets its generated myid on the first start).
func (v modeDirective) Get() string { return strings.Join(v.m.DirectiveLines(), "\n") }

func (v modeDirective) ConfigLines() []string { return v.m.DirectiveLines() }
func (v modeDirective) Reset()                {}

// commandAvailable tells whether a command (or a subcommand's container) exists in this node's mode.
func (s *Server) commandAvailable(cmd *Command) bool {
	if cmd.Parent != nil {
		cmd = cmd.Parent
	}
	return s.commandAvailableName(cmd.Name)
}

// commandAvailableName tells whether a top-level command exists in this node's mode.
func (s *Server) commandAvailableName(name string) bool {
	if s.mode == nil {
		return name != modeCommandName
	}
	return name == modeCommandName || s.mode.Keeps(name)
}

// checkModeStartup applies the sentinel listener rule of spec §0: with tls-replication yes the one
// listener speaks TLS only (on tls-port if given, else on port); with no it is plain, and a tls-port is
// refused rather than opened as a second, TLS listener nobody announces.
func (s *Server) checkModeStartup(configFile string) error {
	if configFile == "" || configFile == "-" {
		return errors.New("Sentinel needs config file on disk to save state. Exiting...")
	}
	if s.cfg.TLS.Replication {
		if s.cfg.TLSPort == 0 {
			s.cfg.TLSPort = s.cfg.Port
		} else if s.cfg.Port != 0 && s.cfg.Port != s.cfg.TLSPort && s.cfg.Port != 26379 {
			return fmt.Errorf("sentinel with tls-replication yes listens on one TLS port, but both port %d and tls-port %d are set: set port 0 (or drop tls-port)", s.cfg.Port, s.cfg.TLSPort)
		}
		s.cfg.Port = 0
		return nil
	}
	if s.cfg.TLSPort != 0 {
		return fmt.Errorf("sentinel with tls-replication no serves plain text only, but tls-port %d is set: set tls-replication yes to make the sentinel port TLS, or remove tls-port", s.cfg.TLSPort)
	}
	return nil
}

// Publish delivers a message to the node's subscribers (a mode's events). It takes the execution lock.
func (s *Server) Publish(channel string, message []byte) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.publish([]byte(channel), message, false)
}

// PublishLocked is Publish for code already running under the execution lock (a mode's command).
func (c *Client) PublishLocked(channel string, message []byte) int64 {
	return c.srv.publish([]byte(channel), message, false)
}

// RewriteConfig rewrites the configuration file with the current values (CONFIG REWRITE), the mode's
// lines included. It takes the execution lock.
func (s *Server) RewriteConfig() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reg.Rewrite()
}

// TLS is the node's certificate manager, shared with what the process runs beside the listener.
func (s *Server) TLS() *tlsmat.Manager { return s.tls }

// TLSReplication reports tls-replication: TLS for outgoing links (and a sentinel's listener).
func (s *Server) TLSReplication() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg.TLS.Replication
}

// RequirePass is the requirepass directive ("" when unset).
func (s *Server) RequirePass() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg.RequirePass
}

// RunID is the node's run_id.
func (s *Server) RunID() string { return s.runID }

// ListenPort is the port of the node's first TCP or TLS listener (the one a sentinel announces); 0 before
// Start.
func (s *Server) ListenPort() int {
	for _, kind := range []string{"tls", "tcp"} {
		if a := s.Addr(kind); a != "" {
			if i := strings.LastIndexByte(a, ':'); i >= 0 {
				p, _ := strconv.Atoi(a[i+1:])
				return p
			}
		}
	}
	return 0
}

// Proto is the connection's RESP version (2 or 3).
func (c *Client) Proto() int { return c.proto }

// ID is the connection's CLIENT ID.
func (c *Client) ID() uint64 { return c.id }

// Server is the node the connection belongs to.
func (c *Client) Server() *Server { return c.srv }

// modeCommand dispatches SENTINEL to the mode.
func modeCommand(c *Client, args [][]byte) { c.srv.mode.Command(c, args) }

func init() {
	register(spec{name: modeCommandName, arity: -2, flags: "admin noscript loading stale", group: "sentinel",
		summary: "Sentinel commands (sentinel mode only).", since: "2.8.4", handler: modeCommand})
}
