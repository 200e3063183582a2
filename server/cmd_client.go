package server

import (
	"crypto/tls"
	"fmt"
	"net"
	"sort"
	"strings"
	"syscall"
	"time"
)

// CLIENT and its subcommands: what a connection can learn and set about itself, and what an operator can
// see and do to the others.

// client types, as CLIENT LIST TYPE and CLIENT KILL TYPE name them
const (
	clientTypeNormal = "normal"
	clientTypeMaster = "master"
	clientTypeSlave  = "slave"
	clientTypePubSub = "pubsub"
)

// clientTypeByName maps a TYPE argument to a client type ("" if unknown).
func clientTypeByName(b []byte) string {
	switch {
	case eqFold(b, "normal"):
		return clientTypeNormal
	case eqFold(b, "slave"), eqFold(b, "replica"):
		return clientTypeSlave
	case eqFold(b, "pubsub"):
		return clientTypePubSub
	case eqFold(b, "master"):
		return clientTypeMaster
	}
	return ""
}

// clientType is the type of a connection. A MONITOR connection is a normal one, as in Valkey; replicas and
// the primary link appear with replication.
func (c *Client) clientType() string {
	if c.flags.master {
		return clientTypeMaster
	}
	if c.replica != nil && c.replica.synced {
		return clientTypeSlave
	}
	if c.flags.subscribed {
		return clientTypePubSub
	}
	return clientTypeNormal
}

// clientFlagLetters renders the flags field of CLIENT LIST in Valkey's order.
func (c *Client) clientFlagLetters() string {
	var b []byte
	if c.replica != nil && c.replica.synced {
		b = append(b, 'S')
	}
	if c.flags.master {
		b = append(b, 'M')
	}
	if c.flags.monitor {
		b = append(b, 'O')
	}
	if c.flags.subscribed {
		b = append(b, 'P')
	}
	if c.multi != nil {
		b = append(b, 'x')
	}
	if c.blocked != nil {
		b = append(b, 'b')
	}
	b = append(b, c.trackingClientFlags()...)
	if c.dirtyCAS {
		b = append(b, 'd')
	}
	if c.closeASAP {
		b = append(b, 'c')
	}
	if c.killed {
		b = append(b, 'A')
	}
	if c.kind == kindUnix {
		b = append(b, 'U')
	}
	if c.flags.noEvict {
		b = append(b, 'e')
	}
	if c.flags.noTouch {
		b = append(b, 'T')
	}
	if len(b) == 0 {
		return "N"
	}
	return string(b)
}

// connFD is the file descriptor of a connection, -1 if it has none any more.
func connFD(conn net.Conn) int {
	if tc, ok := conn.(*tls.Conn); ok {
		conn = tc.NetConn()
	}
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return -1
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return -1
	}
	fd := -1
	if raw.Control(func(f uintptr) { fd = int(f) }) != nil {
		return -1
	}
	return fd
}

// clientInfoLine is one line of CLIENT LIST (and CLIENT INFO), without the newline. self is the client
// running the command and cmdName that command: its own line shows it, as in Valkey, where the command
// being run is already the client's last command.
func (s *Server) clientInfoLine(c, self *Client, cmdName string) string {
	now := time.Now()
	lastCmd := c.lastCmd
	if c == self {
		lastCmd = cmdName
	}
	if lastCmd == "" {
		lastCmd = "NULL"
	}
	multi := -1
	multiMem := 0
	if c.multi != nil {
		multi = len(c.multi.cmds)
		for _, q := range c.multi.cmds {
			for _, a := range q.args {
				multiMem += len(a)
			}
		}
	}
	// the reply buffer of another client is guarded by its outMu; this client's is already held
	var obl, rbs int
	if c != self {
		c.outMu.Lock()
	}
	obl, rbs = c.out.Len(), cap(c.out.Buf)
	if c != self {
		c.outMu.Unlock()
	}
	qbuf := 0
	if c == self {
		// another connection's input buffer belongs to its goroutine; this one's is ours to read
		qbuf = c.rd.Buffered()
	}
	user := ""
	if c.user != nil {
		user = c.user.Name
	}
	var b strings.Builder
	fmt.Fprintf(&b, "id=%d addr=%s laddr=%s fd=%d name=%s age=%d idle=%d flags=%s db=%d sub=%d psub=%d ssub=%d multi=%d watch=%d",
		c.id, c.addr, c.laddr, connFD(c.conn), c.name, int64(now.Sub(c.created)/time.Second),
		int64(now.Sub(time.Unix(0, c.lastInter.Load()))/time.Second), c.clientFlagLetters(), c.db,
		len(c.subs.channels), len(c.subs.patterns), len(c.subs.shard), multi, len(c.watching))
	fmt.Fprintf(&b, " qbuf=%d qbuf-free=0 argv-mem=%d multi-mem=%d rbs=%d rbp=%d obl=%d oll=0 omem=%d tot-mem=%d",
		qbuf, c.argvMem, multiMem, rbs, rbs, obl, obl, qbuf+c.argvMem+multiMem+rbs)
	fmt.Fprintf(&b, " events=r cmd=%s user=%s redir=-1 resp=%d lib-name=%s lib-ver=%s tot-net-in=%d tot-net-out=%d tot-cmds=%d",
		lastCmd, user, c.proto, c.libName, c.libVer, c.netIn.Load(), c.netOut.Load(), c.cmdCount)
	return b.String()
}

// liveClients lists the connections that are not being closed, by id.
func (s *Server) liveClients() []*Client {
	out := make([]*Client, 0, len(s.clients))
	for _, c := range s.clients {
		if !c.killed {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

func clientIDCommand(c *Client, args [][]byte) { c.W().Int(int64(c.id)) }

func clientInfoCommand(c *Client, args [][]byte) {
	c.W().Verbatim(c.srv.clientInfoLine(c, c, "client|info")+"\n", "txt")
}

// clientListCommand implements CLIENT LIST [TYPE normal|master|replica|pubsub] [ID id [id ...]].
func clientListCommand(c *Client, args [][]byte) {
	s := c.srv
	var typ string
	var ids map[uint64]bool
	for i := 2; i < len(args); {
		switch {
		case eqFold(args[i], "type") && i+1 < len(args):
			if typ = clientTypeByName(args[i+1]); typ == "" {
				c.Err(fmt.Sprintf("ERR Unknown client type '%s'", trunc(args[i+1], 128)))
				return
			}
			i += 2
		case eqFold(args[i], "id") && i+1 < len(args):
			ids = map[uint64]bool{}
			for i++; i < len(args); i++ {
				n, ok := parseInt64(args[i])
				if !ok || n <= 0 {
					c.Err("ERR Invalid client ID")
					return
				}
				ids[uint64(n)] = true
			}
		default:
			c.Err(errSyntax)
			return
		}
	}
	var b strings.Builder
	for _, cl := range s.liveClients() {
		if typ != "" && cl.clientType() != typ {
			continue
		}
		if ids != nil && !ids[cl.id] {
			continue
		}
		b.WriteString(s.clientInfoLine(cl, c, "client|list"))
		b.WriteByte('\n')
	}
	c.W().Verbatim(b.String(), "txt")
}

func clientSetNameCommand(c *Client, args [][]byte) {
	if msg := validateClientName(args[2]); msg != "" {
		c.Err(msg)
		return
	}
	c.name = string(args[2])
	c.W().OK()
}

func clientGetNameCommand(c *Client, args [][]byte) {
	if c.name == "" {
		c.W().Null()
		return
	}
	c.W().BulkString(c.name)
}

// clientSetInfoCommand implements CLIENT SETINFO LIB-NAME|LIB-VER value (an empty value clears it).
func clientSetInfoCommand(c *Client, args [][]byte) {
	attr, val := args[2], args[3]
	var dst *string
	switch {
	case eqFold(attr, "lib-name"):
		dst = &c.libName
	case eqFold(attr, "lib-ver"):
		dst = &c.libVer
	default:
		c.Err(fmt.Sprintf("ERR Unrecognized option '%s'", trunc(attr, 128)))
		return
	}
	for _, ch := range val {
		if ch < '!' || ch > '~' {
			c.Err(fmt.Sprintf("ERR %s cannot contain spaces, newlines or special characters.", trunc(attr, 128)))
			return
		}
	}
	*dst = string(val)
	c.W().OK()
}

// killFilter is the selection of CLIENT KILL.
type killFilter struct {
	id          uint64
	addr, laddr string
	typ         string
	user        string
	skipMe      bool
	maxAge      int64
}

func (f *killFilter) matches(cl, self *Client, now time.Time) bool {
	switch {
	case f.id != 0 && cl.id != f.id,
		f.addr != "" && cl.addr != f.addr,
		f.laddr != "" && cl.laddr != f.laddr,
		f.typ != "" && cl.clientType() != f.typ,
		f.user != "" && (cl.user == nil || cl.user.Name != f.user),
		f.skipMe && cl == self,
		f.maxAge > 0 && int64(now.Sub(cl.created)/time.Second) < f.maxAge:
		return false
	}
	return true
}

// clientKillCommand implements CLIENT KILL ip:port (the old form, replying OK) and CLIENT KILL with
// filters ID, ADDR, LADDR, TYPE, USER, SKIPME and MAXAGE (replying the number of clients closed).
func clientKillCommand(c *Client, args [][]byte) {
	s := c.srv
	f := killFilter{skipMe: true}
	oldForm := len(args) == 3
	if oldForm {
		f.addr, f.skipMe = string(args[2]), false
	} else {
		for i := 2; i < len(args); i += 2 {
			if i+1 >= len(args) {
				c.Err(errSyntax)
				return
			}
			opt, val := args[i], args[i+1]
			switch {
			case eqFold(opt, "id"):
				n, ok := parseInt64(val)
				if !ok || n <= 0 {
					c.Err("ERR client-id should be greater than 0")
					return
				}
				f.id = uint64(n)
			case eqFold(opt, "type"):
				if f.typ = clientTypeByName(val); f.typ == "" {
					c.Err(fmt.Sprintf("ERR Unknown client type '%s'", trunc(val, 128)))
					return
				}
			case eqFold(opt, "addr"):
				f.addr = string(val)
			case eqFold(opt, "laddr"):
				f.laddr = string(val)
			case eqFold(opt, "user"):
				if s.acl.users[string(val)] == nil {
					c.Err(fmt.Sprintf("ERR No such user '%s'", trunc(val, 128)))
					return
				}
				f.user = string(val)
			case eqFold(opt, "skipme"):
				switch {
				case eqFold(val, "yes"):
					f.skipMe = true
				case eqFold(val, "no"):
					f.skipMe = false
				default:
					c.Err(errSyntax)
					return
				}
			case eqFold(opt, "maxage"):
				n, ok := parseInt64(val)
				if !ok {
					c.Err("ERR maxage is not an integer or out of range")
					return
				}
				if n <= 0 {
					c.Err("ERR maxage should be greater than 0")
					return
				}
				f.maxAge = n
			default:
				c.Err(errSyntax)
				return
			}
		}
	}
	now := time.Now()
	killed := 0
	for _, cl := range s.liveClients() {
		if !f.matches(cl, c, now) {
			continue
		}
		killed++
		if cl == c {
			// the caller gets its reply, then the connection closes
			c.closeASAP = true
			continue
		}
		s.log.Debug().Str("addr", cl.addr).Uint64("id", cl.id).Msg("Client killed by CLIENT KILL")
		cl.kill()
	}
	if oldForm {
		if killed == 0 {
			c.Err("ERR No such client")
			return
		}
		c.W().OK()
		return
	}
	c.W().Int(int64(killed))
}

// onOff parses ON|OFF for CLIENT NO-EVICT and NO-TOUCH.
func onOff(c *Client, arg []byte, dst *bool) {
	switch {
	case eqFold(arg, "on"):
		*dst = true
	case eqFold(arg, "off"):
		*dst = false
	default:
		c.Err(errSyntax)
		return
	}
	c.W().OK()
}

// clientPauseCommand implements CLIENT PAUSE timeout-ms [WRITE|ALL].
func clientPauseCommand(c *Client, args [][]byte) {
	ms, ok := parseInt64(args[2])
	if !ok {
		c.Err("ERR timeout is not an integer or out of range")
		return
	}
	if ms < 0 {
		c.Err("ERR timeout is negative")
		return
	}
	writeOnly := false
	if len(args) == 4 {
		switch {
		case eqFold(args[3], "write"):
			writeOnly = true
		case eqFold(args[3], "all"):
		default:
			c.Err("ERR CLIENT PAUSE mode must be WRITE or ALL")
			return
		}
	} else if len(args) > 4 {
		c.Err(fmt.Sprintf("ERR unknown subcommand or wrong number of arguments for '%s'. Try CLIENT HELP.", trunc(args[1], 128)))
		return
	}
	c.srv.pause.start(time.Duration(ms)*time.Millisecond, writeOnly)
	c.W().OK()
}

// clientUnblockCommand implements CLIENT UNBLOCK client-id [TIMEOUT|ERROR].
func clientUnblockCommand(c *Client, args [][]byte) {
	id, ok := parseInt64(args[2])
	if !ok {
		c.Err(errNotInt)
		return
	}
	withError := false
	if len(args) == 4 {
		switch {
		case eqFold(args[3], "timeout"):
		case eqFold(args[3], "error"):
			withError = true
		default:
			c.Err("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
			return
		}
	} else if len(args) > 4 {
		c.Err(fmt.Sprintf("ERR unknown subcommand or wrong number of arguments for '%s'. Try CLIENT HELP.", trunc(args[1], 128)))
		return
	}
	if id > 0 && c.srv.unblockByID(uint64(id), withError) {
		c.W().Int(1)
		return
	}
	c.W().Int(0)
}

func clientUnpauseCommand(c *Client, args [][]byte) {
	c.srv.pause.end()
	c.W().OK()
}

// clientReplyCommand implements CLIENT REPLY ON|OFF|SKIP; execute applies the mode to the replies.
func clientReplyCommand(c *Client, args [][]byte) {
	switch {
	case eqFold(args[2], "on"):
		c.replyMode = replyOn
		c.W().OK()
	case eqFold(args[2], "off"):
		c.replyMode = replyOff
	case eqFold(args[2], "skip"):
		// SKIP while replies are off changes nothing, as in Valkey
		if c.replyMode != replyOff {
			c.replyMode = replySkipNext
		}
	default:
		c.Err(errSyntax)
	}
}

var clientHelp = []string{
	"CACHING (YES|NO)",
	"    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
	"GETREDIR",
	"    Return the client ID we are redirecting to when tracking is enabled.",
	"GETNAME",
	"    Return the name of the current connection.",
	"ID",
	"    Return the ID of the current connection.",
	"INFO",
	"    Return information about the current client connection.",
	"KILL <ip:port>",
	"    Kill connection made from <ip:port>.",
	"KILL <option> <value> [<option> <value> [...]]",
	"    Kill connections. Options are:",
	"    * ADDR (<ip:port>|<unixsocket>:0)",
	"      Kill connections made from the specified address",
	"    * LADDR (<ip:port>|<unixsocket>:0)",
	"      Kill connections made to specified local address",
	"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
	"      Kill connections by type.",
	"    * USER <username>",
	"      Kill connections authenticated by <username>.",
	"    * SKIPME (YES|NO)",
	"      Skip killing current connection (default: yes).",
	"    * ID <client-id>",
	"      Kill connections by client id.",
	"    * MAXAGE <maxage>",
	"      Kill connections older than the specified age.",
	"LIST [options ...]",
	"    Return information about client connections. Options:",
	"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
	"      Return clients of specified type.",
	"UNBLOCK <clientid> [TIMEOUT|ERROR]",
	"    Unblock the specified blocked client.",
	"UNPAUSE",
	"    Stop the current client pause, resuming traffic.",
	"PAUSE <timeout> [WRITE|ALL]",
	"    Suspend all, or just write, clients for <timeout> milliseconds.",
	"REPLY (ON|OFF|SKIP)",
	"    Control the replies sent to the current connection.",
	"SETNAME <name>",
	"    Assign the name <name> to the current connection.",
	"SETINFO <option> <value>",
	"    Set client meta attr. Options are:",
	"    * LIB-NAME: the client lib name.",
	"    * LIB-VER: the client lib version.",
	"TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
	"         [OPTIN] [OPTOUT] [NOLOOP]",
	"    Control server assisted client side caching.",
	"TRACKINGINFO",
	"    Report tracking status for the current connection.",
	"NO-EVICT (ON|OFF)",
	"    Protect current client connection from eviction.",
	"NO-TOUCH (ON|OFF)",
	"    Will not touch LRU/LFU stats when this mode is on.",
}

func init() {
	const (
		conn  = "noscript loading stale"
		admin = "admin noscript loading stale"
	)
	register(spec{name: "client", arity: -2, group: "connection", summary: "A container for client connection commands.",
		since: "2.4.0", complexity: "Depends on subcommand.",
		subs: []spec{
			{name: "id", arity: 2, flags: conn, summary: "Returns the unique client ID of the connection.", since: "5.0.0", complexity: "O(1)", handler: clientIDCommand},
			{name: "info", arity: 2, flags: conn, summary: "Returns information about the connection.", since: "6.2.0", complexity: "O(1)", handler: clientInfoCommand},
			{name: "list", arity: -2, flags: admin, summary: "Lists open connections.", since: "2.4.0",
				complexity: "O(N) where N is the number of client connections", handler: clientListCommand},
			{name: "setname", arity: 3, flags: conn, summary: "Sets the connection name.", since: "2.6.9", complexity: "O(1)", handler: clientSetNameCommand},
			{name: "getname", arity: 2, flags: conn, summary: "Returns the name of the connection.", since: "2.6.9", complexity: "O(1)", handler: clientGetNameCommand},
			{name: "setinfo", arity: 4, flags: conn, summary: "Sets information specific to the client or connection.", since: "7.2.0", complexity: "O(1)", handler: clientSetInfoCommand},
			{name: "kill", arity: -3, flags: admin, summary: "Terminates open connections.", since: "2.4.0",
				complexity: "O(N) where N is the number of client connections", handler: clientKillCommand},
			{name: "no-evict", arity: 3, flags: admin, summary: "Sets the client eviction mode of the connection.", since: "7.0.0", complexity: "O(1)",
				handler: func(c *Client, args [][]byte) { onOff(c, args[2], &c.flags.noEvict) }},
			{name: "no-touch", arity: 3, flags: conn, summary: "Controls whether commands sent by the client affect the LRU/LFU of accessed keys.", since: "7.2.0", complexity: "O(1)",
				handler: func(c *Client, args [][]byte) { onOff(c, args[2], &c.flags.noTouch) }},
			{name: "pause", arity: -3, flags: admin, summary: "Suspends commands processing.", since: "3.0.0", complexity: "O(1)", handler: clientPauseCommand},
			{name: "unpause", arity: 2, flags: admin, summary: "Resumes processing commands from paused clients.", since: "6.2.0",
				complexity: "O(N) Where N is the number of paused clients", handler: clientUnpauseCommand},
			{name: "unblock", arity: -3, flags: admin, summary: "Unblocks a client blocked by a blocking command from a different connection.", since: "5.0.0",
				complexity: "O(log N) where N is the number of client connections", handler: clientUnblockCommand},
			{name: "reply", arity: 3, flags: conn, summary: "Instructs the server whether to reply to commands.", since: "3.2.0", complexity: "O(1)", handler: clientReplyCommand},
			// server-assisted client-side caching (tracking.go)
			{name: "tracking", arity: -3, flags: conn, summary: "Controls server-assisted client-side caching for the connection.", since: "6.0.0",
				complexity: "O(1). Some options may introduce additional complexity.", handler: clientTrackingCommand},
			{name: "caching", arity: 3, flags: conn, summary: "Instructs the server whether to track the keys in the next request.", since: "6.0.0", complexity: "O(1)", handler: clientCachingCommand},
			{name: "trackinginfo", arity: 2, flags: conn, summary: "Returns information about server-assisted client-side caching for the connection.", since: "6.2.0", complexity: "O(1)", handler: clientTrackingInfoCommand},
			{name: "getredir", arity: 2, flags: conn, summary: "Returns the client ID to which the connection's tracking notifications are redirected.", since: "6.0.0", complexity: "O(1)", handler: clientGetRedirCommand},
			{name: "help", arity: 2, flags: "loading stale", summary: "Returns helpful text about the different subcommands.", since: "5.0.0", complexity: "O(1)",
				handler: func(c *Client, args [][]byte) { helpReply(c, "CLIENT", clientHelp) }},
		}})
}
