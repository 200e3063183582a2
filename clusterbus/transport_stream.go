package clusterbus

import (
	"net"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"
)

// streamConn is a stream connection owned by memberlist. Closing it also forgets it, so that Shutdown
// closes only the streams memberlist still holds.
type streamConn struct {
	net.Conn // the TLS layer, or the TCP connection itself
	t        *Transport
	raw      net.Conn
	once     sync.Once
	err      error
}

func (c *streamConn) Close() error {
	c.once.Do(func() { c.err = c.t.closeConn(c.raw, c.Conn) })
	return c.err
}

// DialTimeout implements memberlist.Transport; see DialAddressTimeout.
func (t *Transport) DialTimeout(addr string, timeout time.Duration) (net.Conn, error) {
	return t.DialAddressTimeout(memberlist.Address{Addr: addr}, timeout)
}

// DialAddressTimeout implements memberlist.NodeAwareTransport: a fresh stream connection to the peer,
// TLS handshake and hello exchange done, all within timeout. A peer with another label, or whose
// certificate does not verify, is an error.
func (t *Transport) DialAddressTimeout(a memberlist.Address, timeout time.Duration) (net.Conn, error) {
	if timeout <= 0 {
		timeout = t.cfg.DialTimeout
	}
	raw, conn, err := t.dial(a.Addr, connStream, timeout)
	if err != nil {
		return nil, err
	}
	return &streamConn{Conn: conn, t: t, raw: raw}, nil
}

// handOffStream gives an accepted stream connection to memberlist, or closes it if the transport shuts
// down first.
func (t *Transport) handOffStream(raw, conn net.Conn) {
	sc := &streamConn{Conn: conn, t: t, raw: raw}
	select {
	case t.streamCh <- sc:
	case <-t.ctx.Done():
		_ = sc.Close()
	}
}
