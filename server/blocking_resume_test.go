package server

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

// A command that arrives while the client is blocked is read (the connection is watched for a hang-up
// meanwhile) and must run as soon as the blocking command ends, without waiting for more input. Found
// with a go-redis client pipelining SET + WAIT 1: when the replica's ack came in before the node started
// waiting, the WAIT reply went out with the SET's, the client's next pipeline was read by the hang-up
// watcher, and then sat in the buffer while the node waited for input that never came.
func TestInputReadWhileBlockedRunsAfterUnblock(t *testing.T) {
	n := startNode(t)
	a, b := n.raw(), n.raw()
	id := a.do("CLIENT", "ID")
	blpop, ping := respCommand("BLPOP", "l", "0"), respCommand("PING")
	a.send(string(blpop))
	waitFor(t, "BLPOP to block", func() bool {
		return strings.Contains(b.do("INFO", "clients"), "blocked_clients:1")
	})
	a.send(string(ping))
	// the node has read the PING (its input byte count includes it) while the BLPOP still waits
	idNum := strings.TrimPrefix(id, ":")
	netIn := regexp.MustCompile(`tot-net-in=(\d+)`)
	want := fmt.Sprint(len(respCommand("CLIENT", "ID")) + len(blpop) + len(ping))
	waitFor(t, "the node to read the PING sent during BLPOP", func() bool {
		m := netIn.FindStringSubmatch(b.do("CLIENT", "LIST", "ID", idNum))
		return m != nil && m[1] == want
	})
	if got := b.do("LPUSH", "l", "x"); got != ":1" {
		t.Fatalf("LPUSH: %s", got)
	}
	a.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for _, want := range []string{"*2", "$1", "l", "$1", "x", "+PONG"} {
		line, err := a.br.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the replies after BLPOP was served: %v (got %q, want %q next)", err, line, want)
		}
		if got := strings.TrimSuffix(line, "\r\n"); got != want {
			t.Fatalf("reply line %q, want %q", got, want)
		}
	}
}
