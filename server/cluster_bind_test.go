package server

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

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

// TestClusterConfigSet: the cluster rules and the node timeout change at runtime.
func TestClusterConfigSet(t *testing.T) {
	n := startNode(t, "cluster-enabled", "yes", "cluster-port", strconv.Itoa(freePort(t)), "cluster-node-timeout", "3000")
	r := n.raw()
	if got := r.do("CONFIG", "SET", "cluster-require-full-coverage", "no"); got != "OK" {
		t.Fatalf("CONFIG SET cluster-require-full-coverage: %s", got)
	}
	if got := r.do("CONFIG", "SET", "cluster-node-timeout", "5000"); got != "OK" {
		t.Fatalf("CONFIG SET cluster-node-timeout: %s", got)
	}
	if got := r.do("CONFIG", "GET", "cluster-node-timeout"); got != `["cluster-node-timeout" "5000"]` {
		t.Fatalf("cluster-node-timeout after the change: %s", got)
	}
	if got := n.srv.cl.NodeTimeout(); got != 5*time.Second {
		t.Fatalf("the bus runs with a node timeout of %v after CONFIG SET", got)
	}
	if got := r.do("CONFIG", "SET", "cluster-node-timeout", "0"); !strings.HasPrefix(got, "-ERR") {
		t.Fatalf("CONFIG SET cluster-node-timeout 0: %s", got)
	}
	if got := r.do("SELECT", "1"); got != "-ERR SELECT is not allowed in cluster mode" {
		t.Fatalf("SELECT 1 in cluster mode: %s", got)
	}
	if got := r.do("GET", "{a}x"); !strings.HasPrefix(got, "-CLUSTERDOWN") {
		t.Fatalf("GET with no slots assigned: %s", got)
	}
}
