package sentinel

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/valkey-node/valkey-node/server/resp"
)

// replyFunc receives the reply to one command, with s.mu held. r is nil when the connection closed
// before the reply arrived (hiredis calls its callbacks the same way on a disconnect).
type replyFunc func(r *reply)

// Timeouts of one connection's I/O. A link is also dropped by the liveness rules of failure.go, so
// these only bound what the kernel alone would let hang.
const (
	dialTimeout  = 5 * time.Second
	writeTimeout = 10 * time.Second
	readBufSize  = 64 << 10
)

var errConnClosed = errors.New("sentinel: link connection closed")

// rconn is one outgoing RESP connection (the command or the pub/sub connection of a link). Commands are
// queued under the connection's own mutex, never written by the caller: the engine queues them with
// s.mu held and a writer goroutine does the I/O. One reader goroutine decodes replies and hands each to
// the callback queued with its command, in order, taking s.mu for the call.
type rconn struct {
	s       *Sentinel
	owner   string // for logs: "master mymaster 127.0.0.1 6379 cmd"
	addr    string // host:port dialed
	host    string // for the TLS server name
	useTLS  bool
	created time.Time // when the connection was initiated (Valkey's cc_conn_time / pc_conn_time)

	// infoPending: an INFO is in flight on this connection, so the timer does not queue another (guarded
	// by s.mu).
	infoPending bool
	// askSent: when is-master-down-by-addr was last queued (guarded by s.mu).
	askSent time.Time

	// onPush handles pub/sub messages (a "message" array that answers no command); onActivity is
	// called for every reply; onClose once, when the connection is gone. All with s.mu held.
	onPush     func(r *reply)
	onActivity func()
	onClose    func(err error)

	mu      sync.Mutex
	out     []byte      // encoded commands not yet written
	waiting []replyFunc // one per command sent or queued, in order (nil: reply discarded)
	closed  bool
	raw     net.Conn // the TCP connection once dialed (closing it aborts the TLS layer too)
	localIP string   // the local address of the socket, once dialed

	wake   chan struct{}
	ctx    context.Context
	cancel context.CancelFunc
}

func newRConn(s *Sentinel, owner, host string, port int, useTLS bool, now time.Time) *rconn {
	ctx, cancel := context.WithCancel(context.Background())
	return &rconn{
		s: s, owner: owner, addr: net.JoinHostPort(host, fmt.Sprint(port)), host: host, useTLS: useTLS,
		created: now, wake: make(chan struct{}, 1), ctx: ctx, cancel: cancel,
	}
}

// start runs the connection's goroutine; it must be called with s.mu held while the engine runs (the
// goroutines are part of s.wg).
func (c *rconn) start() {
	c.s.wg.Add(1)
	go c.run()
}

// send queues a command. cb (may be nil) receives its reply.
func (c *rconn) send(cb replyFunc, args ...string) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return errConnClosed
	}
	c.out = resp.AppendCommand(c.out, args...)
	c.waiting = append(c.waiting, cb)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
	return nil
}

// close drops the connection without waiting: the reader then fails, calls onClose and answers every
// waiting callback with nil. Closing a socket does not block, so this is safe with s.mu held.
func (c *rconn) close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	raw := c.raw
	c.mu.Unlock()
	c.cancel()
	if raw != nil {
		raw.Close()
	}
}

// local is the local IP of the socket ("" before the connection is established).
func (c *rconn) local() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.localIP
}

func (c *rconn) run() {
	defer c.s.wg.Done()
	conn, err := c.dial()
	if err != nil {
		c.finish(nil, err)
		return
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		conn.Close()
		c.finish(nil, errConnClosed)
		return
	}
	c.raw = conn
	if ta, ok := conn.LocalAddr().(*net.TCPAddr); ok {
		c.localIP = ta.IP.String()
	}
	c.mu.Unlock()

	var stream net.Conn = conn
	if c.useTLS {
		tc, err := c.handshake(conn)
		if err != nil {
			c.finish(conn, err)
			return
		}
		stream = tc
	}
	c.s.wg.Add(1)
	go c.writeLoop(stream)
	rd := bufio.NewReaderSize(stream, readBufSize)
	for {
		r, err := readReply(rd)
		if err != nil {
			c.finish(conn, err)
			return
		}
		c.dispatch(r)
	}
}

func (c *rconn) dial() (net.Conn, error) {
	ctx, cancel := context.WithTimeout(c.ctx, dialTimeout)
	defer cancel()
	d := net.Dialer{KeepAlive: 15 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", c.addr)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", c.addr, err)
	}
	return conn, nil
}

// handshake runs TLS on the dialed socket with a configuration made for this dial, so certificates
// reloaded by the manager apply to every new link.
func (c *rconn) handshake(conn net.Conn) (*tls.Conn, error) {
	cfg, err := c.s.srv.TLS().ClientConfig(c.host)
	if err != nil {
		return nil, fmt.Errorf("TLS material for the link to %s: %w", c.addr, err)
	}
	tc := tls.Client(conn, cfg)
	ctx, cancel := context.WithTimeout(c.ctx, dialTimeout)
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, fmt.Errorf("TLS handshake with %s: %w", c.addr, err)
	}
	return tc, nil
}

// writeLoop writes queued commands until the connection closes.
func (c *rconn) writeLoop(w net.Conn) {
	defer c.s.wg.Done()
	for {
		select {
		case <-c.wake:
		case <-c.ctx.Done():
			return
		}
		c.mu.Lock()
		buf, closed := c.out, c.closed
		c.out = nil
		c.mu.Unlock()
		if closed {
			return
		}
		if len(buf) == 0 {
			continue
		}
		w.SetWriteDeadline(time.Now().Add(writeTimeout))
		if _, err := w.Write(buf); err != nil {
			c.close() // the reader sees the closed socket and reports it
			return
		}
	}
}

// dispatch hands one reply to its callback, or to onPush for a pub/sub message.
func (c *rconn) dispatch(r *reply) {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.onActivity != nil {
		c.onActivity()
	}
	if c.onPush != nil && isPubSubMessage(r) {
		c.onPush(r)
		return
	}
	c.mu.Lock()
	var cb replyFunc
	if len(c.waiting) > 0 {
		cb = c.waiting[0]
		c.waiting[0] = nil
		c.waiting = c.waiting[1:]
	}
	c.mu.Unlock()
	if cb != nil {
		cb(r)
	}
}

// finish ends the connection: onClose, then every waiting callback gets nil.
func (c *rconn) finish(conn net.Conn, err error) {
	c.mu.Lock()
	c.closed = true
	waiting := c.waiting
	c.waiting = nil
	c.out = nil
	c.mu.Unlock()
	c.cancel()
	if conn != nil {
		conn.Close()
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.onClose != nil {
		c.onClose(err)
	}
	for _, cb := range waiting {
		if cb != nil {
			cb(nil)
		}
	}
}

// isPubSubMessage tells a published message (RESP2 array or RESP3 push) from a command's reply.
func isPubSubMessage(r *reply) bool {
	if (r.kind != kindArray && r.kind != kindPush) || len(r.elems) == 0 {
		return false
	}
	k := r.elems[0].text()
	return strings.EqualFold(k, "message") || strings.EqualFold(k, "pmessage")
}
