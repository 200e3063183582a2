package server

import (
	"testing"
)

func TestMultiExec(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	steps := []struct {
		args []string
		want string
	}{
		{[]string{"EXEC"}, "-ERR EXEC without MULTI"},
		{[]string{"DISCARD"}, "-ERR DISCARD without MULTI"},
		{[]string{"MULTI"}, "OK"},
		{[]string{"MULTI"}, "-ERR MULTI calls can not be nested"},
		{[]string{"SET", "a", "1"}, "QUEUED"},
		{[]string{"GET", "a"}, "QUEUED"},
		{[]string{"WATCH", "a"}, "-ERR WATCH inside MULTI is not allowed"},
		{[]string{"EXEC"}, `[OK "1"]`},
		// a refused command inside MULTI aborts the transaction
		{[]string{"MULTI"}, "OK"},
		{[]string{"SET", "b", "1"}, "QUEUED"},
		{[]string{"GET"}, "-ERR wrong number of arguments for 'get' command"},
		{[]string{"NOSUCH"}, "-ERR unknown command 'NOSUCH', with args beginning with: "},
		{[]string{"EXEC"}, "-EXECABORT Transaction discarded because of previous errors."},
		{[]string{"GET", "b"}, "(nil)"},
		// DISCARD drops the queue
		{[]string{"MULTI"}, "OK"},
		{[]string{"SET", "c", "1"}, "QUEUED"},
		{[]string{"DISCARD"}, "OK"},
		{[]string{"GET", "c"}, "(nil)"},
		// runtime errors inside EXEC do not stop the others
		{[]string{"MULTI"}, "OK"},
		{[]string{"SET", "d", "x", "EX", "0"}, "QUEUED"},
		{[]string{"SET", "d", "y"}, "QUEUED"},
		{[]string{"EXEC"}, "[-ERR invalid expire time in 'set' command OK]"},
	}
	for _, st := range steps {
		if got := r.do(st.args...); got != st.want {
			t.Fatalf("%v: got %q, want %q", st.args, got, st.want)
		}
	}
}

func TestWatch(t *testing.T) {
	n := startNode(t)
	a, b := n.raw(), n.raw()
	// a write by another client between WATCH and EXEC aborts the transaction (null reply)
	mustDo(t, a, "OK", "WATCH", "k")
	mustDo(t, b, "OK", "SET", "k", "other")
	mustDo(t, a, "OK", "MULTI")
	mustDo(t, a, "QUEUED", "SET", "k", "mine")
	mustDo(t, a, "(nil)", "EXEC")
	mustDo(t, a, `"other"`, "GET", "k")
	// without interference it commits, and EXEC unwatches
	mustDo(t, a, "OK", "WATCH", "k")
	mustDo(t, a, "OK", "MULTI")
	mustDo(t, a, "QUEUED", "SET", "k", "mine")
	mustDo(t, a, "[OK]", "EXEC")
	mustDo(t, b, "OK", "SET", "k", "later")
	mustDo(t, a, "OK", "MULTI")
	mustDo(t, a, "QUEUED", "GET", "k")
	mustDo(t, a, `["later"]`, "EXEC")
	// UNWATCH forgets
	mustDo(t, a, "OK", "WATCH", "k")
	mustDo(t, b, "OK", "SET", "k", "x")
	mustDo(t, a, "OK", "UNWATCH")
	mustDo(t, a, "OK", "MULTI")
	mustDo(t, a, "QUEUED", "GET", "k")
	mustDo(t, a, `["x"]`, "EXEC")
	// a watched key that expires counts as modified
	mustDo(t, a, "OK", "SET", "e", "1", "PX", "30")
	mustDo(t, a, "OK", "WATCH", "e")
	waitFor(t, "key to expire", func() bool { return b.do("GET", "e") == "(nil)" })
	mustDo(t, a, "OK", "MULTI")
	mustDo(t, a, "QUEUED", "SET", "e", "2")
	mustDo(t, a, "(nil)", "EXEC")
}

func TestWatchRESP3NullAndReset(t *testing.T) {
	n := startNode(t)
	a, b := n.raw(), n.raw()
	if got := a.do("HELLO", "3"); got == "" {
		t.Fatal("no HELLO reply")
	}
	mustDo(t, a, "OK", "WATCH", "k")
	mustDo(t, b, "OK", "SET", "k", "v")
	mustDo(t, a, "OK", "MULTI")
	mustDo(t, a, "QUEUED", "GET", "k")
	mustDo(t, a, "(nil)", "EXEC") // RESP3 null "_"
	// RESET discards an open transaction
	mustDo(t, a, "OK", "MULTI")
	mustDo(t, a, "QUEUED", "SET", "z", "1")
	mustDo(t, a, "RESET", "RESET")
	mustDo(t, a, "-ERR EXEC without MULTI", "EXEC")
	mustDo(t, a, "(nil)", "GET", "z")
}

func mustDo(t *testing.T, r *rawConn, want string, args ...string) {
	t.Helper()
	if got := r.do(args...); got != want {
		t.Fatalf("%v: got %q, want %q", args, got, want)
	}
}
