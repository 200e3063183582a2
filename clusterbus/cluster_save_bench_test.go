package clusterbus

import (
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// Benchmarks of the nodes.conf saves that operator commands cause: each op is a loop of 1000 commands,
// as redis-cli's reshard sends them. Besides the time they report, per loop, how many times nodes.conf
// was encoded, written and fsynced.
//
//	go test ./clusterbus -run '^$' -bench 'ClusterDo' -benchtime 5x

// benchCluster opens a single node (no peers) on a nodes.conf in a temporary directory.
func benchCluster(b *testing.B) *Cluster {
	b.Helper()
	c, err := Open(ClusterConfig{
		State: DefaultConfig(), NodeTimeout: time.Second, BindAddr: "127.0.0.1", Port: 7000,
		ConfigFile: filepath.Join(b.TempDir(), "nodes.conf"), Log: zerolog.Nop(),
	}, &clHost{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.Close() })
	return c
}

// benchDo runs fn through Do, failing the benchmark on an error.
func benchDo(b *testing.B, c *Cluster, fn func(st *State) error) {
	if err := c.Do(fn); err != nil {
		b.Fatal(err)
	}
}

// saveCounters reads the encode, write and fsync counters.
func (c *Cluster) saveCounters() (encodes, writes, syncs uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st.encodes, c.file.writes.Load(), c.file.syncs.Load()
}

// reportSaves reports the counters' growth since the start, per op.
func reportSaves(b *testing.B, c *Cluster, e0, w0, s0 uint64) {
	e, w, s := c.saveCounters()
	n := float64(b.N)
	b.ReportMetric(float64(e-e0)/n, "encodes/op")
	b.ReportMetric(float64(w-w0)/n, "writes/op")
	b.ReportMetric(float64(s-s0)/n, "fsyncs/op")
}

// BenchmarkClusterDoAddSlots1000: 1000 CLUSTER ADDSLOTS of one slot each, then one DELSLOTSRANGE.
func BenchmarkClusterDoAddSlots1000(b *testing.B) {
	c := benchCluster(b)
	slots := make([][][]byte, 1000)
	for j := range slots {
		slots[j] = [][]byte{[]byte(strconv.Itoa(j))}
	}
	e0, w0, s0 := c.saveCounters()
	b.ResetTimer()
	for range b.N {
		for _, a := range slots {
			benchDo(b, c, func(st *State) error { return st.AddSlots(a) })
		}
		benchDo(b, c, func(st *State) error { return st.DelSlotsRange(args("0 999")) })
	}
	b.StopTimer()
	reportSaves(b, c, e0, w0, s0)
}

// BenchmarkClusterDoSetSlotNode1000: 1000 CLUSTER SETSLOT <slot> NODE <other>, each followed by SETSLOT
// <slot> NODE <myself> (2000 commands per op), the ownership handover that must reach disk before the
// reply.
func BenchmarkClusterDoSetSlotNode1000(b *testing.B) {
	c := benchCluster(b)
	other := clID(2)
	benchDo(b, c, func(st *State) error {
		if err := st.AddNode(NewNode(other, clID(102), FlagPrimary)); err != nil {
			return err
		}
		return st.AddSlotsRange(args("0 16383"))
	})
	me := c.st.Myself().ID
	toOther := make([][][]byte, 1000)
	toMe := make([][][]byte, 1000)
	for j := range toOther {
		toOther[j] = args(strconv.Itoa(j) + " node " + other)
		toMe[j] = args(strconv.Itoa(j) + " node " + me)
	}
	e0, w0, s0 := c.saveCounters()
	b.ResetTimer()
	for range b.N {
		for j := range toOther {
			benchDo(b, c, func(st *State) error { _, err := st.SetSlot(toOther[j], false, nil); return err })
			benchDo(b, c, func(st *State) error { _, err := st.SetSlot(toMe[j], false, nil); return err })
		}
	}
	b.StopTimer()
	reportSaves(b, c, e0, w0, s0)
}

// BenchmarkEncodeNodesConf: one encode of a six-node nodes.conf.
func BenchmarkEncodeNodesConf(b *testing.B) {
	s := renderCluster(b)
	b.ReportAllocs()
	for range b.N {
		_ = s.EncodeNodesConf()
	}
}
