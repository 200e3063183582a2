package main

// Cluster mode end to end, over TLS only: the real redis-cli makes and reshards a cluster of six
// valkey-node processes (3 primaries, 3 replicas; port 0, tls-cluster yes, tls-replication yes), a
// go-redis ClusterClient uses it, a primary is killed with SIGKILL and its replica takes over, and every
// node is restarted from its nodes.conf. The steps share one cluster (making one takes seconds) and run in
// order; a failed step stops the ones after it.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

const (
	clusterKeys     = 10000
	clusterReshard  = 1000 // slots moved by the reshard step
	clusterCLIQuick = 60 * time.Second
	clusterCLISlow  = 180 * time.Second // reshard: one MIGRATE and several SETSLOT per slot
)

func clusterKey(i int) string { return "key:" + strconv.Itoa(i) }

// clusterScenario is what the steps hand on to each other.
type clusterScenario struct {
	c         *tlsCluster
	cc        *redis.ClusterClient
	redirects *redirectCounter // of cc
	// want is each key's current value
	want []string
}

func TestClusterTLS(t *testing.T) {
	requireTool(t, "redis-cli", "redis-tools")
	c := newTLSCluster(t, 6)
	sc := &clusterScenario{c: c, redirects: &redirectCounter{}, want: make([]string, clusterKeys)}
	sc.cc = c.clusterClient(t, sc.redirects)
	steps := []struct {
		name string
		fn   func(*testing.T, *clusterScenario)
	}{
		{"create", clusterStepCreate},
		{"check", clusterStepCheck},
		{"keys", clusterStepKeys},
		{"reshard", clusterStepReshard},
		{"failover", clusterStepFailover},
		{"restart-all", clusterStepRestartAll},
	}
	for _, st := range steps {
		if !t.Run(st.name, func(t *testing.T) { st.fn(t, sc) }) {
			t.Fatalf("step %s failed; the steps after it need its outcome", st.name)
		}
	}
}

// clusterStepCreate: `redis-cli --tls --cluster create … --cluster-replicas 1 --cluster-yes` succeeds
// and leaves three primaries covering every slot, each with one replica whose link is up.
func clusterStepCreate(t *testing.T, sc *clusterScenario) {
	c := sc.c
	args := append([]string{"--cluster", "create"}, c.addrs()...)
	res := c.cli(t, clusterCLIQuick, append(args, "--cluster-replicas", "1", "--cluster-yes")...)
	if res.code != 0 || !strings.Contains(res.out, "[OK] All 16384 slots covered.") {
		t.Fatalf("redis-cli --cluster create: exit %d\n%s", res.code, res.out)
	}
	waitCluster(t, "cluster_state:ok on every node", c.allOK(6, indexes(6)...))

	// the replicas' new role reaches the other nodes by gossip, after redis-cli is done
	waitCluster(t, "every node to see 3 primaries covering every slot, each with one replica", func() error {
		for i := range c.nodes {
			lines, err := c.clusterNodes(i)
			if err != nil {
				return err
			}
			primaries, replicaOf, slots := 0, map[string]bool{}, 0
			for _, l := range lines {
				switch {
				case l.has("master"):
					primaries++
					slots += l.slotCount()
				case l.has("slave"):
					replicaOf[l.primary] = true
				}
			}
			if primaries != 3 || len(replicaOf) != 3 || slots != 16384 {
				return fmt.Errorf("node %d sees %d primaries, %d slots, replicas of %v", i, primaries, slots, replicaOf)
			}
		}
		return nil
	})
	for i := range c.nodes {
		if c.replInfo(i, "role") != "slave" {
			continue
		}
		waitCluster(t, fmt.Sprintf("node %d's replication link", i), func() error {
			if s := c.replInfo(i, "master_link_status"); s != "up" {
				return fmt.Errorf("master_link_status %q", s)
			}
			return nil
		})
	}
}

// clusterStepCheck: `redis-cli --tls --cluster check` finds every slot covered, agreement and no open slot.
func clusterStepCheck(t *testing.T, sc *clusterScenario) {
	checkCluster(t, sc.c)
}

func checkCluster(t *testing.T, c *tlsCluster) {
	t.Helper()
	res := c.cli(t, clusterCLIQuick, "--cluster", "check", c.nodes[0].tlsAddr())
	for _, want := range []string{"[OK] All nodes agree about slots configuration.", "[OK] All 16384 slots covered."} {
		if !strings.Contains(res.out, want) {
			t.Errorf("redis-cli --cluster check: no %q\n%s", want, res.out)
		}
	}
	if res.code != 0 || strings.Contains(res.out, "[ERR]") || strings.Contains(res.out, "[WARNING]") {
		t.Errorf("redis-cli --cluster check: exit %d\n%s", res.code, res.out)
	}
}

// clusterStepKeys: the ClusterClient writes and reads back 10k keys, which land on all three primaries.
func clusterStepKeys(t *testing.T, sc *clusterScenario) {
	ctx := context.Background()
	for i := range sc.want {
		sc.want[i] = "val:" + strconv.Itoa(i)
	}
	if err := writeClusterKeys(ctx, sc.cc, sc.want); err != nil {
		t.Fatalf("writing %d keys: %v", clusterKeys, err)
	}
	if err := checkClusterKeys(ctx, sc.cc, sc.want); err != nil {
		t.Fatalf("reading them back: %v", err)
	}
	total := 0
	for _, i := range sc.c.primaries(t) {
		n := sc.c.nodes[i].rdb.DBSize(ctx).Val()
		if n == 0 {
			t.Errorf("primary %d holds no key: the keys did not spread over the slots", i)
		}
		total += int(n)
	}
	if total != clusterKeys {
		t.Errorf("the primaries hold %d keys, want %d", total, clusterKeys)
	}
}

// clusterStepReshard: `redis-cli --cluster reshard` moves 1000 slots (and their keys) from one primary to
// another while the ClusterClient keeps reading every key (ASK during the move, MOVED after).
func clusterStepReshard(t *testing.T, sc *clusterScenario) {
	c, ctx := sc.c, context.Background()
	prim := c.primaries(t)
	from, to := prim[0], prim[1]
	fromLine, toLine := c.mustMyself(t, from), c.mustMyself(t, to)
	fromKeys, toKeys := c.nodes[from].rdb.DBSize(ctx).Val(), c.nodes[to].rdb.DBSize(ctx).Val()
	// a second client learns the slot map now and is left alone until the reshard is over: it then
	// holds a stale map for every moved slot and must follow the MOVED replies
	staleRedirects := &redirectCounter{}
	stale := c.clusterClient(t, staleRedirects)
	if err := checkClusterKeys(ctx, stale, sc.want); err != nil {
		t.Fatal(err)
	}
	asksBefore := sc.redirects.asks.Load()

	// redis-cli moves the source's lowest slots: while it runs, a reader keeps reading the keys of those
	// slots (all 10k keys every pass would only starve the nodes of CPU), paced a little
	moving := lowestSlots(fromLine.slots, clusterReshard)
	var watched []int
	for i := range sc.want {
		if moving[keySlot(clusterKey(i))] {
			watched = append(watched, i)
		}
	}
	if len(watched) == 0 {
		t.Fatalf("no key lies in the %d slots to move", clusterReshard)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	var readErr error
	passes := 0
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			if err := checkSomeClusterKeys(ctx, sc.cc, sc.want, watched); err != nil {
				readErr = fmt.Errorf("pass %d: %w", passes+1, err)
				return
			}
			passes++
			select {
			case <-done:
				return
			case <-time.After(200 * time.Millisecond):
			}
		}
	}()
	res := c.cli(t, clusterCLISlow, "--cluster", "reshard", c.nodes[0].tlsAddr(),
		"--cluster-from", fromLine.id, "--cluster-to", toLine.id,
		"--cluster-slots", strconv.Itoa(clusterReshard), "--cluster-yes")
	close(done)
	wg.Wait()
	if res.code != 0 {
		t.Fatalf("redis-cli --cluster reshard: exit %d\n%s", res.code, lastLines(res.out, 40))
	}
	if readErr != nil {
		t.Fatalf("reading every key during the reshard: %v", readErr)
	}
	t.Logf("read the %d keys of the moving slots %d times during the reshard, following %d ASK redirections",
		len(watched), passes, sc.redirects.asks.Load()-asksBefore)

	// every node learns the new owners
	wantFrom, wantTo := fromLine.slotCount()-clusterReshard, toLine.slotCount()+clusterReshard
	waitCluster(t, "every node to see the moved slots", func() error {
		for i := range c.nodes {
			lines, err := c.clusterNodes(i)
			if err != nil {
				return err
			}
			for _, l := range lines {
				if l.id == fromLine.id && l.slotCount() != wantFrom || l.id == toLine.id && l.slotCount() != wantTo {
					return fmt.Errorf("node %d sees %s with %d slots (%v)", i, l.id, l.slotCount(), l.slots)
				}
			}
		}
		return nil
	})
	moved := fromKeys - c.nodes[from].rdb.DBSize(ctx).Val()
	if moved <= 0 || c.nodes[to].rdb.DBSize(ctx).Val() != toKeys+moved {
		t.Errorf("keys: source %d -> %d, target %d -> %d; want the moved keys (>0) to arrive",
			fromKeys, c.nodes[from].rdb.DBSize(ctx).Val(), toKeys, c.nodes[to].rdb.DBSize(ctx).Val())
	}
	if moved != int64(len(watched)) {
		t.Errorf("%d keys moved, but %d keys lie in the source's %d lowest slots: the reader watched other keys than those that moved",
			moved, len(watched), clusterReshard)
	}
	t.Logf("%d keys moved with the %d slots", moved, clusterReshard)
	checkCluster(t, c)
	if err := checkClusterKeys(ctx, stale, sc.want); err != nil {
		t.Fatalf("reading every key after the reshard with the old slot map: %v", err)
	}
	if staleRedirects.moved.Load() == 0 {
		t.Errorf("a client with the slot map of before the reshard got no MOVED reply")
	}
	if err := checkClusterKeys(ctx, sc.cc, sc.want); err != nil {
		t.Fatalf("reading every key after the reshard: %v", err)
	}
}

// clusterStepFailover: the keys of one primary are rewritten and acknowledged by its replica (WAIT 1);
// the primary is killed with SIGKILL; its replica is elected, the cluster returns to ok and every key
// reads back; the old primary, restarted on its nodes.conf, rejoins as a replica of the new one.
func clusterStepFailover(t *testing.T, sc *clusterScenario) {
	c, ctx := sc.c, context.Background()
	var victim int
	for _, i := range c.primaries(t) {
		if i != 0 { // node 0 is where redis-cli and the checks connect
			victim = i
			break
		}
	}
	victimID := c.mustMyself(t, victim).id
	heir := -1
	for i := range c.nodes {
		if l := c.mustMyself(t, i); l.has("slave") && l.primary == victimID {
			heir = i
		}
	}
	if heir < 0 {
		t.Fatalf("primary %d (%s) has no replica", victim, victimID)
	}
	heirID := c.mustMyself(t, heir).id
	victimSlots := c.mustMyself(t, victim).slotCount()

	// rewrite the victim's keys on one connection to it, then WAIT for its replica on that connection
	conn := c.nodes[victim].rdb.Conn()
	defer conn.Close()
	cmds, _ := conn.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := range sc.want {
			p.Set(ctx, clusterKey(i), "acked:"+strconv.Itoa(i), 0)
		}
		return nil
	})
	owned := 0
	for i, cmd := range cmds {
		switch err := cmd.Err(); {
		case err == nil:
			sc.want[i] = "acked:" + strconv.Itoa(i)
			owned++
		case strings.HasPrefix(err.Error(), "MOVED "):
		default:
			t.Fatalf("SET %s on primary %d: %v", clusterKey(i), victim, err)
		}
	}
	if owned == 0 {
		t.Fatalf("primary %d owns none of the keys", victim)
	}
	if n, err := conn.Do(ctx, "WAIT", 1, 10000).Int(); err != nil || n < 1 {
		t.Fatalf("WAIT 1 10000 after %d writes: %d, %v", owned, n, err)
	}

	start := time.Now()
	c.kill(t, victim)
	live := slices.DeleteFunc(indexes(6), func(i int) bool { return i == victim })
	waitCluster(t, "the replica to take over the killed primary's slots", func() error {
		l, err := c.myself(heir)
		if err != nil {
			return err
		}
		if !l.has("master") || l.slotCount() != victimSlots {
			return fmt.Errorf("node %d flags %v, %d slots", heir, l.flags, l.slotCount())
		}
		return c.allOK(6, live...)()
	})
	t.Logf("replica promoted and cluster_state ok %v after SIGKILL (node timeout %d ms)",
		time.Since(start).Round(time.Millisecond), clusterNodeTimeout)
	if l := c.lineFor(t, 0, victimID); !l.has("fail") {
		t.Errorf("node 0 shows the killed primary as %v, want fail", l.flags)
	}
	sc.cc.ReloadState(ctx)
	// the client may still hold the old map for a moment: a read that fails is retried; a wrong or
	// missing value is only accepted until the deadline
	waitCluster(t, "every key, the acknowledged ones included, to read back", func() error {
		return checkClusterKeys(ctx, sc.cc, sc.want)
	})

	c.restart(t, victim)
	waitCluster(t, "the old primary to rejoin as a replica of the new one", func() error {
		l, err := c.myself(victim)
		if err != nil {
			return err
		}
		if l.id != victimID || !l.has("slave") || l.primary != heirID {
			return fmt.Errorf("restarted node: id %s flags %v primary %s", l.id, l.flags, l.primary)
		}
		if s := c.replInfo(victim, "master_link_status"); s != "up" {
			return fmt.Errorf("master_link_status %q", s)
		}
		if a, b := c.nodes[victim].rdb.DBSize(ctx).Val(), c.nodes[heir].rdb.DBSize(ctx).Val(); a != b {
			return fmt.Errorf("DBSIZE %d on the rejoined replica, %d on its primary", a, b)
		}
		if l := c.lineFor(t, 0, victimID); !l.has("slave") || l.primary != heirID {
			return fmt.Errorf("node 0 shows it as %v of %s", l.flags, l.primary)
		}
		return c.allOK(6, indexes(6)...)()
	})
	checkCluster(t, c)
}

// clusterStepRestartAll: every node stopped with SIGTERM and started again on its directory keeps its
// id, its slots and its config epoch, and the cluster is ok again.
func clusterStepRestartAll(t *testing.T, sc *clusterScenario) {
	c := sc.c
	type view struct {
		myid  string
		self  string   // the node's own line: id, role, primary, epoch, slots
		peers []string // the same for every node it knows, sorted
	}
	summary := func(l nodesLine) string {
		role := "master"
		if l.has("slave") {
			role = "slave"
		}
		return fmt.Sprintf("%s %s %s epoch=%s slots=%v", l.id, role, l.primary, l.epoch, l.slots)
	}
	snapshot := func(i int) (view, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var v view
		id, err := c.nodes[i].rdb.ClusterMyID(ctx).Result()
		if err != nil {
			return v, err
		}
		lines, err := c.clusterNodes(i)
		if err != nil {
			return v, err
		}
		v.myid = id
		for _, l := range lines {
			if l.has("myself") {
				v.self = summary(l)
			}
			v.peers = append(v.peers, summary(l))
		}
		slices.Sort(v.peers)
		return v, nil
	}
	before := make([]view, len(c.nodes))
	for i := range c.nodes {
		v, err := snapshot(i)
		if err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
		before[i] = v
	}

	c.terminateAll(t)
	for i := range c.nodes {
		c.launch(i)
	}
	for i := range c.nodes {
		c.waitReady(t, i)
	}
	waitCluster(t, "cluster_state:ok on every restarted node", c.allOK(6, indexes(6)...))
	waitCluster(t, "every node's view to match the one before the restart", func() error {
		for i := range c.nodes {
			v, err := snapshot(i)
			if err != nil {
				return err
			}
			if v.myid != before[i].myid {
				return fmt.Errorf("node %d: CLUSTER MYID %s, was %s", i, v.myid, before[i].myid)
			}
			if v.self != before[i].self {
				return fmt.Errorf("node %d: own line %q, was %q", i, v.self, before[i].self)
			}
			if !slices.Equal(v.peers, before[i].peers) {
				return fmt.Errorf("node %d: view %q, was %q", i, v.peers, before[i].peers)
			}
		}
		return nil
	})
	checkCluster(t, c)
}

// ---- helpers of the steps ----------------------------------------------------------------------------------

// writeClusterKeys sets clusterKey(i) to vals[i] through the ClusterClient, pipelined in batches.
func writeClusterKeys(ctx context.Context, cc *redis.ClusterClient, vals []string) error {
	const batch = 500
	for lo := 0; lo < len(vals); lo += batch {
		_, err := cc.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i := lo; i < min(lo+batch, len(vals)); i++ {
				p.Set(ctx, clusterKey(i), vals[i], 0)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// checkClusterKeys reads every key through the ClusterClient and compares it with want.
func checkClusterKeys(ctx context.Context, cc *redis.ClusterClient, want []string) error {
	return checkSomeClusterKeys(ctx, cc, want, indexes(len(want)))
}

// checkSomeClusterKeys reads the keys numbered idx through the ClusterClient and compares them with want.
func checkSomeClusterKeys(ctx context.Context, cc *redis.ClusterClient, want []string, idx []int) error {
	const batch = 500
	for lo := 0; lo < len(idx); lo += batch {
		part := idx[lo:min(lo+batch, len(idx))]
		cmds, err := cc.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, i := range part {
				p.Get(ctx, clusterKey(i))
			}
			return nil
		})
		if err != nil && !errors.Is(err, redis.Nil) {
			return err
		}
		for j, cmd := range cmds {
			i := part[j]
			got, err := cmd.(*redis.StringCmd).Result()
			if err != nil {
				return fmt.Errorf("GET %s: %w", clusterKey(i), err)
			}
			if got != want[i] {
				return fmt.Errorf("GET %s = %q, want %q", clusterKey(i), got, want[i])
			}
		}
	}
	return nil
}

// primaries are the indexes of the nodes that are primaries with slots, in node order.
func (c *tlsCluster) primaries(tb testing.TB) []int {
	tb.Helper()
	var out []int
	for i := range c.nodes {
		if l := c.mustMyself(tb, i); l.has("master") && l.slotCount() > 0 {
			out = append(out, i)
		}
	}
	if len(out) < 2 {
		tb.Fatalf("want at least 2 primaries with slots, have %v", out)
	}
	return out
}

func (c *tlsCluster) mustMyself(tb testing.TB, i int) nodesLine {
	tb.Helper()
	l, err := c.myself(i)
	if err != nil {
		tb.Fatal(err)
	}
	if got, want := strings.SplitN(l.addr, "@", 2)[0], c.nodes[i].tlsAddr(); got != want {
		tb.Fatalf("node %d's CLUSTER NODES says it is at %s over a TLS connection, want its TLS address %s", i, got, want)
	}
	return l
}

// lineFor is node i's line about the node with id.
func (c *tlsCluster) lineFor(tb testing.TB, i int, id string) nodesLine {
	tb.Helper()
	lines, err := c.clusterNodes(i)
	if err != nil {
		tb.Fatal(err)
	}
	for _, l := range lines {
		if l.id == id {
			return l
		}
	}
	tb.Fatalf("node %d does not know node %s", i, id)
	return nodesLine{}
}

// lowestSlots is the set of the n lowest slots in ranges ("a-b" or "a", ascending as CLUSTER NODES
// lists them): the ones redis-cli --cluster reshard takes first from a source.
func lowestSlots(ranges []string, n int) map[int]bool {
	out := map[int]bool{}
	for _, r := range ranges {
		lo, hi, ok := strings.Cut(r, "-")
		a, _ := strconv.Atoi(lo)
		b := a
		if ok {
			b, _ = strconv.Atoi(hi)
		}
		for s := a; s <= b && len(out) < n; s++ {
			out[s] = true
		}
	}
	return out
}

// keySlot is the hash slot of key, computed here from the cluster specification (CRC16/XMODEM of the
// hash tag or the whole key, mod 16384) rather than asked of the nodes under test.
func keySlot(key string) int {
	if open := strings.IndexByte(key, '{'); open >= 0 {
		if end := strings.IndexByte(key[open+1:], '}'); end > 0 {
			key = key[open+1 : open+1+end]
		}
	}
	var crc uint16
	for i := 0; i < len(key); i++ {
		crc ^= uint16(key[i]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return int(crc & 0x3FFF)
}

func TestKeySlot(t *testing.T) {
	// the check value of CRC16/XMODEM, and slots the real redis-server's CLUSTER KEYSLOT gives
	for key, want := range map[string]int{
		"123456789": 0x31C3, "foo": 12182, "bar": 5061, "foo{}{bar}": 8363, "foo{{bar}}zap": 4015,
		"foo{bar}{zap}": 5061, "{user1000}.following": 3443,
	} {
		if got := keySlot(key); got != want {
			t.Errorf("keySlot(%q) = %d, want %d", key, got, want)
		}
	}
}

// redirectCounter is a go-redis hook, installed on each node client of a ClusterClient, that counts the
// ASK redirections the client follows (the ASKING it sends first) and the MOVED replies it gets.
type redirectCounter struct{ asks, moved atomic.Int64 }

func (r *redirectCounter) DialHook(next redis.DialHook) redis.DialHook { return next }

func (r *redirectCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		r.note([]redis.Cmder{cmd})
		return err
	}
}

func (r *redirectCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		r.note(cmds)
		return err
	}
}

func (r *redirectCounter) note(cmds []redis.Cmder) {
	for _, c := range cmds {
		if c.Name() == "asking" {
			r.asks.Add(1)
		}
		if err := c.Err(); err != nil && strings.HasPrefix(err.Error(), "MOVED ") {
			r.moved.Add(1)
		}
	}
}
