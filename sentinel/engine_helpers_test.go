package sentinel

import (
	"strings"
	"testing"
	"time"
)

// Helpers for the engine's unit tests: a sentinel that is not attached to a server, whose events are
// read straight from its queue.

const (
	testMyID    = "1111111111111111111111111111111111111111"
	testOtherA  = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	testOtherB  = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	testRunIDR1 = "0000000000000000000000000000000000000001"
	testRunIDR2 = "0000000000000000000000000000000000000002"
)

func newUnitSentinel(t *testing.T) *Sentinel {
	t.Helper()
	s := New()
	s.myID = testMyID
	s.myPort = 26379
	return s
}

func unitMaster(t *testing.T, s *Sentinel, quorum int) *Instance {
	t.Helper()
	m, err := s.createMasterLocked("mymaster", "127.0.0.1", 6379, quorum)
	if err != nil {
		t.Fatal(err)
	}
	m.DownAfter = time.Second
	m.FailoverTimeout = 3 * time.Second
	return m
}

// fakeUp gives an instance a link whose connections count as up, without any socket: commands queue
// in the connections' buffers, where tests read them.
func fakeUp(s *Sentinel, in *Instance) *link {
	now := time.Now()
	l := &link{needPubsub: !in.IsSentinel()}
	l.cmd = newRConn(s, "test", in.Addr.Host, in.Addr.Port, false, now)
	if l.needPubsub {
		l.pubsub = newRConn(s, "test", in.Addr.Host, in.Addr.Port, false, now)
	}
	in.link = l
	return l
}

// sentCommands decodes what was queued on a fake connection.
func sentCommands(t *testing.T, c *rconn) []string {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	rest := string(c.out)
	for rest != "" {
		// *N\r\n then N × $len\r\narg\r\n
		line, after, _ := strings.Cut(rest, "\r\n")
		n := atoiT(t, line[1:])
		rest = after
		var args []string
		for i := 0; i < n; i++ {
			hdr, after, _ := strings.Cut(rest, "\r\n")
			l := atoiT(t, hdr[1:])
			args = append(args, after[:l])
			rest = after[l+2:]
		}
		out = append(out, strings.Join(args, " "))
	}
	return out
}

func atoiT(t *testing.T, s string) int {
	t.Helper()
	n := 0
	for _, ch := range s {
		if ch < '0' || ch > '9' {
			t.Fatalf("bad number %q", s)
		}
		n = n*10 + int(ch-'0')
	}
	return n
}

// takeEvents empties the event queue and returns "type payload" strings.
func takeEvents(s *Sentinel) []string {
	var out []string
	for {
		select {
		case ev := <-s.events:
			out = append(out, strings.TrimSpace(ev.typ+" "+ev.payload))
		default:
			return out
		}
	}
}

func eventTypes(evs []string) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i], _, _ = strings.Cut(e, " ")
	}
	return out
}

func hasEvent(evs []string, typ string) bool {
	for _, e := range eventTypes(evs) {
		if e == typ {
			return true
		}
	}
	return false
}
