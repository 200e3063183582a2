package server

import (
	"fmt"
	"time"

	"github.com/valkey-node/valkey-node/server/config"
)

const (
	slowlogMaxArgs   = 32
	slowlogMaxArgLen = 128
)

type slowlogEntry struct {
	id       int64
	time     int64 // unix seconds
	duration int64 // microseconds
	args     []string
	addr     string
	name     string
}

// slowlog keeps the commands that ran longer than slowlog-log-slower-than. Entries are appended, oldest
// first, and read newest first; the oldest are dropped past slowlog-max-len.
type slowlog struct {
	entries []slowlogEntry
	nextID  int64
}

func (l *slowlog) init()  { l.entries = nil }
func (l *slowlog) reset() { l.entries = nil }

// newest returns the i-th newest entry.
func (l *slowlog) newest(i int) *slowlogEntry { return &l.entries[len(l.entries)-1-i] }

// maybeAdd records cmd if it was slow enough. Sensitive arguments are redacted.
func (l *slowlog) maybeAdd(s *Server, c *Client, cmd *Command, args [][]byte, us int64) {
	th := s.cfg.SlowlogLogSlowerThan
	if th < 0 || us < th {
		return
	}
	max := int(s.cfg.SlowlogMaxLen)
	if max == 0 {
		l.entries = nil
		return
	}
	e := slowlogEntry{id: l.nextID, time: time.Now().Unix(), duration: us, addr: c.addr, name: c.name}
	l.nextID++
	red := s.redactedArgs(cmd, args)
	n := len(args)
	if n > slowlogMaxArgs {
		n = slowlogMaxArgs - 1
	}
	e.args = make([]string, 0, min(len(args), slowlogMaxArgs))
	for i := 0; i < n; i++ {
		if red[i] {
			e.args = append(e.args, "(redacted)")
			continue
		}
		a := args[i]
		if len(a) > slowlogMaxArgLen {
			e.args = append(e.args, fmt.Sprintf("%s... (%d more bytes)", a[:slowlogMaxArgLen], len(a)-slowlogMaxArgLen))
		} else {
			e.args = append(e.args, string(a))
		}
	}
	if len(args) > slowlogMaxArgs {
		e.args = append(e.args, fmt.Sprintf("... (%d more arguments)", len(args)-slowlogMaxArgs+1))
	}
	l.entries = append(l.entries, e)
	if len(l.entries) > max {
		// dropping from the front keeps appends amortised O(1): append reallocates (and so releases the
		// dropped prefix) only when the capacity runs out
		l.entries = l.entries[len(l.entries)-max:]
	}
}

// redactedArgs marks the arguments that must not be recorded in SLOWLOG or shown to MONITOR: passwords,
// ACL rules and sensitive configuration values, as Valkey redacts them.
func (s *Server) redactedArgs(cmd *Command, args [][]byte) []bool {
	red := make([]bool, len(args))
	switch cmd.FullName() {
	case "auth":
		for i := 1; i < len(args); i++ {
			red[i] = true
		}
	case "hello":
		// HELLO [protover [AUTH username password] [SETNAME name]]
		for i := 2; i < len(args); i++ {
			switch {
			case eqFold(args[i], "auth") && i+2 < len(args):
				red[i+1], red[i+2] = true, true
				i += 2
			case eqFold(args[i], "setname") && i+1 < len(args):
				i++
			}
		}
	case "acl|setuser":
		// the user name and every rule: any of them may tell something about the user
		for i := 2; i < len(args); i++ {
			red[i] = true
		}
	case "config|set":
		for i := 2; i+1 < len(args); i += 2 {
			if d := s.reg.Lookup(string(args[i])); d != nil && d.Has(config.Sensitive) {
				red[i+1] = true
			}
		}
	case "migrate":
		for i := 6; i < len(args); i++ {
			switch {
			case eqFold(args[i], "auth") && i+1 < len(args):
				red[i+1] = true
				i++
			case eqFold(args[i], "auth2") && i+2 < len(args):
				red[i+1], red[i+2] = true, true
				i += 2
			case eqFold(args[i], "keys"):
				i = len(args)
			}
		}
	}
	return red
}

func slowlogGet(c *Client, args [][]byte) {
	s := c.srv
	count := 10
	if len(args) == 3 {
		n, ok := parseInt64(args[2])
		if !ok || n < -1 {
			c.Err("ERR count should be greater than or equal to -1")
			return
		}
		count = int(n)
		if n == -1 {
			count = len(s.slowlog.entries)
		}
	}
	if count > len(s.slowlog.entries) {
		count = len(s.slowlog.entries)
	}
	w := c.W()
	w.Array(count)
	for i := 0; i < count; i++ {
		e := s.slowlog.newest(i)
		w.Array(6)
		w.Int(e.id)
		w.Int(e.time)
		w.Int(e.duration)
		w.StringArray(e.args)
		w.BulkString(e.addr)
		w.BulkString(e.name)
	}
}

func init() {
	register(spec{name: "slowlog", arity: -2, group: "server", summary: "A container for slow log commands.", since: "2.2.12",
		subs: []spec{
			{name: "get", arity: -2, flags: "admin loading stale", summary: "Returns the slow log's entries.", since: "2.2.12", handler: slowlogGet},
			{name: "len", arity: 2, flags: "admin loading stale", summary: "Returns the number of entries in the slow log.", since: "2.2.12",
				handler: func(c *Client, args [][]byte) { c.W().Int(int64(len(c.srv.slowlog.entries))) }},
			{name: "reset", arity: 2, flags: "admin loading stale", summary: "Clears all entries from the slow log.", since: "2.2.12",
				handler: func(c *Client, args [][]byte) { c.srv.slowlog.reset(); c.W().OK() }},
			{name: "help", arity: 2, flags: "loading stale", summary: "Show helpful text about the different subcommands", since: "6.2.0",
				handler: func(c *Client, args [][]byte) {
					helpReply(c, "SLOWLOG", []string{
						"GET [<count>]",
						"    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
						"    Entries are made of:",
						"    id, timestamp, time in microseconds, arguments array, client IP and port,",
						"    client name",
						"LEN",
						"    Return the length of the slowlog.",
						"RESET",
						"    Reset the slowlog.",
					})
				}},
		}})
}

// helpReply writes the HELP reply of a container command.
func helpReply(c *Client, name string, lines []string) {
	w := c.W()
	w.Array(len(lines) + 3)
	w.Simple(fmt.Sprintf("%s <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", name))
	for _, l := range lines {
		w.Simple(l)
	}
	w.Simple("HELP")
	w.Simple("    Print this help.")
}
