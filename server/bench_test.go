package server

import (
	"bufio"
	"fmt"
	"net"
	"sync"
	"testing"

	"github.com/valkey-node/valkey-node/server/resp"
)

// respCommand encodes one command as a RESP multibulk request (as propagation writes it).
func respCommand(args ...string) []byte {
	argv := make([][]byte, len(args))
	for i, a := range args {
		argv[i] = []byte(a)
	}
	return resp.AppendCommand(nil, argv...)
}

// respPipeline encodes depth commands, the i-th being gen(i), as one pipelined request.
func respPipeline(depth int, gen func(i int) []string) []byte {
	var b []byte
	for i := 0; i < depth; i++ {
		b = append(b, respCommand(gen(i)...)...)
	}
	return b
}

// benchPipelined drives the server at addr over loopback TCP with one connection per entry of batches:
// at round r connection c writes batches[c][r%len(batches[c])], a pipeline of depth commands, then reads
// the depth replies with skipReply. That is the shape of redis-benchmark -c len(batches) -P depth, and
// the figures are the server's whole path: parsing, execution, reply encoding and the socket. Each
// connection runs b.N/depth/len(batches) rounds (at least one); the rate is reported as req/s.
func benchPipelined(b *testing.B, addr string, depth int, batches [][][]byte) {
	b.Helper()
	conns := make([]net.Conn, len(batches))
	for i := range conns {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatalf("dialing %s: %v", addr, err)
		}
		defer c.Close()
		conns[i] = c
	}
	rounds := max(b.N/depth/len(conns), 1)
	b.ReportAllocs()
	b.ResetTimer()
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Add(1)
		go func(c net.Conn, reqs [][]byte) {
			defer wg.Done()
			br := bufio.NewReaderSize(c, 64*1024)
			for r := 0; r < rounds; r++ {
				if _, err := c.Write(reqs[r%len(reqs)]); err != nil {
					b.Error(err)
					return
				}
				for j := 0; j < depth; j++ {
					if err := skipReply(br); err != nil {
						b.Error(err)
						return
					}
				}
			}
		}(c, batches[i])
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(rounds*depth*len(conns))/b.Elapsed().Seconds(), "req/s")
}

// sameBatch gives each of clients connections the one pipeline req.
func sameBatch(clients int, req []byte) [][][]byte {
	out := make([][][]byte, clients)
	for i := range out {
		out[i] = [][]byte{req}
	}
	return out
}

// benchSetGet is redis-benchmark -t set,get -P depth with 50 clients: pipelines alternating SET and GET.
func benchSetGet(b *testing.B, depth int) {
	n := startNode(b)
	req := respPipeline(depth, func(i int) []string {
		key := fmt.Sprintf("key:%06d", i)
		if i%2 == 0 {
			return []string{"SET", key, "xxx"}
		}
		return []string{"GET", key}
	})
	benchPipelined(b, n.addr, depth, sameBatch(50, req))
}

func BenchmarkSetGetP1(b *testing.B)  { benchSetGet(b, 1) }
func BenchmarkSetGetP16(b *testing.B) { benchSetGet(b, 16) }
