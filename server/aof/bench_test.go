package aof

import (
	"sync"
	"testing"

	"github.com/rs/zerolog"
)

// BenchmarkAppendWaitEverysec: clients append a ~60-byte command under a shared lock (the server lock) and
// wait for it, as a write command does before its reply. Group commit turns concurrent waits into few
// writes.
func BenchmarkAppendWaitEverysec(b *testing.B) {
	cfg := Config{Dir: b.TempDir(), Fsync: FsyncEverysec, Log: zerolog.Nop()}
	m, err := Open(cfg)
	if err != nil {
		b.Fatal(err)
	}
	if err := m.Start(nil); err != nil {
		b.Fatal(err)
	}
	cmd := enc("SET", "key:000000000001", "value-value-value-value-value")
	var lock sync.Mutex
	b.SetBytes(int64(len(cmd)))
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			lock.Lock()
			seq := m.Append(cmd)
			lock.Unlock()
			if err := m.Wait(seq); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	if err := m.Close(); err != nil {
		b.Fatal(err)
	}
}
