package server

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valkey-node/valkey-node/server/resp"
)

// Test-only commands exercising the blocking machinery on plain strings: TESTBPOP key timeout takes a
// key's value (like GETDEL) or waits for the key to be set by TESTPUSH key value.
func init() {
	register(
		spec{name: "testbpop", arity: 3, flags: "write blocking", first: 1, last: 1, step: 1, group: "generic", handler: testBPop},
		spec{name: "testpush", arity: 3, flags: "write", first: 1, last: 1, step: 1, group: "generic", handler: testPush},
	)
}

func testTake(c *Client, keys [][]byte) bool {
	s := c.srv
	o := s.lookupWrite(c, keys[0])
	if o == nil {
		return false
	}
	c.W().Array(2)
	c.W().Bulk(keys[0])
	c.W().Bulk(o.Str)
	c.dbx().Delete(keys[0])
	s.keyModified(c.dbx(), keys[0])
	return true
}

func testBPop(c *Client, args [][]byte) {
	timeout, msg := parseBlockTimeout(args[2])
	if msg != "" {
		c.Err(msg)
		return
	}
	if testTake(c, args[1:2]) {
		return
	}
	c.srv.blockOn(c, args[1:2], timeout, testTake, func(w *resp.Writer) { w.NullArray() })
}

func testPush(c *Client, args [][]byte) {
	s := c.srv
	s.setValue(c, args[1], args[2], false, 0)
	s.signalKeyReady(c.db, args[1])
	c.W().OK()
}

func TestBlockingServedInArrivalOrder(t *testing.T) {
	n := startNode(t)
	const waiters = 5
	conns := make([]*rawConn, waiters)
	for i := range conns {
		conns[i] = n.raw()
		conns[i].cmd("TESTBPOP", "q", "0")
		// make the arrival order deterministic: wait until this one is registered
		waitFor(t, "client to block", func() bool {
			n.srv.mu.Lock()
			defer n.srv.mu.Unlock()
			return n.srv.blockedCount == i+1
		})
	}
	p := n.raw()
	for i := 0; i < waiters; i++ {
		mustDo(t, p, "OK", "TESTPUSH", "q", string(rune('a'+i)))
	}
	for i, c := range conns {
		want := `["q" "` + string(rune('a'+i)) + `"]`
		if got := c.reply(); got != want {
			t.Fatalf("waiter %d got %s, want %s", i, got, want)
		}
	}
	mustDo(t, p, "(nil)", "GET", "q")
}

func TestBlockingTimeoutAndPipeline(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	// commands pipelined after a blocking one run only once it is done
	r.send("*3\r\n$8\r\nTESTBPOP\r\n$1\r\nk\r\n$4\r\n0.05\r\n*1\r\n$4\r\nPING\r\n")
	if got := r.reply(); got != "(nil)" {
		t.Fatalf("timeout reply %s", got)
	}
	if got := r.reply(); got != "PONG" {
		t.Fatalf("pipelined reply %s", got)
	}
	mustDo(t, r, "-ERR timeout is negative", "TESTBPOP", "k", "-1")
	mustDo(t, r, "-ERR timeout is not a float or out of range", "TESTBPOP", "k", "abc")
	// inside MULTI a blocking command does not block
	mustDo(t, r, "OK", "MULTI")
	mustDo(t, r, "QUEUED", "TESTBPOP", "k", "0")
	mustDo(t, r, "[(nil)]", "EXEC")
}

// A client that disconnects while blocked must not take an element: the next waiter (or nobody) gets it.
func TestBlockedClientGoneTakesNothing(t *testing.T) {
	n := startNode(t)
	gone := n.raw()
	gone.cmd("TESTBPOP", "k", "0")
	waitFor(t, "client to block", func() bool {
		n.srv.mu.Lock()
		defer n.srv.mu.Unlock()
		return n.srv.blockedCount == 1
	})
	gone.c.Close()
	waitFor(t, "blocked client to be released", func() bool {
		n.srv.mu.Lock()
		defer n.srv.mu.Unlock()
		return n.srv.blockedCount == 0
	})
	p := n.raw()
	mustDo(t, p, "OK", "TESTPUSH", "k", "v")
	mustDo(t, p, `"v"`, "GET", "k")
}

// Many clients racing pushes and blocking pops: every pushed value is delivered exactly once.
func TestBlockingConcurrent(t *testing.T) {
	n := startNode(t)
	const workers, per = 4, 25
	var wg sync.WaitGroup
	got := make(chan string, workers*per)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := n.raw()
			for i := 0; i < per; i++ {
				rep := c.do("TESTBPOP", "k", "120")
				got <- rep
			}
		}()
	}
	p := n.raw()
	deadline := time.Now().Add(120 * time.Second)
	for i := 0; i < workers*per; i++ {
		for {
			// TESTPUSH overwrites: wait until the previous value was taken so none is lost
			if p.do("EXISTS", "k") == ":0" || time.Now().After(deadline) {
				break
			}
			time.Sleep(time.Millisecond)
		}
		mustDo(t, p, "OK", "TESTPUSH", "k", strings.Repeat("x", i%7+1)+string(rune('A'+i%26)))
	}
	wg.Wait()
	close(got)
	count := 0
	for r := range got {
		if r == "(nil)" {
			t.Fatal("a waiter timed out")
		}
		count++
	}
	if count != workers*per {
		t.Fatalf("delivered %d of %d", count, workers*per)
	}
}

// A list that arrives by RENAME (not by a push) serves a client blocked on its new name, as in Valkey.
func TestBlockingWokenByRename(t *testing.T) {
	n := startNode(t)
	w := n.raw()
	w.cmd("BLPOP", "dst", "0")
	waitFor(t, "client to block", func() bool {
		n.srv.mu.Lock()
		defer n.srv.mu.Unlock()
		return n.srv.blockedCount == 1
	})
	p := n.raw()
	mustDo(t, p, ":1", "RPUSH", "src", "x")
	mustDo(t, p, "OK", "RENAME", "src", "dst")
	if got := w.reply(); got != `["dst" "x"]` {
		t.Fatalf("got %s", got)
	}
}

func TestParseBlockTimeout(t *testing.T) {
	if d, msg := parseBlockTimeout([]byte("1e-10")); msg != "" || d <= 0 {
		t.Fatalf("tiny timeout became %v %q (0 would mean forever)", d, msg)
	}
	if d, _ := parseBlockTimeout([]byte("0")); d != 0 {
		t.Fatal("0 must mean forever")
	}
	if d, _ := parseBlockTimeout([]byte("1.5")); d != 1500*time.Millisecond {
		t.Fatalf("1.5 = %v", d)
	}
}
