package server

import (
	"bufio"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// streamTap collects what the node propagates, as one line per command ("SELECT 0", "SET k v").
type streamTap struct {
	mu   sync.Mutex
	data []byte
}

func tapStream(t *testing.T, n *testNode) *streamTap {
	tap := &streamTap{}
	n.srv.mu.Lock()
	f := n.srv.addFeed("test", func(p []byte) {
		tap.mu.Lock()
		tap.data = append(tap.data, p...)
		tap.mu.Unlock()
	})
	n.srv.mu.Unlock()
	t.Cleanup(func() {
		n.srv.mu.Lock()
		n.srv.removeFeed(f)
		n.srv.mu.Unlock()
	})
	return tap
}

// commands decodes the collected stream and empties it.
func (tap *streamTap) commands(t *testing.T) []string {
	t.Helper()
	tap.mu.Lock()
	data := tap.data
	tap.data = nil
	tap.mu.Unlock()
	br := bufio.NewReader(strings.NewReader(string(data)))
	var out []string
	for {
		n, err := readNode(br)
		if err != nil {
			break
		}
		var words []string
		for _, e := range n.elems {
			words = append(words, e.str)
		}
		out = append(out, strings.Join(words, " "))
	}
	return out
}

func TestPropagationRewritesNondeterministicCommands(t *testing.T) {
	n := startNode(t)
	tap := tapStream(t, n)
	r := n.raw()
	before := time.Now().UnixMilli()
	r.do("SET", "k", "v", "EX", "100")
	r.do("GET", "k") // reads propagate nothing
	r.do("EXPIRE", "k", "50")
	r.do("SETEX", "s", "10", "val")
	r.do("SET", "f", "1.5")
	r.do("INCRBYFLOAT", "f", "0.1")
	r.do("HINCRBYFLOAT", "h", "x", "2.5")
	r.do("GETDEL", "f")
	r.do("EXPIRE", "s", "-1") // a time in the past deletes
	r.do("SET", "k2", "v", "NX", "GET")
	r.do("SET", "k2", "w", "NX") // not set: nothing to propagate
	got := tap.commands(t)
	after := time.Now().UnixMilli()
	abs := func(s string) bool {
		v, err := strconv.ParseInt(s, 10, 64)
		return err == nil && v >= before && v <= after+100_000
	}
	want := []string{"SELECT 0", "SET k v PXAT *", "PEXPIREAT k *", "SET s val PXAT *", "SET f 1.5",
		"SET f 1.6 KEEPTTL", "HSET h x 2.5", "DEL f", "DEL s", "SET k2 v NX GET"}
	if len(got) != len(want) {
		t.Fatalf("propagated:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for i := range want {
		w := strings.Fields(want[i])
		g := strings.Fields(got[i])
		if len(w) != len(g) {
			t.Fatalf("command %d: got %q, want %q", i, got[i], want[i])
		}
		for j := range w {
			if w[j] == "*" {
				if !abs(g[j]) {
					t.Errorf("command %d: %q: %s is not an absolute time in ms", i, got[i], g[j])
				}
			} else if w[j] != g[j] {
				t.Errorf("command %d: got %q, want %q", i, got[i], want[i])
			}
		}
	}
}

func TestPropagationTransactionsAndDatabases(t *testing.T) {
	n := startNode(t)
	tap := tapStream(t, n)
	r := n.raw()
	r.do("SELECT", "2")
	r.do("MULTI")
	r.do("SET", "a", "1")
	r.do("GET", "a")
	r.do("INCR", "a")
	r.do("EXEC")
	r.do("SELECT", "0")
	r.do("LPUSH", "l", "x")
	got := strings.Join(tap.commands(t), "|")
	want := "SELECT 2|MULTI|SET a 1|INCR a|EXEC|SELECT 0|LPUSH l x"
	if got != want {
		t.Fatalf("propagated %s\nwant        %s", got, want)
	}
}

// A client served after it blocked pops in the same call as the push that woke it: the consumer sees
// the push and an LPOP (never a BLPOP, which could block it), atomically.
func TestPropagationOfServedBlockingPops(t *testing.T) {
	n := startNode(t)
	tap := tapStream(t, n)
	blocked := n.raw()
	blocked.cmd("BLPOP", "q", "0")
	waitFor(t, "the client to block", func() bool {
		return strings.Contains(n.raw().do("INFO", "clients"), "blocked_clients:1")
	})
	r := n.raw()
	r.do("RPUSH", "q", "a", "b")
	if got := blocked.reply(); got != `["q" "a"]` {
		t.Fatalf("BLPOP: %s", got)
	}
	r.do("RPUSH", "q2", "z")
	if got := r.do("BLMPOP", "0", "1", "q2", "RIGHT", "COUNT", "5"); got != `["q2" ["z"]]` {
		t.Fatalf("BLMPOP: %s", got)
	}
	r.do("RPUSH", "src", "m")
	r.do("BLMOVE", "src", "dst", "LEFT", "RIGHT", "0")
	r.do("BRPOP", "q", "0")
	got := strings.Join(tap.commands(t), "|")
	want := "SELECT 0|MULTI|RPUSH q a b|LPOP q|EXEC|RPUSH q2 z|LMPOP 1 q2 RIGHT COUNT 1|RPUSH src m|LMOVE src dst LEFT RIGHT|RPOP q"
	if got != want {
		t.Fatalf("propagated %s\nwant        %s", got, want)
	}
}

// Keys the node deletes on its own, because they expired, reach consumers as DEL.
func TestPropagationOfExpiredKeys(t *testing.T) {
	n := startNode(t, "enable-debug-command", "yes")
	r := n.raw()
	r.do("DEBUG", "SET-ACTIVE-EXPIRE", "0")
	r.do("SET", "gone", "v", "PX", "1")
	time.Sleep(5 * time.Millisecond)
	tap := tapStream(t, n)
	if got := r.do("GET", "gone"); got != "(nil)" && got != "$-1" {
		t.Fatalf("GET expired: %s", got)
	}
	if got := strings.Join(tap.commands(t), "|"); got != "SELECT 0|DEL gone" {
		t.Fatalf("propagated %s", got)
	}
}
