package server

import (
	"net"
	"strings"
	"testing"
)

// protectedRemotePeers makes the node treat every TCP client as non-loopback, standing in for a remote peer.
func protectedRemotePeers(n *testNode) {
	n.srv.mu.Lock()
	n.srv.isLocal = func(net.Addr) bool { return false }
	n.srv.mu.Unlock()
}

func TestProtectedMode(t *testing.T) {
	cases := []struct {
		name     string
		args     []string
		setup    []string // ACL SETUSER rules for default, from a local connection
		accepted bool
	}{
		{"no password", nil, nil, false},
		{"requirepass", []string{"requirepass", "pw"}, nil, true},
		{"protected-mode no", []string{"protected-mode", "no"}, nil, true},
		{"ACL password", nil, []string{">pw"}, true},
		// resetpass leaves no password and no nopass flag: nobody can log in as default, so no exposure
		{"default resetpass", nil, []string{"resetpass"}, true},
		// disabling the default user does not lift protected mode while it is nopass (Valkey checks nopass)
		{"default off nopass", nil, []string{"off"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := startNode(t, tc.args...)
			if tc.setup != nil {
				r := n.raw()
				if tc.args != nil {
					r.do("AUTH", "pw")
				}
				aclExpect(t, r, "OK", append([]string{"ACL", "SETUSER", "default"}, tc.setup...)...)
			}
			protectedRemotePeers(n)
			r := n.raw()
			r.cmd("PING")
			l := r.line()
			if !tc.accepted {
				if !strings.HasPrefix(l, "-DENIED ") || !strings.Contains(l, "protected mode") {
					t.Fatalf("got %q, want the DENIED message", l)
				}
				if !r.closed() {
					t.Fatal("refused connection left open")
				}
				n.srv.mu.Lock()
				rejected := n.srv.stats.rejectedConns
				n.srv.mu.Unlock()
				if rejected != 1 {
					t.Fatalf("rejected_connections = %d, want 1", rejected)
				}
				return
			}
			if strings.HasPrefix(l, "-DENIED") {
				t.Fatalf("refused: %s", l)
			}
		})
	}
}

func TestIsLoopback(t *testing.T) {
	cases := []struct {
		addr net.Addr
		want bool
	}{
		{&net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: 1}, true},
		{&net.TCPAddr{IP: net.ParseIP("127.9.8.7"), Port: 1}, true},
		{&net.TCPAddr{IP: net.ParseIP("::1"), Port: 1}, true},
		{&net.TCPAddr{IP: net.ParseIP("::ffff:127.0.0.1"), Port: 1}, true},
		{&net.TCPAddr{IP: net.ParseIP("10.1.2.3"), Port: 1}, false},
		{&net.TCPAddr{IP: net.ParseIP("192.168.0.1"), Port: 1}, false},
		{&net.TCPAddr{IP: net.ParseIP("2001:db8::1"), Port: 1}, false},
		{&net.TCPAddr{IP: net.ParseIP("::"), Port: 1}, false},
		{&net.UnixAddr{Name: "/tmp/valkey.sock", Net: "unix"}, true},
	}
	for _, tc := range cases {
		if got := isLoopback(tc.addr); got != tc.want {
			t.Errorf("isLoopback(%v) = %v, want %v", tc.addr, got, tc.want)
		}
	}
	// with no override the node uses the real check
	s := &Server{}
	if !s.peerIsLocal(cases[0].addr) || s.peerIsLocal(cases[4].addr) {
		t.Error("peerIsLocal without an override disagrees with isLoopback")
	}
}
