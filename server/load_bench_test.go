package server

import (
	"fmt"
	"testing"
)

// BenchmarkRDBLoad measures loading an RDB of 500k small string keys (DEBUG RELOAD NOSAVE: flush, then
// load the file written once before the timer starts).
func BenchmarkRDBLoad(b *testing.B) {
	n := startNode(b, "enable-debug-command", "yes")
	r := n.raw()
	var cmds [][]string
	for i := 0; i < 500_000; i++ {
		cmds = append(cmds, []string{"SET", fmt.Sprintf("key:%d", i), fmt.Sprintf("value-%d", i)})
	}
	benchPipeline(b, r, cmds)
	if got := r.do("SAVE"); got != "OK" {
		b.Fatal(got)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if got := r.do("DEBUG", "RELOAD", "NOSAVE"); got != "OK" {
			b.Fatal(got)
		}
	}
}
