package sentinel

import (
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// surfConf is a sentinel watching one primary nobody serves (the engine only sees it as down), with one
// known replica and one known sentinel.
func surfConf(port int) string {
	return fmt.Sprintf("sentinel monitor mymaster 127.0.0.1 %d 2\n"+
		"sentinel down-after-milliseconds mymaster 60000\n"+
		"sentinel known-replica mymaster 127.0.0.1 %d\n"+
		"sentinel known-sentinel mymaster 127.0.0.1 %d %s\n", port, port+1, port+2, idB)
}

func names(pairs [][2]string) []string {
	out := make([]string, len(pairs))
	for i, p := range pairs {
		out[i] = p[0]
	}
	return out
}

// The records are maps in RESP3 and flat arrays in RESP2, every value a bulk string, with Valkey's
// field order.
func TestCommandsRecordShapes(t *testing.T) {
	port := surfFreePort(t)
	n := surfStart(t, surfConf(port))
	for _, proto := range []int{2, 3} {
		c := n.dial(proto)
		wantKind := byte('*')
		if proto == 3 {
			wantKind = '%'
		}
		for _, sub := range []string{"MASTER", "PRIMARY"} {
			r := c.do("SENTINEL", sub, "mymaster")
			if r.kind != wantKind {
				t.Fatalf("RESP%d SENTINEL %s kind %c: %s", proto, sub, r.kind, r)
			}
			p := r.pairs(t)
			wantNames := []string{"name", "ip", "port", "runid", "flags", "link-pending-commands", "link-refcount",
				"last-ping-sent", "last-ok-ping-reply", "last-ping-reply", "down-after-milliseconds", "info-refresh",
				"role-reported", "role-reported-time", "config-epoch", "num-slaves", "num-other-sentinels", "quorum",
				"failover-timeout", "parallel-syncs"}
			got := names(p)
			// the engine may already have flagged the unserved primary down: s-down-time then appears
			got = without(got, "s-down-time")
			if !reflect.DeepEqual(got, wantNames) {
				t.Fatalf("RESP%d primary record fields:\n%q\nwant\n%q", proto, got, wantNames)
			}
			f := r.fields(t)
			if f["name"] != "mymaster" || f["ip"] != "127.0.0.1" || f["port"] != strconv.Itoa(port) ||
				f["quorum"] != "2" || f["down-after-milliseconds"] != "60000" || f["num-slaves"] != "1" ||
				f["num-other-sentinels"] != "1" || f["failover-timeout"] != "180000" || f["parallel-syncs"] != "1" ||
				f["role-reported"] != "master" || !strings.Contains(f["flags"], "master") {
				t.Fatalf("primary record: %v", f)
			}
		}
		for _, sub := range []string{"MASTERS", "PRIMARIES"} {
			r := c.do("SENTINEL", sub)
			if r.kind != '*' || len(r.elems) != 1 || r.elems[0].kind != wantKind || r.elems[0].fields(t)["name"] != "mymaster" {
				t.Fatalf("RESP%d SENTINEL %s: %s", proto, sub, r)
			}
		}
		for _, sub := range []string{"REPLICAS", "SLAVES"} {
			r := c.do("SENTINEL", sub, "mymaster")
			if r.kind != '*' || len(r.elems) != 1 {
				t.Fatalf("RESP%d SENTINEL %s: %s", proto, sub, r)
			}
			f := r.elems[0].fields(t)
			got := without(names(r.elems[0].pairs(t)), "s-down-time")
			want := []string{"name", "ip", "port", "runid", "flags", "link-pending-commands", "link-refcount",
				"last-ping-sent", "last-ok-ping-reply", "last-ping-reply", "down-after-milliseconds", "info-refresh",
				"role-reported", "role-reported-time", "master-link-down-time", "master-link-status", "master-host",
				"master-port", "slave-priority", "slave-repl-offset", "replica-announced"}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("replica record fields %q", got)
			}
			if f["name"] != "127.0.0.1:"+strconv.Itoa(port+1) || f["role-reported"] != "slave" ||
				f["slave-priority"] != "100" || f["replica-announced"] != "1" || f["master-link-status"] != "err" ||
				f["down-after-milliseconds"] != "60000" {
				t.Fatalf("replica record %v", f)
			}
		}
		r := c.do("SENTINEL", "SENTINELS", "mymaster")
		if r.kind != '*' || len(r.elems) != 1 {
			t.Fatalf("SENTINELS: %s", r)
		}
		f := r.elems[0].fields(t)
		got := without(names(r.elems[0].pairs(t)), "s-down-time")
		want := []string{"name", "ip", "port", "runid", "flags", "link-pending-commands", "link-refcount",
			"last-ping-sent", "last-ok-ping-reply", "last-ping-reply", "down-after-milliseconds",
			"last-hello-message", "voted-leader", "voted-leader-epoch"}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("sentinel record fields %q", got)
		}
		if f["name"] != idB || f["runid"] != idB || f["port"] != strconv.Itoa(port+2) || f["voted-leader"] != "?" ||
			!strings.HasPrefix(f["flags"], "sentinel") && !strings.HasPrefix(f["flags"], "s_down,sentinel") {
			t.Fatalf("sentinel record %v", f)
		}
	}
}

func without(list []string, drop string) []string {
	out := list[:0:0]
	for _, s := range list {
		if s != drop {
			out = append(out, s)
		}
	}
	return out
}

func TestCommandsRecordOptionalFields(t *testing.T) {
	dir := t.TempDir()
	script := confScript(t, dir, "n.sh", "exit 0")
	n := surfStartIdle(t, "sentinel deny-scripts-reconfig no\nsentinel monitor m 127.0.0.1 1 1\n"+
		"sentinel notification-script m "+script+"\nsentinel client-reconfig-script m "+script+"\n")
	f := n.dial(3).do("SENTINEL", "PRIMARY", "m").fields(t)
	if f["notification-script"] != script || f["client-reconfig-script"] != script {
		t.Fatalf("scripts missing from the record: %v", f)
	}
	// an SDOWN/ODOWN/failover state shows its own fields
	n.st.mu.Lock()
	m := n.st.masters["m"]
	m.Flags |= FlagODown | FlagFailoverInProgress
	m.FailoverState = FailoverSelectSlave
	n.st.mu.Unlock()
	f = n.dial(3).do("SENTINEL", "PRIMARY", "m").fields(t)
	if f["failover-state"] != "select_slave" || f["o-down-time"] == "" || !strings.Contains(f["flags"], "o_down") ||
		!strings.Contains(f["flags"], "failover_in_progress") {
		t.Fatalf("failover fields: %v", f)
	}
}

func TestCommandsAddressAndErrors(t *testing.T) {
	port := surfFreePort(t)
	n := surfStart(t, surfConf(port))
	c2, c3 := n.dial(2), n.dial(3)
	for _, sub := range []string{"GET-MASTER-ADDR-BY-NAME", "GET-PRIMARY-ADDR-BY-NAME"} {
		r := c2.do("SENTINEL", sub, "mymaster")
		if r.String() != "[127.0.0.1 "+strconv.Itoa(port)+"]" || r.elems[1].kind != '$' {
			t.Fatalf("%s: %s (port must be a bulk string)", sub, r)
		}
		if r := c2.do("SENTINEL", sub, "nosuch"); r.kind != '*' || !r.null {
			t.Fatalf("RESP2 unknown primary: %s, want *-1", r)
		}
		if r := c3.do("SENTINEL", sub, "nosuch"); r.kind != '_' {
			t.Fatalf("RESP3 unknown primary: %s, want _", r)
		}
	}
	for _, sub := range []string{"MASTER", "PRIMARY", "REPLICAS", "SLAVES", "SENTINELS", "REMOVE", "CKQUORUM",
		"FAILOVER"} {
		c2.wantErr("ERR No such master with that name", "SENTINEL", sub, "nosuch")
	}
	c2.wantErr("ERR No such master with that name", "SENTINEL", "SET", "nosuch", "quorum", "1")
	c2.wantErr("ERR unknown subcommand 'Bogus'. Try SENTINEL HELP.", "SENTINEL", "Bogus")
	c2.wantErr("ERR wrong number of arguments for 'sentinel|master' command", "SENTINEL", "MASTER")
	c2.wantErr("ERR wrong number of arguments for 'sentinel|myid' command", "SENTINEL", "MYID", "x")
	c2.wantErr("ERR wrong number of arguments for 'sentinel|set' command", "SENTINEL", "SET", "mymaster", "quorum")
	c2.wantErr("ERR wrong number of arguments for 'sentinel|is-master-down-by-addr' command",
		"SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", "1", "0")
	if r := c2.do("SENTINEL", "MYID"); r.kind != '$' || r.s != n.st.MyID() || !isRunID(r.s) {
		t.Fatalf("MYID: %s", r)
	}
	if r := c2.do("SENTINEL", "HELP"); r.kind != '*' || len(r.elems) < 10 || !strings.HasPrefix(r.elems[0].s, "SENTINEL <subcommand>") {
		t.Fatalf("HELP: %s", r)
	}
	c2.mustOK("SENTINEL", "FLUSHCONFIG")
}

func TestCommandsMonitorRemove(t *testing.T) {
	n := surfStart(t, "")
	events := n.subscribe("+monitor", "-monitor")
	c := n.dial(2)
	c.wantErr("ERR Invalid quorum", "SENTINEL", "MONITOR", "m", "127.0.0.1", "6379", "x")
	c.wantErr("ERR Invalid port", "SENTINEL", "MONITOR", "m", "127.0.0.1", "x", "1")
	c.wantErr("ERR Quorum must be 1 or greater.", "SENTINEL", "MONITOR", "m", "127.0.0.1", "6379", "0")
	c.wantErr("ERR Invalid IP address or hostname specified", "SENTINEL", "MONITOR", "m", "no-such-host.invalid", "6379", "1")
	c.wantErr("ERR Invalid port number.", "SENTINEL", "MONITOR", "m", "127.0.0.1", "70000", "1")
	c.mustOK("SENTINEL", "MONITOR", "m", "127.0.0.1", "6379", "1")
	c.wantErr("ERR Duplicate master name.", "SENTINEL", "MONITOR", "m", "127.0.0.2", "6379", "1")
	if ch, msg := events.nextMessage(); ch != "+monitor" || msg != "master m 127.0.0.1 6379 quorum 1" {
		t.Fatalf("event %s %q", ch, msg)
	}
	if !strings.Contains(n.confText(), "sentinel monitor m 127.0.0.1 6379 1\n") {
		t.Fatalf("MONITOR not saved:\n%s", n.confText())
	}
	if r := c.do("ROLE"); r.String() != "[sentinel [m]]" {
		t.Fatalf("ROLE: %s", r)
	}
	c.mustOK("SENTINEL", "REMOVE", "m")
	if ch, msg := events.nextMessage(); ch != "-monitor" || msg != "master m 127.0.0.1 6379" {
		t.Fatalf("event %s %q", ch, msg)
	}
	if strings.Contains(n.confText(), "monitor m") {
		t.Fatalf("REMOVE not saved:\n%s", n.confText())
	}
	if r := c.do("SENTINEL", "MASTERS"); r.String() != "[]" {
		t.Fatalf("MASTERS after REMOVE: %s", r)
	}
	if r := c.do("ROLE"); r.String() != "[sentinel []]" {
		t.Fatalf("ROLE: %s", r)
	}
}

func TestCommandsSet(t *testing.T) {
	dir := t.TempDir()
	script := confScript(t, dir, "n.sh", "exit 0")
	n := surfStart(t, "sentinel monitor m 127.0.0.1 6379 2\n")
	events := n.subscribe("+set")
	c := n.dial(2)
	c.mustOK("SENTINEL", "SET", "m", "down-after-milliseconds", "1234", "failover-timeout", "5000",
		"parallel-syncs", "2", "quorum", "3", "auth-pass", "secret", "auth-user", "bob",
		"rename-command", "CONFIG", "XCONFIG", "primary-reboot-down-after-period", "700",
		"master-reboot-down-after-period", "800")
	for _, want := range []string{"down-after-milliseconds 1234", "failover-timeout 5000", "parallel-syncs 2",
		"quorum 3", "auth-pass ******", "auth-user bob", "rename-command CONFIG XCONFIG",
		"primary-reboot-down-after-period 700", "master-reboot-down-after-period 800"} {
		if ch, msg := events.nextMessage(); ch != "+set" || msg != "master m 127.0.0.1 6379 "+want {
			t.Fatalf("event %s %q, want +set ... %s", ch, msg, want)
		}
	}
	text := n.confText()
	for _, want := range []string{"down-after-milliseconds m 1234", "failover-timeout m 5000", "parallel-syncs m 2",
		"monitor m 127.0.0.1 6379 3", "auth-pass m secret", "auth-user m bob", "rename-command m config XCONFIG",
		"primary-reboot-down-after-period m 800"} {
		if !strings.Contains(text, "sentinel "+want+"\n") {
			t.Fatalf("SET not saved (%s):\n%s", want, text)
		}
	}
	f := c.do("SENTINEL", "MASTER", "m").fields(t)
	if f["down-after-milliseconds"] != "1234" || f["quorum"] != "3" || f["master-reboot-down-after-period"] != "800" {
		t.Fatalf("record after SET: %v", f)
	}
	// renaming to itself removes the mapping
	c.mustOK("SENTINEL", "SET", "m", "rename-command", "config", "CONFIG")
	if strings.Contains(n.confText(), "rename-command") {
		t.Fatalf("identity rename kept:\n%s", n.confText())
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"down-after-milliseconds", "0"}, "ERR Invalid argument '0' for SENTINEL SET 'down-after-milliseconds'"},
		{[]string{"failover-timeout", "x"}, "ERR Invalid argument 'x' for SENTINEL SET 'failover-timeout'"},
		{[]string{"parallel-syncs", "-1"}, "ERR Invalid argument '-1' for SENTINEL SET 'parallel-syncs'"},
		{[]string{"quorum", "0"}, "ERR Invalid argument '0' for SENTINEL SET 'quorum'"},
		{[]string{"primary-reboot-down-after-period", "-1"}, "ERR Invalid argument '-1' for SENTINEL SET 'primary-reboot-down-after-period'"},
		{[]string{"rename-command", "", "x"}, "ERR Invalid argument '' for SENTINEL SET 'rename-command'"},
		{[]string{"bogus", "1"}, "ERR Unknown option or number of arguments for SENTINEL SET 'bogus'"},
		{[]string{"quorum", "2", "rename-command", "x"}, "ERR Unknown option or number of arguments for SENTINEL SET 'rename-command'"},
		{[]string{"notification-script", script}, errScriptsDenied},
		{[]string{"client-reconfig-script", script}, errScriptsDenied},
	} {
		c.wantErr(tc.want, append([]string{"SENTINEL", "SET", "m"}, tc.args...)...)
	}
	// the option before the bad one stays applied (and saved), as in Valkey
	if q := c.do("SENTINEL", "MASTER", "m").fields(t)["quorum"]; q != "2" {
		t.Fatalf("quorum before the bad option: %s", q)
	}
}

func TestCommandsSetScriptsWhenAllowed(t *testing.T) {
	dir := t.TempDir()
	script := confScript(t, dir, "n.sh", "exit 0")
	plain := dir + "/plain"
	if err := os.WriteFile(plain, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	n := surfStart(t, "sentinel deny-scripts-reconfig no\nsentinel monitor m 127.0.0.1 6379 2\n")
	c := n.dial(2)
	c.wantErr("ERR Notification script seems non existing or non executable", "SENTINEL", "SET", "m", "notification-script", plain)
	c.wantErr("ERR Client reconfiguration script seems non existing or non executable", "SENTINEL", "SET", "m", "client-reconfig-script", dir+"/none")
	c.mustOK("SENTINEL", "SET", "m", "notification-script", script, "client-reconfig-script", script)
	if !strings.Contains(n.confText(), "sentinel notification-script m "+script+"\n") {
		t.Fatalf("script not saved:\n%s", n.confText())
	}
	// an empty path clears it
	c.mustOK("SENTINEL", "SET", "m", "notification-script", "")
	if _, ok := c.do("SENTINEL", "MASTER", "m").fields(t)["notification-script"]; ok {
		t.Fatal("notification-script not cleared")
	}
}

func TestCommandsReset(t *testing.T) {
	port := surfFreePort(t)
	n := surfStart(t, surfConf(port)+"sentinel monitor other 127.0.0.1 1 1\nsentinel known-replica other 127.0.0.1 2\n")
	events := n.subscribe("+reset-master")
	c := n.dial(2)
	if r := c.do("SENTINEL", "RESET", "nomatch*"); r.kind != ':' || r.n != 0 {
		t.Fatalf("RESET nomatch: %s", r)
	}
	if r := c.do("SENTINEL", "RESET", "my*"); r.kind != ':' || r.n != 1 {
		t.Fatalf("RESET my*: %s", r)
	}
	if ch, msg := events.nextMessage(); ch != "+reset-master" || msg != "master mymaster 127.0.0.1 "+strconv.Itoa(port) {
		t.Fatalf("event %s %q", ch, msg)
	}
	f := c.do("SENTINEL", "MASTER", "mymaster").fields(t)
	if f["num-slaves"] != "0" || f["num-other-sentinels"] != "0" {
		t.Fatalf("RESET kept replicas or sentinels: %v", f)
	}
	if strings.Contains(n.confText(), "known-replica mymaster") || !strings.Contains(n.confText(), "known-replica other") {
		t.Fatalf("RESET not saved or too wide:\n%s", n.confText())
	}
	if r := c.do("SENTINEL", "RESET", "*"); r.n != 2 {
		t.Fatalf("RESET *: %s", r)
	}
}

func TestCommandsConfigGetSet(t *testing.T) {
	n := surfStart(t, "")
	for _, proto := range []int{2, 3} {
		c := n.dial(proto)
		r := c.do("SENTINEL", "CONFIG", "GET", "*")
		got := names(r.pairs(t))
		want := []string{"resolve-hostnames", "announce-hostnames", "announce-ip", "announce-port", "sentinel-user",
			"sentinel-pass", "loglevel"}
		if !reflect.DeepEqual(got, want) || (proto == 3) != (r.kind == '%') {
			t.Fatalf("RESP%d CONFIG GET *: %s", proto, r)
		}
	}
	c := n.dial(2)
	if r := c.do("SENTINEL", "CONFIG", "GET", "announce-*", "announce-ip", "loglevel"); r.String() !=
		"[announce-hostnames no announce-ip  announce-port 0 loglevel notice]" {
		t.Fatalf("CONFIG GET patterns: %s", r)
	}
	c.mustOK("SENTINEL", "CONFIG", "SET", "announce-ip", "10.1.1.1", "announce-port", "26999",
		"resolve-hostnames", "yes", "announce-hostnames", "YES", "sentinel-user", "u", "sentinel-pass", "p",
		"loglevel", "verbose")
	r := c.do("SENTINEL", "CONFIG", "GET", "*")
	if r.String() != "[resolve-hostnames yes announce-hostnames yes announce-ip 10.1.1.1 announce-port 26999 "+
		"sentinel-user u sentinel-pass p loglevel verbose]" {
		t.Fatalf("after CONFIG SET: %s", r)
	}
	text := n.confText()
	for _, want := range []string{"sentinel resolve-hostnames yes", "sentinel announce-hostnames yes",
		"sentinel announce-ip 10.1.1.1", "sentinel announce-port 26999", "sentinel sentinel-user u",
		"sentinel sentinel-pass p", "loglevel verbose"} {
		if !strings.Contains(text, want+"\n") {
			t.Fatalf("CONFIG SET not saved (%s):\n%s", want, text)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"SET", "bogus", "1"}, "ERR Invalid argument 'bogus' to SENTINEL CONFIG SET"},
		{[]string{"SET", "announce-ip", "1", "announce-ip", "2"}, "ERR Duplicate argument 'announce-ip' to SENTINEL CONFIG SET"},
		{[]string{"SET", "announce-ip", "1", "announce-port"}, "ERR Missing argument 'announce-port' value"},
		{[]string{"SET", "announce-port", "70000"}, "ERR Invalid value '70000' to SENTINEL CONFIG SET 'announce-port'"},
		{[]string{"SET", "resolve-hostnames", "maybe"}, "ERR Invalid value 'maybe' to SENTINEL CONFIG SET 'resolve-hostnames'"},
		{[]string{"SET", "loglevel", "loud"}, "ERR Invalid value 'loud' to SENTINEL CONFIG SET 'loglevel'"},
		{[]string{"SET", "announce-ip"}, "ERR Only SENTINEL CONFIG GET <param> [<param> <param> ...]/ SET <param> <value> [<param> <value> ...] are supported."},
		{[]string{"FOO", "x"}, "ERR Only SENTINEL CONFIG GET <param> [<param> <param> ...]/ SET <param> <value> [<param> <value> ...] are supported."},
	} {
		c.wantErr(tc.want, append([]string{"SENTINEL", "CONFIG"}, tc.args...)...)
	}
	// a refused CONFIG SET changed nothing
	if r := c.do("SENTINEL", "CONFIG", "GET", "announce-ip"); r.String() != "[announce-ip 10.1.1.1]" {
		t.Fatalf("refused SET changed announce-ip: %s", r)
	}
	n.st.mu.Lock()
	announced := n.st.myPort
	n.st.mu.Unlock()
	if announced != 26999 {
		t.Fatalf("hello would announce port %d, want announce-port 26999", announced)
	}
	c.mustOK("SENTINEL", "CONFIG", "SET", "announce-ip", "", "announce-port", "0")
	listener := n.srv.ListenPort()
	surfWait(t, "the listener's port to be announced again", func() bool {
		n.st.mu.Lock()
		defer n.st.mu.Unlock()
		return n.st.myPort == listener
	})
	if strings.Contains(n.confText(), "announce-ip") || strings.Contains(n.confText(), "announce-port") {
		t.Fatalf("cleared announce settings still saved:\n%s", n.confText())
	}
}

func TestCommandsDebug(t *testing.T) {
	n := surfStart(t, "")
	for _, proto := range []int{2, 3} {
		r := n.dial(proto).do("SENTINEL", "DEBUG")
		want := []string{"INFO-PERIOD", "PING-PERIOD", "ASK-PERIOD", "PUBLISH-PERIOD", "DEFAULT-DOWN-AFTER",
			"DEFAULT-FAILOVER-TIMEOUT", "TILT-TRIGGER", "TILT-PERIOD", "SLAVE-RECONF-TIMEOUT",
			"MIN-LINK-RECONNECT-PERIOD", "ELECTION-TIMEOUT", "SCRIPT-MAX-RUNTIME", "SCRIPT-RETRY-DELAY"}
		if got := names(r.pairs(t)); !reflect.DeepEqual(got, want) || (proto == 3) != (r.kind == '%') {
			t.Fatalf("RESP%d DEBUG: %s", proto, r)
		}
		if f := r.fields(t); f["INFO-PERIOD"] != "10000" || f["DEFAULT-DOWN-AFTER"] != "30000" || f["SCRIPT-RETRY-DELAY"] != "30000" {
			t.Fatalf("DEBUG defaults: %v", f)
		}
	}
	c := n.dial(2)
	c.mustOK("SENTINEL", "DEBUG", "info-period", "500", "DEFAULT-DOWN-AFTER", "1500", "script-max-runtime", "2000")
	f := c.do("SENTINEL", "DEBUG").fields(t)
	if f["INFO-PERIOD"] != "500" || f["DEFAULT-DOWN-AFTER"] != "1500" || f["SCRIPT-MAX-RUNTIME"] != "2000" {
		t.Fatalf("DEBUG after set: %v", f)
	}
	c.wantErr("ERR Invalid argument '0' for SENTINEL DEBUG 'ping-period'", "SENTINEL", "DEBUG", "ping-period", "0")
	c.wantErr("ERR Unknown option or number of arguments for SENTINEL DEBUG 'bogus'", "SENTINEL", "DEBUG", "bogus", "1")
	c.wantErr("ERR Unknown option or number of arguments for SENTINEL DEBUG 'tilt-period'", "SENTINEL", "DEBUG", "tilt-period")
	// a refused DEBUG changed nothing, a new primary takes the new default down-after
	c.wantErr("ERR Invalid argument 'x' for SENTINEL DEBUG 'tilt-period'", "SENTINEL", "DEBUG", "ask-period", "7", "tilt-period", "x")
	if f := c.do("SENTINEL", "DEBUG").fields(t); f["ASK-PERIOD"] != "1000" {
		t.Fatalf("refused DEBUG applied ask-period: %v", f)
	}
	c.mustOK("SENTINEL", "MONITOR", "m", "127.0.0.1", "1", "1")
	if d := c.do("SENTINEL", "MASTER", "m").fields(t)["down-after-milliseconds"]; d != "1500" {
		t.Fatalf("new primary's down-after %s, want the DEBUG default 1500", d)
	}
}

func TestCommandsInfoCacheSimulatePending(t *testing.T) {
	n := surfStart(t, "sentinel monitor m 127.0.0.1 1 1\nsentinel known-replica m 127.0.0.1 2\nsentinel monitor o 127.0.0.1 3 1\n")
	n.st.mu.Lock()
	m := n.st.masters["m"]
	m.InfoText = "# Server\r\nrun_id:x\r\n"
	m.InfoRefresh = m.RoleReportedTime
	n.st.mu.Unlock()
	c := n.dial(2)
	r := c.do("SENTINEL", "INFO-CACHE", "m", "nosuch")
	if r.kind != '*' || len(r.elems) != 2 || r.elems[0].s != "m" || len(r.elems[1].elems) != 2 {
		t.Fatalf("INFO-CACHE m: %s", r)
	}
	first, second := r.elems[1].elems[0], r.elems[1].elems[1]
	if first.elems[0].kind != ':' || first.elems[1].s != "# Server\r\nrun_id:x\r\n" || second.elems[0].n != 0 || !second.elems[1].null {
		t.Fatalf("INFO-CACHE entries: %s", r)
	}
	if r := c.do("SENTINEL", "INFO-CACHE"); len(r.elems) != 4 || r.elems[2].s != "o" {
		t.Fatalf("INFO-CACHE (all): %s", r)
	}
	if r := c.do("SENTINEL", "SIMULATE-FAILURE", "help"); r.String() != "[crash-after-election crash-after-promotion]" {
		t.Fatalf("SIMULATE-FAILURE help: %s", r)
	}
	c.wantErr("ERR Unknown failure simulation specified", "SENTINEL", "SIMULATE-FAILURE", "explode")
	c.mustOK("SENTINEL", "SIMULATE-FAILURE", "crash-after-election", "CRASH-AFTER-PROMOTION")
	if !strings.Contains(infoSentinel(t, c), "sentinel_simulate_failure_flags:3\r\n") {
		t.Fatalf("flags not shown: %s", infoSentinel(t, c))
	}
	c.mustOK("SENTINEL", "SIMULATE-FAILURE")
	if !strings.Contains(infoSentinel(t, c), "sentinel_simulate_failure_flags:0\r\n") {
		t.Fatal("SIMULATE-FAILURE without flags did not clear them")
	}
	if r := c.do("SENTINEL", "PENDING-SCRIPTS"); r.String() != "[]" {
		t.Fatalf("PENDING-SCRIPTS: %s", r)
	}
}

func infoSentinel(t testing.TB, c *surfConn) string {
	t.Helper()
	r := c.do("INFO", "sentinel")
	if r.kind != '$' {
		t.Fatalf("INFO: %s", r)
	}
	return r.s
}

func TestCommandsInfoRolePublish(t *testing.T) {
	port := surfFreePort(t)
	n := surfStartIdle(t, surfConf(port)+"sentinel monitor other 127.0.0.1 7 1\n")
	c := n.dial(2)
	info := infoSentinel(t, c)
	want := "# Sentinel\r\nsentinel_masters:2\r\nsentinel_tilt:0\r\nsentinel_tilt_since_seconds:-1\r\n" +
		"sentinel_running_scripts:0\r\nsentinel_scripts_queue_length:0\r\nsentinel_simulate_failure_flags:0\r\n"
	if !strings.HasPrefix(info, want) {
		t.Fatalf("INFO sentinel:\n%q\nwant prefix\n%q", info, want)
	}
	// the primaries are reported in order; status follows their flags (the engine may flag them down)
	lines := strings.Split(strings.TrimSpace(strings.TrimPrefix(info, want)), "\r\n")
	if len(lines) != 2 {
		t.Fatalf("primary lines: %q", lines)
	}
	for i, l := range []string{
		fmt.Sprintf("master0:name=mymaster,status=%%s,address=127.0.0.1:%d,slaves=1,sentinels=2", port),
		"master1:name=other,status=%s,address=127.0.0.1:7,slaves=0,sentinels=1"} {
		if lines[i] != fmt.Sprintf(l, "ok") && lines[i] != fmt.Sprintf(l, "sdown") {
			t.Fatalf("INFO line %q, want %q", lines[i], l)
		}
	}
	n.st.mu.Lock()
	n.st.masters["other"].Flags |= FlagSDown | FlagODown
	n.st.mu.Unlock()
	if !strings.Contains(infoSentinel(t, c), "master1:name=other,status=odown,") {
		t.Fatal("ODOWN primary not reported as odown")
	}
	if r := c.do("ROLE"); r.String() != "[sentinel [mymaster other]]" {
		t.Fatalf("ROLE: %s", r)
	}
	c.wantErr("ERR Only HELLO messages are accepted by Sentinel instances.", "PUBLISH", "chan", "x")
	if r := c.do("PUBLISH", "__sentinel__:hello", "garbage"); r.kind != ':' || r.n != 1 {
		t.Fatalf("PUBLISH hello: %s", r)
	}
}

func TestCommandsIsMasterDownByAddr(t *testing.T) {
	port := surfFreePort(t)
	n := surfStartIdle(t, surfConf(port))
	c := n.dial(2)
	p := strconv.Itoa(port)
	for _, sub := range []string{"IS-MASTER-DOWN-BY-ADDR", "IS-PRIMARY-DOWN-BY-ADDR"} {
		r := c.do("SENTINEL", sub, "10.9.9.9", p, "0", "*")
		if r.String() != "[:0 * :0]" || r.elems[1].kind != '$' {
			t.Fatalf("unknown address: %s", r)
		}
	}
	c.wantErr("ERR value is not an integer or out of range", "SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", "x", "0", "*")
	c.wantErr("ERR value is not an integer or out of range", "SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", p, "y", "*")
	n.st.mu.Lock()
	n.st.masters["mymaster"].Flags |= FlagSDown
	n.st.mu.Unlock()
	if r := c.do("SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", p, "0", "*"); r.String() != "[:1 * :0]" {
		t.Fatalf("SDOWN primary, no vote asked: %s", r)
	}
	// a vote request in a newer epoch gets this sentinel's vote
	r := c.do("SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", p, "5", idB)
	if r.kind != '*' || len(r.elems) != 3 || r.elems[0].n != 1 || r.elems[1].s != idB || r.elems[2].kind != ':' || r.elems[2].n != 5 {
		t.Fatalf("vote: %s", r)
	}
	// in TILT the primary is never reported down
	n.st.mu.Lock()
	n.st.tilt = true
	n.st.mu.Unlock()
	if r := c.do("SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", p, "5", "*"); r.elems[0].n != 0 {
		t.Fatalf("TILT: %s", r)
	}
	n.st.mu.Lock()
	n.st.tilt = false
	n.st.mu.Unlock()
}

func TestCommandsFailoverRefused(t *testing.T) {
	n := surfStartIdle(t, "sentinel monitor m 127.0.0.1 1 1\n")
	c := n.dial(2)
	// no replica at all
	c.wantErr("NOGOODSLAVE No suitable replica to promote", "SENTINEL", "FAILOVER", "m")
	n.st.mu.Lock()
	n.st.masters["m"].Flags |= FlagFailoverInProgress
	n.st.mu.Unlock()
	c.wantErr("INPROG Failover already in progress", "SENTINEL", "FAILOVER", "m")
}
