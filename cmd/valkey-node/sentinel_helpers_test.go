package main

// Helpers for the sentinel end-to-end tests: a replicated set of valkey-node data nodes (a primary and
// replicas, each started from its own configuration file so that the CONFIG REWRITE a sentinel sends
// during a failover has a file to write), sentinels started as subprocesses (our `valkey-node sentinel`
// or the real Debian redis-sentinel), go-redis clients for both, and a watcher that records the events a
// sentinel publishes.
//
// The processes belong to the test that made them (its cleanup stops them); failures are reported on the
// testing.TB handed to each helper.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

const (
	// masterName is the name every test sentinel monitors its primary under.
	masterName = "mymaster"
	// sentinelDownAfter is down-after-milliseconds: short, so failure detection takes about a second,
	// yet long enough that a -race binary on 2 loaded cores does not miss a PING reply by accident.
	sentinelDownAfter = 1000
	// realSentinelDownAfter is the Debian redis-sentinel's: after a switch-master it reconnects to the new
	// primary only after its one-second reconnect throttle and counts the other sentinels' recent "down"
	// answers about the old address, so with 1000 ms it sometimes fails over the healthy new primary a
	// second time (seen in CI). valkey-node's sentinel fixes both (sentinel/monitor.go); the reference
	// gets a period it is reliable with.
	realSentinelDownAfter = 3000
	// sentinelFailoverTimeout is failover-timeout (ms). A failed election is retried after twice this.
	sentinelFailoverTimeout = 5000
	// haWait bounds every wait for a sentinel or a data node to reach a state: the failover itself takes a
	// few down-after periods, a retried election 2×failover-timeout more, plus slack for -race binaries.
	haWait = 45 * time.Second
)

// portPicker hands out free loopback ports, never the same one twice within a test (a port found free
// but not bound yet would otherwise be handed out again).
type portPicker struct {
	t    testing.TB
	used map[int]bool
}

func newPortPicker(t testing.TB) *portPicker { return &portPicker{t: t, used: map[int]bool{}} }

func (p *portPicker) pick() int {
	for {
		if port := freePort(p.t); !p.used[port] {
			p.used[port] = true
			return port
		}
	}
}

// writeConf writes a configuration file, one directive a line.
func writeConf(tb testing.TB, path string, lines []string) {
	tb.Helper()
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		tb.Fatal(err)
	}
}

// tlsConfLines are a node's or sentinel's TLS material directives for the certificates in dir.
func tlsConfLines(dir string) []string {
	return []string{
		"tls-cert-file " + filepath.Join(dir, "server.crt"),
		"tls-key-file " + filepath.Join(dir, "server.key"),
		"tls-ca-cert-file " + filepath.Join(dir, "ca.crt"),
	}
}

// ---- data nodes ------------------------------------------------------------------------------------

// dataNode is one valkey-node process of the replicated set; its port, directory and configuration file
// stay the same across restarts (a restarted node reads the file a sentinel may have rewritten).
type dataNode struct {
	*node
	idx  int
	port int    // the node's one port: plain, or TLS in a TLS set
	conf string // its configuration file
	rdb  *redis.Client
}

// hostPort is the node's address as the sentinels know it.
func (d *dataNode) hostPort() string { return loopAddr(d.port) }

func loopAddr(port int) string { return "127.0.0.1:" + strconv.Itoa(port) }

// replSet is a primary with replicas, plain or all TLS, and the sentinels watching it.
type replSet struct {
	owner     *testing.T
	ports     *portPicker
	tls       bool
	certs     string // certificate directory (TLS sets; also used by sentinel clients)
	nodes     []*dataNode
	sentinels []*sentinelProc
}

// newReplSet starts len(priorities) nodes: node 0 the primary, the others its replicas with the given
// replica-priority each (the primary's entry is its priority once it becomes a replica). It waits until
// every replica's link is up. With tlsOn every node serves TLS only (port 0, tls-port, tls-replication
// yes), so replication runs over TLS and the primary's INFO lists its replicas' TLS ports.
func newReplSet(t *testing.T, tlsOn bool, priorities ...int) *replSet {
	t.Helper()
	rs := &replSet{owner: t, ports: newPortPicker(t), tls: tlsOn, certs: devCerts(t)}
	for i, prio := range priorities {
		d := &dataNode{node: &node{dir: t.TempDir()}, idx: i, port: rs.ports.pick()}
		d.conf = filepath.Join(d.dir, "node.conf")
		lines := []string{"bind 127.0.0.1", "dir " + d.dir, `save ""`, "appendonly no",
			"repl-diskless-sync-delay 0", "replica-priority " + strconv.Itoa(prio)}
		if tlsOn {
			lines = append(lines, "port 0", "tls-port "+strconv.Itoa(d.port), "tls-replication yes")
			lines = append(lines, tlsConfLines(rs.certs)...)
		} else {
			lines = append(lines, "port "+strconv.Itoa(d.port))
		}
		if i > 0 {
			lines = append(lines, "replicaof 127.0.0.1 "+strconv.Itoa(rs.nodes[0].port))
		}
		writeConf(t, d.conf, lines)
		rs.nodes = append(rs.nodes, d)
		rs.launch(t, i)
	}
	t.Cleanup(func() {
		for _, d := range rs.nodes {
			d.rdb.Close()
		}
	})
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		for _, d := range rs.nodes {
			t.Logf("---- data node %d (port %d) log, last lines:\n%s", d.idx, d.port, lastLines(d.out.String(), 30))
		}
		for i, s := range rs.sentinels {
			t.Logf("---- sentinel %d (port %d) log, last lines:\n%s", i, s.port, lastLines(s.out.String(), 60))
		}
	})
	for i := 1; i < len(rs.nodes); i++ {
		waitCond(t, fmt.Sprintf("replica %d's link to the primary", i), func() error {
			return rs.nodes[i].linkUp(rs.nodes[0].port)
		})
	}
	return rs
}

// launch starts node i from its configuration file (first start or restart) and waits for PING.
func (rs *replSet) launch(tb testing.TB, i int) {
	tb.Helper()
	old := rs.nodes[i]
	spec := nodeSpec{raw: []string{old.conf}, noWait: true}
	if !rs.tls {
		spec.rawPort = old.port
	}
	n := startNode(rs.owner, spec)
	n.dir = old.dir
	if rs.tls {
		n.tlsPort, n.certs = old.port, rs.certs
	}
	if old.rdb != nil {
		old.rdb.Close()
	}
	// retries: a sentinel's CLIENT KILL TYPE normal during a failover closes this client's idle connections
	opt := &redis.Options{Addr: old.hostPort(), DialTimeout: 2 * time.Second, ReadTimeout: 5 * time.Second, MaxRetries: 3}
	if rs.tls {
		opt.TLSConfig = clientTLS(rs.owner, rs.certs, true)
	}
	d := *old
	d.node, d.rdb = n, redis.NewClient(opt)
	rs.nodes[i] = &d
	n.waitPing(tb, fmt.Sprintf("data node %d", i))
}

// kill sends SIGKILL to node i and waits for the process to end.
func (rs *replSet) kill(tb testing.TB, i int) {
	tb.Helper()
	killProc(tb, rs.nodes[i].node, fmt.Sprintf("data node %d", i))
}

// killProc sends SIGKILL and waits for the exit; the process is then not checked at cleanup.
func killProc(tb testing.TB, n *node, what string) {
	tb.Helper()
	if err := n.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		tb.Fatalf("SIGKILL %s: %v", what, err)
	}
	select {
	case <-n.done:
	case <-time.After(20 * time.Second):
		tb.Fatalf("%s did not exit within 20s of SIGKILL", what)
	}
	n.stopped = true
}

// replInfo is the node's INFO replication as a map ("" values when it does not answer).
func (d *dataNode) replInfo() (map[string]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	text, err := d.rdb.Info(ctx, "replication").Result()
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
			out[k] = v
		}
	}
	return out, nil
}

// linkUp is nil when the node is a replica of 127.0.0.1:primaryPort with its link up.
func (d *dataNode) linkUp(primaryPort int) error {
	info, err := d.replInfo()
	if err != nil {
		return err
	}
	if info["role"] != "slave" || info["master_port"] != strconv.Itoa(primaryPort) || info["master_link_status"] != "up" {
		return fmt.Errorf("node %d: role %q master_port %q (want %d) master_link_status %q",
			d.idx, info["role"], info["master_port"], primaryPort, info["master_link_status"])
	}
	return nil
}

// role is the node's ROLE reply: "master" or "slave", and for a replica its primary's port.
func (d *dataNode) role() (role string, primaryPort int, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	v, err := d.rdb.Do(ctx, "ROLE").Slice()
	if err != nil {
		return "", 0, err
	}
	if len(v) == 0 {
		return "", 0, errors.New("empty ROLE reply")
	}
	role, _ = v[0].(string)
	if role == "slave" && len(v) >= 3 {
		p, _ := v[2].(int64)
		primaryPort = int(p)
	}
	return role, primaryPort, nil
}

// ---- sentinels -------------------------------------------------------------------------------------

// sentinelProc is one sentinel process: our binary's `sentinel` subcommand or the real redis-sentinel.
type sentinelProc struct {
	*node
	idx    int
	port   int
	tls    bool
	conf   string
	client *redis.SentinelClient
	// events are the published events this sentinel's watcher recorded, by channel.
	events *eventLog
}

// sentinelSpec says how to start a sentinel.
type sentinelSpec struct {
	real   bool // the Debian redis-sentinel instead of `valkey-node sentinel`
	tls    bool // tls-replication yes: the sentinel port speaks TLS, links use TLS
	quorum int  // of the monitored primary
}

// sentinelConf is a sentinel's configuration: it monitors the set's primary with the tests' short
// timings. A TLS sentinel is configured the Valkey way (port 0, tls-port, tls-replication yes).
func (rs *replSet) sentinelConf(dir string, port int, spec sentinelSpec) []string {
	lines := []string{"bind 127.0.0.1", "dir " + dir, `logfile ""`}
	if spec.tls {
		lines = append(lines, "port 0", "tls-port "+strconv.Itoa(port), "tls-replication yes")
		lines = append(lines, tlsConfLines(rs.certs)...)
	} else {
		lines = append(lines, "port "+strconv.Itoa(port))
	}
	downAfter := sentinelDownAfter
	if spec.real {
		downAfter = realSentinelDownAfter
	}
	lines = append(lines,
		fmt.Sprintf("sentinel monitor %s 127.0.0.1 %d %d", masterName, rs.nodes[0].port, spec.quorum),
		fmt.Sprintf("sentinel down-after-milliseconds %s %d", masterName, downAfter),
		fmt.Sprintf("sentinel failover-timeout %s %d", masterName, sentinelFailoverTimeout),
		fmt.Sprintf("sentinel parallel-syncs %s 1", masterName))
	return lines
}

// startSentinels starts n sentinels monitoring the set's primary, waits until each answers PING, and
// subscribes a watcher to each one's events.
func (rs *replSet) startSentinels(t *testing.T, n int, spec sentinelSpec) {
	t.Helper()
	for i := 0; i < n; i++ {
		dir := t.TempDir()
		port := rs.ports.pick()
		conf := filepath.Join(dir, "sentinel.conf")
		writeConf(t, conf, rs.sentinelConf(dir, port, spec))
		rs.sentinels = append(rs.sentinels, rs.startSentinel(t, len(rs.sentinels), port, conf, spec))
	}
}

// startSentinel starts one sentinel from conf and waits for PING on its port.
func (rs *replSet) startSentinel(t *testing.T, idx, port int, conf string, spec sentinelSpec) *sentinelProc {
	t.Helper()
	ns := nodeSpec{raw: []string{"sentinel", conf}, noWait: true}
	if spec.real {
		ns = nodeSpec{shell: requireTool(t, "redis-sentinel", "redis-sentinel"), raw: []string{conf}, noWait: true}
	}
	if !spec.tls {
		ns.rawPort = port
	}
	n := startNode(t, ns)
	n.dir = filepath.Dir(conf)
	if spec.tls {
		n.tlsPort, n.certs = port, rs.certs
	}
	sp := &sentinelProc{node: n, idx: idx, port: port, tls: spec.tls, conf: conf}
	n.waitReady(true)
	opt := &redis.Options{Addr: loopAddr(port), DialTimeout: 2 * time.Second, ReadTimeout: 5 * time.Second, MaxRetries: -1}
	if spec.tls {
		opt.TLSConfig = clientTLS(t, rs.certs, true)
	}
	sp.client = redis.NewSentinelClient(opt)
	t.Cleanup(func() { sp.client.Close() })
	sp.events = watchEvents(t, sp.client, "+switch-master", "+sdown", "+odown", "+convert-to-slave", "+try-failover")
	return sp
}

// eventLog records published events.
type eventLog struct {
	mu   sync.Mutex
	msgs map[string][]string // channel → payloads, in arrival order
}

func (l *eventLog) get(channel string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.msgs[channel]...)
}

// watchEvents subscribes to channels on a sentinel, waits for the subscription to be confirmed (so no
// event after this returns is missed) and records every message until the test ends.
func watchEvents(t *testing.T, sc *redis.SentinelClient, channels ...string) *eventLog {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ps := sc.Subscribe(ctx, channels...)
	for range channels {
		rctx, rcancel := context.WithTimeout(ctx, 10*time.Second)
		_, err := ps.Receive(rctx)
		rcancel()
		if err != nil {
			cancel()
			ps.Close()
			t.Fatalf("subscribing to %v: %v", channels, err)
		}
	}
	l := &eventLog{msgs: map[string][]string{}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			msg, err := ps.ReceiveMessage(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				// the sentinel is stopped or killed: go-redis reconnects on the next call
				select {
				case <-ctx.Done():
					return
				case <-time.After(100 * time.Millisecond):
				}
				continue
			}
			l.mu.Lock()
			l.msgs[msg.Channel] = append(l.msgs[msg.Channel], msg.Payload)
			l.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		cancel()
		ps.Close()
		<-done
	})
	return l
}

// masterAddr is SENTINEL GET-MASTER-ADDR-BY-NAME on the sentinel, as "ip:port".
func (sp *sentinelProc) masterAddr() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	v, err := sp.client.GetMasterAddrByName(ctx, masterName).Result()
	if err != nil {
		return "", err
	}
	if len(v) != 2 {
		return "", fmt.Errorf("get-master-addr-by-name replied %q", v)
	}
	return v[0] + ":" + v[1], nil
}

// do runs any command on the sentinel.
func (sp *sentinelProc) do(args ...any) (any, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cmd := redis.NewCmd(ctx, args...)
	err := sp.client.Process(ctx, cmd)
	if err != nil {
		return nil, err
	}
	return cmd.Result()
}

// master is SENTINEL MASTER on the sentinel.
func (sp *sentinelProc) master() (map[string]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return sp.client.Master(ctx, masterName).Result()
}

// waitDiscovered waits until every sentinel knows the set's replicas and the other sentinels (learnt
// from INFO and hello messages) and sees the primary up: the precondition of a failover.
func (rs *replSet) waitDiscovered(t *testing.T) {
	t.Helper()
	wantSlaves, wantOthers := strconv.Itoa(len(rs.nodes)-1), strconv.Itoa(len(rs.sentinels)-1)
	for _, sp := range rs.sentinels {
		waitCond(t, fmt.Sprintf("sentinel %d to discover the replicas and sentinels", sp.idx), func() error {
			m, err := sp.master()
			if err != nil {
				return err
			}
			if m["num-slaves"] != wantSlaves || m["num-other-sentinels"] != wantOthers || m["flags"] != "master" {
				return fmt.Errorf("num-slaves %q num-other-sentinels %q flags %q", m["num-slaves"], m["num-other-sentinels"], m["flags"])
			}
			// every peer is up in its view (healthy processes on loopback answer PING within down-after)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			for _, kind := range []string{"sentinels", "replicas"} {
				var recs []map[string]string
				var err error
				if kind == "sentinels" {
					recs, err = sp.client.Sentinels(ctx, masterName).Result()
				} else {
					recs, err = sp.client.Replicas(ctx, masterName).Result()
				}
				if err != nil {
					return err
				}
				for _, r := range recs {
					if strings.Contains(r["flags"], "s_down") || strings.Contains(r["flags"], "disconnected") {
						return fmt.Errorf("SENTINEL %s: %s %s:%s has flags %q", strings.ToUpper(kind), r["name"], r["ip"], r["port"], r["flags"])
					}
				}
			}
			return nil
		})
	}
}

// debugTiming shortens the sentinels' INFO and hello periods with SENTINEL DEBUG (Redis 7.0 and Valkey
// have it), so that replicas' INFO is fresh and the conversion of a returning old primary, which waits
// four hello periods after it shows up with the wrong role, takes seconds rather than half a minute.
func (rs *replSet) debugTiming(t *testing.T) {
	t.Helper()
	for _, sp := range rs.sentinels {
		if _, err := sp.do("SENTINEL", "DEBUG", "info-period", "1000", "publish-period", "500"); err != nil {
			t.Fatalf("SENTINEL DEBUG on sentinel %d: %v", sp.idx, err)
		}
	}
}

// waitCond polls cond for up to haWait; on timeout it fails with what cond last said.
func waitCond(tb testing.TB, what string, cond func() error) {
	tb.Helper()
	deadline := time.Now().Add(haWait)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %v waiting for %s: %v", haWait, what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
