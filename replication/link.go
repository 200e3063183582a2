package replication

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
)

// Defaults of the link's timing. Valkey's replication cron runs once per second: it reconnects a broken
// link, sends REPLCONF ACK and, while loading, a newline to the primary at that rate. Tests shorten them.
const (
	linkRetryMin       = time.Second
	linkRetryMax       = 5 * time.Second
	linkAckEvery       = time.Second
	linkKeepaliveEvery = time.Second
	// linkStepTimeout is Valkey's repl-syncio-timeout: each synchronous handshake read or write.
	linkStepTimeout = 5 * time.Second
	// linkDefaultTimeout stands in for a repl-timeout of 0, which Valkey's config does not allow.
	linkDefaultTimeout = 60 * time.Second
)

// errLinkStopped ends a session because Stop was called.
var errLinkStopped = errors.New("replication link stopped")

// Link is the replica side of replication: one goroutine that connects to the primary, performs the
// handshake, receives a full or partial resynchronisation and then applies the stream, reconnecting with
// a backoff whenever any of that fails, until Stop.
type Link struct {
	cfg  LinkConfig
	host ReplicaHost
	log  zerolog.Logger

	timeout atomic.Int64 // repl-timeout in nanoseconds; SetTimeout changes it at runtime
	// failoverSent: the one PSYNC FAILOVER of cfg.Failover went out (only the link goroutine touches it)
	failoverSent bool

	// Timing knobs, set by NewLink to the constants above; tests shorten them before Start.
	retryMin, retryMax time.Duration
	ackEvery           time.Duration
	keepaliveEvery     time.Duration
	stepTimeout        time.Duration

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{} // closed when the run goroutine has returned

	mu        sync.Mutex
	started   bool
	stopped   bool
	conn      net.Conn // the current connection, closed by Stop to unblock the goroutines
	state     LinkState
	up        bool
	downSince time.Time
	syncing   bool
	syncTotal int64

	// Updated on every read, so kept out of the mutex.
	lastIO     atomic.Int64 // unix nanoseconds of the last byte from the primary, 0 if none
	syncRead   atomic.Int64
	syncLastIO atomic.Int64
	readOff    atomic.Int64 // slave_read_repl_offset
}

// NewLink returns a link to the primary cfg names. Nothing happens until Start.
func NewLink(cfg LinkConfig, host ReplicaHost, log zerolog.Logger) *Link {
	ctx, cancel := context.WithCancel(context.Background())
	l := &Link{
		cfg:            cfg,
		host:           host,
		log:            log,
		retryMin:       linkRetryMin,
		retryMax:       linkRetryMax,
		ackEvery:       linkAckEvery,
		keepaliveEvery: linkKeepaliveEvery,
		stepTimeout:    linkStepTimeout,
		ctx:            ctx,
		cancel:         cancel,
		done:           make(chan struct{}),
		state:          LinkConnect,
	}
	if l.cfg.Dial == nil {
		var d net.Dialer
		l.cfg.Dial = func(ctx context.Context, addr string) (net.Conn, error) { return d.DialContext(ctx, "tcp", addr) }
	}
	l.timeout.Store(int64(cfg.Timeout))
	return l
}

// Start launches the link's goroutine. Calling it again, or after Stop, does nothing.
func (l *Link) Start() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.started || l.stopped {
		return
	}
	l.started = true
	go l.run()
}

// Stop closes the connection and returns once every goroutine of the link is gone. It must not be called
// with the node's lock held: the link's goroutine may be inside a ReplicaHost call waiting for that lock.
// A load from a temporary file (repl-diskless-load disabled) is not interrupted: Stop waits for it. If
// the link was up, the goroutine reports LinkDown before it ends.
func (l *Link) Stop() {
	l.mu.Lock()
	if !l.stopped {
		l.stopped = true
		l.cancel()
		if l.conn != nil {
			_ = l.conn.Close()
		}
	}
	started := l.started
	l.mu.Unlock()
	if started {
		<-l.done
	}
	l.mu.Lock()
	l.state = LinkNone
	l.syncing = false
	l.mu.Unlock()
}

// SetTimeout changes repl-timeout; it applies from the next read on.
func (l *Link) SetTimeout(d time.Duration) { l.timeout.Store(int64(d)) }

// Status is the link's state for INFO replication and ROLE. Safe from any goroutine.
func (l *Link) Status() LinkStatus {
	l.mu.Lock()
	st := LinkStatus{
		State:          l.state,
		Up:             l.up,
		DownSince:      l.downSince,
		SyncInProgress: l.syncing,
		SyncTotalBytes: l.syncTotal,
	}
	l.mu.Unlock()
	st.LastIO = unixNanoTime(l.lastIO.Load())
	if st.SyncInProgress {
		st.SyncReadBytes = l.syncRead.Load()
		st.SyncLastIO = unixNanoTime(l.syncLastIO.Load())
	}
	st.ReadReplOffset = l.readOff.Load()
	return st
}

func unixNanoTime(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}

// replTimeout is repl-timeout as it is now.
func (l *Link) replTimeout() time.Duration {
	if d := time.Duration(l.timeout.Load()); d > 0 {
		return d
	}
	return linkDefaultTimeout
}

func (l *Link) addr() string { return net.JoinHostPort(l.cfg.Host, strconv.Itoa(l.cfg.Port)) }

func (l *Link) setState(s LinkState) {
	l.mu.Lock()
	if !l.stopped {
		l.state = s
	}
	l.mu.Unlock()
}

// run is the link's goroutine: one session per connection, a backoff between them.
func (l *Link) run() {
	defer close(l.done)
	delay := l.retryMin
	for {
		wasUp, err := l.session()
		if l.ctx.Err() != nil {
			return
		}
		if err != nil {
			l.log.Warn().Msg(err.Error())
		}
		if wasUp {
			// A link that worked is retried at the base rate, like Valkey's once-per-second cron.
			delay = l.retryMin
		}
		l.setState(LinkConnect)
		t := time.NewTimer(delay)
		select {
		case <-l.ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		delay = min(delay*2, l.retryMax)
	}
}

// session runs one connection from dial to drop. wasUp tells whether the link reached "connected".
func (l *Link) session() (wasUp bool, err error) {
	l.setState(LinkConnecting)
	addr := l.addr()
	l.log.Info().Msgf("Connecting to PRIMARY %s", addr)
	dctx, cancel := context.WithTimeout(l.ctx, l.replTimeout())
	conn, err := l.cfg.Dial(dctx, addr)
	cancel()
	if err != nil {
		if l.ctx.Err() != nil {
			return false, errLinkStopped
		}
		return false, fmt.Errorf("Unable to connect to PRIMARY %s: %w", addr, err)
	}
	if !l.attach(conn) {
		_ = conn.Close()
		return false, errLinkStopped
	}
	defer l.detach()
	l.log.Info().Msg("PRIMARY <-> REPLICA sync started")

	c := newLinkConn(l, conn)
	l.setState(LinkHandshake)
	if err := l.handshake(c); err != nil {
		return false, err
	}
	if err := l.resync(c); err != nil {
		return false, err
	}

	l.markUp()
	defer l.markDown()
	return true, l.stream(c)
}

// attach records conn as the current connection so Stop can close it; false if Stop came first.
func (l *Link) attach(conn net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stopped {
		return false
	}
	l.conn = conn
	return true
}

func (l *Link) detach() {
	l.mu.Lock()
	conn := l.conn
	l.conn = nil
	l.syncing = false
	l.mu.Unlock()
	if conn != nil {
		_ = conn.Close()
	}
}

func (l *Link) markUp() {
	l.mu.Lock()
	if !l.stopped {
		l.state = LinkConnected
	}
	l.up = true
	l.downSince = time.Time{}
	l.mu.Unlock()
	l.host.LinkUp()
}

func (l *Link) markDown() {
	l.mu.Lock()
	l.up = false
	l.downSince = time.Now()
	l.mu.Unlock()
	l.log.Info().Msg("Connection with primary lost.")
	l.host.LinkDown()
}
