package main

// Failover with our own sentinels, everything TLS: three `valkey-node sentinel` processes (port 0,
// tls-port, tls-replication yes) watch a TLS-only primary with two TLS replicas; the primary is killed with
// SIGKILL. One test checks the failover itself, the other a go-redis FailoverClient writing through it.

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// newTLSSentinelSet is a TLS primary, two TLS replicas and three TLS sentinels with quorum 2 that know
// each other and the replicas; priorities are the nodes' replica-priority (see newReplSet).
func newTLSSentinelSet(t *testing.T, priorities ...int) *replSet {
	t.Helper()
	rs := newReplSet(t, true, priorities...)
	rs.startSentinels(t, 3, sentinelSpec{tls: true, quorum: 2})
	rs.debugTiming(t)
	rs.waitDiscovered(t)
	return rs
}

func TestSentinelTLSFailover(t *testing.T) {
	// node 1 has the lowest replica-priority: it is the replica the sentinels must promote
	rs := newTLSSentinelSet(t, 100, 10, 50)
	checkFailover(t, rs, 1)
}

// failoverWrite is one write of the FailoverClient test.
type failoverWrite struct {
	key, val string
	at, end  time.Time // started, finished
	err      error
	acked    int64 // WAIT 1's reply: replicas that acknowledged the write
}

// TestSentinelFailoverClientTLS: a go-redis FailoverClient over TLS (to the sentinels and the data
// nodes) writes one key at a time, each SET pipelined with WAIT 1 on the same connection, while the
// primary is killed and, later, restarted. Writes fail only in the switch window (from the kill to the
// first write the new primary accepts), and every write WAIT 1 reported acknowledged is readable at the
// end.
//
// The primary has one replica. That is what makes WAIT 1 a promise about failover: the replica that
// acknowledged a write is the one promoted. (With two replicas, WAIT 1 may be answered by the one that is
// not promoted: the sentinels compare replication offsets from INFO replies that can predate the crash —
// Valkey's sentinels and the real redis-sentinel do the same — so such a write can be lost by design.)
// After the switch the new primary has no replica, so WAIT 1 answers 0 until the old primary, restarted,
// is converted into its replica; then acknowledged writes resume.
func TestSentinelFailoverClientTLS(t *testing.T) {
	rs := newTLSSentinelSet(t, 100, 100)
	promoted := rs.nodes[1]
	addrs := make([]string, len(rs.sentinels))
	for i, sp := range rs.sentinels {
		addrs[i] = loopAddr(sp.port)
	}
	dials := &syncBuffer{} // where and when the client dialled, for a failure's log
	tlsCfg := clientTLS(t, rs.certs, true)
	fc := redis.NewFailoverClient(&redis.FailoverOptions{
		MasterName: masterName, SentinelAddrs: addrs, TLSConfig: tlsCfg,
		Dialer: func(ctx context.Context, network, addr string) (net.Conn, error) {
			fmt.Fprintf(dials, "%s dial %s\n", time.Now().Format("15:04:05.000"), addr)
			d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: time.Second}, Config: tlsCfg}
			return d.DialContext(ctx, network, addr)
		},
		DialTimeout: time.Second, ReadTimeout: 3 * time.Second, WriteTimeout: 3 * time.Second,
		MaxRetries: -1, // every failed attempt is seen, none is hidden by a retry
	})
	defer fc.Close()

	w := startFailoverWriter(fc)
	defer w.stop()
	w.waitAcked(t, "before the crash", 0, 50)
	killedAt := time.Now()
	rs.kill(t, 0)
	deadAt := time.Now() // the old primary is gone: a write started from now on cannot reach it

	// the client finds the new primary by itself (+switch-master or asking a sentinel)
	for _, sp := range rs.sentinels {
		waitCond(t, fmt.Sprintf("sentinel %d to report the new primary", sp.idx), func() error {
			addr, err := sp.masterAddr()
			if err == nil && addr != promoted.hostPort() {
				err = fmt.Errorf("get-master-addr-by-name %s, want %s", addr, promoted.hostPort())
			}
			return err
		})
	}
	waitCond(t, "a write to succeed on the new primary", func() error {
		if w.okSince(deadAt) == 0 {
			return errors.New("no successful write since the crash")
		}
		return nil
	})
	// the old primary returns, becomes the new primary's replica, and WAIT 1 acknowledges again
	rs.launch(t, 0)
	waitCond(t, "the old primary to become a replica of the new one", func() error {
		return rs.nodes[0].linkUp(promoted.port)
	})
	w.waitAcked(t, "after the old primary's return", len(w.snapshot()), 50)
	w.stop()

	// the switch window opens at the kill and closes with the first write, started once the old primary
	// was gone, that succeeds; writes in flight around the kill itself may go either way
	all := w.snapshot()
	windowEnd := time.Time{}
	var windowErrs []error
	for _, wr := range all {
		switch {
		case wr.end.Before(killedAt):
			if wr.err != nil {
				t.Errorf("write %s before the crash failed: %v", wr.key, wr.err)
			}
		case wr.at.Before(deadAt):
		case windowEnd.IsZero():
			if wr.err == nil {
				windowEnd = wr.end
			} else {
				windowErrs = append(windowErrs, wr.err)
			}
		case wr.err != nil:
			t.Errorf("write %s failed %v after the kill, %v after the client had switched to the new primary: %v",
				wr.key, wr.at.Sub(killedAt), wr.at.Sub(windowEnd), wr.err)
		}
	}
	if t.Failed() {
		t.Logf("the client's dials:\n%s", dials)
	}
	t.Logf("%d writes; the switch window lasted %v with %d failed writes (first: %v)", len(all),
		windowEnd.Sub(killedAt), len(windowErrs), errors.Join(windowErrs[:min(1, len(windowErrs))]...))

	// every acknowledged write is there, read through the same client from the new primary
	rctx, rcancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer rcancel()
	lost, acked := 0, 0
	for _, wr := range all {
		if wr.err != nil || wr.acked < 1 {
			continue
		}
		acked++
		got, err := fc.Get(rctx, wr.key).Result()
		if err != nil || got != wr.val {
			lost++
			if lost <= 5 {
				t.Errorf("acknowledged write %s=%s reads back %q (%v)", wr.key, wr.val, got, err)
			}
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d acknowledged writes lost", lost, acked)
	}
}

// failoverWriter is the FailoverClient test's writer goroutine and what it recorded.
type failoverWriter struct {
	mu     sync.Mutex
	writes []failoverWrite
	stop   func() // ends the goroutine and waits for it; idempotent
}

// startFailoverWriter writes fc:0, fc:1, … one at a time, each SET pipelined with WAIT 1 1000 on the
// same connection (WAIT counts the replicas that have this connection's latest write).
func startFailoverWriter(fc *redis.Client) *failoverWriter {
	w := &failoverWriter{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ctx.Err() == nil; i++ {
			wr := failoverWrite{key: "fc:" + strconv.Itoa(i), val: strconv.Itoa(i), at: time.Now()}
			var wait *redis.Cmd
			_, wr.err = fc.Pipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, wr.key, wr.val, 0)
				wait = p.Do(ctx, "WAIT", 1, 1000)
				return nil
			})
			if wr.err == nil {
				wr.acked, wr.err = wait.Int64()
			}
			wr.end = time.Now()
			if ctx.Err() != nil {
				return // cut short by stop: not a result
			}
			w.mu.Lock()
			w.writes = append(w.writes, wr)
			w.mu.Unlock()
			if wr.err != nil {
				time.Sleep(20 * time.Millisecond) // no busy loop while no primary answers
			}
		}
	}()
	w.stop = sync.OnceFunc(func() {
		cancel()
		<-done
	})
	return w
}

func (w *failoverWriter) snapshot() []failoverWrite {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]failoverWrite(nil), w.writes...)
}

// okSince counts the successful writes started at or after t.
func (w *failoverWriter) okSince(t time.Time) int {
	n := 0
	for _, wr := range w.snapshot() {
		if wr.err == nil && !wr.at.Before(t) {
			n++
		}
	}
	return n
}

// waitAcked waits until n writes from index from on were acknowledged by a replica; writes before the
// crash must not fail at all.
func (w *failoverWriter) waitAcked(t *testing.T, what string, from, n int) {
	t.Helper()
	waitCond(t, fmt.Sprintf("%d acknowledged writes %s", n, what), func() error {
		got := 0
		for _, wr := range w.snapshot()[from:] {
			if from == 0 && wr.err != nil {
				return fmt.Errorf("write %s failed before the crash: %v", wr.key, wr.err)
			}
			if wr.err == nil && wr.acked >= 1 {
				got++
			}
		}
		if got < n {
			return fmt.Errorf("%d acknowledged writes", got)
		}
		return nil
	})
}
