package server

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/valkey-node/valkey-node/server/resp"
)

// benchRandKeys is redis-benchmark's -r in `make bench-types`: __rand_int__ draws from this many values.
const benchRandKeys = 100000

// randInt12 is redis-benchmark's __rand_int__ replacement: a random number below benchRandKeys written as
// 12 zero-padded digits.
func randInt12(rng *rand.Rand) string { return fmt.Sprintf("%012d", rng.IntN(benchRandKeys)) }

// benchCommandPath runs b.N commands from gen through the server's own command path, in process: the
// requests are RESP-encoded up front, then read back with the connection's RESP reader and executed in
// batches of 16 under the execution lock (what a client connection does with redis-benchmark -P 16), and
// the replies are discarded. No socket is involved, so a CPU profile shows the parsing, the lookups and the
// commands themselves rather than the network. The first `warm` commands run before the timer starts (the
// keys then have the size they have once the real benchmark has run a while).
func benchCommandPath(b *testing.B, warm int, gen func(rng *rand.Rand) []string) {
	n := startNode(b)
	s := n.srv
	p1, p2 := net.Pipe()
	defer p1.Close()
	defer p2.Close()
	c := newClient(s, p1, kindTCP, nil)
	s.mu.Lock()
	s.registerClient(c)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.unregisterClient(c)
		s.mu.Unlock()
	}()
	rng := rand.New(rand.NewPCG(1, 2))
	encode := func(count int) *bytes.Reader {
		var buf []byte
		for i := 0; i < count; i++ {
			args := gen(rng)
			buf = fmt.Appendf(buf, "*%d\r\n", len(args))
			for _, a := range args {
				buf = fmt.Appendf(buf, "$%d\r\n%s\r\n", len(a), a)
			}
		}
		return bytes.NewReader(buf)
	}
	run := func(in io.Reader) {
		rd := resp.NewReader(in)
		for {
			rd.Reset()
			var batch [16][][]byte
			k := 0
			for ; k < len(batch); k++ {
				args, ok, err := rd.Next()
				if err != nil {
					b.Fatal(err)
				}
				if !ok {
					break
				}
				batch[k] = args
			}
			if k == 0 {
				// nothing complete is buffered: read on (Fill may move the buffer, so only now)
				if err := rd.Fill(); err == io.EOF {
					return
				} else if err != nil {
					b.Fatal(err)
				}
				continue
			}
			s.mu.Lock()
			c.outMu.Lock()
			for _, args := range batch[:k] {
				s.execute(c, args)
			}
			if bytes.HasPrefix(c.out.Buf, []byte("-")) {
				b.Fatalf("error reply: %q", c.out.Buf)
			}
			c.out.Buf = c.out.Buf[:0]
			c.outMu.Unlock()
			s.mu.Unlock()
		}
	}
	if warm > 0 {
		run(encode(warm))
	}
	in := encode(b.N)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU()
	run(in)
	// the process's CPU time, GC workers included, is what bench-types measures of a server, and it is
	// less disturbed than the wall clock by other work on the machine
	b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
}

// processCPU is the CPU time the process has used so far (user and system).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkCmdSAdd is redis-benchmark's SADD test with -r 100000: SADD myset element:__rand_int__.
func BenchmarkCmdSAdd(b *testing.B) {
	benchCommandPath(b, 200000, func(rng *rand.Rand) []string {
		return []string{"SADD", "myset", "element:" + randInt12(rng)}
	})
}

// BenchmarkCmdZAdd is redis-benchmark's ZADD test with -r 100000: ZADD myzset __rand_int__
// element:__rand_int__ (the score is a random integer too).
func BenchmarkCmdZAdd(b *testing.B) {
	benchCommandPath(b, 200000, func(rng *rand.Rand) []string {
		return []string{"ZADD", "myzset", randInt12(rng), "element:" + randInt12(rng)}
	})
}

// BenchmarkCmdSAddFresh is BenchmarkCmdSAdd on a node that starts empty, as in one bench-types run
// (use -benchtime 200000x: the set then grows as it does there).
func BenchmarkCmdSAddFresh(b *testing.B) {
	benchCommandPath(b, 0, func(rng *rand.Rand) []string {
		return []string{"SADD", "myset", "element:" + randInt12(rng)}
	})
}

// BenchmarkCmdZAddFresh is BenchmarkCmdZAdd on a node that starts empty (-benchtime 200000x).
func BenchmarkCmdZAddFresh(b *testing.B) {
	benchCommandPath(b, 0, func(rng *rand.Rand) []string {
		return []string{"ZADD", "myzset", randInt12(rng), "element:" + randInt12(rng)}
	})
}

// BenchmarkCmdHSetFresh is BenchmarkCmdHSet on a node that starts empty (-benchtime 200000x).
func BenchmarkCmdHSetFresh(b *testing.B) {
	benchCommandPath(b, 0, func(rng *rand.Rand) []string {
		return []string{"HSET", "myhash", "element:" + randInt12(rng), "xxx"}
	})
}

// BenchmarkCmdHSet is the HSET row of the same table, for comparison: HSET myhash element:__rand_int__ xxx.
func BenchmarkCmdHSet(b *testing.B) {
	benchCommandPath(b, 200000, func(rng *rand.Rand) []string {
		return []string{"HSET", "myhash", "element:" + randInt12(rng), "xxx"}
	})
}
