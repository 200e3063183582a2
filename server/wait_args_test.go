package server

import "testing"

// TestWaitArgumentErrors: WAIT and WAITAOF refuse a bad timeout with Valkey's texts.
func TestWaitArgumentErrors(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	mustDo(t, r, "-ERR timeout is not an integer or out of range", "WAIT", "1", "soon")
	mustDo(t, r, "-ERR timeout is negative", "WAIT", "1", "-1")
	mustDo(t, r, "-ERR value is not an integer or out of range", "WAIT", "one", "0")
	mustDo(t, r, "-ERR timeout is not an integer or out of range", "WAITAOF", "0", "0", "soon")
	mustDo(t, r, "-ERR timeout is negative", "WAITAOF", "0", "0", "-1")
	mustDo(t, r, ":0", "WAIT", "0", "0")
}
