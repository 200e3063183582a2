package clusterbus

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/valkey-node/valkey-node/tlsmat"
)

// Helpers of the Cluster tests; their names start with "cl" so that they cannot collide with the
// helpers of the package's other tests.

// clHost is a fake Host that records what the bus asked of it.
type clHost struct {
	mu        sync.Mutex
	replicate []string // "ip:port" of every ReplicateFrom
	promoted  int
	offset    atomic.Int64
}

func (h *clHost) CountKeysInSlot(int) int { return 0 }

func (h *clHost) ReplicateFrom(ip string, port int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.replicate = append(h.replicate, fmt.Sprintf("%s:%d", ip, port))
}

func (h *clHost) PromoteSelf() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.promoted++
}

func (h *clHost) ReplOffset() int64 { return h.offset.Load() }

func (h *clHost) promotions() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.promoted
}

func (h *clHost) lastReplicate() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.replicate) == 0 {
		return ""
	}
	return h.replicate[len(h.replicate)-1]
}

// clNode is one in-process cluster node.
type clNode struct {
	name string
	c    *Cluster
	host *clHost
	conf string // its nodes.conf
	port int    // the client port it announces (nothing listens there)
	logs *trLogs
	opts clOpts
}

type clOpts struct {
	label string
	tls   *tlsmat.Config // nil: plain TCP
	nt    time.Duration  // node timeout (0: 1 s)
}

// clStart opens a node on 127.0.0.1 with a kernel-chosen bus port (or busPort), using conf as its
// nodes.conf (a new file in a temporary directory when empty). It is closed at cleanup.
func clStart(t *testing.T, name string, o clOpts, conf string, busPort, port int) *clNode {
	t.Helper()
	if conf == "" {
		conf = filepath.Join(t.TempDir(), "nodes.conf")
	}
	if o.nt == 0 {
		o.nt = time.Second
	}
	n := &clNode{name: name, host: &clHost{}, conf: conf, port: port, logs: newTrLogs(t, name), opts: o}
	var mgr *tlsmat.Manager
	if o.tls != nil {
		mgr = trManager(t, *o.tls, n.logs)
	}
	cfg := ClusterConfig{
		State:       DefaultConfig(),
		NodeTimeout: o.nt,
		BindAddr:    "127.0.0.1",
		BusPort:     busPort,
		Port:        port,
		TLSPort:     port + 1000,
		TLS:         mgr,
		Label:       o.label,
		ConfigFile:  conf,
		Log:         zerolog.New(n.logs).Level(zerolog.TraceLevel),
	}
	c, err := Open(cfg, n.host)
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	n.c = c
	t.Cleanup(func() { _ = c.Close() })
	return n
}

// clCluster starts count nodes with the same options, named a, b, c...
func clCluster(t *testing.T, count int, o clOpts) []*clNode {
	t.Helper()
	nodes := make([]*clNode, count)
	for i := range nodes {
		nodes[i] = clStart(t, string(rune('a'+i)), o, "", 0, 7000+i)
	}
	return nodes
}

// restart closes n and opens it again on the same nodes.conf and bus port.
func (n *clNode) restart(t *testing.T) *clNode {
	t.Helper()
	bus := n.c.BusPort()
	if err := n.c.Close(); err != nil {
		t.Fatalf("close %s: %v", n.name, err)
	}
	return clStart(t, n.name, n.opts, n.conf, bus, n.port)
}

func (n *clNode) id() string {
	var id string
	n.c.Read(func(st *State) { id = st.MyID() })
	return id
}

// do runs a state operation that must succeed.
func (n *clNode) do(t *testing.T, fn func(st *State) error) {
	t.Helper()
	if err := n.c.Do(fn); err != nil {
		t.Fatalf("%s: %v", n.name, err)
	}
}

// meet makes n meet other.
func (n *clNode) meet(t *testing.T, other *clNode) {
	t.Helper()
	if err := n.c.Meet("127.0.0.1", other.port, other.c.BusPort()); err != nil {
		t.Fatalf("%s meets %s: %v", n.name, other.name, err)
	}
}

// signature is n's view of the cluster configuration, the same on every node once they agree: per
// node its id, role, primary, config epoch and slots (flags such as myself or fail? left out).
func (n *clNode) signature() string {
	var b strings.Builder
	n.c.Read(func(st *State) {
		for _, node := range st.Nodes() {
			role := "primary"
			if node.IsReplica() {
				role = "replica"
			}
			primary := node.PrimaryID()
			if primary == "" {
				primary = "-"
			}
			fmt.Fprintf(&b, "%s %s %s %d", node.ID, role, primary, node.Epoch())
			for _, r := range node.SlotRanges() {
				fmt.Fprintf(&b, " %d-%d", r.Start, r.End)
			}
			b.WriteByte('\n')
		}
	})
	return b.String()
}

func (n *clNode) numNodes() int {
	var k int
	n.c.Read(func(st *State) { k = st.NumNodes() })
	return k
}

// clConverged reports whether every node knows every other and all hold the same configuration.
func clConverged(nodes ...*clNode) bool {
	sig := nodes[0].signature()
	for _, n := range nodes {
		if n.numNodes() != len(nodes) || n.signature() != sig {
			return false
		}
	}
	return true
}

// clWaitConverged waits for clConverged and returns the common signature.
func clWaitConverged(t *testing.T, nodes ...*clNode) string {
	t.Helper()
	trWait(t, "the nodes to agree on the cluster configuration", func() bool { return clConverged(nodes...) })
	return nodes[0].signature()
}

// flagsOf returns the flags n sees on node id (0 when unknown).
func (n *clNode) flagsOf(id string) NodeFlags {
	var f NodeFlags
	n.c.Read(func(st *State) {
		if node := st.Lookup(id); node != nil {
			f = node.Flags
		}
	})
	return f
}

func (n *clNode) stateOK() bool {
	var ok bool
	n.c.Read(func(st *State) { ok = st.IsOK() })
	return ok
}

// epochsDistinct reports whether n sees every primary on its own config epoch.
func (n *clNode) epochsDistinct() bool {
	var epochs []uint64
	n.c.Read(func(st *State) {
		for _, node := range st.Nodes() {
			if node.IsPrimary() {
				epochs = append(epochs, node.ConfigEpoch)
			}
		}
	})
	slices.Sort(epochs)
	return len(slices.Compact(epochs)) == len(epochs)
}

// owner is the id of the node n sees owning slot ("" when unassigned).
func (n *clNode) owner(slot int) string {
	var id string
	n.c.Read(func(st *State) {
		if o := st.SlotOwner(slot); o != nil {
			id = o.ID
		}
	})
	return id
}
