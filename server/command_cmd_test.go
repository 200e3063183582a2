package server

import (
	"context"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// rawBytes sends a command and reads exactly len(want) bytes of reply, for byte-exact comparisons.
func rawBytes(t *testing.T, r *rawConn, want string, args ...string) string {
	t.Helper()
	r.cmd(args...)
	r.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, len(want))
	if _, err := io.ReadFull(r.br, buf); err != nil {
		t.Fatalf("%v: read %q: %v", args, buf, err)
	}
	return string(buf)
}

// The COMMAND INFO entries of GET, byte for byte as Valkey 7 sends them in RESP2 and RESP3.
const (
	getInfoRESP2 = "*1\r\n*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n*3\r\n+@read\r\n+@string\r\n+@fast\r\n" +
		"*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n" +
		"*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n" +
		"$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n"
	getInfoRESP3 = "*1\r\n*10\r\n$3\r\nget\r\n:2\r\n~2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n~3\r\n+@read\r\n+@string\r\n+@fast\r\n" +
		"~0\r\n~1\r\n%3\r\n$5\r\nflags\r\n~2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n%2\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n" +
		"%1\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n%2\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n%3\r\n$7\r\nlastkey\r\n:0\r\n" +
		"$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n~0\r\n"
)

func TestCommandInfoExact(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	if got := rawBytes(t, r, getInfoRESP2, "COMMAND", "INFO", "get"); got != getInfoRESP2 {
		t.Fatalf("RESP2 COMMAND INFO get:\n got %q\nwant %q", got, getInfoRESP2)
	}
	mustDo(t, r, "PONG", "PING") // nothing more was sent
	r.do("HELLO", "3")
	if got := rawBytes(t, r, getInfoRESP3, "COMMAND", "INFO", "GET"); got != getInfoRESP3 {
		t.Fatalf("RESP3 COMMAND INFO get:\n got %q\nwant %q", got, getInfoRESP3)
	}
	mustDo(t, r, "PONG", "PING")

	r2 := n.raw()
	cases := []struct {
		args []string
		want string
	}{
		// key specs with several specs, keynum, tips and a container with subcommands
		{[]string{"COMMAND", "INFO", "mset"}, `[["mset" :-3 [write denyoom] :1 :-1 :2 [@write @string @slow] ["request_policy:multi_shard" "response_policy:all_succeeded"] ` +
			`[["flags" [OW update] "begin_search" ["type" "index" "spec" ["index" :1]] "find_keys" ["type" "range" "spec" ["lastkey" :-1 "keystep" :2 "limit" :0]]]] []]]`},
		{[]string{"COMMAND", "INFO", "rename"}, `[["rename" :3 [write] :1 :2 :1 [@keyspace @write @slow] [] ` +
			`[["flags" [RW access delete] "begin_search" ["type" "index" "spec" ["index" :1]] "find_keys" ["type" "range" "spec" ["lastkey" :0 "keystep" :1 "limit" :0]]] ` +
			`["flags" [OW update] "begin_search" ["type" "index" "spec" ["index" :2]] "find_keys" ["type" "range" "spec" ["lastkey" :0 "keystep" :1 "limit" :0]]]] []]]`},
		{[]string{"COMMAND", "INFO", "config|get"}, `[["config|get" :-3 [admin noscript loading stale] :0 :0 :0 [@admin @slow @dangerous] [] [] []]]`},
		{[]string{"COMMAND", "INFO", "nosuch", "config|nosuch"}, `[(nil) (nil)]`},
	}
	for _, tc := range cases {
		if got := r2.do(tc.args...); got != tc.want {
			t.Errorf("%v:\n got %s\nwant %s", tc.args, got, tc.want)
		}
	}
	// a container lists its subcommands, each a full entry
	slowlog := r2.do("COMMAND", "INFO", "slowlog")
	for _, sub := range []string{`"slowlog|get" :-2 [admin loading stale]`, `"slowlog|len" :2`, `"slowlog|reset" :2`, `"slowlog|help" :2 [loading stale]`} {
		if !strings.Contains(slowlog, sub) {
			t.Errorf("COMMAND INFO slowlog lacks %s:\n%s", sub, slowlog)
		}
	}
	if !strings.HasPrefix(slowlog, `[["slowlog" :-2 [] :0 :0 :0 [@slow] [] [] [[`) {
		t.Errorf("COMMAND INFO slowlog: %s", slowlog)
	}
}

// TestCommandCountListAndAll: COUNT is the number of commands (not subcommands), COMMAND lists each once,
// COMMAND LIST adds the subcommands, and COMMAND INFO without names is COMMAND.
func TestCommandCountListAndAll(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	count, err := strconv.Atoi(strings.TrimPrefix(r.do("COMMAND", "COUNT"), ":"))
	if err != nil || count < 50 {
		t.Fatalf("COMMAND COUNT = %d, %v", count, err)
	}
	list := strings.Fields(strings.Trim(r.do("COMMAND", "LIST"), "[]"))
	top, subs := 0, 0
	seen := map[string]bool{}
	for _, name := range list {
		name, _ = strconv.Unquote(name)
		if seen[name] {
			t.Errorf("COMMAND LIST repeats %s", name)
		}
		seen[name] = true
		if strings.Contains(name, "|") {
			subs++
		} else {
			top++
		}
	}
	if top != count || subs == 0 {
		t.Fatalf("COMMAND LIST has %d commands and %d subcommands; COMMAND COUNT %d", top, subs, count)
	}
	for _, name := range []string{"get", "config|set", "client|kill", "command|getkeys", "info", "debug", "shutdown"} {
		if !seen[name] {
			t.Errorf("COMMAND LIST lacks %s", name)
		}
	}
	r.cmd("COMMAND")
	if l := r.line(); l != "*"+strconv.Itoa(count) {
		t.Fatalf("COMMAND replies %s entries, want %d", l, count)
	}
	all := make([]string, 0, count)
	for i := 0; i < count; i++ {
		all = append(all, r.reply())
	}
	if info := r.do("COMMAND", "INFO"); info != "["+strings.Join(all, " ")+"]" {
		t.Fatal("COMMAND INFO without names differs from COMMAND")
	}
	// go-redis parses the whole table (cluster routing depends on it), in both protocols
	for _, proto := range []int{2, 3} {
		c := n.client(func(o *redis.Options) { o.Protocol = proto })
		cmds, err := c.Command(context.Background()).Result()
		if err != nil {
			t.Fatalf("RESP%d go-redis COMMAND: %v", proto, err)
		}
		get := cmds["get"]
		if len(cmds) != count || get == nil || !get.ReadOnly || get.FirstKeyPos != 1 || get.Arity != 2 {
			t.Fatalf("RESP%d go-redis COMMAND: %d entries, get %+v", proto, len(cmds), get)
		}
		if set := cmds["set"]; set == nil || set.ReadOnly || len(set.ACLFlags) == 0 {
			t.Fatalf("RESP%d set: %+v", proto, set)
		}
	}
}

func TestCommandListFilters(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"FILTERBY", "PATTERN", "config*"}, `["config" "config|get" "config|help" "config|resetstat" "config|rewrite" "config|set"]`},
		{[]string{"FILTERBY", "pattern", "CONFIG|?E*"}, `["config|get" "config|help" "config|resetstat" "config|rewrite" "config|set"]`},
		{[]string{"FILTERBY", "MODULE", "anything"}, `[]`},
		{[]string{"FILTERBY", "ACLCAT", "nosuchcategory"}, `[]`},
		{[]string{"FILTERBY", "BOGUS", "x"}, "-ERR syntax error"},
		{[]string{"FILTERBY", "PATTERN"}, "-ERR syntax error"},
		{[]string{"BOGUS"}, "-ERR syntax error"},
	}
	for _, tc := range cases {
		if got := r.do(append([]string{"COMMAND", "LIST"}, tc.args...)...); got != tc.want {
			t.Errorf("COMMAND LIST %v = %s, want %s", tc.args, got, tc.want)
		}
	}
	dangerous := r.do("COMMAND", "LIST", "FILTERBY", "ACLCAT", "dangerous")
	for _, want := range []string{`"config|set"`, `"debug"`, `"client|kill"`, `"shutdown"`} {
		if !strings.Contains(dangerous, want) {
			t.Errorf("ACLCAT dangerous lacks %s", want)
		}
	}
	if strings.Contains(dangerous, `"get"`) {
		t.Error("ACLCAT dangerous lists get")
	}
}

func TestCommandGetKeys(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"GETKEYS", "SET", "a", "b"}, `["a"]`},
		{[]string{"GETKEYS", "set", "a", "b", "EX", "10"}, `["a"]`},
		{[]string{"GETKEYS", "MSET", "a", "1", "b", "2"}, `["a" "b"]`},
		{[]string{"GETKEYS", "DEL", "a", "b", "a"}, `["a" "b" "a"]`},
		{[]string{"GETKEYS", "RENAME", "a", "b"}, `["a" "b"]`},
		{[]string{"GETKEYS", "GET"}, "-ERR Invalid number of arguments specified for command"},
		{[]string{"GETKEYS", "GET", "a", "b"}, "-ERR Invalid number of arguments specified for command"},
		{[]string{"GETKEYS", "NOSUCH", "a"}, "-ERR Invalid command specified"},
		{[]string{"GETKEYS", "CONFIG", "NOSUCH"}, "-ERR Invalid command specified"},
		{[]string{"GETKEYS", "PING", "x"}, "-ERR The command has no key arguments"},
		{[]string{"GETKEYS", "CONFIG", "GET", "x"}, "-ERR The command has no key arguments"},
		{[]string{"GETKEYS"}, "-ERR wrong number of arguments for 'command|getkeys' command"},
		{[]string{"GETKEYSANDFLAGS", "SET", "a", "b"}, `[["a" [OW update]]]`},
		{[]string{"GETKEYSANDFLAGS", "SET", "a", "b", "GET"}, `[["a" [RW access update]]]`},
		{[]string{"GETKEYSANDFLAGS", "GET", "a"}, `[["a" [RO access]]]`},
		{[]string{"GETKEYSANDFLAGS", "MSET", "a", "1", "b", "2"}, `[["a" [OW update]] ["b" [OW update]]]`},
		{[]string{"GETKEYSANDFLAGS", "RENAME", "a", "b"}, `[["a" [RW access delete]] ["b" [OW update]]]`},
		{[]string{"GETKEYSANDFLAGS", "DEL", "a"}, `[["a" [RM delete]]]`},
		{[]string{"GETKEYSANDFLAGS", "NOSUCH"}, "-ERR Invalid command specified"},
	}
	for _, tc := range cases {
		if got := r.do(append([]string{"COMMAND"}, tc.args...)...); got != tc.want {
			t.Errorf("COMMAND %v = %s, want %s", tc.args, got, tc.want)
		}
	}
}

// TestKeySpecExtraction checks the key-spec interpreter against the kinds of specs Valkey uses.
func TestKeySpecExtraction(t *testing.T) {
	args := func(s string) [][]byte {
		var out [][]byte
		for _, f := range strings.Fields(s) {
			out = append(out, []byte(f))
		}
		return out
	}
	cases := []struct {
		meta, line string
		want       [][]int // positions per spec
	}{
		{"RO,access|index:1|range:0,1,0", "get k", [][]int{{1}}},
		{"OW,update|index:1|range:-1,2,0", "mset a 1 b 2 c 3", [][]int{{1, 3, 5}}},
		{"RW,access,delete|index:1|range:-2,1,0", "blpop a b c 0", [][]int{{1, 2, 3}}},
		{"OW,update|index:1|range:0,1,0;RO,access|index:2|keynum:0,1,1", "zunionstore d 2 a b WEIGHTS 1 2", [][]int{{1}, {3, 4}}},
		{"RO,access|keyword:STREAMS,1|range:-1,1,2", "xread COUNT 2 STREAMS s1 s2 0 0", [][]int{{4, 5}}},
		{"RW,access,delete|index:3|range:0,1,0;RW,access,delete,incomplete|keyword:KEYS,-2|range:-1,1,0",
			"migrate h p \"\" 0 5000 KEYS a b", [][]int{{3}, {7, 8}}},
		{"RO,access|unknown|unknown", "sort k BY x", [][]int{nil}},
		{"RO,access|keyword:STREAMS,1|range:-1,1,2", "xread COUNT 2", [][]int{nil}},
		{"RW,access,update|index:2|keynum:0,1,1", "eval s 5 a", [][]int{{3}}}, // numkeys larger than the line
	}
	for _, tc := range cases {
		ci := parseCommandMeta(commandMeta{keySpecs: tc.meta})
		for i := range ci.specs {
			got := ci.specs[i].keys(args(tc.line))
			if !equalInts(got, tc.want[i]) {
				t.Errorf("%s on %q spec %d: %v, want %v", tc.meta, tc.line, i, got, tc.want[i])
			}
		}
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestCommandMetaTable: every entry of the metadata table parses, and every registered command with keys
// has key specs consistent with its first/last/step.
func TestCommandMetaTable(t *testing.T) {
	for name, m := range commandMetaTable {
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Errorf("%s: %v", name, p)
				}
			}()
			parseCommandMeta(m)
		}()
	}
	for _, cmd := range commandList {
		ci := introFor(cmd)
		if cmd.FirstKey > 0 && len(ci.specs) == 0 {
			t.Errorf("%s has keys but no key spec", cmd.FullName())
		}
		if cmd.FirstKey > 0 && ci.specs[0].bsType == "index" && ci.specs[0].index != cmd.FirstKey {
			t.Errorf("%s: first key %d, key spec begins at %d", cmd.FullName(), cmd.FirstKey, ci.specs[0].index)
		}
	}
}

func TestCommandDocs(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	get := commandTable["get"]
	want := `["get" ["summary" "` + get.Summary + `" "since" "1.0.0" "group" "string" "complexity" "O(1)"]]`
	mustDo(t, r, want, "COMMAND", "DOCS", "get", "nosuch")
	docs := r.do("COMMAND", "DOCS", "config")
	if !strings.HasPrefix(docs, `["config" ["summary" "`) || !strings.Contains(docs, `"subcommands" ["config|get" ["summary"`) {
		t.Fatalf("COMMAND DOCS config: %s", docs)
	}
	mustDo(t, r, "-ERR unknown command 'SENTINEL', with args beginning with: 'myid' ", "SENTINEL", "myid")
	mustDo(t, r, "[]", "COMMAND", "LIST", "FILTERBY", "PATTERN", "sentinel*")
	r.cmd("COMMAND", "DOCS")
	// SENTINEL is in the table but exists only in sentinel mode
	if l := r.line(); l != "*"+strconv.Itoa(2*(len(commandTable)-1)) {
		t.Fatalf("COMMAND DOCS header %s for %d commands", l, len(commandTable)-1)
	}

}

// TestCommandRedisCLI: the real redis-cli, whose interactive mode reads COMMAND DOCS, and non-interactive
// runs of the introspection commands.
func TestCommandRedisCLI(t *testing.T) {
	cli := requireBinary(t, "redis-cli", "redis-tools")
	n := startNode(t)
	host, port, _ := strings.Cut(n.addr, ":")
	run := func(stdin string, args ...string) string {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, cli, append([]string{"-h", host, "-p", port}, args...)...)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("redis-cli %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	if got := run("", "COMMAND", "COUNT"); got != strconv.Itoa(len(commandTable)-1) {
		t.Errorf("COMMAND COUNT: %s", got)
	}
	if got := run("", "CONFIG", "GET", "maxclients"); got != "maxclients\n10000" {
		t.Errorf("CONFIG GET: %q", got)
	}
	if got := run("", "INFO", "server"); !strings.Contains(got, "redis_version:"+RedisVersion) {
		t.Errorf("INFO server: %s", got)
	}
	if got := run("", "-3", "CLIENT", "INFO"); !strings.Contains(got, "resp=3") || !strings.Contains(got, "cmd=client|info") {
		t.Errorf("CLIENT INFO over RESP3: %s", got)
	}
	if got := run("SET k v\nGET k\nCOMMAND GETKEYS MSET a 1 b 2\n"); got != "OK\nv\na\nb" {
		t.Errorf("piped commands: %q", got)
	}
	// the interactive REPL with a dumb terminal: it fetches COMMAND DOCS first for its hints
	n.srv.mu.Lock()
	before := n.srv.cstat(commandTable["command"].Subs["docs"]).calls
	n.srv.mu.Unlock()
	script := requireBinary(t, "script", "bsdutils")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, script, "-qc", cli+" -h "+host+" -p "+port, "/dev/null")
	cmd.Env = append(cmd.Environ(), "TERM=dumb")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	in.Write([]byte("PING\r\n"))
	waitFor(t, "the interactive redis-cli to answer PING", func() bool { return strings.Contains(out.String(), "PONG") })
	in.Write([]byte("QUIT\r\n"))
	in.Close()
	cmd.Wait()
	n.srv.mu.Lock()
	after := n.srv.cstat(commandTable["command"].Subs["docs"]).calls
	n.srv.mu.Unlock()
	if after <= before {
		t.Errorf("interactive redis-cli did not ask for COMMAND DOCS")
	}
}
