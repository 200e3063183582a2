package server

import "testing"

// The bus listens where the node's first bind address says; Valkey's wildcards (the default bind is
// "* -::*") must become "every interface", not an address the bus refuses at start-up.
func TestBusBindAddr(t *testing.T) {
	for in, want := range map[string]string{
		"*": "", "-*": "", "::*": "", "-::*": "", "127.0.0.1": "127.0.0.1", "-::1": "::1", "10.0.0.1": "10.0.0.1",
	} {
		if got := busBindAddr(in); got != want {
			t.Errorf("busBindAddr(%q) = %q, want %q", in, got, want)
		}
	}
}
