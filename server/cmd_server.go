package server

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/valkey-node/valkey-node/server/keyspace"
)

// Server commands: INFO, TIME, LASTSAVE, SHUTDOWN and DEBUG.

func timeCommand(c *Client, args [][]byte) {
	now := time.Now()
	w := c.W()
	w.Array(2)
	w.BulkInt(now.Unix())
	w.BulkInt(int64(now.Nanosecond() / 1000))
}

func lastsaveCommand(c *Client, args [][]byte) { c.W().Int(c.srv.lastSave.Unix()) }

// shutdownCommand implements SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]. With save points configured
// (or SAVE) the data set is saved first; if that fails the node stays up and says so, unless FORCE. NOW and
// FORCE have nothing else to skip: there is no replica catch-up to wait for yet. On success there is no
// reply: the connection closes, as with Valkey.
func shutdownCommand(c *Client, args [][]byte) {
	s := c.srv
	var save, nosave, abort, force bool
	for _, a := range args[1:] {
		switch {
		case eqFold(a, "nosave"):
			nosave = true
		case eqFold(a, "save"):
			save = true
		case eqFold(a, "now"):
		case eqFold(a, "force"):
			force = true
		case eqFold(a, "abort"):
			abort = true
		default:
			c.Err(errSyntax)
			return
		}
	}
	if (save && nosave) || (abort && len(args) != 2) {
		c.Err(errSyntax)
		return
	}
	if abort {
		c.Err("ERR No shutdown in progress.")
		return
	}
	s.log.Warn().Msg("User requested shutdown...")
	if !nosave && !s.persist.finalDone {
		if err := s.finalSave(save); err != nil && !force {
			c.Err("ERR Errors trying to SHUTDOWN. Check logs.")
			return
		}
	}
	s.persist.finalDone = true
	// the owner calls Shutdown
	s.requestShutdown()
	c.closeASAP = true
}

const debugNotAllowed = `ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", ` +
	`you can run it from a local connection, otherwise you need to set this option in the configuration file, ` +
	`and then restart the server.`

// debugAllowed applies enable-debug-command: yes, no, or local (loopback and Unix socket connections only).
func (s *Server) debugAllowed(c *Client) bool {
	switch s.cfg.EnableDebugCommand {
	case "yes":
		return true
	case "local":
		if c.kind == kindUnix {
			return true
		}
		host, _, err := net.SplitHostPort(c.addr)
		if err != nil {
			return false
		}
		ip := net.ParseIP(host)
		return ip != nil && ip.IsLoopback()
	}
	return false
}

// debugCommand implements the DEBUG subcommands that do real work here: SLEEP, SET-ACTIVE-EXPIRE, OBJECT
// and HELP. DEBUG is not a container command in Valkey (its subcommands are free text), so unknown ones get
// its own error rather than the generic one.
func debugCommand(c *Client, args [][]byte) {
	s := c.srv
	if !s.debugAllowed(c) {
		c.Err(debugNotAllowed)
		return
	}
	sub := args[1]
	switch {
	case eqFold(sub, "help") && len(args) == 2:
		helpReply(c, "DEBUG", []string{
			"DIGEST",
			"    Output a hex signature representing the current DB content.",
			"DIGEST-VALUE <key> [<key> ...]",
			"    Output a hex signature of the values of all the specified keys.",
			"OBJECT <key>",
			"    Show low level info about the <key> and associated value.",
			"RELOAD [option ...]",
			"    Save the RDB on disk and reload it back to memory. Valid <option> values:",
			"    * MERGE: conflicting keys will be loaded from RDB.",
			"    * NOFLUSH: the existing database will not be removed before load, but",
			"      conflicting keys will generate an error.",
			"    * NOSAVE: the database will be loaded from an existing RDB file.",
			"SET-ACTIVE-EXPIRE <0|1>",
			"    Setting it to 0 disables expiring keys in background when they are not",
			"    accessed (otherwise the server works as usual). Setting it to 1 reenables",
			"    back the default.",
			"SLEEP <seconds>",
			"    Stop the server for <seconds>. Decimals allowed.",
		})
	case eqFold(sub, "sleep") && len(args) == 3:
		// Valkey reads the number with strtod: what does not parse sleeps 0 seconds
		secs, _ := strconv.ParseFloat(strings.TrimSpace(string(args[2])), 64)
		if secs > 0 {
			// the execution lock stays held: the whole node stops, as Valkey's main thread does
			time.Sleep(time.Duration(secs * float64(time.Second)))
		}
		c.W().OK()
	case eqFold(sub, "set-active-expire") && len(args) == 3:
		n, _ := strconv.Atoi(string(args[2]))
		s.activeExpire = n != 0
		c.W().OK()
	case eqFold(sub, "digest") && len(args) == 2:
		debugDigest(c)
	case eqFold(sub, "digest-value"):
		debugDigestValue(c, args[2:])
	case eqFold(sub, "reload"):
		debugReload(c, args[2:])
	case eqFold(sub, "object") && len(args) == 3:
		o := c.dbx().Get(args[2])
		if o == nil {
			c.Err(errNoSuchKey)
			return
		}
		c.W().Simple(s.debugObjectLine(o))
	default:
		c.Err(fmt.Sprintf("ERR unknown subcommand or wrong number of arguments for '%s'. Try DEBUG HELP.", trunc(sub, 128)))
	}
}

// debugObjectLine is DEBUG OBJECT's description of a value. lru is the 24-bit LRU clock of the last access
// and serializedlength the size of the value in an RDB file (without LZF compression, which valkey-node's
// RDB writer does not apply).
func (s *Server) debugObjectLine(o *keyspace.Object) string {
	now := s.lruClock()
	idle := int64(now) - int64(o.LRU)
	if idle < 0 {
		idle = 0
	}
	return fmt.Sprintf("Value at:%p refcount:%d encoding:%s serializedlength:%d lru:%d lru_seconds_idle:%d",
		o, refCount(o), encodingName(o), serializedLength(o), o.LRU&lruClockMax, idle)
}

// serializedSizer is implemented by values that know their size in an RDB file (the RDB writer's work).
type serializedSizer interface{ SerializedLen() int }

// serializedLength is the RDB size of a value. For strings it is computed here: integers that fit 32 bits
// are stored in 2, 3 or 5 bytes, other strings as a length prefix and the bytes. Other kinds report it
// through serializedSizer; until they do, it shows 0.
func serializedLength(o *keyspace.Object) int {
	if o.Kind != keyspace.KindString {
		if sz, ok := o.Val.(serializedSizer); ok {
			return sz.SerializedLen()
		}
		return 0
	}
	if len(o.Str) <= 11 {
		if n, ok := parseInt64(o.Str); ok {
			switch {
			case n >= -(1<<7) && n < 1<<7:
				return 2
			case n >= -(1<<15) && n < 1<<15:
				return 3
			case n >= -(1<<31) && n < 1<<31:
				return 5
			}
		}
	}
	return rdbLenSize(len(o.Str)) + len(o.Str)
}

// rdbLenSize is the size of an RDB length prefix.
func rdbLenSize(n int) int {
	switch {
	case n < 1<<6:
		return 1
	case n < 1<<14:
		return 2
	case int64(n) <= 1<<32-1:
		return 5
	}
	return 9
}

func init() {
	register(
		spec{name: "info", arity: -1, flags: "loading stale dangerous", group: "server",
			summary: "Returns information and statistics about the server.", since: "1.0.0", complexity: "O(1)", handler: infoCommand},
		spec{name: "time", arity: 1, flags: "loading stale fast", group: "server",
			summary: "Returns the server time.", since: "2.6.0", complexity: "O(1)", handler: timeCommand},
		spec{name: "lastsave", arity: 1, flags: "loading stale fast dangerous", group: "server",
			summary: "Returns the Unix timestamp of the last successful save to disk.", since: "1.0.0", complexity: "O(1)", handler: lastsaveCommand},
		spec{name: "shutdown", arity: -1, flags: "admin noscript loading stale no_multi allow_busy", group: "server",
			summary: "Synchronously saves the database(s) to disk and shuts down the server.", since: "1.0.0",
			complexity: "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)", handler: shutdownCommand},
		spec{name: "debug", arity: -2, flags: "admin noscript loading stale", group: "server",
			summary: "A container for debugging commands.", since: "1.0.0", complexity: "Depends on subcommand.", handler: debugCommand},
	)
}
