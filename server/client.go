package server

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valkey-node/valkey-node/server/resp"
)

// maxBatch bounds how many pipelined commands run under one acquisition of the execution lock, so one
// client with a deep pipeline cannot starve the others.
const maxBatch = 256

// flushThreshold makes a client with a long batch write out its replies before it is done.
const flushThreshold = 64 * 1024

// Client is one connection.
type Client struct {
	srv  *Server
	conn net.Conn
	kind connKind
	tls  *tls.ConnectionState
	rd   *resp.Reader

	// out holds replies not yet written. Commands append to it with the execution lock held; other
	// goroutines (PUBLISH, MONITOR) may append too. outMu guards it against the flushing goroutine.
	outMu sync.Mutex
	out   resp.Writer
	spare []byte
	wmu   sync.Mutex // serialises writes to conn
	// replica is set once the client sent REPLCONF or SYNC/PSYNC (replication, cmd_repl.go)
	replica *replicaLink
	// asking is ASKING (one command may use an importing slot); readOnlyCluster is READONLY (reads of the
	// primary's slots served on its replica)
	asking          bool
	readOnlyCluster bool
	// woff is the replication offset after this client's last write, for WAIT; aofWoff its AOF
	// sequence number, for WAITAOF
	woff    int64
	aofWoff uint64
	// aofDone is the AOF sequence number this client's replies already waited for (guarded by wmu)
	aofDone uint64

	tracking *clientTracking // CLIENT TRACKING state (tracking.go); nil while off

	// inflight is the size of a write in progress, counted against the output buffer limits.
	inflight atomic.Int64
	// obufSoftSince is when the soft output limit was first exceeded (zero when under it).
	obufSoftSince time.Time
	// subs are the pub/sub subscriptions (lock held).
	subs clientSubs

	// async writer, started on first use by producers outside this client's own goroutine
	asyncOnce sync.Once
	kick      chan struct{}
	closed    chan struct{}
	closeOnce sync.Once

	// the fields below are guarded by the server's execution lock
	id      uint64
	name    string
	libName string
	libVer  string
	db      int
	proto   int
	user    *User
	authed  bool
	created time.Time
	// lastInter is the time of the last input, in Unix nanoseconds (atomic: stamped without the lock).
	lastInter atomic.Int64
	// idleTimeout is the timeout directive as it applies to this client, refreshed with the lock held at
	// the end of every batch so that waiting for input needs no lock.
	idleTimeout time.Duration
	hasDeadline bool
	lastCmd     string
	flags       clientFlags
	replyMode   replyMode
	argvMem     int
	cmdCount    int64
	// bytes read and written (INFO, CLIENT LIST); atomics: the connection goroutine adds without the lock
	netIn, netOut atomic.Int64
	// transactions: the open MULTI, the watched keys, and whether one of them changed
	multi    *multiState
	watching []watchEntry
	dirtyCAS bool
	inExec   bool
	// blocked is set while the client waits in a blocking command.
	blocked *blockState
	// closeASAP asks the connection goroutine to close once the current replies are written.
	closeASAP bool
	// killed is set when another client closed this one.
	killed bool
	laddr  string
	addr   string
}

type clientFlags struct {
	noEvict    bool
	noTouch    bool
	monitor    bool
	subscribed bool
	// master: the internal client applying the primary's stream (replicas)
	master bool
}

type replyMode uint8

const (
	replyOn replyMode = iota
	replyOff
	replySkipNext
	replySkip
)

func newClient(s *Server, conn net.Conn, kind connKind, st *tls.ConnectionState) *Client {
	now := time.Now()
	c := &Client{
		srv:     s,
		conn:    conn,
		kind:    kind,
		tls:     st,
		kick:    make(chan struct{}, 1),
		closed:  make(chan struct{}),
		proto:   2,
		created: now,
		addr:    conn.RemoteAddr().String(),
		laddr:   conn.LocalAddr().String(),
	}
	if kind == kindUnix {
		c.addr = "/unixsocket:0"
		if s.cfg.UnixSocket != "" {
			c.addr = s.cfg.UnixSocket + ":0"
			c.laddr = c.addr
		}
	}
	c.rd = resp.NewReader(netCounter{conn, &c.netIn})
	c.out.Proto = 2
	c.lastInter.Store(now.UnixNano())
	return c
}

// registerClient adds c to the client table and authenticates it as the default user when that needs no
// password. Called with the lock held.
func (s *Server) registerClient(c *Client) {
	s.nextID++
	c.id = s.nextID
	s.clients[c.id] = c
	s.stats.connectionsReceived++
	s.acl.onConnect(c)
}

func (s *Server) unregisterClient(c *Client) {
	if c.replica != nil && c.replica.synced && s.repl.primary != nil {
		s.repl.primary.Remove(c.id)
	}
	delete(s.clients, c.id)
	delete(s.monitors, c)
	s.info.clientClosed(c)
	s.onClientGone(c)
}

// serve runs the connection: parse every complete command in the input buffer, execute them as one
// batch, and flush the replies once no complete command is left. One TLS record and one syscall per batch.
func (c *Client) serve() {
	s := c.srv
	defer func() {
		c.flush()
		c.shutdown()
		s.mu.Lock()
		s.unregisterClient(c)
		s.mu.Unlock()
	}()
	batch := make([][][]byte, 0, 16)
	resumed := false // a blocking command just ended: the buffer may hold input read meanwhile
	s.mu.Lock()
	c.syncLimits()
	s.mu.Unlock()
	for {
		c.rd.Reset()
		batch = batch[:0]
		var perr error
		for len(batch) < maxBatch {
			args, ok, err := c.rd.Next()
			if err != nil {
				perr = err
				break
			}
			if !ok {
				break
			}
			batch = append(batch, args)
		}
		if len(batch) > 0 || perr != nil {
			s.mu.Lock()
			c.outMu.Lock()
			for i := 0; i < len(batch); i++ {
				s.execute(c, batch[i])
				if c.closeASAP {
					break
				}
				if b := c.blocked; b != nil {
					// The rest of the batch waits until the blocking command is done. Copy it: the
					// input buffer is read into while the client waits.
					rest := copyBatch(batch[i+1:])
					c.outMu.Unlock()
					s.mu.Unlock()
					if err := c.flush(); err != nil {
						return
					}
					if err := c.waitUnblocked(b); err != nil {
						return
					}
					// input that arrived while the client waited is already buffered: parse it
					// before waiting for more, or a command sent after the reply stalls forever
					resumed = true
					s.mu.Lock()
					c.outMu.Lock()
					batch, i = rest, -1
				}
			}
			var pe *resp.ProtocolError
			if perr != nil && errors.As(perr, &pe) && !c.closeASAP {
				s.stats.protocolErrors++
				c.out.Error(pe.Error())
				c.closeASAP = true
			}
			c.syncLimits()
			pending := c.out.Len()
			c.outMu.Unlock()
			closing := c.closeASAP
			s.mu.Unlock()
			if perr != nil {
				if errors.Is(perr, resp.ErrQueryBufferLimit) {
					s.log.Warn().Str("addr", c.addr).Msg("Closing client that reached max query buffer length")
					s.info.qbufLimitDisconnects.Add(1)
				}
				return
			}
			if closing {
				return
			}
			if pending < flushThreshold && len(batch) == maxBatch {
				continue
			}
			if c.rd.Buffered() > 0 && len(batch) == maxBatch {
				if err := c.flush(); err != nil {
					return
				}
				continue
			}
		}
		if err := c.flush(); err != nil {
			return
		}
		if resumed {
			resumed = false
			continue
		}
		if err := c.waitInput(); err != nil {
			return
		}
	}
}

// copyBatch deep-copies commands whose arguments alias the input buffer.
func copyBatch(batch [][][]byte) [][][]byte {
	out := make([][][]byte, len(batch))
	for i, args := range batch {
		cp := make([][]byte, len(args))
		for j, a := range args {
			cp[j] = append([]byte(nil), a...)
		}
		out[i] = cp
	}
	return out
}

// syncLimits copies the limits the reader enforces from the configuration (lock held).
func (c *Client) syncLimits() {
	c.idleTimeout = 0
	if t := c.srv.cfg.Timeout; t > 0 && !c.flags.subscribed && !c.flags.monitor && c.blocked == nil && c.replica == nil {
		c.idleTimeout = time.Duration(t) * time.Second
	}
	c.rd.MaxBulkLen = c.srv.cfg.ProtoMaxBulkLen
	c.rd.MaxQueryBuf = c.srv.cfg.ClientQueryBufferLimit
	c.rd.Strict = !c.authed
}

// waitInput blocks until more input arrives, applying the idle timeout.
func (c *Client) waitInput() error {
	s := c.srv
	if c.idleTimeout > 0 {
		c.conn.SetReadDeadline(time.Now().Add(c.idleTimeout))
		c.hasDeadline = true
	} else if c.hasDeadline {
		c.conn.SetReadDeadline(time.Time{})
		c.hasDeadline = false
	}
	err := c.rd.Fill()
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			s.log.Debug().Str("addr", c.addr).Msg("Closing idle client")
		} else if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) && !errors.Is(err, resp.ErrQueryBufferLimit) {
			s.log.Debug().Str("addr", c.addr).Err(err).Msg("Client closed connection")
		}
		if errors.Is(err, resp.ErrQueryBufferLimit) {
			s.log.Warn().Str("addr", c.addr).Msg("Closing client that reached max query buffer length")
			s.info.qbufLimitDisconnects.Add(1)
		}
		return err
	}
	c.lastInter.Store(time.Now().UnixNano())
	return nil
}

// flush writes every pending reply.
func (c *Client) flush() error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	for {
		c.outMu.Lock()
		buf := c.out.Buf
		if len(buf) == 0 {
			c.outMu.Unlock()
			return nil
		}
		c.out.Buf = c.spare[:0]
		c.spare = nil
		c.outMu.Unlock()
		if !c.aofDurable() {
			c.conn.Close()
			return errors.New("the append only file could not be written: replies withheld")
		}
		c.inflight.Store(int64(len(buf)))
		n, err := c.conn.Write(buf)
		c.inflight.Store(0)
		c.netOut.Add(int64(n))
		c.outMu.Lock()
		if cap(buf) <= 1<<20 {
			c.spare = buf[:0]
		}
		c.outMu.Unlock()
		if err != nil {
			return err
		}
	}
}

// push appends an out-of-band message (pub/sub, MONITOR) and makes sure it is written even while the
// client's own goroutine is waiting for input. Called with the execution lock held.
func (c *Client) push(fn func(w *resp.Writer)) {
	if c.srv.cur == c {
		// the client is executing a command right now and already holds outMu
		fn(&c.out)
		return
	}
	c.outMu.Lock()
	fn(&c.out)
	c.outMu.Unlock()
	c.asyncOnce.Do(func() {
		c.srv.bg.Add(1)
		go c.asyncWriter()
	})
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

func (c *Client) asyncWriter() {
	defer c.srv.bg.Done()
	for {
		select {
		case <-c.kick:
			if err := c.flush(); err != nil {
				c.conn.Close()
				return
			}
		case <-c.closed:
			return
		}
	}
}

// shutdown closes the connection and stops the async writer.
func (c *Client) shutdown() {
	c.closeOnce.Do(func() {
		close(c.closed)
		c.conn.Close()
	})
}

// closeAfterFlush is used at server shutdown: write what is pending, then close.
func (c *Client) closeAfterFlush() {
	c.conn.SetWriteDeadline(time.Now().Add(time.Second))
	c.flush()
	c.shutdown()
}

// kill closes another client's connection (CLIENT KILL). Lock held.
func (c *Client) kill() {
	c.killed = true
	c.conn.Close()
}
