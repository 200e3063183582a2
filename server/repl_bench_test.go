package server

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkFullSync measures a full synchronisation of 200k small string keys between two in-process
// nodes over loopback TCP (snapshot, RDB encoding, transfer, temp file, load).
func BenchmarkFullSync(b *testing.B) {
	p := startNode(b, "repl-diskless-sync-delay", "0")
	pr := p.raw()
	var cmds [][]string
	for i := 0; i < 200_000; i++ {
		cmds = append(cmds, []string{"SET", fmt.Sprintf("key:%d", i), fmt.Sprintf("value-%d", i)})
	}
	benchPipeline(b, pr, cmds)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := startNode(b, "replicaof", "127.0.0.1 "+portOf(p.addr))
		rr := r.raw()
		for rr.do("DBSIZE") != ":200000" {
			time.Sleep(time.Millisecond)
		}
		b.StopTimer()
		r.stop()
		b.StartTimer()
	}
}

// benchPipeline sends commands in large pipelined writes and reads the replies.
func benchPipeline(b *testing.B, r *rawConn, cmds [][]string) {
	var buf []byte
	for i, c := range cmds {
		buf = append(buf, respCommand(c...)...)
		if len(buf) > 1<<20 || i == len(cmds)-1 {
			r.send(string(buf))
			buf = buf[:0]
		}
	}
	for range cmds {
		r.reply()
	}
}
