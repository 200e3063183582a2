package server

import "testing"

// benchList drives the node with 50 connections, each sending pipelines of depth commands cycling through
// cmds (raw RESP), on a list "mylist" filled with 1000 elements first: the shape of redis-benchmark -c 50
// -P depth.
func benchList(b *testing.B, depth int, cmds ...string) {
	n := startNode(b)
	// a long list to start with, so that the pops never empty it (as in redis-benchmark, where the
	// LPUSH test fills the list the LPOP test drains)
	fill := []string{"RPUSH", "mylist"}
	for i := 0; i < 1000; i++ {
		fill = append(fill, "xxx")
	}
	n.raw().do(fill...)
	perRound := max(depth, len(cmds))
	var req []byte
	for i := 0; i < perRound; i++ {
		req = append(req, cmds[i%len(cmds)]...)
	}
	benchPipelined(b, n.addr, perRound, sameBatch(50, req))
}

const (
	benchLPush = "*3\r\n$5\r\nLPUSH\r\n$6\r\nmylist\r\n$3\r\nxxx\r\n"
	benchLPop  = "*2\r\n$4\r\nLPOP\r\n$6\r\nmylist\r\n"
)

// BenchmarkLPushLPop is redis-benchmark's LPUSH and LPOP tests in one: LPUSH and LPOP alternate on one
// shared list, pipelined 1 or 16 deep.
func BenchmarkLPushLPop(b *testing.B) {
	b.Run("P1", func(b *testing.B) { benchList(b, 1, benchLPush, benchLPop) })
	b.Run("P16", func(b *testing.B) { benchList(b, 16, benchLPush, benchLPop) })
}

// BenchmarkLRange100 is redis-benchmark's LRANGE_100: the first 100 elements, pipelined 16 deep.
func BenchmarkLRange100(b *testing.B) {
	benchList(b, 16, "*4\r\n$6\r\nLRANGE\r\n$6\r\nmylist\r\n$1\r\n0\r\n$2\r\n99\r\n")
}
