package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/valkey-node/valkey-node/server/config"
)

// aclExpect runs a command and compares the rendered reply.
func aclExpect(t *testing.T, r *rawConn, want string, args ...string) {
	t.Helper()
	if got := r.do(args...); got != want {
		t.Fatalf("%q: got %q, want %q", args, got, want)
	}
}

// aclAuthAs opens a connection authenticated as user.
func aclAuthAs(t *testing.T, n *testNode, user, pass string) *rawConn {
	t.Helper()
	r := n.raw()
	aclExpect(t, r, "OK", "AUTH", user, pass)
	return r
}

func aclSHA(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// aclCounters reads the ACL refusal counters of INFO stats.
func aclCounters(n *testNode) [5]int64 {
	n.srv.mu.Lock()
	defer n.srv.mu.Unlock()
	st := &n.srv.stats
	return [5]int64{st.aclDeniedAuth, st.aclDeniedCmd, st.aclDeniedKey, st.aclDeniedChannel, st.aclDeniedTLSCert}
}

func TestACLDenialTable(t *testing.T) {
	n := startNode(t)
	admin := n.raw()
	users := [][]string{
		{"reader", "on", ">p", "~*", "+@read"},
		{"safe", "on", ">p", "~*", "&*", "+@all", "-@dangerous"},
		{"whoami", "on", ">p", "+acl|whoami"},
		{"aclnodel", "on", ">p", "-@all", "+acl", "-acl|deluser"},
		{"conn", "on", ">p", "~*", "+@connection"},
		{"strings", "on", ">p", "~*", "+@string"},
		{"sel0", "on", ">p", "-@all", "+select|0"},
		{"app", "on", ">p", "+@all", "~app:*"},
		{"rw", "on", ">p", "+@all", "%R~r:*", "%W~w:*"},
		{"nothing", "on", ">p"},
		{"multi", "on", ">p", "+@all", "~a*", "(~b* +get)"},
	}
	for _, u := range users {
		aclExpect(t, admin, "OK", append([]string{"ACL", "SETUSER"}, u...)...)
	}
	aclExpect(t, admin, "OK", "SET", "app:1", "v")
	cases := []struct {
		user string
		args []string
		want string
	}{
		{"reader", []string{"GET", "k"}, "(nil)"},
		{"reader", []string{"SET", "k", "v"}, "-NOPERM User reader has no permissions to run the 'set' command"},
		{"reader", []string{"PING"}, "-NOPERM User reader has no permissions to run the 'ping' command"},
		{"safe", []string{"SET", "k", "v"}, "OK"},
		{"safe", []string{"ACL", "SETUSER", "x"}, "-NOPERM User safe has no permissions to run the 'acl|setuser' command"},
		{"safe", []string{"MONITOR"}, "-NOPERM User safe has no permissions to run the 'monitor' command"},
		{"safe", []string{"ACL", "WHOAMI"}, `"safe"`},
		{"whoami", []string{"ACL", "WHOAMI"}, `"whoami"`},
		{"whoami", []string{"ACL", "USERS"}, "-NOPERM User whoami has no permissions to run the 'acl|users' command"},
		{"whoami", []string{"GET", "k"}, "-NOPERM User whoami has no permissions to run the 'get' command"},
		{"aclnodel", []string{"ACL", "DELUSER", "nobody"}, "-NOPERM User aclnodel has no permissions to run the 'acl|deluser' command"},
		{"aclnodel", []string{"ACL", "DRYRUN", "reader", "GET", "k"}, "OK"},
		{"conn", []string{"PING"}, "PONG"},
		{"conn", []string{"ECHO", "hi"}, `"hi"`},
		{"conn", []string{"GET", "k"}, "-NOPERM User conn has no permissions to run the 'get' command"},
		{"strings", []string{"SET", "k", "v"}, "OK"},
		{"strings", []string{"GET", "k"}, `"v"`},
		{"strings", []string{"PING"}, "-NOPERM User strings has no permissions to run the 'ping' command"},
		{"sel0", []string{"SELECT", "0"}, "OK"},
		{"sel0", []string{"SELECT", "1"}, "-NOPERM User sel0 has no permissions to run the 'select' command"},
		{"app", []string{"GET", "app:1"}, `"v"`},
		{"app", []string{"GET", "other"}, "-NOPERM No permissions to access a key"},
		{"app", []string{"SET", "other", "v"}, "-NOPERM No permissions to access a key"},
		{"rw", []string{"GET", "r:1"}, "(nil)"},
		{"rw", []string{"SET", "r:1", "v"}, "-NOPERM No permissions to access a key"},
		{"rw", []string{"SET", "w:1", "v"}, "OK"},
		{"rw", []string{"GET", "w:1"}, "-NOPERM No permissions to access a key"},
		// SET ... GET returns the old value, so it needs read access too
		{"rw", []string{"SET", "w:1", "v", "GET"}, "-NOPERM No permissions to access a key"},
		{"nothing", []string{"PING"}, "-NOPERM User nothing has no permissions to run the 'ping' command"},
		// commands that work before authentication are never refused
		{"nothing", []string{"AUTH", "nothing", "p"}, "OK"},
		{"multi", []string{"GET", "a1"}, "(nil)"},
		{"multi", []string{"GET", "b1"}, "(nil)"},
		{"multi", []string{"SET", "b1", "v"}, "-NOPERM No permissions to access a key"},
		{"multi", []string{"GET", "c1"}, "-NOPERM No permissions to access a key"},
	}
	for _, tc := range cases {
		r := aclAuthAs(t, n, tc.user, "p")
		if got := r.do(tc.args...); got != tc.want {
			t.Errorf("%s %q: got %q, want %q", tc.user, tc.args, got, tc.want)
		}
	}
	// every refusal above was counted: 11 command refusals and 7 key refusals
	if c := aclCounters(n); c[1] != 11 || c[2] != 7 {
		t.Errorf("acl_access_denied_cmd/key = %d/%d, want 11/7", c[1], c[2])
	}
}

func TestACLDryRun(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	aclExpect(t, r, "OK", "ACL", "SETUSER", "u", "on", "+get", "~k*")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"u", "GET", "k1"}, "OK"},
		{[]string{"u", "GET", "x"}, `"User u has no permissions to access the 'x' key"`},
		{[]string{"u", "SET", "k1", "v"}, `"User u has no permissions to run the 'set' command"`},
		{[]string{"nobody", "GET", "k"}, "-ERR User 'nobody' not found"},
		{[]string{"u", "NOPE"}, "-ERR Command 'NOPE' not found"},
		{[]string{"u", "GET"}, "-ERR wrong number of arguments for 'get' command"},
		{[]string{"default", "SET", "a", "b"}, "OK"},
	}
	for _, tc := range cases {
		aclExpect(t, r, tc.want, append([]string{"ACL", "DRYRUN"}, tc.args...)...)
	}
}

func TestACLSetUserErrors(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"u", "heeyyyy"}, "-ERR Error in ACL SETUSER modifier 'heeyyyy': Syntax error"},
		{[]string{"u", "+nosuchcommand"}, "-ERR Error in ACL SETUSER modifier '+nosuchcommand': Unknown command or category name in ACL"},
		{[]string{"u", "-@nosuchcat"}, "-ERR Error in ACL SETUSER modifier '-@nosuchcat': Unknown command or category name in ACL"},
		{[]string{"u", "+acl|nosuchsub"}, "-ERR Error in ACL SETUSER modifier '+acl|nosuchsub': Unknown command or category name in ACL"},
		{[]string{"u", "+acl|"}, "-ERR Error in ACL SETUSER modifier '+acl|': Syntax error"},
		{[]string{"u", "+acl|whoami|x"}, "-ERR Error in ACL SETUSER modifier '+acl|whoami|x': Allowing first-arg of a subcommand is not supported"},
		{[]string{"u", "allkeys", "~foo"}, "-ERR Error in ACL SETUSER modifier '~foo': Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns"},
		{[]string{"u", "allchannels", "&foo"}, "-ERR Error in ACL SETUSER modifier '&foo': Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels"},
		{[]string{"u", "<notthere"}, "-ERR Error in ACL SETUSER modifier '<notthere': The password you are trying to remove from the user does not exist"},
		{[]string{"u", "#abc"}, "-ERR Error in ACL SETUSER modifier '#abc': The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"},
		{[]string{"u", "%X~k"}, "-ERR Error in ACL SETUSER modifier '%X~k': Syntax error"},
		{[]string{"u", "(~x", "+get"}, "-ERR Unmatched parenthesis in acl selector starting at '(~x'."},
		{[]string{"a b"}, "-ERR Usernames can't contain spaces or null characters"},
	}
	for _, tc := range cases {
		aclExpect(t, r, tc.want, append([]string{"ACL", "SETUSER"}, tc.args...)...)
	}
	// SETUSER is all or nothing: a bad rule leaves no user behind, and an existing user unchanged
	aclExpect(t, r, "(nil)", "ACL", "GETUSER", "u")
	aclExpect(t, r, "OK", "ACL", "SETUSER", "v", "on", "+get")
	aclExpect(t, r, "-ERR Error in ACL SETUSER modifier 'bad': Syntax error", "ACL", "SETUSER", "v", "off", "+set", "bad")
	if got := r.do("ACL", "LIST"); !strings.Contains(got, `"user v on sanitize-payload resetchannels -@all +get"`) {
		t.Errorf("user changed by a refused SETUSER: %s", got)
	}
	aclExpect(t, r, "-ERR The 'default' user cannot be removed", "ACL", "DELUSER", "v", "default")
	aclExpect(t, r, ":1", "ACL", "DELUSER", "v", "nosuch")
	aclExpect(t, r, ":0", "ACL", "DELUSER", "v")
}

func TestACLListAndGetUser(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	steps := [][]string{
		{"alice"},
		{"bob", "on", ">pass", "~k*", "%R~r*", "%W~w*", "%RW~rw*", "&ch*", "+@read", "-get", "+set"},
		{"carol", "on", "nopass", "allkeys", "+get", "(~x* +set)", "(%R~y* &news +@string)"},
		{"dave", "+get", "-get", "+acl|whoami", "+acl"},
		{"erin", "+@all", "-@dangerous", "+select|0", "-set", "+set", "~a", "~a", "%R~b", "%W~b"},
		{"frank", "on", ">one", ">two", "<one", "#" + aclSHA("three"), "!" + aclSHA("two"), "skip-sanitize-payload", "reset", "on", "nopass", "allchannels"},
	}
	for _, s := range steps {
		aclExpect(t, r, "OK", append([]string{"ACL", "SETUSER"}, s...)...)
	}
	want := "[" + strings.Join([]string{
		`"user alice off sanitize-payload resetchannels -@all"`,
		`"user bob on sanitize-payload #` + aclSHA("pass") + ` ~k* %R~r* %W~w* ~rw* resetchannels &ch* -@all +@read -get +set"`,
		`"user carol on nopass sanitize-payload ~* resetchannels -@all +get (~x* resetchannels -@all +set) (%R~y* resetchannels &news -@all +@string)"`,
		`"user dave off sanitize-payload resetchannels -@all -get +acl"`,
		`"user default on nopass sanitize-payload ~* &* +@all"`,
		`"user erin off sanitize-payload ~a ~b resetchannels +@all -@dangerous +select|0 +set"`,
		`"user frank on nopass sanitize-payload &* -@all"`,
	}, " ") + "]"
	aclExpect(t, r, want, "ACL", "LIST")
	aclExpect(t, r, `["alice" "bob" "carol" "dave" "default" "erin" "frank"]`, "ACL", "USERS")

	// GETUSER in RESP2 (flat map) and RESP3
	aclExpect(t, r, `["flags" ["on" "sanitize-payload"] "passwords" ["`+aclSHA("pass")+`"] "commands" "-@all +@read -get +set" "keys" "~k* %R~r* %W~w* ~rw*" "channels" "&ch*" "selectors" []]`,
		"ACL", "GETUSER", "bob")
	aclExpect(t, r, `["flags" ["on" "nopass" "sanitize-payload"] "passwords" [] "commands" "-@all +get" "keys" "~*" "channels" "" "selectors" [["commands" "-@all +set" "keys" "~x*" "channels" ""] ["commands" "-@all +@string" "keys" "%R~y*" "channels" "&news"]]]`,
		"ACL", "GETUSER", "carol")
	aclExpect(t, r, "(nil)", "ACL", "GETUSER", "nobody")
	r3 := n.raw()
	r3.do("HELLO", "3")
	r3.cmd("ACL", "GETUSER", "default")
	if l := r3.line(); l != "%6" {
		t.Fatalf("RESP3 GETUSER header %q, want a map of 6", l)
	}
	if got := r3.reply(); got != `"flags"` {
		t.Fatal(got)
	}
	if l := r3.line(); l != "~3" {
		t.Fatalf("RESP3 GETUSER flags header %q, want a set of 3", l)
	}
}

func TestACLWhoamiCatGenpass(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	aclExpect(t, r, `"default"`, "ACL", "WHOAMI")
	aclExpect(t, r, `["keyspace" "read" "write" "set" "sortedset" "list" "hash" "string" "bitmap" "hyperloglog" "geo" "stream" "pubsub" "admin" "fast" "slow" "blocking" "dangerous" "connection" "transaction" "scripting"]`,
		"ACL", "CAT")
	aclExpect(t, r, "-ERR Unknown category 'nope'", "ACL", "CAT", "nope")
	has := func(cat string, want ...string) {
		t.Helper()
		got := r.do("ACL", "CAT", cat)
		for _, w := range want {
			if !strings.Contains(got, `"`+w+`"`) {
				t.Errorf("ACL CAT %s = %s, missing %s", cat, got, w)
			}
		}
	}
	has("connection", "auth", "hello", "ping", "echo", "select")
	has("read", "get")
	has("string", "get", "set")
	has("write", "set")
	has("fast", "get", "ping")
	has("slow", "set", "acl|setuser")
	has("admin", "acl|setuser", "acl|deluser", "monitor")
	has("DANGEROUS", "acl|setuser")
	has("transaction", "multi", "exec")
	if got := r.do("ACL", "CAT", "read"); strings.Contains(got, `"set"`) || strings.Contains(got, `"acl"`) {
		t.Errorf("ACL CAT read lists a write or the container: %s", got)
	}

	p := r.do("ACL", "GENPASS")
	if len(p) != 66 || strings.Trim(p[1:65], "0123456789abcdef") != "" {
		t.Errorf("GENPASS = %s, want 64 hex characters", p)
	}
	if p2 := r.do("ACL", "GENPASS"); p2 == p {
		t.Error("GENPASS repeated itself")
	}
	if p := r.do("ACL", "GENPASS", "5"); len(p) != 4 {
		t.Errorf("GENPASS 5 = %s, want 2 characters", p)
	}
	aclExpect(t, r, "-ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096", "ACL", "GENPASS", "0")
	aclExpect(t, r, "-ERR value is not an integer or out of range", "ACL", "GENPASS", "x")
	aclExpect(t, r, "-ERR This Valkey instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Valkey configuration file set) in order to store users in the Valkey configuration.", "ACL", "LOAD")
	if got := r.do("ACL", "HELP"); !strings.HasPrefix(got, "[ACL <subcommand>") || !strings.Contains(got, "DRYRUN <username>") {
		t.Errorf("ACL HELP = %s", got)
	}
	aclExpect(t, r, "-ERR unknown subcommand 'NOPE'. Try ACL HELP.", "ACL", "NOPE")
}

// aclLogEntries reads ACL LOG as a list of field maps (RESP2 rendering parsed by hand).
func aclLogEntries(t *testing.T, r *rawConn, args ...string) []map[string]string {
	t.Helper()
	r.cmd(append([]string{"ACL", "LOG"}, args...)...)
	l := r.line()
	if l[0] != '*' {
		t.Fatalf("ACL LOG: %s", l)
	}
	n, _ := strconv.Atoi(l[1:])
	out := make([]map[string]string, n)
	for i := range out {
		if h := r.line(); h != "*20" {
			t.Fatalf("entry header %q", h)
		}
		out[i] = map[string]string{}
		for j := 0; j < 10; j++ {
			k := r.reply()
			out[i][strings.Trim(k, `"`)] = strings.Trim(r.reply(), `":`)
		}
	}
	return out
}

func TestACLLog(t *testing.T) {
	n := startNode(t)
	admin := n.raw()
	aclExpect(t, admin, "OK", "ACL", "SETUSER", "u", "on", ">p", "+get", "+multi", "+discard", "~k*")
	u := aclAuthAs(t, n, "u", "p")
	bad := n.raw()
	aclExpect(t, bad, "-WRONGPASS invalid username-password pair or user is disabled.", "AUTH", "u", "wrong")
	aclExpect(t, bad, "-WRONGPASS invalid username-password pair or user is disabled.", "AUTH", "u", "wrong")
	aclExpect(t, bad, "-WRONGPASS invalid username-password pair or user is disabled.", "AUTH", "ghost", "x")
	aclExpect(t, u, "-NOPERM User u has no permissions to run the 'set' command", "SET", "k", "v")
	aclExpect(t, u, "-NOPERM No permissions to access a key", "GET", "other")
	aclExpect(t, u, "OK", "MULTI")
	aclExpect(t, u, "-NOPERM User u has no permissions to run the 'set' command", "SET", "k", "v")
	aclExpect(t, u, "OK", "DISCARD")

	entries := aclLogEntries(t, admin)
	type row struct{ count, reason, context, object, username string }
	want := []row{
		{"1", "command", "multi", "set", "u"},
		{"1", "key", "toplevel", "other", "u"},
		{"1", "command", "toplevel", "set", "u"},
		{"1", "auth", "toplevel", "AUTH", "ghost"},
		{"2", "auth", "toplevel", "AUTH", "u"},
	}
	if len(entries) != len(want) {
		t.Fatalf("ACL LOG has %d entries, want %d: %v", len(entries), len(want), entries)
	}
	for i, w := range want {
		e := entries[i]
		got := row{e["count"], e["reason"], e["context"], e["object"], e["username"]}
		if got != w {
			t.Errorf("entry %d = %+v, want %+v", i, got, w)
		}
		if !strings.Contains(e["client-info"], "id=") || e["age-seconds"] == "" || e["timestamp-created"] == "" {
			t.Errorf("entry %d lacks client-info/age/timestamps: %v", i, e)
		}
	}
	if entries[4]["entry-id"] != "0" || entries[0]["entry-id"] != "4" {
		t.Errorf("entry ids %s..%s, want 4..0", entries[0]["entry-id"], entries[4]["entry-id"])
	}
	if c := aclCounters(n); c[0] != 3 || c[1] != 2 || c[2] != 1 {
		t.Errorf("counters auth/cmd/key = %v, want 3/2/1", c)
	}
	if got := aclLogEntries(t, admin, "2"); len(got) != 2 || got[0]["object"] != "set" {
		t.Errorf("ACL LOG 2 = %v", got)
	}
	aclExpect(t, admin, "-ERR value is not an integer or out of range", "ACL", "LOG", "x")
	aclExpect(t, admin, "OK", "ACL", "LOG", "RESET")
	aclExpect(t, admin, "[]", "ACL", "LOG")

	// acllog-max-len bounds the log
	n.srv.mu.Lock()
	err := n.srv.reg.Set([][2]string{{"acllog-max-len", "1"}}, nil)
	n.srv.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	u.do("GET", "x1")
	u.do("GET", "x2")
	if got := aclLogEntries(t, admin); len(got) != 1 || got[0]["object"] != "x2" {
		t.Errorf("with acllog-max-len 1: %v", got)
	}
}

func TestACLDelUserKillsConnections(t *testing.T) {
	n := startNode(t)
	admin := n.raw()
	aclExpect(t, admin, "OK", "ACL", "SETUSER", "gone", "on", ">p", "+@all", "~*")
	victim := aclAuthAs(t, n, "gone", "p")
	aclExpect(t, victim, "PONG", "PING")
	other := n.raw() // a default-user connection survives
	aclExpect(t, admin, ":1", "ACL", "DELUSER", "gone")
	if !victim.closed() {
		t.Fatal("connection of the deleted user still open")
	}
	aclExpect(t, other, "PONG", "PING")
	aclExpect(t, admin, "-WRONGPASS invalid username-password pair or user is disabled.", "AUTH", "gone", "p")

	// deleting one's own user: the reply arrives, then the connection closes
	aclExpect(t, admin, "OK", "ACL", "SETUSER", "self", "on", ">p", "+@all", "~*")
	self := aclAuthAs(t, n, "self", "p")
	aclExpect(t, self, ":1", "ACL", "DELUSER", "self")
	if !self.closed() {
		t.Fatal("connection that deleted its own user still open")
	}
}

func TestACLDisabledUser(t *testing.T) {
	n := startNode(t)
	admin := n.raw()
	aclExpect(t, admin, "OK", "ACL", "SETUSER", "u", "on", ">p", "+@all", "~*")
	live := aclAuthAs(t, n, "u", "p")
	aclExpect(t, admin, "OK", "ACL", "SETUSER", "u", "off")
	aclExpect(t, n.raw(), "-WRONGPASS invalid username-password pair or user is disabled.", "AUTH", "u", "p")
	aclExpect(t, n.raw(), "-WRONGPASS invalid username-password pair or user is disabled.", "HELLO", "3", "AUTH", "u", "p")
	// as in Valkey, connections already authenticated keep working (ACL DELUSER closes them)
	aclExpect(t, live, "PONG", "PING")
	aclExpect(t, admin, "OK", "ACL", "SETUSER", "u", "on")
	aclAuthAs(t, n, "u", "p")
	// a user created without "on" is disabled
	aclExpect(t, admin, "OK", "ACL", "SETUSER", "v", ">p", "+@all")
	aclExpect(t, n.raw(), "-WRONGPASS invalid username-password pair or user is disabled.", "AUTH", "v", "p")
}

// startNodeWithFile starts a node from a configuration file plus directives.
func startNodeWithFile(t *testing.T, file string, args ...config.Option) (*testNode, error) {
	t.Helper()
	n := &testNode{t: t, logs: &syncBuffer{}}
	pre := []config.Option{
		{Name: "bind", Args: []string{"127.0.0.1"}},
		{Name: "port", Args: []string{strconv.Itoa(freePort(t))}},
		{Name: "dir", Args: []string{t.TempDir()}},
	}
	srv, err := New(Options{ConfigFile: file, Args: append(pre, args...), LogWriter: n.logs})
	if err != nil {
		return nil, err
	}
	if err := srv.Start(); err != nil {
		srv.Shutdown(context.Background())
		t.Fatalf("starting node: %v", err)
	}
	n.srv, n.addr = srv, srv.Addr("tcp")
	t.Cleanup(n.stop)
	return n, nil
}

func writeConf(t *testing.T, lines ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "valkey.conf")
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestACLUserDirective(t *testing.T) {
	file := writeConf(t,
		"# users",
		"requirepass fromrequirepass",
		"user alice on >alicepw ~app:* +@all",
		"user default on >defaultpw ~* &* +@all",
		"user sel on nopass (~x* +get) (%W~y* +set)",
	)
	n, err := startNodeWithFile(t, file,
		config.Option{Name: "user", Args: []string{"bob", "on", ">bobpw", "+get", "~*"}},
		config.Option{Name: "user", Args: []string{"dora on >dorapw +ping"}})
	if err != nil {
		t.Fatal(err)
	}
	r := n.raw()
	// the user default line wins over requirepass, wherever it is, as Valkey loads users last
	aclExpect(t, r, "-NOAUTH Authentication required.", "PING")
	aclExpect(t, r, "-WRONGPASS invalid username-password pair or user is disabled.", "AUTH", "fromrequirepass")
	aclExpect(t, r, "OK", "AUTH", "defaultpw")
	list := r.do("ACL", "LIST")
	for _, w := range []string{
		`"user alice on sanitize-payload #` + aclSHA("alicepw") + ` ~app:* resetchannels +@all"`,
		`"user bob on sanitize-payload #` + aclSHA("bobpw") + ` ~* resetchannels -@all +get"`,
		`"user default on sanitize-payload #` + aclSHA("defaultpw") + ` ~* &* +@all"`,
		`"user sel on nopass sanitize-payload resetchannels -@all (~x* resetchannels -@all +get) (%W~y* resetchannels -@all +set)"`,
	} {
		if !strings.Contains(list, w) {
			t.Errorf("ACL LIST %s lacks %s", list, w)
		}
	}
	// rules given as one quoted word on the command line
	aclExpect(t, aclAuthAs(t, n, "dora", "dorapw"), "PONG", "PING")
	b := aclAuthAs(t, n, "bob", "bobpw")
	aclExpect(t, b, "-NOPERM User bob has no permissions to run the 'set' command", "SET", "k", "v")
	a := aclAuthAs(t, n, "alice", "alicepw")
	aclExpect(t, a, "-NOPERM No permissions to access a key", "GET", "k")

	// CONFIG REWRITE writes every user, and the file loads back to the same users
	aclExpect(t, r, "OK", "ACL", "SETUSER", "carol", "on", ">c", "+get", "~c*")
	aclExpect(t, r, ":1", "ACL", "DELUSER", "alice")
	before := r.do("ACL", "LIST")
	n.srv.mu.Lock()
	err = n.srv.reg.Rewrite()
	n.srv.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(file)
	if strings.Contains(string(data), "user alice") || !strings.Contains(string(data), "user carol on sanitize-payload #"+aclSHA("c")+" ~c* resetchannels -@all +get") {
		t.Fatalf("rewritten file:\n%s", data)
	}
	n2, err := startNodeWithFile(t, file)
	if err != nil {
		t.Fatal(err)
	}
	r2 := aclAuthAs(t, n2, "default", "defaultpw")
	if after := r2.do("ACL", "LIST"); after != before {
		t.Fatalf("after rewrite and reload:\n%s\nwant\n%s", after, before)
	}
}

func TestACLUserDirectiveErrors(t *testing.T) {
	cases := []struct {
		lines []string
		want  string
	}{
		{[]string{"user alice on +nosuch"}, "Error in user declaration '+nosuch': Unknown command or category name in ACL"},
		{[]string{"user alice on", "user alice off"}, "Duplicate user found. A user can only be defined once in config files"},
		{[]string{"user alice (~x +get"}, "Unmatched parenthesis in acl selector starting at '(~x'."},
		{[]string{"user"}, "Bad directive or wrong number of arguments"},
		{[]string{`user "a b" on`}, "Usernames can't contain spaces or null characters"},
	}
	for _, tc := range cases {
		file := writeConf(t, append([]string{"port 0"}, tc.lines...)...)
		_, err := New(Options{ConfigFile: file, LogWriter: &syncBuffer{}})
		if err == nil {
			t.Errorf("%q: accepted", tc.lines)
			continue
		}
		le, ok := err.(*config.LoadError)
		if !ok || !strings.Contains(le.Err, tc.want) || le.Line != len(tc.lines)+1 {
			t.Errorf("%q: error %v, want %q at line %d", tc.lines, err, tc.want, len(tc.lines)+1)
		}
	}
}

func TestACLPubsubDefaultAndChannels(t *testing.T) {
	n := startNode(t, "acl-pubsub-default", "allchannels")
	r := n.raw()
	aclExpect(t, r, "OK", "ACL", "SETUSER", "u")
	aclExpect(t, r, `["user default on nopass sanitize-payload ~* &* +@all" "user u off sanitize-payload &* -@all"]`, "ACL", "LIST")
	// channel checks, as pub/sub commands will meet them
	n.srv.mu.Lock()
	defer n.srv.mu.Unlock()
	u := n.srv.acl.newUser("c")
	for _, op := range []string{"resetchannels", "&news.*", "&exact"} {
		if err := n.srv.acl.applyRule(u, op); err != nil {
			t.Fatal(err)
		}
	}
	checks := []struct {
		ch      string
		pattern bool
		want    bool
	}{
		{"news.today", false, true},
		{"sports", false, false},
		{"news.*", true, true},
		{"news.t*", true, false},
		{"exact", false, true},
	}
	for _, c := range checks {
		if got := u.channelAllowed([]byte(c.ch), c.pattern); got != c.want {
			t.Errorf("channel %q (pattern %v) = %v, want %v", c.ch, c.pattern, got, c.want)
		}
	}
}

// TestACLCategories checks the categories derived from the command table.
func TestACLCategories(t *testing.T) {
	cases := []struct {
		cmd  string
		want string
	}{
		{"get", "@read @string @fast"},
		{"set", "@write @string @slow"},
		{"ping", "@fast @connection"},
		{"auth", "@fast @connection"},
		{"acl|setuser", "@admin @slow @dangerous"},
		{"acl|whoami", "@slow"},
		{"acl", "@slow"},
		{"monitor", "@admin @slow @dangerous"},
		{"multi", "@fast @transaction"},
	}
	for _, tc := range cases {
		cmd := aclLookupCommand(tc.cmd)
		if cmd == nil {
			t.Fatalf("no command %s", tc.cmd)
		}
		if got := strings.Join(aclCategoryList(cmd), " "); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.cmd, got, tc.want)
		}
	}
}

// TestACLKeyAccess checks the access each command needs on each key, from its key specs: read-only
// patterns (%R~r:*), write-only patterns (%W~w:*) and read-write patterns (~b:*).
func TestACLKeyAccess(t *testing.T) {
	n := startNode(t)
	admin := n.raw()
	aclExpect(t, admin, "OK", "ACL", "SETUSER", "u", "on", ">p", "+@all", "%R~r:*", "%W~w:*", "~b:*")
	aclExpect(t, admin, "OK", "MSET", "r:1", "1", "w:1", "1", "b:1", "1")
	const denied = "-NOPERM No permissions to access a key"
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"GET", "r:1"}, `"1"`},
		{[]string{"GET", "w:1"}, denied},
		{[]string{"MGET", "r:1", "b:1"}, `["1" "1"]`},
		{[]string{"MGET", "r:1", "w:1"}, denied},
		{[]string{"TTL", "r:1"}, ":-1"},
		{[]string{"TTL", "w:1"}, denied},
		// existence and metadata need no particular access, only a matching pattern
		{[]string{"EXISTS", "r:1", "w:1"}, ":2"},
		{[]string{"TYPE", "w:1"}, "string"},
		{[]string{"STRLEN", "w:1"}, ":1"},
		{[]string{"EXISTS", "other"}, denied},
		{[]string{"SET", "w:2", "v"}, "OK"},
		{[]string{"SET", "r:2", "v"}, denied},
		{[]string{"SET", "w:2", "v", "GET"}, denied},
		{[]string{"SET", "b:2", "v", "GET"}, "(nil)"},
		{[]string{"APPEND", "w:1", "x"}, ":2"},
		{[]string{"MSET", "w:3", "a", "w:4", "b"}, "OK"},
		{[]string{"MSET", "w:3", "a", "r:4", "b"}, denied},
		// writes that read the old value need both
		{[]string{"INCR", "w:5"}, denied},
		{[]string{"INCR", "b:5"}, ":1"},
		{[]string{"GETDEL", "w:1"}, denied},
		{[]string{"GETSET", "b:5", "7"}, `"1"`},
		{[]string{"DEL", "w:4"}, ":1"},
		{[]string{"DEL", "r:1"}, denied},
		{[]string{"EXPIRE", "w:3", "100"}, ":1"},
		// two-key commands: the source is read, the destination written
		{[]string{"COPY", "r:1", "w:9"}, ":1"},
		{[]string{"COPY", "w:3", "b:9"}, denied},
		{[]string{"RENAME", "w:3", "w:8"}, denied},
		{[]string{"RENAME", "b:5", "w:8"}, "OK"},
	}
	u := aclAuthAs(t, n, "u", "p")
	for _, tc := range cases {
		if got := u.do(tc.args...); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.args, got, tc.want)
		}
	}
}
