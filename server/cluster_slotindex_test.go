package server

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/valkey-node/valkey-node/clusterbus"
)

// TestClusterKeysInSlotFollowTheData: COUNTKEYSINSLOT and GETKEYSINSLOT (what `redis-cli --cluster
// reshard` reads for every slot) answer from the per-slot index, which must follow writes, deletes,
// expiry, FLUSHALL, DEBUG RELOAD and the keys loaded from the RDB at start-up.
func TestClusterKeysInSlotFollowTheData(t *testing.T) {
	dir := t.TempDir()
	start := func() (*testNode, *rawConn) {
		n := startNode(t, "cluster-enabled", "yes", "cluster-port", strconv.Itoa(freePort(t)), "dir", dir,
			"enable-debug-command", "yes")
		return n, n.raw()
	}
	n, r := start()
	mustDo(t, r, "OK", "CLUSTER", "ADDSLOTSRANGE", "0", "16383")
	waitFor(t, "cluster ok", func() bool { return strings.Contains(r.call("CLUSTER", "INFO").str, "cluster_state:ok") })
	// keys in one slot through a hash tag, and a spread of others
	slot := clusterbus.KeySlot([]byte("{tag}"))
	want := map[string]bool{}
	for i := 0; i < 30; i++ {
		k := fmt.Sprintf("{tag}:%d", i)
		mustDo(t, r, "OK", "SET", k, "v")
		want[k] = true
		mustDo(t, r, "OK", "SET", fmt.Sprintf("other:%d", i), "v")
	}
	check := func(stage string) {
		t.Helper()
		if got := r.do("CLUSTER", "COUNTKEYSINSLOT", strconv.Itoa(slot)); got != ":"+strconv.Itoa(len(want)) {
			t.Fatalf("%s: COUNTKEYSINSLOT = %s, want %d", stage, got, len(want))
		}
		reply := r.call("CLUSTER", "GETKEYSINSLOT", strconv.Itoa(slot), "1000")
		var got []string
		for _, e := range reply.elems {
			got = append(got, e.str)
		}
		var w []string
		for k := range want {
			w = append(w, k)
		}
		sort.Strings(got)
		sort.Strings(w)
		if strings.Join(got, ",") != strings.Join(w, ",") {
			t.Fatalf("%s: GETKEYSINSLOT = %v, want %v", stage, got, w)
		}
		if got := r.do("CLUSTER", "GETKEYSINSLOT", strconv.Itoa(slot), "5"); len(want) >= 5 && strings.Count(got, `"`) != 10 {
			t.Fatalf("%s: GETKEYSINSLOT count 5 = %s", stage, got)
		}
	}
	check("after writes")
	for i := 0; i < 10; i++ {
		k := fmt.Sprintf("{tag}:%d", i)
		mustDo(t, r, ":1", "DEL", k)
		delete(want, k)
	}
	mustDo(t, r, "OK", "RENAME", "{tag}:10", "{tag}:renamed")
	delete(want, "{tag}:10")
	want["{tag}:renamed"] = true
	mustDo(t, r, ":1", "PEXPIRE", "{tag}:11", "1")
	delete(want, "{tag}:11")
	waitFor(t, "expiry", func() bool { return r.do("EXISTS", "{tag}:11") == ":0" })
	check("after deletes, rename and expiry")
	mustDo(t, r, "OK", "DEBUG", "RELOAD")
	check("after DEBUG RELOAD")
	mustDo(t, r, "OK", "SAVE")
	n.stop()
	_, r = start()
	check("after a restart that loaded the RDB")
	mustDo(t, r, "OK", "FLUSHALL")
	want = map[string]bool{}
	check("after FLUSHALL")
}
