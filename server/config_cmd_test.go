package server

import (
	"bufio"
	"errors"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestConfigSetAtomic: one bad value among several changes nothing, whichever position it has, and the
// error names it exactly as Valkey does.
func TestConfigSetAtomic(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"maxclients", "50", "timeout", "30", "hz", "abc"},
			"-ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an integer"},
		{[]string{"hz", "abc", "maxclients", "50"},
			"-ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an integer"},
		{[]string{"maxclients", "50", "hz", "501"},
			"-ERR CONFIG SET failed (possibly related to argument 'hz') - argument must be between 1 and 500 inclusive"},
		{[]string{"maxclients", "50", "protected-mode", "maybe"},
			"-ERR CONFIG SET failed (possibly related to argument 'protected-mode') - argument must be 'yes' or 'no'"},
		{[]string{"maxclients", "50", "loglevel", "loud"},
			"-ERR CONFIG SET failed (possibly related to argument 'loglevel') - argument(s) must be one of the following: debug, verbose, notice, warning, nothing"},
		{[]string{"maxclients", "50", "nosuch", "1"},
			"-ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'"},
		{[]string{"maxclients", "50", "MAXCLIENTS", "60"},
			"-ERR CONFIG SET failed (possibly related to argument 'MAXCLIENTS') - duplicate parameter"},
		{[]string{"maxclients", "50", "databases", "4"},
			"-ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config"},
		{[]string{"maxclients", "50", "timeout"}, "-ERR syntax error"},
	}
	before := r.do("CONFIG", "GET", "maxclients", "timeout", "hz", "protected-mode", "loglevel", "databases")
	for _, tc := range cases {
		if got := r.do(append([]string{"CONFIG", "SET"}, tc.args...)...); got != tc.want {
			t.Errorf("CONFIG SET %v:\n got %s\nwant %s", tc.args, got, tc.want)
		}
		if after := r.do("CONFIG", "GET", "maxclients", "timeout", "hz", "protected-mode", "loglevel", "databases"); after != before {
			t.Fatalf("CONFIG SET %v changed values: %s -> %s", tc.args, before, after)
		}
	}
	// and a good set changes them all, taking effect at once
	mustDo(t, r, "OK", "CONFIG", "SET", "maxclients", "50", "timeout", "30", "hz", "100", "slowlog-max-len", "3")
	mustDo(t, r, `["hz" "100" "maxclients" "50" "timeout" "30"]`, "CONFIG", "GET", "maxclients", "timeout", "hz")
	n.srv.mu.Lock()
	got := [4]int64{n.srv.cfg.MaxClients, n.srv.cfg.Timeout, n.srv.cfg.Hz, n.srv.cfg.SlowlogMaxLen}
	n.srv.mu.Unlock()
	if got != [4]int64{50, 30, 100, 3} {
		t.Fatalf("settings = %v", got)
	}
}

// TestConfigSetApplyFailureRestores: when applying a change fails (a port that is taken), every value of
// the CONFIG SET is restored, the node keeps serving where it was, and the log says why.
func TestConfigSetApplyFailureRestores(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	busy, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	_, busyPort, _ := net.SplitHostPort(busy.Addr().String())
	_, port, _ := net.SplitHostPort(n.addr)
	mustDo(t, r, "-ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port. Check server logs.",
		"CONFIG", "SET", "maxclients", "42", "port", busyPort)
	mustDo(t, r, `["maxclients" "10000" "port" "`+port+`"]`, "CONFIG", "GET", "maxclients", "port")
	if l := logLine(n.logs.String(), "Failed applying new configuration. Possibly related to new port setting. Restoring previous settings."); l == "" {
		t.Fatalf("no restore line in the log:\n%s", n.logs.String())
	}
	mustDo(t, n.raw(), "PONG", "PING")
}

func TestConfigGetPatterns(t *testing.T) {
	n := startNode(t, "maxclients", "123", "timeout", "7")
	r := n.raw()
	_, port, _ := net.SplitHostPort(n.addr)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"maxclients"}, `["maxclients" "123"]`},
		{[]string{"MAXCLIENTS"}, `["maxclients" "123"]`},
		{[]string{"maxclient?", "timeout"}, `["maxclients" "123" "timeout" "7"]`},
		{[]string{"timeout", "maxclients", "timeout"}, `["maxclients" "123" "timeout" "7"]`},
		{[]string{"t?s-port", "port"}, `["port" "` + port + `" "tls-port" "0"]`},
		{[]string{"slowlog-*"}, `["slowlog-log-slower-than" "10000" "slowlog-max-len" "128"]`},
		{[]string{"latency-*"}, `["latency-monitor-threshold" "0" "latency-tracking" "yes" "latency-tracking-info-percentiles" "50 99 99.9"]`},
		{[]string{"[dp]i[rd]*"}, `["dir" "` + n.srv.cfg.Dir + `" "pidfile" ""]`},
		{[]string{"nosuch"}, `[]`},
		{[]string{"nosuch*", "x?z"}, `[]`},
	}
	for _, tc := range cases {
		if got := r.do(append([]string{"CONFIG", "GET"}, tc.args...)...); got != tc.want {
			t.Errorf("CONFIG GET %v = %s, want %s", tc.args, got, tc.want)
		}
	}
	// RESP3: a map
	mustDo(t, r, "OK", "CLIENT", "SETNAME", "x")
	if got := r.do("HELLO", "3"); !strings.HasPrefix(got, "[") {
		t.Fatal(got)
	}
	r.cmd("CONFIG", "GET", "maxclients")
	if l := r.line(); l != "%1" {
		t.Fatalf("RESP3 CONFIG GET header %q", l)
	}
	if got := r.reply() + " " + r.reply(); got != `"maxclients" "123"` {
		t.Fatalf("RESP3 CONFIG GET = %s", got)
	}
	// every directive answers to *
	all := r.do("CONFIG", "GET", "*")
	for _, d := range []string{"maxclients", "requirepass", "tls-cert-file", "enable-debug-command", "save", "appendonly"} {
		if !strings.Contains(all, `"`+d+`"`) {
			t.Errorf("CONFIG GET * lacks %s", d)
		}
	}
}

// TestConfigRewriteRoundTrip: a node started from a file with comments rewrites it after CONFIG SET;
// a new node started from the rewritten file has the same values and the comments are still there.
func TestConfigRewriteRoundTrip(t *testing.T) {
	file := writeConf(t,
		"# valkey-node configuration for the rewrite test",
		"",
		"# how long an idle client may stay",
		"timeout 0",
		"   # an indented comment",
		"maxclients 100",
		"maxclients 200",
		"slowlog-max-len 64 ",
		"latency-tracking-info-percentiles 50 99",
	)
	n, err := startNodeWithFile(t, file)
	if err != nil {
		t.Fatal(err)
	}
	r := n.raw()
	mustDo(t, r, `["maxclients" "200"]`, "CONFIG", "GET", "maxclients")
	mustDo(t, r, "OK", "CONFIG", "SET", "timeout", "42", "maxclients", "300", "hz", "25",
		"latency-tracking-info-percentiles", "90 99.9", "requirepass", "pass word")
	mustDo(t, r, "OK", "CONFIG", "REWRITE")
	if logLine(n.logs.String(), "CONFIG REWRITE executed with success.") == "" {
		t.Error("no success line in the log")
	}
	text, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"# valkey-node configuration for the rewrite test\n\n# how long an idle client may stay\ntimeout 42\n   # an indented comment\nmaxclients 300\n",
		"slowlog-max-len 64\n",
		"latency-tracking-info-percentiles 90 99.9\n",
		"# Generated by CONFIG REWRITE\n",
		"hz 25\n",
		`requirepass "pass word"` + "\n",
	} {
		if !strings.Contains(string(text), want) {
			t.Errorf("rewritten file lacks %q:\n%s", want, text)
		}
	}
	if strings.Count(string(text), "maxclients") != 1 {
		t.Errorf("duplicate maxclients lines kept:\n%s", text)
	}
	// directives given on the command line of the first node (bind, port, dir) were written too; a new
	// node needs its own port
	n.stop()
	m, err := startNodeWithFile(t, file)
	if err != nil {
		t.Fatal(err)
	}
	r2 := m.raw()
	mustDo(t, r2, "-NOAUTH Authentication required.", "PING")
	mustDo(t, r2, "OK", "AUTH", "pass word")
	mustDo(t, r2, `["hz" "25" "latency-tracking-info-percentiles" "90 99.9" "maxclients" "300" "slowlog-max-len" "64" "timeout" "42"]`,
		"CONFIG", "GET", "timeout", "maxclients", "hz", "slowlog-max-len", "latency-tracking-info-percentiles")
}

func TestConfigRewriteWithoutFile(t *testing.T) {
	n := startNode(t)
	mustDo(t, n.raw(), "-ERR The server is running without a config file", "CONFIG", "REWRITE")
}

// TestConfigSetTakesEffect: a few directives whose change is visible at once.
func TestConfigSetTakesEffect(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	// slowlog-max-len trims at the next entry
	mustDo(t, r, "OK", "CONFIG", "SET", "slowlog-log-slower-than", "0")
	for i := 0; i < 5; i++ {
		mustDo(t, r, "PONG", "PING")
	}
	mustDo(t, r, "OK", "CONFIG", "SET", "slowlog-max-len", "2")
	mustDo(t, r, "PONG", "PING")
	mustDo(t, r, ":2", "SLOWLOG", "LEN")
	// maxclients applies to the next connection
	mustDo(t, r, "OK", "CONFIG", "SET", "maxclients", "1")
	c, err := net.DialTimeout("tcp", n.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	other := &rawConn{t: t, c: c, br: bufio.NewReader(c)}
	if l := other.line(); l != "-ERR max number of clients reached" {
		t.Fatalf("over maxclients: %q", l)
	}
	if !other.closed() {
		t.Fatal("refused connection not closed")
	}
	m := infoMap(t, r, "stats")
	if m["rejected_connections"] != "1" {
		t.Fatalf("rejected_connections = %s", m["rejected_connections"])
	}
}

// TestConfigImmutableAndEnableDebug: enable-debug-command is a start-up setting, as in Valkey.
func TestConfigImmutableAndEnableDebug(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	for _, d := range []string{"enable-debug-command", "databases", "unixsocket", "daemonize", "logfile", "pidfile"} {
		want := "-ERR CONFIG SET failed (possibly related to argument '" + d + "') - can't set immutable config"
		mustDo(t, r, want, "CONFIG", "SET", d, "no")
	}
	mustDo(t, r, `["enable-debug-command" "no"]`, "CONFIG", "GET", "enable-debug-command")
}

// TestConfigResetStatKeepsLogs: CONFIG RESETSTAT resets the counters but not the slow log (as Valkey).
func TestConfigResetStatKeepsLogs(t *testing.T) {
	n := startNode(t, "slowlog-log-slower-than", "0")
	r := n.raw()
	mustDo(t, r, "OK", "SET", "k", "v")
	mustDo(t, r, `"v"`, "GET", "k")
	mustDo(t, r, "OK", "CONFIG", "RESETSTAT")
	m := infoMap(t, r, "stats", "commandstats")
	if m["total_commands_processed"] != "1" || m["keyspace_hits"] != "0" || m["cmdstat_get"] != "" {
		t.Fatalf("after RESETSTAT: processed=%s hits=%s get=%q", m["total_commands_processed"], m["keyspace_hits"], m["cmdstat_get"])
	}
	if l, _ := strconv.Atoi(strings.TrimPrefix(r.do("SLOWLOG", "LEN"), ":")); l < 3 {
		t.Fatalf("slow log emptied by RESETSTAT: %d entries", l)
	}
}

func TestShutdownCommand(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	mustDo(t, r, "-ERR No shutdown in progress.", "SHUTDOWN", "ABORT")
	mustDo(t, r, "-ERR syntax error", "SHUTDOWN", "SAVE", "NOSAVE")
	mustDo(t, r, "-ERR syntax error", "SHUTDOWN", "NOW", "ABORT")
	mustDo(t, r, "-ERR syntax error", "SHUTDOWN", "LATER")
	// SHUTDOWN SAVE into a directory that cannot take the file fails and leaves the node up
	setSaveFault(func(int64) error { return errors.New("injected: disk full") })
	mustDo(t, r, "-ERR Errors trying to SHUTDOWN. Check logs.", "SHUTDOWN", "SAVE")
	setSaveFault(nil)
	select {
	case <-n.srv.ShutdownRequested():
		t.Fatal("shutdown requested by a refused SHUTDOWN")
	default:
	}
	r.cmd("SHUTDOWN", "NOSAVE", "NOW", "FORCE")
	if !r.closed() {
		t.Fatal("connection not closed by SHUTDOWN")
	}
	select {
	case <-n.srv.ShutdownRequested():
	case <-time.After(5 * time.Second):
		t.Fatal("SHUTDOWN did not request the shutdown")
	}
	// the owner (main, here the test cleanup) then calls Shutdown
}
