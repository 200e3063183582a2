package replication

import (
	"io"
	"net"
	"testing"

	"github.com/rs/zerolog"
)

// BenchmarkPrimaryFeed measures the hot path: one SET-sized command fed to the backlog and to n
// streaming replicas whose peers drain as fast as they can.
func BenchmarkPrimaryFeed(b *testing.B) {
	for _, n := range []int{0, 1, 4} {
		b.Run(map[int]string{0: "replicas=0", 1: "replicas=1", 4: "replicas=4"}[n], func(b *testing.B) {
			h := newFakePrimaryHost()
			p := NewPrimary(PrimaryConfig{BacklogSize: 1 << 20}, h, zerolog.Nop())
			cmd := []byte("*3\r\n$3\r\nSET\r\n$10\r\nkey:000001\r\n$16\r\nvalue:0000000001\r\n")
			p.Feed(cmd)
			done := make(chan struct{}, n)
			for i := range n {
				local, remote := net.Pipe()
				go func() {
					_, _ = io.Copy(io.Discard, local)
					local.Close()
					done <- struct{}{}
				}()
				rc := &ReplicaConn{ID: uint64(i + 1), Conn: remote, Addr: "127.0.0.1:1", CapaPSYNC2: true}
				if full, e := p.Sync(rc, true, p.Status().ReplID, p.Offset()+1); full || e != "" {
					b.Fatalf("partial sync refused: %v %q", full, e)
				}
			}
			b.SetBytes(int64(len(cmd)))
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				p.Feed(cmd)
			}
			b.StopTimer()
			p.Close()
			for range n {
				<-done
			}
		})
	}
}
