package server

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// slowlogEntries returns the arguments and client name of each slow log entry, newest first (SLOWLOG GET -1).
func slowlogEntries(t *testing.T, r *rawConn) [][]string {
	t.Helper()
	r.cmd("SLOWLOG", "GET", "-1")
	l := r.line()
	n, err := strconv.Atoi(strings.TrimPrefix(l, "*"))
	if err != nil {
		t.Fatalf("SLOWLOG GET header %q", l)
	}
	var out [][]string
	for i := 0; i < n; i++ {
		if l := r.line(); l != "*6" {
			t.Fatalf("entry header %q", l)
		}
		id, ts, dur := r.reply(), r.reply(), r.reply()
		for _, v := range []string{id, ts, dur} {
			if !regexp.MustCompile(`^:\d+$`).MatchString(v) {
				t.Fatalf("entry field %q", v)
			}
		}
		if sec, _ := strconv.ParseInt(ts[1:], 10, 64); time.Since(time.Unix(sec, 0)) > time.Minute {
			t.Fatalf("entry time %s", ts)
		}
		args := r.reply()
		addr, name := r.reply(), r.reply()
		if !strings.HasPrefix(addr, `"127.0.0.1:`) {
			t.Fatalf("entry client address %s", addr)
		}
		var parts []string
		parts = append(parts, args, name)
		out = append(out, parts)
	}
	return out
}

func TestSlowlog(t *testing.T) {
	n := startNode(t, "slowlog-log-slower-than", "0", "slowlog-max-len", "100")
	r := n.raw()
	mustDo(t, r, "OK", "SLOWLOG", "RESET")
	mustDo(t, r, "OK", "CLIENT", "SETNAME", "logger")
	mustDo(t, r, "OK", "SET", "k", strings.Repeat("x", 200))
	long := make([]string, 40)
	for i := range long {
		long[i] = strconv.Itoa(i)
	}
	r.do(append([]string{"DEL"}, long...)...)
	mustDo(t, r, "-WRONGPASS invalid username-password pair or user is disabled.", "AUTH", "someone", "secret")
	mustDo(t, r, "OK", "CONFIG", "SET", "requirepass", "", "maxclients", "999")
	r.do("HELLO", "2", "AUTH", "default", "whatever", "SETNAME", "logger")
	got := slowlogEntries(t, r)
	want := [][]string{
		{`["HELLO" "2" "AUTH" "(redacted)" "(redacted)" "SETNAME" "logger"]`, `"logger"`},
		{`["CONFIG" "SET" "requirepass" "(redacted)" "maxclients" "999"]`, `"logger"`},
		{`["AUTH" "(redacted)" "(redacted)"]`, `"logger"`},
		{`["DEL" "0" "1" "2" "3" "4" "5" "6" "7" "8" "9" "10" "11" "12" "13" "14" "15" "16" "17" "18" "19" "20" "21" "22" "23" "24" "25" "26" "27" "28" "29" "... (10 more arguments)"]`, `"logger"`},
		{`["SET" "k" "` + strings.Repeat("x", 128) + `... (72 more bytes)"]`, `"logger"`},
		{`["CLIENT" "SETNAME" "logger"]`, `"logger"`}, // the name as it is after the command
	}
	// SLOWLOG RESET itself is the oldest entry
	if len(got) != len(want)+1 || got[len(got)-1][0] != `["SLOWLOG" "RESET"]` {
		t.Fatalf("slow log has %d entries: %q", len(got), got)
	}
	for i, w := range want {
		if got[i][0] != w[0] || got[i][1] != w[1] {
			t.Errorf("entry %d:\n got %s %s\nwant %s %s", i, got[i][0], got[i][1], w[0], w[1])
		}
	}
	// SLOWLOG GET's count, LEN, ids newest first
	mustDo(t, r, ":"+strconv.Itoa(len(got)+1), "SLOWLOG", "LEN") // the SLOWLOG GET -1 above is logged too
	r.cmd("SLOWLOG", "GET", "2")
	if l := r.line(); l != "*2" {
		t.Fatalf("SLOWLOG GET 2: %s", l)
	}
	first, second := r.reply(), r.reply()
	id1, _ := strconv.Atoi(first[strings.Index(first, ":")+1 : strings.Index(first, " ")])
	id2, _ := strconv.Atoi(second[strings.Index(second, ":")+1 : strings.Index(second, " ")])
	if id1 != id2+1 {
		t.Fatalf("ids not newest first: %d then %d", id1, id2)
	}
	mustDo(t, r, "-ERR count should be greater than or equal to -1", "SLOWLOG", "GET", "-2")
	mustDo(t, r, "-ERR count should be greater than or equal to -1", "SLOWLOG", "GET", "x")
	// max-len keeps the newest
	mustDo(t, r, "OK", "CONFIG", "SET", "slowlog-max-len", "3")
	for i := 0; i < 5; i++ {
		mustDo(t, r, ":0", "EXISTS", strconv.Itoa(i)+"-missing", "x")
	}
	got = slowlogEntries(t, r)
	if len(got) != 3 || got[0][0] != `["EXISTS" "4-missing" "x"]` {
		t.Fatalf("after max-len 3: %q", got)
	}
	// disabled: nothing is recorded
	mustDo(t, r, "OK", "CONFIG", "SET", "slowlog-log-slower-than", "-1")
	mustDo(t, r, "OK", "SLOWLOG", "RESET")
	mustDo(t, r, "PONG", "PING")
	mustDo(t, r, ":0", "SLOWLOG", "LEN")
	// a threshold that PING does not reach
	mustDo(t, r, "OK", "CONFIG", "SET", "slowlog-log-slower-than", "10000000")
	mustDo(t, r, "PONG", "PING")
	mustDo(t, r, ":0", "SLOWLOG", "LEN")
}

func TestLatencyMonitor(t *testing.T) {
	n := startNode(t, "enable-debug-command", "yes")
	r := n.raw()
	// threshold 0: nothing is recorded
	mustDo(t, r, "OK", "DEBUG", "SLEEP", "0.02")
	mustDo(t, r, "[]", "LATENCY", "LATEST")
	mustDo(t, r, "OK", "CONFIG", "SET", "latency-monitor-threshold", "10")
	mustDo(t, r, "OK", "DEBUG", "SLEEP", "0.05")
	mustDo(t, r, "PONG", "PING") // fast, below the threshold
	latest := r.do("LATENCY", "LATEST")
	m := regexp.MustCompile(`^\[\["command" :(\d+) :(\d+) :(\d+)\]\]$`).FindStringSubmatch(latest)
	if m == nil {
		t.Fatalf("LATENCY LATEST = %s", latest)
	}
	if ms, _ := strconv.Atoi(m[2]); ms < 50 {
		t.Fatalf("latest latency %d ms for a 50 ms sleep", ms)
	}
	if m[2] != m[3] {
		t.Fatalf("latest %s != max %s with one sample", m[2], m[3])
	}
	hist := r.do("LATENCY", "HISTORY", "command")
	if !regexp.MustCompile(`^\[\[:\d+ :` + m[2] + `\]\]$`).MatchString(hist) {
		t.Fatalf("LATENCY HISTORY command = %s", hist)
	}
	mustDo(t, r, "[]", "LATENCY", "HISTORY", "fast-command")
	if doctor := r.do("LATENCY", "DOCTOR"); !strings.Contains(doctor, "command: 1 latency spikes") {
		t.Fatalf("LATENCY DOCTOR = %s", doctor)
	}
	mustDo(t, r, ":0", "LATENCY", "RESET", "nosuchevent")
	mustDo(t, r, ":1", "LATENCY", "RESET")
	mustDo(t, r, "[]", "LATENCY", "LATEST")
	mustDo(t, r, "-ERR No samples available for event 'command'", "LATENCY", "GRAPH", "command")
	// LATENCY HISTOGRAM reports the commands that ran
	if h := r.do("LATENCY", "HISTOGRAM", "ping", "nosuch"); !strings.HasPrefix(h, `["ping" ["calls" :`) {
		t.Fatalf("LATENCY HISTOGRAM ping = %s", h)
	}
}

func TestMonitor(t *testing.T) {
	n := startNode(t, "requirepass", "pw")
	mon, c := n.raw(), n.raw()
	mustDo(t, mon, "OK", "AUTH", "pw")
	mustDo(t, mon, "OK", "MONITOR")
	mustDo(t, c, "OK", "AUTH", "pw")
	mustDo(t, c, "OK", "SELECT", "3")
	mustDo(t, c, "OK", "SET", "key with space", "a\"b\\c\r\n\x01\xff")
	mustDo(t, c, "OK", "CONFIG", "SET", "maxclients", "100") // admin: not shown
	c.do("GET")                                              // refused: not shown
	mustDo(t, c, "PONG", "PING")
	prefix := `^\+\d+\.\d{6} \[(\d+) ` + regexp.QuoteMeta(c.c.LocalAddr().String()) + `\] `
	want := []struct{ db, rest string }{
		{"0", `"AUTH" "(redacted)"`},
		{"3", `"SELECT" "3"`},
		{"3", `"SET" "key with space" "a\"b\\c\r\n\x01\xff"`},
		{"3", `"PING"`},
	}
	for _, w := range want {
		l := mon.line()
		m := regexp.MustCompile(prefix + `(.*)$`).FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("MONITOR line %q", l)
		}
		if m[1] != w.db || m[2] != w.rest {
			t.Fatalf("MONITOR line %q, want db %s and %s", l, w.db, w.rest)
		}
	}
	// RESET ends monitoring (and logs the connection out): the next reply is RESET's own
	mustDo(t, mon, "RESET", "RESET")
	mustDo(t, c, "PONG", "PING")
	mustDo(t, mon, "OK", "AUTH", "pw")
	mustDo(t, mon, "PONG", "PING")
}

func TestDebugCommand(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	notAllowed := `-ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.`
	mustDo(t, r, notAllowed, "DEBUG", "SLEEP", "0")
	mustDo(t, r, notAllowed, "DEBUG", "OBJECT", "k")

	local := startNode(t, "enable-debug-command", "local")
	mustDo(t, local.raw(), "OK", "DEBUG", "SLEEP", "0") // loopback counts as local

	d := startNode(t, "enable-debug-command", "yes")
	r = d.raw()
	mustDo(t, r, "OK", "SET", "s", "hello")
	mustDo(t, r, "OK", "SET", "i", "12345")
	mustDo(t, r, "OK", "SET", "big", strings.Repeat("z", 100))
	cases := []struct{ key, enc, ser string }{{"s", "embstr", "6"}, {"i", "int", "3"}, {"big", "raw", "102"}}
	for _, tc := range cases {
		got := r.do("DEBUG", "OBJECT", tc.key)
		re := regexp.MustCompile(`^Value at:0x[0-9a-f]+ refcount:1 encoding:` + tc.enc + ` serializedlength:` + tc.ser + ` lru:(\d+) lru_seconds_idle:(\d+)$`)
		m := re.FindStringSubmatch(got)
		if m == nil {
			t.Fatalf("DEBUG OBJECT %s = %s", tc.key, got)
		}
		if lru, _ := strconv.Atoi(m[1]); lru != int(uint32(time.Now().Unix())&lruClockMax) && lru != int(uint32(time.Now().Unix()-1)&lruClockMax) {
			t.Errorf("lru %d is not the 24-bit clock", lru)
		}
	}
	errs := []struct {
		args []string
		want string
	}{
		{[]string{"DEBUG", "OBJECT", "missing"}, "-ERR no such key"},
		{[]string{"DEBUG", "NOSUCH"}, "-ERR unknown subcommand or wrong number of arguments for 'NOSUCH'. Try DEBUG HELP."},
		{[]string{"DEBUG", "SLEEP"}, "-ERR unknown subcommand or wrong number of arguments for 'SLEEP'. Try DEBUG HELP."},
		{[]string{"DEBUG", "JMAP"}, "-ERR unknown subcommand or wrong number of arguments for 'JMAP'. Try DEBUG HELP."},
		{[]string{"DEBUG"}, "-ERR wrong number of arguments for 'debug' command"},
	}
	for _, tc := range errs {
		if got := r.do(tc.args...); got != tc.want {
			t.Errorf("%v = %s, want %s", tc.args, got, tc.want)
		}
	}
	if help := r.do("DEBUG", "HELP"); !strings.Contains(help, "SET-ACTIVE-EXPIRE <0|1>") {
		t.Errorf("DEBUG HELP = %s", help)
	}
	// DEBUG SLEEP holds the whole node: another client's PING waits for it
	other := d.raw()
	r.cmd("DEBUG", "SLEEP", "1")
	held := 0 // consecutive failed attempts to take the lock: the cron holds it for microseconds only
	waitFor(t, "the sleep to start", func() bool {
		if !d.srv.mu.TryLock() {
			held++
			return held >= 10
		}
		d.srv.mu.Unlock()
		held = 0
		return false
	})
	other.cmd("PING")
	if !readsNothing(other) {
		t.Fatal("PING answered during DEBUG SLEEP")
	}
	if got := r.reply(); got != "OK" {
		t.Fatal(got)
	}
	if got := other.reply(); got != "PONG" {
		t.Fatal(got)
	}
	// DEBUG SET-ACTIVE-EXPIRE 0 leaves expired keys in place until they are touched
	mustDo(t, r, "OK", "DEBUG", "SET-ACTIVE-EXPIRE", "0")
	mustDo(t, r, "OK", "SET", "gone", "v", "PX", "1")
	time.Sleep(300 * time.Millisecond) // a few cron cycles
	if dbLen(d, 0) != 4 {
		t.Fatalf("active expiry ran while disabled: %d keys", dbLen(d, 0))
	}
	mustDo(t, r, "OK", "DEBUG", "SET-ACTIVE-EXPIRE", "1")
	waitFor(t, "active expiry to reclaim the key", func() bool { return dbLen(d, 0) == 3 })
}

func TestTimeAndLastsave(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	got := r.do("TIME")
	m := regexp.MustCompile(`^\["(\d+)" "(\d+)"\]$`).FindStringSubmatch(got)
	if m == nil {
		t.Fatalf("TIME = %s", got)
	}
	sec, _ := strconv.ParseInt(m[1], 10, 64)
	usec, _ := strconv.ParseInt(m[2], 10, 64)
	if d := time.Since(time.Unix(sec, usec*1000)); d < -time.Second || d > time.Minute || usec >= 1e6 {
		t.Fatalf("TIME %s is off by %v", got, d)
	}
	last := r.do("LASTSAVE")
	ls, err := strconv.ParseInt(strings.TrimPrefix(last, ":"), 10, 64)
	if err != nil || ls > sec || ls < n.srv.started.Unix()-1 {
		t.Fatalf("LASTSAVE = %s (start %d, now %d)", last, n.srv.started.Unix(), sec)
	}
}
