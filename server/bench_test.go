package server

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
)

// benchPipeline drives the node with `clients` connections, each sending pipelines of depth `depth`
// alternating SET and GET, the shape of redis-benchmark -t set,get -P depth. It measures the whole
// server path over real loopback TCP: parsing, execution, reply encoding and the write syscalls.
func benchPipeline(b *testing.B, clients, depth int) {
	n := startNode(b)
	var req []byte
	for i := 0; i < depth; i++ {
		key := fmt.Sprintf("key:%06d", i)
		if i%2 == 0 {
			req = append(req, fmt.Sprintf("*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$3\r\nxxx\r\n", len(key), key)...)
		} else {
			req = append(req, fmt.Sprintf("*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n", len(key), key)...)
		}
	}
	// expected reply bytes per pipeline: depth/2 "+OK" and depth/2 "$3 xxx" (or $-1 for the first round)
	conns := make([]net.Conn, clients)
	for i := range conns {
		c, err := net.Dial("tcp", n.addr)
		if err != nil {
			b.Fatal(err)
		}
		conns[i] = c
		defer c.Close()
	}
	rounds := b.N / depth / clients
	if rounds == 0 {
		rounds = 1
	}
	b.ResetTimer()
	b.ReportAllocs()
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Add(1)
		go func(c net.Conn) {
			defer wg.Done()
			br := bufio.NewReaderSize(c, 64*1024)
			for r := 0; r < rounds; r++ {
				if _, err := c.Write(req); err != nil {
					b.Error(err)
					return
				}
				for i := 0; i < depth; i++ {
					line, err := br.ReadSlice('\n')
					if err != nil {
						b.Error(err)
						return
					}
					if line[0] == '$' && line[1] != '-' {
						if _, err := io.CopyN(io.Discard, br, 5); err != nil {
							b.Error(err)
							return
						}
					}
				}
			}
		}(c)
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(rounds*depth*clients)/b.Elapsed().Seconds(), "req/s")
}

func BenchmarkSetGetP1(b *testing.B)  { benchPipeline(b, 50, 1) }
func BenchmarkSetGetP16(b *testing.B) { benchPipeline(b, 50, 16) }
