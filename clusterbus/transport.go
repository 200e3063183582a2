package clusterbus

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	sockaddr "github.com/hashicorp/go-sockaddr"
	"github.com/hashicorp/memberlist"
	"github.com/rs/zerolog"

	"github.com/valkey-node/valkey-node/tlsmat"
)

// warnEvery limits how often one peer's recurring problem is logged as a warning: memberlist retries a
// misconfigured peer at every probe, and one warning a minute says as much as one a second. Repeats in
// between are logged at verbose.
const warnEvery = time.Minute

// DefaultBusDialTimeout bounds a bus connection's setup (TCP connect, TLS handshake and hello exchange)
// when TransportConfig.DialTimeout is zero. It also bounds one packet write on a pooled connection.
const DefaultBusDialTimeout = 5 * time.Second

// ErrTransportClosed is returned by the sending methods of a Transport after Shutdown.
var ErrTransportClosed = errors.New("clusterbus: transport is shut down")

// TransportConfig configures the cluster-bus transport.
type TransportConfig struct {
	// BindAddr is the IP address the bus listens on. Empty, "0.0.0.0" or "::" listen on every
	// interface; FinalAdvertiseAddr then advertises a private address unless memberlist is given one.
	BindAddr string

	// BindPort is the bus port. 0 lets the kernel choose one; Port reports it.
	BindPort int

	// TLS, when non-nil, makes every bus connection mutually authenticated TLS (tls-cluster yes): the
	// listener always requires and verifies a client certificate (BusServerConfig), and dials use
	// ClientConfig. Both read the manager's material at each handshake, so a reload applies to the next
	// connection while established ones keep their session. nil means plain TCP.
	TLS *tlsmat.Manager

	// Label is the cluster's identity, exchanged in the hello that starts every connection. A peer that
	// presents another label is disconnected and a warning names it. At most 255 bytes.
	Label string

	// Log receives the transport's operator messages: warnings for label mismatches and failed
	// outgoing TLS handshakes, verbose (Debug) lines for rejected incoming handshakes and dropped links.
	Log zerolog.Logger

	// DialTimeout bounds the setup of connections this node opens for packets (memberlist passes its
	// own timeout for streams) and the setup an accepted connection gets before it is dropped.
	// 0 = DefaultBusDialTimeout.
	DialTimeout time.Duration

	// Filter is a fault-injection hook for tests; production leaves it nil. It is asked about a peer,
	// named by its bus address ("ip:port" with the bus port the peer advertises), whenever traffic with
	// it is about to flow, and a false answer drops that traffic the way a network partition would:
	// packets to the peer are discarded (and reported sent, like a lost datagram), packets from it are
	// ignored, dials to it fail, and its connections are closed after their hello. Because it is asked
	// per packet and per connection, a test can partition and heal a running cluster by changing what
	// it answers. It must be safe for concurrent use and must not block.
	Filter func(peer string) bool
}

// Transport is a memberlist.NodeAwareTransport that carries both of memberlist's channels over TCP
// (optionally TLS); there is no UDP. Packets (gossip, probes, acks) travel as length-prefixed frames
// over one long-lived connection per peer, opened on first use and dropped on error; streams (push/pull,
// fallback pings, user messages) each get a fresh connection. See transport_hello.go for the wire format.
//
// Memberlist's own Label option is not needed: the transport enforces Label on every connection.
type Transport struct {
	cfg      TransportConfig
	log      zerolog.Logger
	ln       net.Listener
	port     int          // bound port
	advPort  atomic.Int32 // port announced in hellos: the one FinalAdvertiseAddr last returned
	packetCh chan *memberlist.Packet
	streamCh chan net.Conn

	ctx    context.Context // cancelled by Shutdown; aborts dials and handshakes in progress
	cancel context.CancelFunc
	wg     sync.WaitGroup // every goroutine the transport starts

	warnMu sync.Mutex
	warned map[string]time.Time // last warning per peer host and problem, see peerWarn

	mu      sync.Mutex
	closed  bool
	conns   map[net.Conn]struct{}  // every open TCP connection, both directions, until closed
	links   map[string]*packetLink // outgoing packet connections by "host:port"
	inbound map[net.Conn]BusLink   // accepted packet connections being read, by raw connection
}

var _ memberlist.NodeAwareTransport = (*Transport)(nil)

// NewTransport binds the bus port and starts accepting connections. With cfg.TLS set, the manager must
// already hold material: a bus that could complete no handshake is a configuration error.
func NewTransport(cfg TransportConfig) (*Transport, error) {
	if len(cfg.Label) > maxLabelLen {
		return nil, fmt.Errorf("clusterbus: label is %d bytes, at most %d are allowed", len(cfg.Label), maxLabelLen)
	}
	if cfg.TLS != nil && !cfg.TLS.Configured() {
		return nil, errors.New("clusterbus: tls-cluster is on but no TLS material is loaded")
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = DefaultBusDialTimeout
	}
	ip := net.ParseIP(cfg.BindAddr)
	if cfg.BindAddr != "" && ip == nil {
		return nil, fmt.Errorf("clusterbus: bind address %q is not an IP address", cfg.BindAddr)
	}
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: ip, Port: cfg.BindPort})
	if err != nil {
		return nil, fmt.Errorf("clusterbus: listen on bus port %s: %w",
			net.JoinHostPort(cfg.BindAddr, strconv.Itoa(cfg.BindPort)), err)
	}
	t := &Transport{
		cfg:      cfg,
		log:      cfg.Log.With().Str("component", "cluster-bus").Logger(),
		ln:       ln,
		port:     ln.Addr().(*net.TCPAddr).Port,
		packetCh: make(chan *memberlist.Packet),
		streamCh: make(chan net.Conn),
		conns:    make(map[net.Conn]struct{}),
		links:    make(map[string]*packetLink),
		inbound:  make(map[net.Conn]BusLink),
		warned:   make(map[string]time.Time),
	}
	t.advPort.Store(int32(t.port))
	t.ctx, t.cancel = context.WithCancel(context.Background())
	t.wg.Add(1)
	go t.acceptLoop()
	return t, nil
}

// Port returns the bound bus port (the kernel's choice when BindPort was 0).
func (t *Transport) Port() int { return t.port }

// FinalAdvertiseAddr implements memberlist.Transport. An explicit ip (memberlist's AdvertiseAddr) is
// used as given, with port, or the bound port when port is 0. Otherwise the bound IP is advertised, or,
// for a wildcard bind, the first private address of the host, always with the bound port.
func (t *Transport) FinalAdvertiseAddr(ip string, port int) (net.IP, int, error) {
	var addr net.IP
	if ip != "" {
		if addr = net.ParseIP(ip); addr == nil {
			return nil, 0, fmt.Errorf("clusterbus: advertise address %q is not an IP address", ip)
		}
		if port == 0 {
			port = t.port
		}
	} else {
		addr = t.ln.Addr().(*net.TCPAddr).IP
		if addr.IsUnspecified() {
			priv, err := sockaddr.GetPrivateIP()
			if err != nil {
				return nil, 0, fmt.Errorf("clusterbus: find an address to advertise: %w", err)
			}
			if priv == "" {
				return nil, 0, errors.New("clusterbus: the bus listens on all interfaces and no private address was found: set an advertise address")
			}
			if addr = net.ParseIP(priv); addr == nil {
				return nil, 0, fmt.Errorf("clusterbus: private address %q is not an IP address", priv)
			}
		}
		port = t.port
	}
	if v4 := addr.To4(); v4 != nil {
		addr = v4
	}
	t.advPort.Store(int32(port))
	return addr, port, nil
}

// PacketCh implements memberlist.Transport: packets received on any peer's packet connection, each
// stamped with the time its frame was read, From being the peer's IP with its advertised bus port.
func (t *Transport) PacketCh() <-chan *memberlist.Packet { return t.packetCh }

// StreamCh implements memberlist.Transport: accepted stream connections, hello already consumed.
// Memberlist owns and closes them; Shutdown closes any still open.
func (t *Transport) StreamCh() <-chan net.Conn { return t.streamCh }

// Shutdown implements memberlist.Transport: it stops accepting, aborts dials in progress, closes every
// connection (pooled packet links, accepted connections, and streams still held by memberlist), and
// returns once every goroutine of the transport has exited. Later calls do nothing.
func (t *Transport) Shutdown() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	conns := make([]net.Conn, 0, len(t.conns))
	for c := range t.conns {
		conns = append(conns, c)
	}
	t.mu.Unlock()

	t.cancel()
	err := t.ln.Close()
	for _, c := range conns {
		_ = c.Close()
	}
	t.wg.Wait()
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("clusterbus: close bus listener: %w", err)
	}
	return nil
}

// acceptLoop accepts bus connections until Shutdown, handing each to its own goroutine. Temporary
// accept errors (out of file descriptors) back off instead of spinning, as net/http does.
func (t *Transport) acceptLoop() {
	defer t.wg.Done()
	var delay time.Duration
	for {
		c, err := t.ln.Accept()
		if err != nil {
			if t.isClosed() {
				return
			}
			if delay == 0 {
				delay = 5 * time.Millisecond
			} else if delay *= 2; delay > time.Second {
				delay = time.Second
			}
			t.log.Warn().Err(err).Dur("retry_in", delay).Msg("Cluster bus accept failed")
			select {
			case <-time.After(delay):
			case <-t.ctx.Done():
				return
			}
			continue
		}
		delay = 0
		if !t.track(c) {
			_ = c.Close()
			return
		}
		t.wg.Add(1) // safe: acceptLoop's own count keeps the group above zero
		go t.serveConn(c)
	}
}

// allowed applies the Filter test hook: whether traffic with peer ("ip:bus-port") may flow.
func (t *Transport) allowed(peer string) bool {
	return t.cfg.Filter == nil || t.cfg.Filter(peer)
}

// errFiltered is the error of a dial that the Filter test hook refused.
var errFiltered = errors.New("clusterbus: peer unreachable (dropped by the transport's test filter)")

func (t *Transport) isClosed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.closed
}

// track registers an open TCP connection so that Shutdown can close it. It returns false, and the
// caller must close c itself, once Shutdown has begun.
func (t *Transport) track(c net.Conn) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return false
	}
	t.conns[c] = struct{}{}
	return true
}

// closeConn closes a connection (tlsConn may be its TLS layer, or c itself) and forgets it.
func (t *Transport) closeConn(raw, conn net.Conn) error {
	t.mu.Lock()
	delete(t.conns, raw)
	t.mu.Unlock()
	return conn.Close()
}

// peerWarn returns a warning event for problem what with peer ("host:port"), or a verbose one when the
// same problem with the same host was warned about less than warnEvery ago.
func (t *Transport) peerWarn(peer, what string) *zerolog.Event {
	host := peer
	if h, _, err := net.SplitHostPort(peer); err == nil {
		host = h // accepted connections come from ephemeral ports: the host is the peer
	}
	key := host + "|" + what
	now := time.Now()
	t.warnMu.Lock()
	defer t.warnMu.Unlock()
	if last, ok := t.warned[key]; ok && now.Sub(last) < warnEvery {
		return t.log.Debug().Bool("repeated", true)
	}
	if len(t.warned) >= 1024 { // bound the memory a scan of many hosts could take
		for k, last := range t.warned {
			if now.Sub(last) >= warnEvery {
				delete(t.warned, k)
			}
		}
		if len(t.warned) >= 1024 {
			clear(t.warned)
		}
	}
	t.warned[key] = now
	return t.log.Warn()
}
