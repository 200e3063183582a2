package server

import (
	"context"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

func TestPingSetGet(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	if got := r.do("PING"); got != "PONG" {
		t.Fatalf("PING = %s", got)
	}
	if got := r.do("SET", "k", "v"); got != "OK" {
		t.Fatalf("SET = %s", got)
	}
	if got := r.do("GET", "k"); got != `"v"` {
		t.Fatalf("GET = %s", got)
	}
	ctx := context.Background()
	c := n.client()
	if v, err := c.Get(ctx, "k").Result(); err != nil || v != "v" {
		t.Fatalf("go-redis GET = %q, %v", v, err)
	}
	if _, err := c.Get(ctx, "missing").Result(); err != redis.Nil {
		t.Fatalf("missing key: %v", err)
	}
}

func TestPipelineAndInline(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	r.send("PING\r\nSET a 1\r\n*2\r\n$3\r\nGET\r\n$1\r\na\r\nECHO \"x y\"\r\n")
	want := []string{"PONG", "OK", `"1"`, `"x y"`}
	for _, w := range want {
		if got := r.reply(); got != w {
			t.Fatalf("got %s, want %s", got, w)
		}
	}
}

func TestProtocolErrors(t *testing.T) {
	cases := []struct{ in, want string }{
		{"*abc\r\n", "-ERR Protocol error: invalid multibulk length"},
		{"*1\r\n$-5\r\n", "-ERR Protocol error: invalid bulk length"},
		{"*1\r\n+PING\r\n", "-ERR Protocol error: expected '$', got '+'"},
		{"ECHO \"unterminated\r\n", "-ERR Protocol error: unbalanced quotes in request"},
		{"*1\r\n$999999999999\r\n", "-ERR Protocol error: invalid bulk length"},
	}
	n := startNode(t)
	for _, c := range cases {
		r := n.raw()
		r.send(c.in)
		if got := r.line(); got != c.want {
			t.Errorf("%q: got %q, want %q", c.in, got, c.want)
		}
		if !r.closed() {
			t.Errorf("%q: connection not closed after protocol error", c.in)
		}
	}
	// the node still serves others
	if got := n.raw().do("PING"); got != "PONG" {
		t.Fatal(got)
	}
}

func TestUnknownCommandAndArity(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	if got := r.do("NOPE", "a", "b"); got != "-ERR unknown command 'NOPE', with args beginning with: 'a' 'b' " {
		t.Fatalf("got %q", got)
	}
	if got := r.do("GET"); got != "-ERR wrong number of arguments for 'get' command" {
		t.Fatalf("got %q", got)
	}
	if got := r.do("SET", "k", "v", "EX", "0"); got != "-ERR invalid expire time in 'set' command" {
		t.Fatalf("got %q", got)
	}
	if !strings.HasPrefix(r.do("SET", "k", "v", "NX", "XX"), "-ERR syntax error") {
		t.Fatal("NX XX accepted")
	}
}
