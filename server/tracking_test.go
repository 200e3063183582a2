package server

import (
	"strings"
	"testing"
)

// trkConn opens a raw connection speaking RESP proto (2 or 3).
func trkConn(t *testing.T, n *testNode, proto int) *rawConn {
	t.Helper()
	r := n.raw()
	if proto == 3 {
		if got := r.do("HELLO", "3"); !strings.HasPrefix(got, "[") {
			t.Fatalf("HELLO 3: %s", got)
		}
	}
	return r
}

// trkExpect runs each step (a command line and its exact rendered reply, or "<" plus the expected next
// unsolicited message when the command is empty) in order.
func trkExpect(t *testing.T, r *rawConn, steps ...[2]string) {
	t.Helper()
	for _, st := range steps {
		var got string
		if st[0] == "" {
			got = r.reply()
		} else {
			got = r.do(strings.Fields(st[0])...)
		}
		if got != st[1] {
			t.Fatalf("%q: got %s, want %s", st[0], got, st[1])
		}
	}
}

// the next thing on the connection: used after an invalidation that must NOT have come, PING proves the
// stream holds nothing before its PONG.
var trkNothing = [2]string{"PING", "PONG"}

func TestTrackingDefaultRESP3(t *testing.T) {
	n := startNode(t)
	a, b := trkConn(t, n, 3), trkConn(t, n, 3)
	trkExpect(t, b, [2]string{"SET k v", "OK"}, [2]string{"SET other v", "OK"})
	trkExpect(t, a,
		[2]string{"CLIENT TRACKING ON", "OK"},
		[2]string{"GET k", `"v"`},
		[2]string{"MGET other k", `["v" "v"]`},
	)
	trkExpect(t, b, [2]string{"SET k v2", "OK"})
	trkExpect(t, a, [2]string{"", `["invalidate" ["k"]]`})
	// reported once: the key is forgotten until read again
	trkExpect(t, b, [2]string{"SET k v3", "OK"})
	trkExpect(t, a, trkNothing)
	// the client's own write: the invalidation follows the reply
	trkExpect(t, a,
		[2]string{"GET k", `"v3"`},
		[2]string{"SET k mine", "OK"},
		[2]string{"", `["invalidate" ["k"]]`},
		trkNothing,
	)
	// a key written but never read is not reported; DEL of a read key is
	trkExpect(t, b, [2]string{"SET unread 1", "OK"}, [2]string{"DEL other", ":1"})
	trkExpect(t, a, [2]string{"", `["invalidate" ["other"]]`}, trkNothing)
	// off: nothing more
	trkExpect(t, a, [2]string{"GET k", `"mine"`}, [2]string{"CLIENT TRACKING OFF", "OK"})
	trkExpect(t, b, [2]string{"SET k x", "OK"})
	trkExpect(t, a, trkNothing)
}

func TestTrackingNoloop(t *testing.T) {
	n := startNode(t)
	a, b := trkConn(t, n, 3), trkConn(t, n, 3)
	trkExpect(t, a,
		[2]string{"CLIENT TRACKING ON NOLOOP", "OK"},
		[2]string{"GET k", "(nil)"},
		[2]string{"SET k mine", "OK"},
		trkNothing,
		[2]string{"GET k", `"mine"`},
	)
	trkExpect(t, b, [2]string{"SET k theirs", "OK"})
	trkExpect(t, a, [2]string{"", `["invalidate" ["k"]]`})
}

func TestTrackingRedirectRESP2(t *testing.T) {
	n := startNode(t)
	sub, a, b := trkConn(t, n, 2), trkConn(t, n, 2), trkConn(t, n, 2)
	id := strings.TrimPrefix(sub.do("CLIENT", "ID"), ":")
	trkExpect(t, sub, [2]string{"SUBSCRIBE __redis__:invalidate", `["subscribe" "__redis__:invalidate" :1]`})
	trkExpect(t, a,
		[2]string{"CLIENT TRACKING ON REDIRECT " + id, "OK"},
		[2]string{"CLIENT GETREDIR", ":" + id},
		[2]string{"CLIENT TRACKINGINFO", `["flags" ["on"] "redirect" :` + id + ` "prefixes" []]`},
		[2]string{"GET k1", "(nil)"},
		[2]string{"GET k2", "(nil)"},
	)
	trkExpect(t, b, [2]string{"SET k1 v", "OK"})
	trkExpect(t, sub, [2]string{"", `["message" "__redis__:invalidate" ["k1"]]`})
	trkExpect(t, b, [2]string{"FLUSHALL", "OK"})
	trkExpect(t, sub, [2]string{"", `["message" "__redis__:invalidate" (nil)]`})
	// the redirect target goes away: the redirect is broken
	trkExpect(t, a, [2]string{"GET k1", "(nil)"})
	sub.c.Close()
	waitFor(t, "the subscriber to be gone", func() bool {
		return !strings.Contains(b.do("CLIENT", "LIST"), "id="+id+" ")
	})
	trkExpect(t, b, [2]string{"SET k1 v", "OK"})
	trkExpect(t, a,
		[2]string{"CLIENT TRACKINGINFO", `["flags" ["on" "broken_redirect"] "redirect" :` + id + ` "prefixes" []]`},
		[2]string{"CLIENT GETREDIR", ":" + id},
	)
}

func TestTrackingRedirectBrokenRESP3(t *testing.T) {
	n := startNode(t)
	target, a, b := trkConn(t, n, 3), trkConn(t, n, 3), trkConn(t, n, 3)
	id := strings.TrimPrefix(target.do("CLIENT", "ID"), ":")
	trkExpect(t, a, [2]string{"CLIENT TRACKING ON REDIRECT " + id, "OK"}, [2]string{"GET k", "(nil)"})
	trkExpect(t, b, [2]string{"SET k 1", "OK"})
	// a RESP3 target needs no subscription
	trkExpect(t, target, [2]string{"", `["invalidate" ["k"]]`})
	trkExpect(t, a, [2]string{"GET k", `"1"`})
	target.c.Close()
	waitFor(t, "the target to be gone", func() bool {
		return !strings.Contains(b.do("CLIENT", "LIST"), "id="+id+" ")
	})
	trkExpect(t, b, [2]string{"SET k 2", "OK"})
	trkExpect(t, a, [2]string{"", `["tracking-redir-broken" :` + id + `]`})
}

func TestTrackingBcast(t *testing.T) {
	n := startNode(t)
	a, b := trkConn(t, n, 3), trkConn(t, n, 3)
	trkExpect(t, a,
		[2]string{"CLIENT TRACKING ON BCAST PREFIX user: PREFIX obj:", "OK"},
		[2]string{"CLIENT TRACKINGINFO", `["flags" ["on" "bcast"] "redirect" :0 "prefixes" ["obj:" "user:"]]`},
	)
	// keys under a prefix are reported without being read, all keys of one command in one message
	trkExpect(t, b, [2]string{"MSET user:2 a other c user:1 b", "OK"})
	trkExpect(t, a, [2]string{"", `["invalidate" ["user:1" "user:2"]]`})
	trkExpect(t, b, [2]string{"SET obj:x 1", "OK"}, [2]string{"SET obj:x 2", "OK"}, [2]string{"SET zzz 1", "OK"})
	trkExpect(t, a,
		[2]string{"", `["invalidate" ["obj:x"]]`},
		[2]string{"", `["invalidate" ["obj:x"]]`},
		trkNothing,
	)
	// BCAST with NOLOOP on another client: its own writes are left out
	c := trkConn(t, n, 3)
	trkExpect(t, c, [2]string{"CLIENT TRACKING ON BCAST NOLOOP", "OK"}, [2]string{"SET mine 1", "OK"}, trkNothing)
	trkExpect(t, a, [2]string{"SET user:9 1", "OK"}, [2]string{"", `["invalidate" ["user:9"]]`})
	trkExpect(t, c, [2]string{"", `["invalidate" ["user:9"]]`})
	info := a.do("INFO", "stats")
	if !strings.Contains(info, "tracking_total_prefixes:3") {
		t.Fatalf("INFO stats lacks tracking_total_prefixes:3:\n%s", info)
	}
}

func TestTrackingOptinOptout(t *testing.T) {
	n := startNode(t)
	a, b := trkConn(t, n, 3), trkConn(t, n, 3)
	trkExpect(t, a,
		[2]string{"CLIENT TRACKING ON OPTIN", "OK"},
		[2]string{"GET k", "(nil)"}, // not tracked
		[2]string{"CLIENT CACHING YES", "OK"},
		[2]string{"CLIENT TRACKINGINFO", `["flags" ["on" "optin" "caching-yes"] "redirect" :0 "prefixes" []]`},
		[2]string{"GET k2", "(nil)"}, // tracked: CACHING applies to this command
		[2]string{"GET k3", "(nil)"}, // and not to this one
		[2]string{"CLIENT TRACKINGINFO", `["flags" ["on" "optin"] "redirect" :0 "prefixes" []]`},
	)
	trkExpect(t, b, [2]string{"MSET k 1 k3 1", "OK"})
	trkExpect(t, a, trkNothing)
	trkExpect(t, b, [2]string{"SET k2 1", "OK"})
	trkExpect(t, a, [2]string{"", `["invalidate" ["k2"]]`})

	o := trkConn(t, n, 3)
	trkExpect(t, o,
		[2]string{"CLIENT TRACKING ON OPTOUT", "OK"},
		[2]string{"CLIENT CACHING NO", "OK"},
		[2]string{"GET x", "(nil)"}, // not tracked
		[2]string{"GET y", "(nil)"}, // tracked
	)
	trkExpect(t, b, [2]string{"SET x 1", "OK"}, [2]string{"SET y 1", "OK"})
	trkExpect(t, o, [2]string{"", `["invalidate" ["y"]]`}, trkNothing)
}

func TestTrackingFlushAndExpiry(t *testing.T) {
	n := startNode(t)
	a, b := trkConn(t, n, 3), trkConn(t, n, 3)
	trkExpect(t, a, [2]string{"CLIENT TRACKING ON", "OK"})
	// FLUSHALL and FLUSHDB reach every tracking client, read keys or not
	trkExpect(t, b, [2]string{"FLUSHALL", "OK"})
	trkExpect(t, a, [2]string{"", `["invalidate" (nil)]`})
	trkExpect(t, a, [2]string{"FLUSHDB", "OK"}, [2]string{"", `["invalidate" (nil)]`}, trkNothing)
	// expiry invalidates
	trkExpect(t, b, [2]string{"SET e v", "OK"}, [2]string{"PEXPIRE e 30", ":1"})
	trkExpect(t, a, [2]string{"GET e", `"v"`})
	waitFor(t, "the key to expire", func() bool { return b.do("EXISTS", "e") == ":0" })
	trkExpect(t, a, [2]string{"", `["invalidate" ["e"]]`})
}

func TestTrackingTableMaxKeys(t *testing.T) {
	n := startNode(t, "tracking-table-max-keys", "2")
	a := trkConn(t, n, 3)
	trkExpect(t, a,
		[2]string{"CLIENT TRACKING ON", "OK"},
		[2]string{"MGET k1 k2", "[(nil) (nil)]"},
	)
	info := a.do("INFO", "stats")
	for _, f := range []string{"tracking_total_keys:2", "tracking_total_items:2"} {
		if !strings.Contains(info, f) {
			t.Fatalf("INFO stats lacks %s", f)
		}
	}
	// a third key pushes one out, with an invalidation
	got := a.do("GET", "k3")
	if got != "(nil)" {
		t.Fatalf("GET k3: %s", got)
	}
	if msg := a.reply(); msg != `["invalidate" ["k1"]]` && msg != `["invalidate" ["k2"]]` && msg != `["invalidate" ["k3"]]` {
		t.Fatalf("eviction message: %s", msg)
	}
	if info := a.do("INFO", "clients"); !strings.Contains(info, "tracking_clients:1") {
		t.Fatalf("INFO clients lacks tracking_clients:1")
	}
}

func TestTrackingInfoReplies(t *testing.T) {
	n := startNode(t)
	r2, r3 := trkConn(t, n, 2), trkConn(t, n, 3)
	for _, r := range []*rawConn{r2, r3} {
		trkExpect(t, r,
			[2]string{"CLIENT GETREDIR", ":-1"},
			[2]string{"CLIENT TRACKINGINFO", `["flags" ["off"] "redirect" :-1 "prefixes" []]`},
			[2]string{"CLIENT TRACKING ON", "OK"},
			[2]string{"CLIENT GETREDIR", ":0"},
			[2]string{"CLIENT TRACKING ON NOLOOP", "OK"},
			[2]string{"CLIENT TRACKINGINFO", `["flags" ["on" "noloop"] "redirect" :0 "prefixes" []]`},
			[2]string{"CLIENT TRACKING OFF", "OK"},
			[2]string{"CLIENT TRACKING ON BCAST", "OK"},
			[2]string{"CLIENT TRACKINGINFO", `["flags" ["on" "bcast"] "redirect" :0 "prefixes" [""]]`},
			[2]string{"RESET", "RESET"},
			[2]string{"CLIENT GETREDIR", ":-1"},
		)
	}
	// the RESP3 reply is a map whose flags are a set
	r3.do("HELLO", "3")
	r3.cmd("CLIENT", "TRACKINGINFO")
	if l := r3.line(); l != "%3" {
		t.Fatalf("TRACKINGINFO header %q", l)
	}
	r3.line()
	r3.line()
	if l := r3.line(); l != "~1" {
		t.Fatalf("flags header %q", l)
	}
}

// trackingErrorTable: the replies were checked against redis-server 7.0, and TestTrackingErrorsDiff
// compares them again when redis-server is installed. Each row runs on a fresh connection state
// (CLIENT TRACKING OFF first).
var trackingErrorTable = [][]string{
	{"CLIENT TRACKING ON PREFIX a"},
	{"CLIENT TRACKING ON OPTIN OPTOUT"},
	{"CLIENT TRACKING ON BCAST OPTIN"},
	{"CLIENT TRACKING ON REDIRECT 999999"},
	{"CLIENT TRACKING ON REDIRECT 0"},
	{"CLIENT TRACKING ON REDIRECT x"},
	{"CLIENT TRACKING ON REDIRECT"},
	{"CLIENT TRACKING ON PREFIX"},
	{"CLIENT TRACKING ON FOO"},
	{"CLIENT TRACKING MAYBE"},
	{"CLIENT TRACKING"},
	{"CLIENT TRACKING ON BCAST PREFIX a PREFIX ab"},
	{"CLIENT TRACKING ON BCAST PREFIX a PREFIX a"},
	{"CLIENT TRACKING ON BCAST PREFIX ab", "CLIENT TRACKING ON BCAST PREFIX a"},
	{"CLIENT TRACKING ON BCAST PREFIX a", "CLIENT TRACKING ON BCAST PREFIX b", "CLIENT TRACKINGINFO"},
	{"CLIENT TRACKING ON BCAST", "CLIENT TRACKING ON"},
	{"CLIENT TRACKING ON", "CLIENT TRACKING ON BCAST"},
	{"CLIENT TRACKING ON OPTIN", "CLIENT TRACKING ON OPTOUT"},
	{"CLIENT TRACKING ON OPTIN", "CLIENT TRACKING ON", "CLIENT TRACKINGINFO"},
	{"CLIENT CACHING YES"},
	{"CLIENT CACHING MAYBE"},
	{"CLIENT TRACKING ON", "CLIENT CACHING YES"},
	{"CLIENT TRACKING ON OPTIN", "CLIENT CACHING NO"},
	{"CLIENT TRACKING ON OPTIN", "CLIENT CACHING MAYBE"},
	{"CLIENT TRACKING ON OPTOUT", "CLIENT CACHING YES"},
	{"CLIENT TRACKING ON OPTOUT", "CLIENT CACHING NO", "CLIENT TRACKINGINFO"},
	{"CLIENT CACHING"},
	{"CLIENT GETREDIR x"},
	{"CLIENT TRACKINGINFO x"},
	{"CLIENT TRACKING OFF BCAST"},
}

var trackingErrorWant = [][]string{
	{"-ERR PREFIX option requires BCAST mode to be enabled"},
	{"-ERR You can't specify both OPTIN mode and OPTOUT mode"},
	{"-ERR OPTIN and OPTOUT are not compatible with BCAST"},
	{"-ERR The client ID you want redirect to does not exist"},
	{"-ERR The client ID you want redirect to does not exist"},
	{"-ERR value is not an integer or out of range"},
	{"-ERR syntax error"},
	{"-ERR syntax error"},
	{"-ERR syntax error"},
	{"-ERR syntax error"},
	{"-ERR wrong number of arguments for 'client|tracking' command"},
	{"-ERR Prefix 'a' overlaps with another provided prefix 'ab'. Prefixes for a single client must not overlap."},
	{"-ERR Prefix 'a' overlaps with another provided prefix 'a'. Prefixes for a single client must not overlap."},
	{"OK", "-ERR Prefix 'a' overlaps with an existing prefix 'ab'. Prefixes for a single client must not overlap."},
	{"OK", "OK", `["flags" ["on" "bcast"] "redirect" :0 "prefixes" ["a" "b"]]`},
	{"OK", "-ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode."},
	{"OK", "-ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode."},
	{"OK", "-ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode."},
	{"OK", "OK", `["flags" ["on"] "redirect" :0 "prefixes" []]`},
	{"-ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled"},
	{"-ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled"},
	{"OK", "-ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode."},
	{"OK", "-ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode."},
	{"OK", "-ERR syntax error"},
	{"OK", "-ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode."},
	{"OK", "OK", `["flags" ["on" "optout" "caching-no"] "redirect" :0 "prefixes" []]`},
	{"-ERR wrong number of arguments for 'client|caching' command"},
	{"-ERR wrong number of arguments for 'client|getredir' command"},
	{"-ERR wrong number of arguments for 'client|trackinginfo' command"},
	{"OK"},
}

func runTrackingErrorTable(t *testing.T, r *rawConn) [][]string {
	t.Helper()
	out := make([][]string, len(trackingErrorTable))
	for i, row := range trackingErrorTable {
		if got := r.do("CLIENT", "TRACKING", "OFF"); got != "OK" {
			t.Fatalf("CLIENT TRACKING OFF: %s", got)
		}
		for _, cmd := range row {
			out[i] = append(out[i], r.do(strings.Fields(cmd)...))
		}
	}
	return out
}

func TestTrackingErrors(t *testing.T) {
	n := startNode(t)
	got := runTrackingErrorTable(t, n.raw())
	for i := range trackingErrorTable {
		if strings.Join(got[i], "\n") != strings.Join(trackingErrorWant[i], "\n") {
			t.Errorf("%q:\n got  %q\n want %q", trackingErrorTable[i], got[i], trackingErrorWant[i])
		}
	}
}

// TestTrackingErrorsDiff runs the same table against the real redis-server.
func TestTrackingErrorsDiff(t *testing.T) {
	r, _ := startRedisServer(t)
	got := runTrackingErrorTable(t, r)
	for i := range trackingErrorTable {
		if strings.Join(got[i], "\n") != strings.Join(trackingErrorWant[i], "\n") {
			t.Errorf("redis-server %q:\n got  %q\n want %q", trackingErrorTable[i], got[i], trackingErrorWant[i])
		}
	}
}

// trackingMultiScenario: CLIENT CACHING covers a whole transaction, and invalidations of a transaction's
// own writes follow EXEC's reply. It runs against the node and, when installed, redis-server.
func trackingMultiScenario(t *testing.T, a, b *rawConn) {
	t.Helper()
	if got := a.do("HELLO", "3"); !strings.HasPrefix(got, "[") {
		t.Fatalf("HELLO 3: %s", got)
	}
	trkExpect(t, a,
		[2]string{"CLIENT TRACKING ON OPTIN", "OK"},
		[2]string{"CLIENT CACHING YES", "OK"},
		[2]string{"MULTI", "OK"},
		[2]string{"GET ma", "QUEUED"},
		[2]string{"GET mb", "QUEUED"},
		[2]string{"EXEC", "[(nil) (nil)]"},
		[2]string{"MULTI", "OK"},
		[2]string{"SET ma 1", "QUEUED"},
		[2]string{"EXEC", "[OK]"},
		[2]string{"", `["invalidate" ["ma"]]`},
		trkNothing,
	)
	trkExpect(t, b, [2]string{"SET mb 1", "OK"})
	trkExpect(t, a, [2]string{"", `["invalidate" ["mb"]]`}, trkNothing)
	if fl := a.do("CLIENT", "LIST", "ID", strings.TrimPrefix(a.do("CLIENT", "ID"), ":")); !strings.Contains(fl, " flags=t ") {
		t.Fatalf("CLIENT LIST flags: %s", fl)
	}
}

func TestTrackingMulti(t *testing.T) {
	n := startNode(t)
	trackingMultiScenario(t, n.raw(), n.raw())
}

func TestTrackingMultiDiff(t *testing.T) {
	a, port := startRedisServer(t)
	trackingMultiScenario(t, a, dialRaw(t, loopbackAddr(port)))
}
