package server

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// clientLineRE is the CLIENT LIST line format, field by field in Valkey's order.
var clientLineRE = regexp.MustCompile(`^id=(\d+) addr=(\S+) laddr=(\S+) fd=(-?\d+) name=(\S*) age=(\d+) idle=(\d+) ` +
	`flags=([A-Za-z]+) db=(\d+) sub=(\d+) psub=(\d+) ssub=(\d+) multi=(-?\d+) watch=(\d+) qbuf=(\d+) qbuf-free=(\d+) ` +
	`argv-mem=(\d+) multi-mem=(\d+) rbs=(\d+) rbp=(\d+) obl=(\d+) oll=(\d+) omem=(\d+) tot-mem=(\d+) events=(r|rw|w) ` +
	`cmd=(\S+) user=(\S*) redir=(-?\d+) resp=([23]) lib-name=(\S*) lib-ver=(\S*) tot-net-in=(\d+) tot-net-out=(\d+) tot-cmds=(\d+)$`)

// clientFields parses one CLIENT LIST line into its fields.
func clientFields(t *testing.T, line string) map[string]string {
	t.Helper()
	if !clientLineRE.MatchString(line) {
		t.Fatalf("CLIENT LIST line does not have Valkey's format:\n%s", line)
	}
	m := map[string]string{}
	for _, f := range strings.Split(line, " ") {
		k, v, _ := strings.Cut(f, "=")
		m[k] = v
	}
	return m
}

// clientList runs CLIENT LIST (with options) and returns its lines.
func clientList(t *testing.T, r *rawConn, opts ...string) []string {
	t.Helper()
	reply := r.do(append([]string{"CLIENT", "LIST"}, opts...)...)
	text, err := strconv.Unquote(reply)
	if err != nil {
		t.Fatalf("CLIENT LIST reply %q", reply)
	}
	if text == "" {
		return nil
	}
	if !strings.HasSuffix(text, "\n") {
		t.Fatalf("CLIENT LIST does not end with a newline: %q", text)
	}
	return strings.Split(strings.TrimSuffix(text, "\n"), "\n")
}

func clientInfo(t *testing.T, r *rawConn) map[string]string {
	t.Helper()
	reply := r.do("CLIENT", "INFO")
	text, err := strconv.Unquote(reply)
	if err != nil || !strings.HasSuffix(text, "\n") || strings.Count(text, "\n") != 1 {
		t.Fatalf("CLIENT INFO reply %q", reply)
	}
	return clientFields(t, strings.TrimSuffix(text, "\n"))
}

func TestClientListAndInfo(t *testing.T) {
	n := startNode(t)
	a, b := n.raw(), n.raw()
	mustDo(t, a, "OK", "CLIENT", "SETNAME", "alpha")
	mustDo(t, a, "OK", "SELECT", "2")
	mustDo(t, a, "OK", "MULTI")
	mustDo(t, a, "QUEUED", "SET", "k", "v")
	mustDo(t, b, "OK", "CLIENT", "SETINFO", "LIB-NAME", "mylib")
	mustDo(t, b, "OK", "CLIENT", "SETINFO", "lib-ver", "1.2.3")
	mustDo(t, b, "OK", "CLIENT", "NO-EVICT", "on")
	mustDo(t, b, "OK", "CLIENT", "NO-TOUCH", "on")
	mustDo(t, b, "OK", "WATCH", "x", "y")
	info := clientInfo(t, b)
	want := map[string]string{"name": "", "flags": "eT", "db": "0", "multi": "-1", "watch": "2", "cmd": "client|info",
		"user": "default", "resp": "2", "lib-name": "mylib", "lib-ver": "1.2.3", "redir": "-1", "events": "r",
		"addr": b.c.LocalAddr().String(), "laddr": b.c.RemoteAddr().String()}
	for k, v := range want {
		if info[k] != v {
			t.Errorf("CLIENT INFO %s = %q, want %q", k, info[k], v)
		}
	}
	lines := clientList(t, b)
	if len(lines) != 2 {
		t.Fatalf("CLIENT LIST has %d lines:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	// the two connections are registered by their own goroutines, in either order: find alpha by name
	l0, l1 := clientFields(t, lines[0]), clientFields(t, lines[1])
	first, caller := l0, l1
	if l1["name"] == "alpha" {
		first, caller = l1, l0
	}
	for k, v := range map[string]string{"name": "alpha", "db": "2", "flags": "x", "multi": "1", "cmd": "set",
		"addr": a.c.LocalAddr().String()} {
		if first[k] != v {
			t.Errorf("alpha's line %s = %q, want %q", k, first[k], v)
		}
	}
	if caller["cmd"] != "client|list" {
		t.Errorf("the caller's own line shows cmd=%s", caller["cmd"])
	}
	id0, _ := strconv.Atoi(l0["id"])
	id1, _ := strconv.Atoi(l1["id"])
	if id0 >= id1 {
		t.Error("CLIENT LIST not in id order")
	}
	// ID and TYPE filters
	if got := clientList(t, b, "ID", first["id"], "999999"); len(got) != 1 || clientFields(t, got[0])["name"] != "alpha" {
		t.Errorf("CLIENT LIST ID: %q", got)
	}
	if got := clientList(t, b, "TYPE", "normal"); len(got) != 2 {
		t.Errorf("CLIENT LIST TYPE normal: %d lines", len(got))
	}
	for _, typ := range []string{"pubsub", "master", "replica", "slave"} {
		if got := clientList(t, b, "TYPE", typ); len(got) != 0 {
			t.Errorf("CLIENT LIST TYPE %s: %q", typ, got)
		}
	}
	// a subscriber is of type pubsub, with its counts and the P flag
	s := n.raw()
	s.do("SUBSCRIBE", "c1", "c2")
	s.reply()
	s.do("PSUBSCRIBE", "p*")
	if got := clientList(t, b, "TYPE", "PUBSUB"); len(got) != 1 {
		t.Fatalf("CLIENT LIST TYPE pubsub: %q", got)
	} else if f := clientFields(t, got[0]); f["flags"] != "P" || f["sub"] != "2" || f["psub"] != "1" {
		t.Errorf("subscriber line: %s", got[0])
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"TYPE", "bogus"}, "-ERR Unknown client type 'bogus'"},
		{[]string{"ID", "x"}, "-ERR Invalid client ID"},
		{[]string{"ID", "0"}, "-ERR Invalid client ID"},
		{[]string{"BOGUS"}, "-ERR syntax error"},
		{[]string{"TYPE"}, "-ERR syntax error"},
	}
	for _, tc := range cases {
		if got := b.do(append([]string{"CLIENT", "LIST"}, tc.args...)...); got != tc.want {
			t.Errorf("CLIENT LIST %v = %s, want %s", tc.args, got, tc.want)
		}
	}
}

func TestClientNameAndSetInfo(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"CLIENT", "GETNAME"}, "(nil)"},
		{[]string{"CLIENT", "SETNAME", "worker-1"}, "OK"},
		{[]string{"CLIENT", "GETNAME"}, `"worker-1"`},
		{[]string{"CLIENT", "SETNAME", "has space"}, "-ERR Client names cannot contain spaces, newlines or special characters."},
		{[]string{"CLIENT", "SETNAME", "new\nline"}, "-ERR Client names cannot contain spaces, newlines or special characters."},
		{[]string{"CLIENT", "GETNAME"}, `"worker-1"`},
		{[]string{"CLIENT", "SETNAME", ""}, "OK"},
		{[]string{"CLIENT", "GETNAME"}, "(nil)"},
		{[]string{"CLIENT", "SETINFO", "lib-name", "go redis"}, "-ERR lib-name cannot contain spaces, newlines or special characters."},
		{[]string{"CLIENT", "SETINFO", "LIB-VER", "9\n"}, "-ERR LIB-VER cannot contain spaces, newlines or special characters."},
		{[]string{"CLIENT", "SETINFO", "lib-colour", "red"}, "-ERR Unrecognized option 'lib-colour'"},
		{[]string{"CLIENT", "SETINFO", "lib-name"}, "-ERR wrong number of arguments for 'client|setinfo' command"},
		{[]string{"CLIENT", "ID", "x"}, "-ERR wrong number of arguments for 'client|id' command"},
		{[]string{"CLIENT", "NO-TOUCH", "maybe"}, "-ERR syntax error"},
		{[]string{"CLIENT", "NO-EVICT", "maybe"}, "-ERR syntax error"},
		{[]string{"CLIENT", "BOGUS"}, "-ERR unknown subcommand 'BOGUS'. Try CLIENT HELP."},
		// go-redis sends this on connect and tolerates the error
		{[]string{"CLIENT", "MAINT_NOTIFICATIONS", "on", "moving-endpoint-type", "internal-ip"}, "-ERR unknown subcommand 'MAINT_NOTIFICATIONS'. Try CLIENT HELP."},
	}
	for _, tc := range cases {
		if got := r.do(tc.args...); got != tc.want {
			t.Errorf("%v = %s, want %s", tc.args, got, tc.want)
		}
	}
	if id := r.do("CLIENT", "ID"); id != ":"+clientInfo(t, r)["id"] {
		t.Errorf("CLIENT ID %s does not match CLIENT INFO", id)
	}
	// RESET clears the name and the flags
	mustDo(t, r, "OK", "CLIENT", "SETNAME", "x")
	mustDo(t, r, "OK", "CLIENT", "NO-EVICT", "ON")
	mustDo(t, r, "RESET", "RESET")
	if f := clientInfo(t, r); f["name"] != "" || f["flags"] != "N" {
		t.Errorf("after RESET: name=%q flags=%q", f["name"], f["flags"])
	}
	help := r.do("CLIENT", "HELP")
	for _, sub := range []string{"KILL <option> <value>", "PAUSE <timeout> [WRITE|ALL]", "NO-TOUCH (ON|OFF)", "SETINFO <option> <value>"} {
		if !strings.Contains(help, sub) {
			t.Errorf("CLIENT HELP lacks %q", sub)
		}
	}
}

// TestClientGoRedis: go-redis identifies itself on connect (SETINFO), and the connection works although
// CLIENT MAINT_NOTIFICATIONS is refused.
func TestClientGoRedis(t *testing.T) {
	n := startNode(t)
	ctx := context.Background()
	c := n.client(func(o *redis.Options) { o.ClientName = "app-7" })
	conn := c.Conn()
	defer conn.Close()
	if err := conn.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	info, err := conn.ClientInfo(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	if info.Name != "app-7" || !strings.HasPrefix(info.LibName, "go-redis") || info.LibVer == "" || info.Resp != 3 {
		t.Fatalf("go-redis CLIENT INFO: %+v", info)
	}
	list, err := conn.ClientList(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	f := clientFields(t, strings.TrimSuffix(list, "\n"))
	if id, err := conn.ClientID(ctx).Result(); err != nil || strconv.FormatInt(id, 10) != f["id"] || info.ID != id {
		t.Fatalf("CLIENT ID = %d, %v; CLIENT LIST id=%s; CLIENT INFO id=%d", id, err, f["id"], info.ID)
	}
}

// TestClientKillFilters kills one victim per filter and checks the count, that the victim's connection is
// closed, and that the caller survives.
func TestClientKillFilters(t *testing.T) {
	n := startNode(t, "user", "killme on nopass +@all ~*")
	admin := n.raw()
	cases := []struct {
		name  string
		setup func(v *rawConn) // prepares the victim
		args  func(v *rawConn, vf map[string]string) []string
		want  string
	}{
		{"ID", nil, func(v *rawConn, vf map[string]string) []string { return []string{"ID", vf["id"]} }, ":1"},
		{"ADDR", nil, func(v *rawConn, vf map[string]string) []string { return []string{"ADDR", vf["addr"]} }, ":1"},
		{"old form", nil, func(v *rawConn, vf map[string]string) []string { return []string{vf["addr"]} }, "OK"},
		{"LADDR and ID", nil, func(v *rawConn, vf map[string]string) []string {
			return []string{"LADDR", vf["laddr"], "ID", vf["id"]}
		}, ":1"},
		{"USER", func(v *rawConn) { mustDo(t, v, "OK", "AUTH", "killme", "x") },
			func(v *rawConn, vf map[string]string) []string { return []string{"USER", "killme"} }, ":1"},
		{"TYPE pubsub", func(v *rawConn) { v.do("SUBSCRIBE", "ch") },
			func(v *rawConn, vf map[string]string) []string { return []string{"TYPE", "pubsub"} }, ":1"},
		{"TYPE normal SKIPME yes", nil, func(v *rawConn, vf map[string]string) []string {
			return []string{"TYPE", "normal", "SKIPME", "yes"}
		}, ":1"},
		{"MAXAGE", nil, func(v *rawConn, vf map[string]string) []string {
			// every client is at least 1 second old once a second has passed; the admin is spared by SKIPME
			waitFor(t, "the victim to age", func() bool { age, _ := strconv.Atoi(clientInfo(t, v)["age"]); return age >= 1 })
			return []string{"MAXAGE", "1"}
		}, ":1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := n.raw()
			mustDo(t, v, "PONG", "PING")
			if tc.setup != nil {
				tc.setup(v)
			}
			vf := clientInfoOf(t, admin, v)
			if got := admin.do(append([]string{"CLIENT", "KILL"}, tc.args(v, vf)...)...); got != tc.want {
				t.Fatalf("CLIENT KILL: %s, want %s", got, tc.want)
			}
			if !v.closed() {
				t.Fatal("victim still connected")
			}
			mustDo(t, admin, "PONG", "PING")
			for _, l := range clientList(t, admin) {
				if clientFields(t, l)["id"] == vf["id"] {
					t.Fatalf("killed client still listed: %s", l)
				}
			}
		})
	}
	// filters that match nothing, and errors
	errs := []struct {
		args []string
		want string
	}{
		{[]string{"ID", "999999"}, ":0"},
		{[]string{"USER", "default", "ID", "999999"}, ":0"},
		{[]string{"TYPE", "master"}, ":0"},
		{[]string{"1.2.3.4:5"}, "-ERR No such client"},
		{[]string{"ID", "0"}, "-ERR client-id should be greater than 0"},
		{[]string{"ID", "abc"}, "-ERR client-id should be greater than 0"},
		{[]string{"TYPE", "bogus"}, "-ERR Unknown client type 'bogus'"},
		{[]string{"USER", "nosuchuser"}, "-ERR No such user 'nosuchuser'"},
		{[]string{"SKIPME", "maybe"}, "-ERR syntax error"},
		{[]string{"MAXAGE", "x"}, "-ERR maxage is not an integer or out of range"},
		{[]string{"MAXAGE", "0"}, "-ERR maxage should be greater than 0"},
		{[]string{"BOGUS", "x"}, "-ERR syntax error"},
		{[]string{"ID", "1", "SKIPME"}, "-ERR syntax error"},
	}
	for _, tc := range errs {
		if got := admin.do(append([]string{"CLIENT", "KILL"}, tc.args...)...); got != tc.want {
			t.Errorf("CLIENT KILL %v = %s, want %s", tc.args, got, tc.want)
		}
	}
	// killing itself: the reply arrives, then the connection closes
	self := clientInfo(t, admin)
	mustDo(t, admin, ":1", "CLIENT", "KILL", "ID", self["id"], "SKIPME", "no")
	if !admin.closed() {
		t.Fatal("a client that killed itself stays connected")
	}
}

// clientInfoOf finds v's line in CLIENT LIST as seen from admin (by v's local address).
func clientInfoOf(t *testing.T, admin, v *rawConn) map[string]string {
	t.Helper()
	for _, l := range clientList(t, admin) {
		f := clientFields(t, l)
		if f["addr"] == v.c.LocalAddr().String() {
			return f
		}
	}
	t.Fatal("victim not in CLIENT LIST")
	return nil
}

// readsNothing reports whether no reply arrives on r within a short wait: used to show that a command is
// held back (a reply that is not held arrives in microseconds, so a slow machine can only make this pass
// wrongly, never fail wrongly).
func readsNothing(r *rawConn) bool {
	r.c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	_, err := r.br.Peek(1)
	r.c.SetReadDeadline(time.Time{})
	return err != nil && isTimeout(err)
}

func TestClientPauseWrite(t *testing.T) {
	n := startNode(t)
	admin, w, rd := n.raw(), n.raw(), n.raw()
	mustDo(t, w, "OK", "SET", "k", "before")
	mustDo(t, admin, "OK", "CLIENT", "PAUSE", "100000", "WRITE")
	// reads go on
	mustDo(t, rd, `"before"`, "GET", "k")
	mustDo(t, rd, "PONG", "PING")
	// a write waits
	w.cmd("SET", "k", "after")
	if !readsNothing(w) {
		t.Fatalf("SET answered during CLIENT PAUSE WRITE: %s", w.reply())
	}
	mustDo(t, rd, `"before"`, "GET", "k")
	// so does an EXEC whose transaction writes
	x := n.raw()
	mustDo(t, x, "OK", "MULTI")
	mustDo(t, x, "QUEUED", "INCR", "counter")
	x.cmd("EXEC")
	if !readsNothing(x) {
		t.Fatalf("EXEC with a write answered during the pause: %s", x.reply())
	}
	mustDo(t, admin, "OK", "CLIENT", "UNPAUSE")
	if got := w.reply(); got != "OK" {
		t.Fatalf("SET after UNPAUSE: %s", got)
	}
	if got := x.reply(); got != "[:1]" {
		t.Fatalf("EXEC after UNPAUSE: %s", got)
	}
	mustDo(t, rd, `"after"`, "GET", "k")
}

func TestClientPauseAllEndsByItself(t *testing.T) {
	n := startNode(t)
	admin, rd := n.raw(), n.raw()
	mustDo(t, admin, "OK", "CLIENT", "PAUSE", "2000", "ALL")
	rd.cmd("GET", "k")
	if !readsNothing(rd) {
		t.Fatalf("GET answered during CLIENT PAUSE ALL: %s", rd.reply())
	}
	// the pause ends at its timeout
	if got := rd.reply(); got != "(nil)" {
		t.Fatalf("GET after the pause: %s", got)
	}
	errs := []struct {
		args []string
		want string
	}{
		{[]string{"x"}, "-ERR timeout is not an integer or out of range"},
		{[]string{"-1"}, "-ERR timeout is negative"},
		{[]string{"10", "READS"}, "-ERR CLIENT PAUSE mode must be WRITE or ALL"},
		{[]string{"10", "WRITE", "x"}, "-ERR unknown subcommand or wrong number of arguments for 'PAUSE'. Try CLIENT HELP."},
	}
	for _, tc := range errs {
		if got := admin.do(append([]string{"CLIENT", "PAUSE"}, tc.args...)...); got != tc.want {
			t.Errorf("CLIENT PAUSE %v = %s, want %s", tc.args, got, tc.want)
		}
	}
}

// TestClientPauseKeepsStricterAndLonger: a shorter or weaker CLIENT PAUSE does not shorten or weaken the
// one in effect.
func TestClientPauseKeepsStricterAndLonger(t *testing.T) {
	var p pauseState
	p.start(time.Hour, false)
	deadline := p.deadline
	p.start(time.Millisecond, true)
	if !p.active || p.writeOnly || !p.deadline.Equal(deadline) {
		t.Fatalf("pause weakened or shortened: %+v", p)
	}
	p.end()
	p.start(time.Millisecond, true)
	p.start(time.Hour, false)
	if p.writeOnly || p.deadline.Before(time.Now().Add(time.Minute)) {
		t.Fatalf("pause not strengthened and lengthened: %+v", p)
	}
	p.end()
	if p.active {
		t.Fatal("still active after end")
	}
}

// TestClientKillWhilePaused: a client killed while its command waits for the end of a pause does not run
// it.
func TestClientKillWhilePaused(t *testing.T) {
	n := startNode(t)
	admin, v := n.raw(), n.raw()
	mustDo(t, admin, "OK", "CLIENT", "PAUSE", "100000", "WRITE")
	vf := clientInfoOf(t, admin, v)
	v.cmd("SET", "k", "v")
	if !readsNothing(v) {
		t.Fatal("SET not paused")
	}
	mustDo(t, admin, ":1", "CLIENT", "KILL", "ID", vf["id"])
	mustDo(t, admin, "OK", "CLIENT", "UNPAUSE")
	if !v.closed() {
		t.Fatal("victim still connected")
	}
	mustDo(t, admin, "(nil)", "GET", "k")
}

func TestClientReplyModes(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	// OFF: nothing until ON, which replies
	r.cmd("CLIENT", "REPLY", "OFF")
	r.cmd("SET", "a", "1")
	r.cmd("GET", "a")
	r.cmd("NOSUCH")
	r.cmd("CLIENT", "REPLY", "SKIP") // no effect while off
	mustDo(t, r, "OK", "CLIENT", "REPLY", "ON")
	mustDo(t, r, `"1"`, "GET", "a")
	// SKIP: only the next command's reply is dropped
	r.cmd("CLIENT", "REPLY", "SKIP")
	r.cmd("INCR", "a")
	mustDo(t, r, `"2"`, "GET", "a")
	mustDo(t, r, `"2"`, "GET", "a")
	// SKIP twice in a row: the second SKIP is the skipped command and arms the next skip
	r.cmd("CLIENT", "REPLY", "SKIP")
	r.cmd("CLIENT", "REPLY", "SKIP")
	r.cmd("INCR", "a")
	mustDo(t, r, `"3"`, "GET", "a")
	mustDo(t, r, "-ERR syntax error", "CLIENT", "REPLY", "MAYBE")
	// pipelined: the replies line up with the commands that have one
	r.send("*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$3\r\nOFF\r\nPING\r\n*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$2\r\nON\r\nPING\r\n")
	if a, b := r.reply(), r.reply(); a != "OK" || b != "PONG" {
		t.Fatalf("pipelined OFF/ON: %s %s", a, b)
	}
}

// TestClientNoTouch: with NO-TOUCH on, reading a key does not refresh its LRU clock (OBJECT IDLETIME
// keeps growing); with it off, it does. The key is made to look idle by setting its LRU clock back.
func TestClientNoTouch(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	mustDo(t, r, "OK", "SET", "k", "v")
	age := func() {
		n.srv.mu.Lock()
		n.srv.dbs[0].Get([]byte("k")).LRU -= 1000
		n.srv.mu.Unlock()
	}
	idle := func() int {
		v, err := strconv.Atoi(strings.TrimPrefix(r.do("OBJECT", "IDLETIME", "k"), ":"))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	age()
	mustDo(t, r, "OK", "CLIENT", "NO-TOUCH", "ON")
	mustDo(t, r, `"v"`, "GET", "k")
	if i := idle(); i < 1000 {
		t.Fatalf("GET with NO-TOUCH on refreshed the key: idle %d", i)
	}
	if f := clientInfo(t, r); f["flags"] != "T" {
		t.Fatalf("flags = %q", f["flags"])
	}
	mustDo(t, r, "OK", "CLIENT", "NO-TOUCH", "OFF")
	mustDo(t, r, `"v"`, "GET", "k")
	if i := idle(); i > 2 {
		t.Fatalf("GET with NO-TOUCH off left idle %d", i)
	}
}

// TestMaxClients: past maxclients a connection gets Valkey's error and is closed; the count recovers when
// a client leaves.
func TestMaxClients(t *testing.T) {
	n := startNode(t, "maxclients", "2")
	a, b := n.raw(), n.raw()
	mustDo(t, a, "PONG", "PING")
	mustDo(t, b, "PONG", "PING")
	c := n.raw()
	if l := c.line(); l != "-ERR max number of clients reached" {
		t.Fatalf("third client: %q", l)
	}
	if !c.closed() {
		t.Fatal("refused client not closed")
	}
	b.c.Close()
	waitFor(t, "the client count to drop", func() bool {
		n.srv.mu.Lock()
		defer n.srv.mu.Unlock()
		return len(n.srv.clients) == 1
	})
	mustDo(t, n.raw(), "PONG", "PING")
	if m := infoMap(t, a, "stats"); m["rejected_connections"] != "1" {
		t.Fatalf("rejected_connections = %s", m["rejected_connections"])
	}
}

// TestIdleTimeout: a client idle for longer than timeout is disconnected; an active one and a subscriber
// are not.
func TestIdleTimeout(t *testing.T) {
	n := startNode(t, "timeout", "1")
	idle, sub := n.raw(), n.raw()
	mustDo(t, idle, "PONG", "PING")
	sub.do("SUBSCRIBE", "ch")
	if !idle.closed() {
		t.Fatal("idle client not disconnected")
	}
	// the subscriber outlived the idle client's timeout and still works
	mustDo(t, n.raw(), ":1", "PUBLISH", "ch", "hello")
	if got := sub.reply(); got != `["message" "ch" "hello"]` {
		t.Fatalf("subscriber: %s", got)
	}
}

// TestClientUnblock: a client waiting in BLPOP shows in INFO and CLIENT LIST, and CLIENT UNBLOCK ends its
// wait as a timeout or as an error.
func TestClientUnblock(t *testing.T) {
	n := startNode(t)
	admin, v := n.raw(), n.raw()
	id := clientInfo(t, v)["id"]
	for _, tc := range []struct{ reason, reply string }{
		{"TIMEOUT", "(nil)"},
		{"ERROR", "-UNBLOCKED client unblocked via CLIENT UNBLOCK"},
	} {
		v.cmd("BLPOP", "nolist", "0")
		waitFor(t, "the client to block", func() bool { return infoMap(t, admin, "clients")["blocked_clients"] == "1" })
		if f := clientInfoOf(t, admin, v); f["flags"] != "b" || f["cmd"] != "blpop" {
			t.Fatalf("blocked client line: %v", f)
		}
		if m := infoMap(t, admin, "clients"); m["total_blocking_keys"] != "1" {
			t.Fatalf("total_blocking_keys = %s", m["total_blocking_keys"])
		}
		mustDo(t, admin, ":1", "CLIENT", "UNBLOCK", id, tc.reason)
		if got := v.reply(); got != tc.reply {
			t.Fatalf("unblocked with %s: %s", tc.reason, got)
		}
	}
	mustDo(t, admin, ":0", "CLIENT", "UNBLOCK", id)
	mustDo(t, admin, ":0", "CLIENT", "UNBLOCK", "999999")
	mustDo(t, admin, "-ERR value is not an integer or out of range", "CLIENT", "UNBLOCK", "x")
	mustDo(t, admin, "-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR", "CLIENT", "UNBLOCK", id, "LATER")
}
