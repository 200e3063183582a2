package server

import (
	"fmt"
	"strings"
)

func pingCommand(c *Client, args [][]byte) {
	if len(args) > 2 {
		c.Err("ERR wrong number of arguments for 'ping' command")
		return
	}
	if c.flags.subscribed && c.proto == 2 {
		// in RESP2 subscribed mode PING answers with a pong message array
		w := c.W()
		w.Array(2)
		w.BulkString("pong")
		if len(args) == 2 {
			w.Bulk(args[1])
		} else {
			w.BulkString("")
		}
		return
	}
	if len(args) == 2 {
		c.W().Bulk(args[1])
		return
	}
	c.W().Simple("PONG")
}

func echoCommand(c *Client, args [][]byte) { c.W().Bulk(args[1]) }

func quitCommand(c *Client, args [][]byte) {
	c.W().OK()
	c.closeASAP = true
}

func selectCommand(c *Client, args [][]byte) {
	n, ok := parseInt64(args[1])
	if !ok {
		c.Err(errInvalidDB)
		return
	}
	if c.srv.cl != nil && n != 0 {
		c.Err("ERR SELECT is not allowed in cluster mode")
		return
	}
	if n < 0 || n >= int64(len(c.srv.dbs)) {
		c.Err(errDBIndex)
		return
	}
	c.db = int(n)
	c.W().OK()
}

// resetCommand puts the connection back in its initial state (RESET).
func resetCommand(c *Client, args [][]byte) {
	s := c.srv
	c.db = 0
	c.name = ""
	c.proto = 2
	c.out.Proto = 2
	c.replyMode = replyOn
	c.flags.noEvict, c.flags.noTouch = false, false
	if c.flags.monitor {
		c.flags.monitor = false
		delete(s.monitors, c)
	}
	s.onClientReset(c)
	s.acl.onConnect(c)
	c.W().Simple("RESET")
}

// authCommand implements AUTH [username] password. The one-argument form names the default user and is
// refused outright when the default user needs no password, as Valkey does.
func authCommand(c *Client, args [][]byte) {
	s := c.srv
	if len(args) > 3 {
		c.Err(errSyntax)
		return
	}
	name, pass := "default", args[1]
	if len(args) == 3 {
		name, pass = string(args[1]), args[2]
	} else if s.acl.defaultNoPass() {
		c.Err("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
		return
	}
	u := s.acl.authenticate(c, string(args[0]), name, pass)
	if u == nil {
		c.Err(errWrongPass)
		return
	}
	c.user, c.authed = u, true
	c.W().OK()
}

const errWrongPass = "WRONGPASS invalid username-password pair or user is disabled."

// helloCommand implements HELLO [protover [AUTH username password] [SETNAME clientname]].
func helloCommand(c *Client, args [][]byte) {
	s := c.srv
	proto := c.proto
	i := 1
	if len(args) > 1 {
		v, ok := parseInt64(args[1])
		if !ok {
			c.Err("ERR Protocol version is not an integer or out of range")
			return
		}
		if v < 2 || v > 3 {
			c.Err("NOPROTO unsupported protocol version")
			return
		}
		proto = int(v)
		i = 2
	}
	var authUser, authPass, setName []byte
	for ; i < len(args); i++ {
		more := len(args) - i - 1
		switch {
		case eqFold(args[i], "auth") && more >= 2:
			authUser, authPass = args[i+1], args[i+2]
			i += 2
		case eqFold(args[i], "setname") && more >= 1:
			setName = args[i+1]
			if msg := validateClientName(setName); msg != "" {
				c.Err(msg)
				return
			}
			i++
		default:
			c.Err(fmt.Sprintf("ERR Syntax error in HELLO option '%s'", trunc(args[i], 128)))
			return
		}
	}
	// every option is checked before authenticating, as Valkey does
	if authUser != nil {
		u := s.acl.authenticate(c, string(args[0]), string(authUser), authPass)
		if u == nil {
			c.Err(errWrongPass)
			return
		}
		c.user, c.authed = u, true
	}
	if !c.authed {
		c.Err("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
		return
	}
	if setName != nil {
		c.name = string(setName)
	}
	c.proto = proto
	c.out.Proto = proto
	w := c.W()
	if s.mode != nil {
		w.Map(6) // a sentinel has no role to report
	} else {
		w.Map(7)
	}
	w.BulkString("server")
	w.BulkString("valkey")
	w.BulkString("version")
	w.BulkString(RedisVersion)
	w.BulkString("proto")
	w.Int(int64(proto))
	w.BulkString("id")
	w.Int(int64(c.id))
	w.BulkString("mode")
	w.BulkString(s.serverMode())
	if s.mode == nil {
		w.BulkString("role")
		if s.isReplica() {
			w.BulkString("replica")
		} else {
			w.BulkString("master")
		}
	}
	w.BulkString("modules")
	w.Array(0)
}

func (s *Server) serverMode() string {
	switch {
	case s.mode != nil:
		return s.mode.Name()
	case s.cl != nil:
		return "cluster"
	}
	return "standalone"
}

// validateClientName refuses names with spaces or newlines, as Valkey.
func validateClientName(name []byte) string {
	for _, ch := range name {
		if ch < '!' || ch > '~' {
			return "ERR Client names cannot contain spaces, newlines or special characters."
		}
	}
	return ""
}

func init() {
	register(
		spec{name: "ping", arity: -1, flags: "fast", group: "connection", summary: "Returns the server's liveliness response.", since: "1.0.0", complexity: "O(1)", handler: pingCommand},
		spec{name: "echo", arity: 2, flags: "fast", group: "connection", summary: "Returns the given string.", since: "1.0.0", complexity: "O(1)", handler: echoCommand},
		spec{name: "quit", arity: -1, flags: "allow_busy noscript loading stale fast no_auth", group: "connection", summary: "Closes the connection.", since: "1.0.0", complexity: "O(1)", handler: quitCommand},
		spec{name: "select", arity: 2, flags: "loading stale fast", group: "connection", summary: "Changes the selected database.", since: "1.0.0", complexity: "O(1)", handler: selectCommand},
		spec{name: "reset", arity: 1, flags: "noscript loading stale fast no_auth allow_busy", group: "connection", summary: "Resets the connection.", since: "6.2.0", complexity: "O(1)", handler: resetCommand},
		spec{name: "auth", arity: -2, flags: "noscript loading stale fast no_auth allow_busy", group: "connection", summary: "Authenticates the connection.", since: "1.0.0", complexity: "O(N) where N is the number of passwords defined for the user", handler: authCommand},
		spec{name: "hello", arity: -1, flags: "noscript loading stale fast no_auth allow_busy", group: "connection", summary: "Handshakes with the server.", since: "6.0.0", complexity: "O(1)", handler: helloCommand},
	)
}

// lowerString is strings.ToLower for argument bytes.
func lowerString(b []byte) string { return strings.ToLower(string(b)) }
