package sentinel

// An in-process harness for the engine's scenarios: real valkey-node nodes (package server) replicating
// over loopback, and sentinels running this package inside sentinel-mode servers, plain or TLS
// (tls-replication yes everywhere, development certificates). Timings are shortened so that a failover
// takes seconds.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/valkey-node/valkey-node/server"
	"github.com/valkey-node/valkey-node/server/config"
	"github.com/valkey-node/valkey-node/tlsmat"
)

// scTiming is the sentinels' timing in scenarios: every period a few times shorter than Valkey's, the
// TILT trigger generous (a loaded CI machine under -race must not enter TILT).
func scTiming() Timing {
	return Timing{
		InfoPeriod: 500 * time.Millisecond, PingPeriod: 250 * time.Millisecond, AskPeriod: 250 * time.Millisecond,
		PublishPeriod: 250 * time.Millisecond, DefaultDownAfter: time.Second, TiltTrigger: 5 * time.Second,
		TiltPeriod: time.Second, SlaveReconfTimeout: 3 * time.Second, MinLinkReconnectPeriod: 3 * time.Second,
		DefaultFailoverTimeout: 4 * time.Second, ElectionTimeout: 2 * time.Second,
		ScriptMaxRuntime: 5 * time.Second, ScriptRetryDelay: time.Second,
	}
}

const (
	scDownAfterMS       = 700
	scFailoverTimeoutMS = 4000
	scWait              = 60 * time.Second // deadline of every wait: generous, never a timing assertion
)

// scEnv is one scenario's nodes and sentinels.
type scEnv struct {
	t     *testing.T
	tls   bool
	certs string
}

func newSCEnv(t *testing.T, useTLS bool) *scEnv {
	e := &scEnv{t: t, tls: useTLS}
	if useTLS {
		e.certs = t.TempDir()
		if err := tlsmat.GenerateDevCerts(e.certs, false); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

func scFreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// tlsOptions are the directives that make a node or sentinel use TLS for its listener and its links.
func (e *scEnv) tlsOptions() []config.Option {
	f := func(name string) string { return filepath.Join(e.certs, name) }
	return []config.Option{
		{Name: "tls-cert-file", Args: []string{f("server.crt")}},
		{Name: "tls-key-file", Args: []string{f("server.key")}},
		{Name: "tls-ca-cert-file", Args: []string{f("ca.crt")}},
		{Name: "tls-replication", Args: []string{"yes"}},
	}
}

// clientTLS is the TLS configuration of the test's own clients.
func (e *scEnv) clientTLS() *tls.Config {
	if !e.tls {
		return nil
	}
	caPEM, err := os.ReadFile(filepath.Join(e.certs, "ca.crt"))
	if err != nil {
		e.t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	cert, err := tls.LoadX509KeyPair(filepath.Join(e.certs, "client.crt"), filepath.Join(e.certs, "client.key"))
	if err != nil {
		e.t.Fatal(err)
	}
	return &tls.Config{RootCAs: pool, ServerName: "localhost", Certificates: []tls.Certificate{cert}}
}

// scNode is a data node.
type scNode struct {
	e    *scEnv
	port int // the port replicas and sentinels use (the TLS port with TLS)
	prio int
	srv  *server.Server
	cli  *redis.Client
	logs *surfLog
}

// startNode starts a node on port (0: a free one) with replica-priority prio.
func (e *scEnv) startNode(port, prio int) *scNode {
	e.t.Helper()
	if port == 0 {
		port = scFreePort(e.t)
	}
	n := &scNode{e: e, port: port, prio: prio, logs: &surfLog{}}
	opts := []config.Option{
		{Name: "bind", Args: []string{"127.0.0.1"}},
		{Name: "save", Args: []string{""}},
		{Name: "dir", Args: []string{e.t.TempDir()}},
		{Name: "replica-priority", Args: []string{strconv.Itoa(prio)}},
		// a replica re-pointed by the failover syncs at once instead of after Valkey's 5 s delay
		{Name: "repl-diskless-sync-delay", Args: []string{"0"}},
	}
	if e.tls {
		opts = append(opts, config.Option{Name: "port", Args: []string{"0"}},
			config.Option{Name: "tls-port", Args: []string{strconv.Itoa(port)}})
		opts = append(opts, e.tlsOptions()...)
	} else {
		opts = append(opts, config.Option{Name: "port", Args: []string{strconv.Itoa(port)}})
	}
	srv, err := server.New(server.Options{Args: opts, LogWriter: n.logs})
	if err != nil {
		e.t.Fatalf("node on port %d: %v", port, err)
	}
	if err := srv.Start(); err != nil {
		srv.Shutdown(context.Background())
		e.t.Fatalf("node on port %d: %v", port, err)
	}
	n.srv = srv
	// Retries: a failover's CLIENT KILL closes the test's connections too.
	n.cli = redis.NewClient(&redis.Options{Addr: n.addr(), TLSConfig: e.clientTLS(), Protocol: 2, MaxRetries: 3,
		PoolSize: 2})
	e.t.Cleanup(n.stop)
	return n
}

func (n *scNode) addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(n.port)) }

// stop shuts the node down (idempotent): the way a primary dies in these scenarios.
func (n *scNode) stop() {
	if n.srv == nil {
		return
	}
	n.cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n.srv.Shutdown(ctx)
	n.srv = nil
}

// info returns the node's INFO replication fields.
func (n *scNode) info() map[string]string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	text, err := n.cli.Info(ctx, "replication").Result()
	out := map[string]string{}
	if err != nil {
		out["error"] = err.Error()
		return out
	}
	for _, l := range strings.Split(text, "\r\n") {
		if k, v, ok := strings.Cut(l, ":"); ok {
			out[k] = v
		}
	}
	return out
}

func (n *scNode) replicaOf(p *scNode) {
	n.e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := n.cli.Do(ctx, "REPLICAOF", "127.0.0.1", strconv.Itoa(p.port)).Err(); err != nil {
		n.e.t.Fatalf("REPLICAOF: %v", err)
	}
}

// scSentinel is a running sentinel and the events it publishes, collected from a PSUBSCRIBE.
type scSentinel struct {
	e    *scEnv
	port int
	st   *Sentinel
	srv  *server.Server
	cli  *redis.Client
	ps   *redis.PubSub
	logs *surfLog
	done chan struct{}

	mu     sync.Mutex
	events []string // "channel payload"
}

// startSentinel runs a sentinel monitoring p as "mymaster" with the given quorum.
func (e *scEnv) startSentinel(p *scNode, quorum int) *scSentinel {
	e.t.Helper()
	x := &scSentinel{e: e, port: scFreePort(e.t), logs: &surfLog{}, done: make(chan struct{})}
	dir := e.t.TempDir()
	conf := fmt.Sprintf("sentinel monitor mymaster 127.0.0.1 %d %d\n"+
		"sentinel down-after-milliseconds mymaster %d\nsentinel failover-timeout mymaster %d\n",
		p.port, quorum, scDownAfterMS, scFailoverTimeoutMS)
	path := filepath.Join(dir, "sentinel.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		e.t.Fatal(err)
	}
	opts := []config.Option{
		{Name: "bind", Args: []string{"127.0.0.1"}},
		{Name: "port", Args: []string{strconv.Itoa(x.port)}},
		{Name: "dir", Args: []string{dir}},
	}
	if e.tls {
		opts = append(opts, e.tlsOptions()...)
	}
	x.st = New()
	x.st.timing = scTiming()
	srv, err := server.New(server.Options{ConfigFile: path, Args: opts, Mode: x.st, LogWriter: x.logs})
	if err != nil {
		e.t.Fatalf("sentinel: %v", err)
	}
	x.srv = srv
	x.st.Attach(srv)
	if err := srv.Start(); err != nil {
		srv.Shutdown(context.Background())
		e.t.Fatalf("sentinel: %v", err)
	}
	x.cli = redis.NewClient(&redis.Options{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(x.port)),
		TLSConfig: e.clientTLS(), Protocol: 2, MaxRetries: -1, PoolSize: 2})
	// Subscribe before the engine starts, so that no event is missed.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	x.ps = x.cli.PSubscribe(ctx, "*")
	if _, err := x.ps.Receive(ctx); err != nil {
		e.t.Fatalf("PSUBSCRIBE on the sentinel: %v", err)
	}
	go x.collect()
	if err := x.st.Start(); err != nil {
		e.t.Fatalf("sentinel start: %v", err)
	}
	e.t.Cleanup(x.stop)
	return x
}

func (x *scSentinel) collect() {
	defer close(x.done)
	for m := range x.ps.Channel() {
		x.mu.Lock()
		x.events = append(x.events, m.Channel+" "+m.Payload)
		x.mu.Unlock()
	}
}

// stop stops the sentinel (idempotent): the events it published stay readable.
func (x *scSentinel) stop() {
	if x.srv == nil {
		return
	}
	x.ps.Close()
	<-x.done
	x.cli.Close()
	x.st.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	x.srv.Shutdown(ctx)
	x.srv = nil
}

// eventsOf returns the payloads of the events of one type seen so far.
func (x *scSentinel) eventsOf(typ string) []string {
	x.mu.Lock()
	defer x.mu.Unlock()
	var out []string
	for _, ev := range x.events {
		if c, p, _ := strings.Cut(ev, " "); c == typ {
			out = append(out, p)
		}
	}
	return out
}

func (x *scSentinel) allEvents() string {
	x.mu.Lock()
	defer x.mu.Unlock()
	return strings.Join(x.events, "\n")
}

// master reads the sentinel's view of "mymaster" under its lock.
func (x *scSentinel) master(fn func(m *Instance)) {
	x.st.mu.Lock()
	defer x.st.mu.Unlock()
	fn(x.st.masters["mymaster"])
}

// addrByName asks the sentinel where the primary is (SENTINEL get-master-addr-by-name).
func (x *scSentinel) addrByName() string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	v, err := x.cli.Do(ctx, "SENTINEL", "get-master-addr-by-name", "mymaster").StringSlice()
	if err != nil || len(v) != 2 {
		return fmt.Sprintf("error %v %v", v, err)
	}
	return net.JoinHostPort(v[0], v[1])
}

// scWaitFor polls cond until it holds; the deadline is only a safety net, not an assertion on speed.
func scWaitFor(t *testing.T, what string, cond func() bool, dump func() string) {
	t.Helper()
	deadline := time.Now().Add(scWait)
	for !cond() {
		if time.Now().After(deadline) {
			msg := ""
			if dump != nil {
				msg = "\n" + dump()
			}
			t.Fatalf("timed out waiting for %s%s", what, msg)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// dumpAll describes every sentinel's events for a failure message.
func dumpAll(xs []*scSentinel) func() string {
	return func() string {
		var b strings.Builder
		for i, x := range xs {
			fmt.Fprintf(&b, "--- sentinel %d (port %d) events:\n%s\n", i, x.port, x.allEvents())
		}
		return b.String()
	}
}
