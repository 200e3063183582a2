package sentinel

import (
	"net"
	"testing"
	"time"
)

// TestResetMasterReconnectsAtOnceAndForgetsDownReplies: after a primary moves (switch-master), the link
// to the new address must be opened at once — not after the reconnect throttle, which with a short
// down-after would flag the healthy new primary down before its first PING — and the other sentinels'
// "primary is down" answers, which were about the old primary, no longer count towards ODOWN.
func TestResetMasterReconnectsAtOnceAndForgetsDownReplies(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() { // accept and hold connections; the test only looks at the link's state
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	s := newUnitSentinel(t)
	s.mu.Lock()
	m, err := s.createMasterLocked("mymaster", "127.0.0.1", port, 2)
	if err != nil {
		s.mu.Unlock()
		t.Fatal(err)
	}
	peer := s.addSentinelLocked(m, "127.0.0.1", 1, "0123456789012345678901234567890123456789")
	peer.Flags |= FlagMasterDown
	peer.LastMasterDownReply = time.Now()
	now := time.Now()
	s.reconnectLocked(m, now)
	if m.link.disconnected() {
		s.mu.Unlock()
		t.Fatal("first connection not opened")
	}
	s.resetMasterAndChangeAddressLocked(m, "127.0.0.1", port)
	if !m.link.disconnected() {
		s.mu.Unlock()
		t.Fatal("reset kept the old connections")
	}
	s.reconnectLocked(m, now.Add(time.Millisecond)) // well inside the throttle of the first attempt
	disconnected := m.link.disconnected()
	down := peer.Flags&FlagMasterDown != 0
	s.closeLinksLocked(m)
	s.closeConnsLocked(m)
	s.mu.Unlock()
	if disconnected {
		t.Fatal("the link to the moved primary waited for the reconnect throttle")
	}
	if down {
		t.Fatal("a sentinel's answer about the old primary still counts as 'down'")
	}
}
