package clusterbus

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"
)

// Wire format of a bus connection, after the TLS handshake when tls-cluster is on:
//
//	dialer   → acceptor  hello{kind: connPacket | connStream}
//	acceptor → dialer    hello{kind: connReply}
//	hello = "VKBS" | version u8 | kind u8 | advertised bus port u16 | label length u8 | label
//
// Integers are big-endian. The acceptor answers only a well-formed hello, so that a stray client (a port
// scanner, a client that mistook the bus port for the client port) gets nothing back. Each side checks
// the other's label and drops the connection on a mismatch; the acceptor still sends its reply first so
// that the dialer can say which label it met. Then, on a packet connection, the dialer sends frames
//
//	frame = length u32 | memberlist packet
//
// and the acceptor sends nothing; a stream connection is handed to memberlist as is.

const (
	helloMagic   = "VKBS"
	helloVersion = 1
	helloFixed   = len(helloMagic) + 1 + 1 + 2 + 1 // up to and including the label length

	connPacket byte = 'P' // long-lived, carries packet frames one way
	connStream byte = 'S' // one memberlist stream
	connReply  byte = 'R' // the acceptor's answer

	maxLabelLen = 255
)

// hello is what each end of a connection says about itself first.
type hello struct {
	kind  byte
	port  int // the sender's advertised bus port, so that packets can name a reachable From address
	label string
}

func (h hello) encode() []byte {
	b := make([]byte, 0, helloFixed+len(h.label))
	b = append(b, helloMagic...)
	b = append(b, helloVersion, h.kind)
	b = binary.BigEndian.AppendUint16(b, uint16(h.port))
	b = append(b, byte(len(h.label)))
	return append(b, h.label...)
}

// errNotBus marks a hello that is not one, so that the acceptor can log stray clients at verbose.
var errNotBus = errors.New("not a cluster bus hello")

// readHello reads exactly one hello (never more, so that nothing of what follows is buffered away).
func readHello(r io.Reader) (hello, error) {
	var fixed [helloFixed]byte
	if _, err := io.ReadFull(r, fixed[:]); err != nil {
		return hello{}, fmt.Errorf("read hello: %w", err)
	}
	if string(fixed[:len(helloMagic)]) != helloMagic {
		return hello{}, fmt.Errorf("%w: bad magic %q", errNotBus, fixed[:len(helloMagic)])
	}
	p := fixed[len(helloMagic):]
	if p[0] != helloVersion {
		return hello{}, fmt.Errorf("%w: unsupported version %d", errNotBus, p[0])
	}
	h := hello{kind: p[1], port: int(binary.BigEndian.Uint16(p[2:4]))}
	label := make([]byte, p[4])
	if _, err := io.ReadFull(r, label); err != nil {
		return hello{}, fmt.Errorf("read hello label: %w", err)
	}
	h.label = string(label)
	return h, nil
}

func (t *Transport) ourHello(kind byte) hello {
	return hello{kind: kind, port: int(t.advPort.Load()), label: t.cfg.Label}
}

// labelMismatchError is returned by a dial whose peer belongs to another cluster.
type labelMismatchError struct{ peer, ours, theirs string }

func (e *labelMismatchError) Error() string {
	return fmt.Sprintf("clusterbus: peer %s has cluster label %q, this node has %q", e.peer, e.theirs, e.ours)
}

// dial opens a bus connection of the given kind to addr: TCP, TLS when configured, then the hello
// exchange, all within timeout. It returns the raw TCP connection (the key under which it is tracked)
// and the connection to use (the TLS layer, or raw itself).
func (t *Transport) dial(addr string, kind byte, timeout time.Duration) (_, _ net.Conn, err error) {
	if !t.allowed(addr) {
		return nil, nil, fmt.Errorf("clusterbus: connect to %s: %w", addr, errFiltered)
	}
	deadline := time.Now().Add(timeout)
	ctx, cancel := context.WithDeadline(t.ctx, deadline)
	defer cancel()
	var d net.Dialer
	raw, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		if t.ctx.Err() != nil {
			return nil, nil, ErrTransportClosed
		}
		return nil, nil, fmt.Errorf("clusterbus: connect to %s: %w", addr, err)
	}
	if !t.track(raw) {
		_ = raw.Close()
		return nil, nil, ErrTransportClosed
	}
	conn := raw
	defer func() { // on any failure below, err being the named result
		if err != nil {
			_ = t.closeConn(raw, conn)
			if t.ctx.Err() != nil {
				err = ErrTransportClosed
			}
		}
	}()
	// Shutdown closes raw, which unblocks the handshake and the hello read below.
	if err = raw.SetDeadline(deadline); err != nil {
		return nil, nil, fmt.Errorf("clusterbus: connect to %s: %w", addr, err)
	}
	if t.cfg.TLS != nil {
		cfg, cerr := t.cfg.TLS.ClientConfig("")
		if cerr != nil {
			return nil, nil, fmt.Errorf("clusterbus: TLS to %s: %w", addr, cerr)
		}
		tc := tls.Client(raw, cfg)
		conn = tc
		if err = tc.HandshakeContext(ctx); err != nil {
			if t.ctx.Err() == nil {
				t.peerWarn(addr, "tls").Str("peer", addr).Err(err).Msg("Cluster bus TLS handshake with peer failed")
			}
			return nil, nil, fmt.Errorf("clusterbus: TLS handshake with %s: %w", addr, err)
		}
	}
	if _, err = conn.Write(t.ourHello(kind).encode()); err != nil {
		return nil, nil, fmt.Errorf("clusterbus: send hello to %s: %w", addr, err)
	}
	h, err := readHello(conn)
	if err != nil {
		// With TLS 1.3 the client's handshake completes before the server has judged the client
		// certificate; a rejection arrives here, as a TLS alert, and is worth a warning.
		var op *net.OpError
		if t.ctx.Err() == nil && errors.As(err, &op) && op.Op == "remote error" {
			t.peerWarn(addr, "tls").Str("peer", addr).Err(err).
				Msg("Cluster bus peer refused the TLS session (does it trust this node's certificate?)")
		}
		return nil, nil, fmt.Errorf("clusterbus: hello from %s: %w", addr, err)
	}
	if h.kind != connReply {
		return nil, nil, fmt.Errorf("clusterbus: hello from %s: unexpected connection type %q", addr, h.kind)
	}
	if h.label != t.cfg.Label {
		err = &labelMismatchError{peer: addr, ours: t.cfg.Label, theirs: h.label}
		t.peerWarn(addr, "label").Str("peer", addr).Str("peer_label", h.label).Str("label", t.cfg.Label).
			Msg("Cluster bus peer belongs to another cluster (label mismatch), connection closed")
		return nil, nil, err
	}
	if err = raw.SetDeadline(time.Time{}); err != nil {
		return nil, nil, fmt.Errorf("clusterbus: connect to %s: %w", addr, err)
	}
	return raw, conn, nil
}

// accept runs the acceptor's side of a connection's setup (TLS handshake, hello exchange, label check)
// within the dial timeout. On failure it logs why, at verbose for handshakes that never got as far as a
// bus hello and as a warning for a peer of another cluster, and the caller closes the connection.
func (t *Transport) accept(raw net.Conn) (conn net.Conn, h hello, err error) {
	peer := raw.RemoteAddr().String()
	if err = raw.SetDeadline(time.Now().Add(t.cfg.DialTimeout)); err != nil {
		return raw, hello{}, err
	}
	conn = raw
	if t.cfg.TLS != nil {
		tc := tls.Server(raw, t.cfg.TLS.BusServerConfig())
		conn = tc
		if err = tc.HandshakeContext(t.ctx); err != nil {
			var rh tls.RecordHeaderError
			if errors.As(err, &rh) {
				// the peer is a bus speaking plain text (or something else entirely): say what to fix
				t.peerWarn(peer, "plain").Str("peer", peer).Err(err).
					Msg("Cluster bus connection refused: the peer does not speak TLS; every node of this cluster needs tls-cluster yes")
				return conn, hello{}, err
			}
			t.log.Debug().Str("peer", peer).Err(err).Msg("Cluster bus connection refused: TLS handshake failed")
			return conn, hello{}, err
		}
		// BusServerConfig always demands a verified client certificate; check anyway, since a bus
		// link without mutual authentication must never come up.
		if st := tc.ConnectionState(); len(st.PeerCertificates) == 0 || len(st.VerifiedChains) == 0 {
			err = errors.New("no verified client certificate")
			t.peerWarn(peer, "tls").Str("peer", peer).Msg("Cluster bus connection refused: no verified client certificate")
			return conn, hello{}, err
		}
	}
	if h, err = readHello(conn); err != nil {
		t.log.Debug().Str("peer", peer).Err(err).Msg("Cluster bus connection refused: no valid hello")
		return conn, hello{}, err
	}
	if h.kind != connPacket && h.kind != connStream {
		err = fmt.Errorf("%w: connection type %q", errNotBus, h.kind)
		t.log.Debug().Str("peer", peer).Err(err).Msg("Cluster bus connection refused: no valid hello")
		return conn, hello{}, err
	}
	if ra, ok := raw.RemoteAddr().(*net.TCPAddr); ok && !t.allowed(net.JoinHostPort(ra.IP.String(), strconv.Itoa(h.port))) {
		return conn, hello{}, errFiltered // no reply: the peer sees what a partition would show it
	}
	if _, err = conn.Write(t.ourHello(connReply).encode()); err != nil {
		t.log.Debug().Str("peer", peer).Err(err).Msg("Cluster bus connection dropped during hello")
		return conn, hello{}, err
	}
	if h.label != t.cfg.Label {
		t.peerWarn(peer, "label").Str("peer", peer).Int("peer_bus_port", h.port).Str("peer_label", h.label).
			Str("label", t.cfg.Label).Msg("Cluster bus peer belongs to another cluster (label mismatch), connection closed")
		return conn, hello{}, &labelMismatchError{peer: peer, ours: t.cfg.Label, theirs: h.label}
	}
	if err = raw.SetDeadline(time.Time{}); err != nil {
		return conn, hello{}, err
	}
	return conn, h, nil
}

// serveConn sets up one accepted connection and then serves it according to its kind.
func (t *Transport) serveConn(raw net.Conn) {
	defer t.wg.Done()
	conn, h, err := t.accept(raw)
	if err != nil {
		_ = t.closeConn(raw, conn)
		return
	}
	switch h.kind {
	case connPacket:
		t.readPackets(raw, conn, h)
	case connStream:
		t.handOffStream(raw, conn)
	}
}
