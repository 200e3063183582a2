package server

import (
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/valkey-node/valkey-node/server/resp"
)

// cmdFlag is a property of a command, as COMMAND INFO lists them.
type cmdFlag uint32

const (
	flagWrite cmdFlag = 1 << iota
	flagReadonly
	flagDenyOOM
	flagAdmin
	flagPubSub
	flagNoScript
	flagBlocking
	flagLoading
	flagStale
	flagSkipMonitor
	flagSkipSlowlog
	flagFast
	flagNoAuth
	flagMayReplicate
	flagNoMulti
	flagAllowBusy
	flagMovableKeys // not a declared flag: set when KeysFn is used
	flagDangerous   // ACL category only
)

var flagNames = []struct {
	f    cmdFlag
	name string
}{
	{flagWrite, "write"}, {flagReadonly, "readonly"}, {flagDenyOOM, "denyoom"}, {flagAdmin, "admin"},
	{flagPubSub, "pubsub"}, {flagNoScript, "noscript"}, {flagBlocking, "blocking"}, {flagLoading, "loading"},
	{flagStale, "stale"}, {flagSkipMonitor, "skip_monitor"}, {flagSkipSlowlog, "skip_slowlog"},
	{flagFast, "fast"}, {flagNoAuth, "no_auth"}, {flagMayReplicate, "may_replicate"},
	{flagNoMulti, "no_multi"}, {flagAllowBusy, "allow_busy"}, {flagMovableKeys, "movablekeys"},
}

func parseFlags(s string) cmdFlag {
	var f cmdFlag
	for _, w := range strings.Fields(s) {
		if w == "dangerous" {
			f |= flagDangerous
			continue
		}
		found := false
		for _, fn := range flagNames {
			if fn.name == w {
				f |= fn.f
				found = true
			}
		}
		if !found {
			panic("unknown command flag " + w)
		}
	}
	return f
}

// Command is one entry of the command table.
type Command struct {
	Name       string
	Arity      int
	Flags      cmdFlag
	FirstKey   int
	LastKey    int
	Step       int
	Group      string // COMMAND DOCS group: string, generic, connection, server, ...
	Summary    string
	Since      string
	Complexity string
	Handler    func(c *Client, args [][]byte)
	// KeysFn returns the positions of the keys for commands whose keys cannot be described by
	// first/last/step (movable keys).
	KeysFn func(args [][]byte) []int
	Subs   map[string]*Command
	Parent *Command
	// ID numbers commands for ACL bitmaps.
	ID int

	calls, usec, rejected, failed int64
	hist                          latencyHistogram
}

// FullName is "config|get" for subcommands.
func (cmd *Command) FullName() string {
	if cmd.Parent != nil {
		return cmd.Parent.Name + "|" + cmd.Name
	}
	return cmd.Name
}

// spec is the compact way command files declare commands.
type spec struct {
	name                  string
	arity                 int
	flags                 string
	first, last, step     int
	group, summary, since string
	complexity            string
	handler               func(c *Client, args [][]byte)
	keys                  func(args [][]byte) []int
	subs                  []spec
}

var commandTable = map[string]*Command{}
var commandList []*Command // every command and subcommand, by ID

// register adds commands to the table; each cmd_*.go file calls it from init.
func register(specs ...spec) {
	for _, sp := range specs {
		cmd := build(sp, nil)
		if _, dup := commandTable[cmd.Name]; dup {
			panic("duplicate command " + cmd.Name)
		}
		commandTable[cmd.Name] = cmd
	}
}

func build(sp spec, parent *Command) *Command {
	cmd := &Command{
		Name: sp.name, Arity: sp.arity, Flags: parseFlags(sp.flags), FirstKey: sp.first, LastKey: sp.last,
		Step: sp.step, Group: sp.group, Summary: sp.summary, Since: sp.since, Complexity: sp.complexity,
		Handler: sp.handler, KeysFn: sp.keys, Parent: parent,
	}
	if cmd.KeysFn != nil {
		cmd.Flags |= flagMovableKeys
	}
	if parent != nil && cmd.Group == "" {
		cmd.Group = parent.Group
	}
	cmd.ID = len(commandList)
	commandList = append(commandList, cmd)
	if len(sp.subs) > 0 {
		cmd.Subs = map[string]*Command{}
		for _, ss := range sp.subs {
			sub := build(ss, cmd)
			cmd.Subs[sub.Name] = sub
		}
	}
	return cmd
}

// lookupCommand finds the command (or subcommand) for args. The second result is the container command
// when the subcommand is unknown.
func lookupCommand(args [][]byte) (*Command, *Command) {
	cmd := lookupName(commandTable, args[0])
	if cmd == nil || cmd.Subs == nil {
		return cmd, nil
	}
	if len(args) < 2 {
		return cmd, nil // arity error on the container
	}
	sub := lookupName(cmd.Subs, args[1])
	if sub == nil {
		return nil, cmd
	}
	return sub, nil
}

// lookupName finds a command by a case-insensitive name without allocating: names are lowered into a
// stack buffer and the map is indexed with a string conversion the compiler does not copy.
func lookupName(m map[string]*Command, name []byte) *Command {
	var buf [32]byte
	if len(name) > len(buf) {
		return m[lowerASCII(name)]
	}
	for i, c := range name {
		if c >= 'A' && c <= 'Z' {
			c += 32
		}
		buf[i] = c
	}
	return m[string(buf[:len(name)])]
}

// lowerASCII lowercases a command name; the common case, already lower case, does not allocate beyond
// the string conversion the map lookup needs anyway.
func lowerASCII(b []byte) string {
	for _, c := range b {
		if c >= 'A' && c <= 'Z' {
			lb := make([]byte, len(b))
			for i, c := range b {
				if c >= 'A' && c <= 'Z' {
					c += 32
				}
				lb[i] = c
			}
			return string(lb)
		}
	}
	return string(b)
}

// sortedCommands lists the top-level commands by name.
func sortedCommands() []*Command {
	out := make([]*Command, 0, len(commandTable))
	for _, c := range commandTable {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// unknownCommandError is Valkey's reply for a command that does not exist.
func unknownCommandError(args [][]byte) string {
	var b strings.Builder
	fmt.Fprintf(&b, "ERR unknown command '%s', with args beginning with: ", trunc(args[0], 128))
	for _, a := range args[1:] {
		if b.Len() >= 128 {
			break
		}
		fmt.Fprintf(&b, "'%s' ", trunc(a, 128-b.Len()))
	}
	return b.String()
}

func trunc(b []byte, n int) string {
	if n < 0 {
		n = 0
	}
	if len(b) > n {
		b = b[:n]
	}
	s := string(b)
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "?")
	}
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
}

// execute runs one command for c with the execution lock (and c.outMu) held.
func (s *Server) execute(c *Client, args [][]byte) {
	s.cur = c
	defer func() { s.cur = nil }()
	c.cmdCount++
	mode := c.replyMode
	mark := c.out.Len()
	cmd, container := lookupCommand(args)
	switch {
	case container != nil:
		s.stats.unknownCommands++
		c.Err(fmt.Sprintf("ERR unknown subcommand '%s'. Try %s HELP.", trunc(args[1], 128), strings.ToUpper(container.Name)))
	case cmd == nil:
		s.stats.unknownCommands++
		c.Err(unknownCommandError(args))
	default:
		s.call(c, cmd, args)
	}
	c.lastCmd = ""
	if cmd != nil {
		c.lastCmd = cmd.FullName()
	}
	switch mode {
	case replyOff:
		c.out.Buf = c.out.Buf[:mark]
	case replySkip:
		c.out.Buf = c.out.Buf[:mark]
		c.replyMode = replyOn
	case replySkipNext:
		if c.replyMode == replySkipNext {
			c.replyMode = replySkip
		}
	}
}

// call checks arity, authentication and permissions, then runs the handler and records statistics.
func (s *Server) call(c *Client, cmd *Command, args [][]byte) {
	if (cmd.Arity > 0 && len(args) != cmd.Arity) || (cmd.Arity < 0 && len(args) < -cmd.Arity) {
		cmd.rejected++
		c.Err(fmt.Sprintf("ERR wrong number of arguments for '%s' command", cmd.FullName()))
		return
	}
	if !c.authed && cmd.Flags&flagNoAuth == 0 {
		cmd.rejected++
		c.Err("NOAUTH Authentication required.")
		return
	}
	if msg := s.acl.check(c, cmd, args); msg != "" {
		cmd.rejected++
		c.Err(msg)
		return
	}
	if s.pause.active {
		s.waitPause(c, cmd, args)
	}
	if len(s.monitors) > 0 && cmd.Flags&(flagSkipMonitor|flagAdmin) == 0 {
		s.feedMonitors(c, cmd, args)
	}
	errsBefore := s.stats.errorReplies
	start := time.Now()
	s.now = start
	cmd.Handler(c, args)
	dur := time.Since(start)
	us := dur.Microseconds()
	cmd.calls++
	cmd.usec += us
	if s.stats.errorReplies != errsBefore {
		cmd.failed++
	}
	s.stats.commands++
	if s.cfg.LatencyTracking {
		cmd.hist.record(dur)
	}
	if cmd.Flags&flagSkipSlowlog == 0 {
		s.slowlog.maybeAdd(s, c, cmd, args, us)
	}
	s.latency.maybeAdd(s, cmd, dur)
}

// Err replies with an error and counts it for INFO errorstats.
func (c *Client) Err(msg string) {
	c.srv.stats.countError(msg)
	c.out.Error(msg)
}

// W is the reply writer of the running command.
func (c *Client) W() *resp.Writer { return &c.out }
