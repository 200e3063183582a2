package server

import (
	"net"
	"sync/atomic"
	"syscall"
)

// quickAckConn asks the kernel to acknowledge every segment at once while the TLS handshake runs.
//
// Why: a TLS 1.3 server that does not request a client certificate sends its session tickets in its first
// flight (Go does), so after the client's Finished it has nothing to send. The client typically writes its
// first command right behind its Finished; with Nagle on the client side that command waits for the ACK of
// the Finished, which delayed ACK holds back ~40 ms. OpenSSL servers hide this by sending their tickets
// after the Finished. Quick ACKs during the handshake remove the stall; after it, normal delayed ACKs
// (which replies piggyback on) take over again.
type quickAckConn struct {
	net.Conn
	raw  syscall.RawConn
	done atomic.Bool
}

func newQuickAckConn(c net.Conn) net.Conn {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return c
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return c
	}
	return &quickAckConn{Conn: c, raw: raw}
}

func (q *quickAckConn) Read(p []byte) (int, error) {
	if !q.done.Load() {
		// best effort: a failure only means the optimisation is lost
		_ = q.raw.Control(func(fd uintptr) {
			_ = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_QUICKACK, 1)
		})
	}
	return q.Conn.Read(p)
}

// handshakeDone stops the per-read quick-ACK requests.
func (q *quickAckConn) handshakeDone() { q.done.Store(true) }
