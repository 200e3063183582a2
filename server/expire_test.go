package server

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// expiredStat reads the expired_keys counter.
func expiredStat(n *testNode) int64 {
	n.srv.mu.Lock()
	defer n.srv.mu.Unlock()
	return n.srv.stats.expiredKeys
}

// Lazy expiry: with the active cycle off, a key whose time passed stays in the table until a command
// touches it, and then behaves as missing for every kind of access.
func TestLazyExpiry(t *testing.T) {
	n := startNode(t)
	setActiveExpire(n, false)
	r := n.raw()
	accesses := []kvStep{
		{"GET k", "(nil)"},
		{"EXISTS k", ":0"},
		{"TTL k", ":-2"},
		{"PTTL k", ":-2"},
		{"EXPIRETIME k", ":-2"},
		{"TYPE k", "none"},
		{"STRLEN k", ":0"},
		{"MGET k", "[(nil)]"},
		{"GETRANGE k 0 -1", `""`},
		{"OBJECT ENCODING k", "(nil)"},
		{"EXPIRE k 100", ":0"},
		{"PERSIST k", ":0"},
		{"DEL k", ":0"},
		{"RENAME k x", "-ERR no such key"},
		{"MOVE k 1", ":0"},
		{"COPY k x", ":0"},
		{"TOUCH k", ":0"},
		{"SETNX k new", ":1"},
		{"INCR k", ":1"},
		{"APPEND k x", ":1"},
		{"INCRBYFLOAT k 1.5", `"1.5"`},
		{"SETRANGE k 1 x", ":2"},
		{"SET k v XX", "(nil)"},
		{"SET k v NX", "OK"},
		{"MSETNX k v", ":1"},
		{"GETDEL k", "(nil)"},
		{"GETEX k PERSIST", "(nil)"},
		{"GETSET k v", "(nil)"},
	}
	for _, st := range accesses {
		r.do("SET", "k", "old")
		if got := r.do("PEXPIRE", "k", "1"); got != ":1" {
			t.Fatalf("PEXPIRE = %s", got)
		}
		time.Sleep(3 * time.Millisecond)
		if l := dbLen(n, 0); l != 1 {
			t.Fatalf("%s: the expired key is gone before any access (%d keys)", st.cmd, l)
		}
		before := expiredStat(n)
		if got := r.do(splitCmd(t, st.cmd)...); got != st.want {
			t.Errorf("%s on an expired key: got %s, want %s", st.cmd, got, st.want)
		}
		if got := expiredStat(n); got != before+1 {
			t.Errorf("%s: expired_keys went from %d to %d", st.cmd, before, got)
		}
		r.do("DEL", "k", "x")
	}
}

// Active expiry: keys with a short time to live that nothing reads are reclaimed by the periodic cycle,
// in every database, while keys without one stay.
func TestActiveExpiry(t *testing.T) {
	n := startNode(t, "hz", "100")
	r := n.raw()
	for _, db := range []string{"0", "7"} {
		r.do("SELECT", db)
		msetMany(t, r, "live:", 0, 10)
		for i := 0; i < 500; i += 100 {
			args := []string{"MSET"}
			for j := i; j < i+100; j++ {
				args = append(args, "short:"+strconv.Itoa(j), "v")
			}
			r.do(args...)
			for j := i; j < i+100; j++ {
				r.do("PEXPIRE", "short:"+strconv.Itoa(j), "1500") // long enough to outlive the set-up on a loaded machine
			}
		}
		if got := r.do("DBSIZE"); got != ":510" {
			t.Fatalf("DBSIZE = %s", got)
		}
	}
	waitFor(t, "the active expiry cycle to reclaim 1000 keys", func() bool {
		return dbLen(n, 0) == 10 && dbLen(n, 7) == 10
	})
	if got := expiredStat(n); got != 1000 {
		t.Errorf("expired_keys = %d, want 1000", got)
	}
	n.srv.mu.Lock()
	left := n.srv.dbs[0].ExpiresLen() + n.srv.dbs[7].ExpiresLen()
	n.srv.mu.Unlock()
	if left != 0 {
		t.Errorf("%d expiry entries left", left)
	}
	// with the cycle off nothing is reclaimed without an access
	setActiveExpire(n, false)
	r.do("SET", "k", "v", "PX", "20")
	time.Sleep(100 * time.Millisecond)
	if l := dbLen(n, 7); l != 11 {
		t.Errorf("with active expiry off: %d keys, want the expired one still there", l)
	}
}

// TTL and PTTL report what EXPIRE and PEXPIRE set; a time in the past deletes the key at once.
func TestExpireTTL(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	r.do("SET", "k", "v")
	runSteps(t, r, []kvStep{
		{"EXPIRE k 100", ":1"},
	})
	if got := r.do("TTL", "k"); got != ":100" && got != ":99" {
		t.Errorf("TTL after EXPIRE 100 = %s", got)
	}
	if v := pttl(t, r, "k"); v <= 99000 || v > 100000 {
		t.Errorf("PTTL after EXPIRE 100 = %d", v)
	}
	r.do("PEXPIRE", "k", "100500")
	if v := pttl(t, r, "k"); v <= 99500 || v > 100500 {
		t.Errorf("PTTL after PEXPIRE 100500 = %d", v)
	}
	at := time.Now().Unix() + 1000
	r.do("EXPIREAT", "k", strconv.FormatInt(at, 10))
	if got := r.do("EXPIRETIME", "k"); got != ":"+strconv.FormatInt(at, 10) {
		t.Errorf("EXPIRETIME = %s, want %d", got, at)
	}
	if got := r.do("PEXPIRETIME", "k"); got != ":"+strconv.FormatInt(at*1000, 10) {
		t.Errorf("PEXPIRETIME = %s", got)
	}
	if got := r.do("TTL", "k"); !strings.HasPrefix(got, ":99") && got != ":1000" {
		t.Errorf("TTL after EXPIREAT now+1000 = %s", got)
	}
	past := strconv.FormatInt(time.Now().Unix()-10, 10)
	runSteps(t, r, []kvStep{
		{"EXPIREAT k " + past + " GT", ":0"},
		{"EXPIREAT k " + past + " LT", ":1"},
		{"EXISTS k", ":0"},
		{"SET k v", "OK"},
		{"PEXPIRE k -1", ":1"},
		{"GET k", "(nil)"},
		{"SET k v", "OK"},
		{"PEXPIREAT k 0 NX", ":1"},
		{"DBSIZE", ":0"},
	})
}
