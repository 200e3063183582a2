package main

// Helpers for the cluster end-to-end tests: a cluster of TLS-only nodes (port 0, tls-cluster yes,
// tls-replication yes) started as subprocesses, the real redis-cli to make and inspect it, go-redis
// clients over TLS, and parsers for CLUSTER NODES / CLUSTER INFO.
//
// The nodes of a cluster belong to the test that made it (its cleanup stops them), while failures are
// reported on the testing.TB handed to each helper, so that subtests sharing one cluster fail themselves
// and never call FailNow on their parent.

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// clusterNodeTimeout is the cluster-node-timeout of the test clusters (ms): short, so that failure
// detection and elections take seconds, yet long enough for 2 cores running -race binaries.
const clusterNodeTimeout = 2000

// clusterWait bounds every wait for the cluster to reach a state (a few node timeouts plus slack).
const clusterWait = 30 * time.Second

// clusterNode is one node of a test cluster; its ports and directory stay the same across restarts.
type clusterNode struct {
	*node
	busPort int
	rdb     *redis.Client // plain go-redis client over TLS to this node
}

// tlsCluster is a set of cluster nodes, all TLS, on loopback.
type tlsCluster struct {
	owner *testing.T
	certs string
	nodes []*clusterNode
}

// clusterNodeArgs is the command line of a cluster node: TLS only, the bus and replication links TLS too.
// cluster-port is given explicitly (a free port), since a free TLS port + 10000 could be taken or above
// 65535; redis-cli then uses the 3-argument CLUSTER MEET. Snapshots are off: the tests look at
// nodes.conf, replication and failover, not at RDB files.
func clusterNodeArgs(certs, dir string, tlsPort, busPort int) []string {
	args := []string{"--bind", "127.0.0.1", "--dir", dir, "--port", "0", "--tls-port", strconv.Itoa(tlsPort)}
	args = append(args, tlsFlags(certs)...)
	return append(args,
		"--tls-cluster", "yes", "--tls-replication", "yes",
		"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
		"--cluster-node-timeout", strconv.Itoa(clusterNodeTimeout), "--cluster-port", strconv.Itoa(busPort),
		"--repl-diskless-sync-delay", "0", "--save", "")
}

// newTLSCluster starts n fresh cluster nodes (not yet joined) and waits until each answers PING.
func newTLSCluster(t *testing.T, n int) *tlsCluster {
	t.Helper()
	c := &tlsCluster{owner: t, certs: devCerts(t)}
	used := map[int]bool{}
	pick := func() int {
		for {
			if p := freePort(t); !used[p] {
				used[p] = true
				return p
			}
		}
	}
	for i := 0; i < n; i++ {
		c.nodes = append(c.nodes, &clusterNode{node: &node{tlsPort: pick(), dir: t.TempDir()}, busPort: pick()})
	}
	for i := range c.nodes {
		c.launch(i)
	}
	for i := range c.nodes {
		c.waitReady(t, i)
	}
	t.Cleanup(func() {
		for _, cn := range c.nodes {
			cn.rdb.Close()
		}
	})
	// the nodes' logs explain most failures: show the end of each
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		for i, cn := range c.nodes {
			t.Logf("---- node %d (TLS port %d) log, last lines:\n%s", i, cn.tlsPort, lastLines(cn.out.String(), 40))
		}
	})
	return c
}

// launch starts node i's process on its ports and directory (first start or restart) without waiting.
func (c *tlsCluster) launch(i int) {
	old := c.nodes[i]
	n := startNode(c.owner, nodeSpec{raw: clusterNodeArgs(c.certs, old.dir, old.tlsPort, old.busPort), noWait: true})
	n.tlsPort, n.certs, n.dir = old.tlsPort, c.certs, old.dir
	if old.rdb != nil {
		old.rdb.Close()
	}
	c.nodes[i] = &clusterNode{node: n, busPort: old.busPort, rdb: redis.NewClient(&redis.Options{
		Addr: n.tlsAddr(), TLSConfig: clientTLS(c.owner, c.certs, true),
		DialTimeout: 2 * time.Second, ReadTimeout: 10 * time.Second, MaxRetries: -1,
	})}
}

// waitReady waits until node i answers PING over TLS.
func (c *tlsCluster) waitReady(tb testing.TB, i int) {
	tb.Helper()
	c.nodes[i].waitPing(tb, fmt.Sprintf("node %d", i))
}

// restart starts node i again on the same ports and directory (so the same nodes.conf) and waits for PING.
func (c *tlsCluster) restart(tb testing.TB, i int) {
	tb.Helper()
	c.launch(i)
	c.waitReady(tb, i)
}

// kill sends SIGKILL to node i and waits for the process to end.
func (c *tlsCluster) kill(tb testing.TB, i int) {
	tb.Helper()
	n := c.nodes[i]
	if err := n.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		tb.Fatalf("SIGKILL node %d: %v", i, err)
	}
	c.waitExit(tb, i)
	n.stopped = true
}

// terminateAll sends SIGTERM to every node at once (so none sees the others leave one by one and starts
// a failover) and expects each to exit 0.
func (c *tlsCluster) terminateAll(tb testing.TB) {
	tb.Helper()
	for i, n := range c.nodes {
		if err := n.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			tb.Fatalf("SIGTERM node %d: %v", i, err)
		}
	}
	for i, n := range c.nodes {
		c.waitExit(tb, i)
		n.stopped = true
		if n.waitErr != nil {
			tb.Errorf("node %d exited with %v after SIGTERM\n%s", i, n.waitErr, lastLines(n.out.String(), 40))
		}
		n.checkNoRace()
	}
}

func (c *tlsCluster) waitExit(tb testing.TB, i int) {
	tb.Helper()
	select {
	case <-c.nodes[i].done:
	case <-time.After(20 * time.Second):
		tb.Fatalf("node %d did not exit within 20s", i)
	}
}

// addrs are the nodes' TLS addresses.
func (c *tlsCluster) addrs() []string {
	var out []string
	for _, n := range c.nodes {
		out = append(out, n.tlsAddr())
	}
	return out
}

// cliTLSFlags are redis-cli's TLS flags with the client certificate.
func (c *tlsCluster) cliTLSFlags() []string {
	return []string{"--tls", "--cacert", filepath.Join(c.certs, "ca.crt"),
		"--cert", filepath.Join(c.certs, "client.crt"), "--key", filepath.Join(c.certs, "client.key")}
}

// cli runs the real redis-cli with the TLS flags and args, allowing it timeout (the --cluster verbs take
// longer than one command).
func (c *tlsCluster) cli(tb testing.TB, timeout time.Duration, args ...string) cliResult {
	tb.Helper()
	bin := requireTool(tb, "redis-cli", "redis-tools")
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append(c.cliTLSFlags(), args...)...)
	cmd.Stdin = strings.NewReader("")
	out, err := cmd.CombinedOutput()
	res := cliResult{out: strings.TrimSpace(string(out))}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		tb.Fatalf("redis-cli %s did not finish within %v:\n%s", strings.Join(args, " "), timeout, out)
	case errors.As(err, &ee):
		res.code = ee.ExitCode()
	case err != nil:
		tb.Fatalf("redis-cli: %v", err)
	}
	return res
}

// clusterClient is a go-redis cluster client over TLS seeded with every node; hook, if not nil, is
// added to each of its node clients.
func (c *tlsCluster) clusterClient(tb testing.TB, hook redis.Hook) *redis.ClusterClient {
	cc := redis.NewClusterClient(&redis.ClusterOptions{
		Addrs: c.addrs(), TLSConfig: clientTLS(tb, c.certs, true),
		DialTimeout: 2 * time.Second, ReadTimeout: 10 * time.Second,
	})
	if hook != nil {
		cc.OnNewNode(func(rdb *redis.Client) { rdb.AddHook(hook) })
	}
	tb.Cleanup(func() { cc.Close() })
	return cc
}

// ---- reading the cluster's state ------------------------------------------------------------------------

// nodesLine is one line of CLUSTER NODES.
type nodesLine struct {
	id, addr, primary, epoch, link string
	flags                          []string
	slots                          []string // slot ranges, without the [slot->-id] entries
}

func (l nodesLine) has(flag string) bool {
	for _, f := range l.flags {
		if f == flag {
			return true
		}
	}
	return false
}

// slotCount is the number of slots the line's ranges cover.
func (l nodesLine) slotCount() int {
	n := 0
	for _, r := range l.slots {
		lo, hi, ok := strings.Cut(r, "-")
		a, _ := strconv.Atoi(lo)
		b := a
		if ok {
			b, _ = strconv.Atoi(hi)
		}
		n += b - a + 1
	}
	return n
}

// clusterNodes parses node i's CLUSTER NODES; an error for a node that does not answer.
func (c *tlsCluster) clusterNodes(i int) ([]nodesLine, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	text, err := c.nodes[i].rdb.ClusterNodes(ctx).Result()
	if err != nil {
		return nil, err
	}
	var out []nodesLine
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		f := strings.Fields(line)
		if len(f) < 8 {
			return nil, fmt.Errorf("CLUSTER NODES line %q has fewer than 8 fields", line)
		}
		l := nodesLine{id: f[0], addr: f[1], flags: strings.Split(f[2], ","), primary: f[3], epoch: f[6], link: f[7]}
		for _, s := range f[8:] {
			if !strings.HasPrefix(s, "[") {
				l.slots = append(l.slots, s)
			}
		}
		out = append(out, l)
	}
	return out, nil
}

// myself is node i's own line of CLUSTER NODES.
func (c *tlsCluster) myself(i int) (nodesLine, error) {
	lines, err := c.clusterNodes(i)
	if err != nil {
		return nodesLine{}, err
	}
	for _, l := range lines {
		if l.has("myself") {
			return l, nil
		}
	}
	return nodesLine{}, fmt.Errorf("node %d: no myself line in CLUSTER NODES", i)
}

// info is one field of node i's CLUSTER INFO ("" when the node does not answer).
func (c *tlsCluster) info(i int, field string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return infoField(c.nodes[i].rdb.ClusterInfo(ctx).Val(), field)
}

// replInfo is one field of node i's INFO replication.
func (c *tlsCluster) replInfo(i int, field string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return infoField(c.nodes[i].rdb.Info(ctx, "replication").Val(), field)
}

func infoField(text, field string) string {
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), field+":"); ok {
			return v
		}
	}
	return ""
}

// waitCluster polls cond for up to clusterWait; on timeout it fails with what cond last said.
func waitCluster(tb testing.TB, what string, cond func() error) {
	tb.Helper()
	deadline := time.Now().Add(clusterWait)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %v waiting for %s: %v", clusterWait, what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// allOK is a waitCluster condition: every node in idx reports cluster_state:ok and knows want nodes.
func (c *tlsCluster) allOK(want int, idx ...int) func() error {
	return func() error {
		for _, i := range idx {
			if s := c.info(i, "cluster_state"); s != "ok" {
				return fmt.Errorf("node %d: cluster_state %q", i, s)
			}
			if k := c.info(i, "cluster_known_nodes"); k != strconv.Itoa(want) {
				return fmt.Errorf("node %d: cluster_known_nodes %q, want %d", i, k, want)
			}
		}
		return nil
	}
}

// indexes returns 0..n-1.
func indexes(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// lastLines is the end of a log.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
