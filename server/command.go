package server

import (
	"fmt"
	"runtime/debug"
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
	flagAsking      // served for an importing slot without ASKING (RESTORE-ASKING)
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
	{flagAsking, "asking"},
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
	defer func() {
		s.cur = nil
		if r := recover(); r != nil {
			// A bug in one command must not take the node down with every client's data: log it with the
			// stack, tell the client, close its connection (its state may be inconsistent) and go on.
			s.log.Error().Str("command", trunc(args[0], 64)).Str("panic", fmt.Sprint(r)).
				Str("stack", string(debug.Stack())).Msg("Internal error while executing a command")
			c.Err(fmt.Sprintf("ERR internal error executing '%s', see the server log", trunc(args[0], 64)))
			c.closeASAP = true
		}
	}()
	c.cmdCount++
	mode := c.replyMode
	mark := c.out.Len()
	cmd, container := lookupCommand(args)
	if s.mode != nil || (cmd != nil && cmd.Name == modeCommandName) {
		if cmd != nil && !s.commandAvailable(cmd) || container != nil && !s.commandAvailable(container) {
			cmd, container = nil, nil
		}
	}
	switch {
	case container != nil:
		s.stats.unknownCommands++
		c.Err(fmt.Sprintf("ERR unknown subcommand '%s'. Try %s HELP.", trunc(args[1], 128), strings.ToUpper(container.Name)))
		c.flagTransaction()
	case cmd == nil:
		s.stats.unknownCommands++
		c.Err(unknownCommandError(args))
		c.flagTransaction()
	case !s.admit(c, cmd, args):
		c.flagTransaction()
	case c.multi != nil && !cmd.controlsTransaction():
		s.queueCommand(c, cmd, args)
	default:
		s.invoke(c, cmd, args)
		if len(s.readyKeys) > 0 {
			s.handleReadyKeys()
			if s.trackingActive() {
				s.trackingFlushPending() // what the served pops changed
			}
		}
	}
	if s.flushPropagation() && s.repl.primary != nil {
		c.woff = s.repl.primary.Offset()
		c.aofWoff = s.aof.seq.Load()
	}
	if c.replica != nil && c.replica.synced {
		// the replication package owns the connection's output
		c.out.Buf = c.out.Buf[:0]
	}
	if c.asking && (cmd == nil || cmd.Name != "asking") {
		c.asking = false // ASKING covers the next command only
	}
	c.lastCmd = ""
	if cmd != nil {
		c.lastCmd = cmd.FullName()
	}
	// CLIENT REPLY: OFF silences every reply until the CLIENT REPLY ON that ends it (which replies);
	// SKIP, once it has run itself, silences the next command's reply
	switch {
	case mode == replyOff && c.replyMode == replyOff:
		c.out.Buf = c.out.Buf[:mark]
	case mode == replySkip:
		c.out.Buf = c.out.Buf[:mark]
		if c.replyMode == replySkip {
			c.replyMode = replyOn
		}
	}
	if c.replyMode == replySkipNext {
		c.replyMode = replySkip
	}
}

// admit checks arity, authentication, permissions and the connection's mode; it replies the error and
// returns false when the command may not run (or be queued).
func (s *Server) admit(c *Client, cmd *Command, args [][]byte) bool {
	if (cmd.Arity > 0 && len(args) != cmd.Arity) || (cmd.Arity < 0 && len(args) < -cmd.Arity) {
		s.cstat(cmd).rejected++
		c.Err(fmt.Sprintf("ERR wrong number of arguments for '%s' command", cmd.FullName()))
		return false
	}
	if !c.authed && cmd.Flags&flagNoAuth == 0 {
		s.cstat(cmd).rejected++
		c.Err("NOAUTH Authentication required.")
		return false
	}
	if msg := s.acl.check(c, cmd, args); msg != "" {
		s.cstat(cmd).rejected++
		c.Err(msg)
		return false
	}
	if !s.memAdmit(c, cmd) { // maxmemory: evict, or refuse with OOM (evict.go)
		return false
	}
	if s.cl != nil {
		if msg := s.clusterRoute(c, cmd, args); msg != "" {
			s.cstat(cmd).rejected++
			return s.refuse(c, msg)
		}
	}
	if msg := s.replicationRefuses(c, cmd); msg != "" {
		s.cstat(cmd).rejected++
		c.Err(msg)
		return false
	}
	if (cmd.Flags&flagWrite != 0 || cmd.Name == "ping") && !c.inExec {
		if msg := s.writesRefusedByDiskError(); msg != "" {
			s.cstat(cmd).rejected++
			c.Err(msg)
			return false
		}
	}
	if c.proto == 2 && c.flags.subscribed && !cmd.allowedWhileSubscribed() {
		s.cstat(cmd).rejected++
		c.Err(fmt.Sprintf("ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context", cmd.FullName()))
		return false
	}
	return true
}

// invoke runs an admitted command and records its statistics.
func (s *Server) invoke(c *Client, cmd *Command, args [][]byte) {
	// the node's own clients (the primary's stream, AOF loading) are never paused, as in Valkey
	if s.pause.active && !c.inExec && c.conn != nil {
		if !s.waitPause(c, cmd, args) {
			return // the client was closed, or the node is stopping, while the command waited
		}
		// a pause is how a failover quiesces writes: the node may have become a replica, or lost the
		// slot, while the command waited, so the rules that admitted it are applied again
		if s.cl != nil {
			if msg := s.clusterRoute(c, cmd, args); msg != "" {
				c.Err(msg)
				return
			}
		}
		if msg := s.replicationRefuses(c, cmd); msg != "" {
			c.Err(msg)
			return
		}
	}
	errsBefore := s.stats.errorReplies
	dirtyBefore := s.dirty
	start := s.clockNow()
	s.now = start
	s.memBefore(c, cmd, args) // memory accounting of the keys it changes (memory.go)
	cmd.Handler(c, args)
	s.memAfter(c, cmd, args)
	s.propagateCommand(c, cmd, args, dirtyBefore)
	if s.trackingActive() {
		s.trackingAfterCommand(c, cmd, args)
	}
	dur := s.clockNow().Sub(start)
	us := dur.Microseconds()
	st := s.cstat(cmd)
	st.calls++
	st.usec += us
	if s.stats.errorReplies != errsBefore {
		st.failed++
	}
	s.stats.commands++
	if s.cfg.LatencyTracking {
		st.record(dur)
	}
	if cmd.Flags&flagSkipSlowlog == 0 {
		s.slowlog.maybeAdd(s, c, cmd, args, us)
	}
	s.latency.maybeAdd(s, cmd, dur)
	// MONITOR sees a command once it has run, as in Valkey (SELECT shows its new database)
	if len(s.monitors) > 0 && cmd.Flags&(flagSkipMonitor|flagAdmin) == 0 {
		s.feedMonitors(c, cmd, args)
	}
	if c.flags.subscribed || s.cfg.OutputLimits[0] != (obufLimit{}) {
		s.checkOutputLimit(c)
	}
}

// allowedWhileSubscribed lists what a RESP2 connection in subscribed mode may send.
func (cmd *Command) allowedWhileSubscribed() bool {
	switch cmd.Name {
	case "subscribe", "unsubscribe", "psubscribe", "punsubscribe", "ssubscribe", "sunsubscribe", "ping", "quit", "reset":
		return true
	}
	return false
}

// Err replies with an error and counts it for INFO errorstats.
func (c *Client) Err(msg string) {
	c.srv.stats.countError(msg)
	c.out.Error(msg)
}

// W is the reply writer of the running command.
func (c *Client) W() *resp.Writer { return &c.out }

// refuse replies msg and reports false (admit's refusal).
func (s *Server) refuse(c *Client, msg string) bool {
	c.Err(msg)
	return false
}

// clockNow is the time for the command clock: one monotonic clock read (time.Now reads the wall clock
// and the monotonic clock, two vDSO calls, and invoke needs the time twice per command). Its wall part is
// clockBase's plus the monotonic time since, so a step of the system clock reaches it at the next cron
// tick. Lock held.
func (s *Server) clockNow() time.Time { return s.clockBase.Add(time.Since(s.clockBase)) }
