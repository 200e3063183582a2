package clusterbus

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/memberlist"
)

const (
	// maxPacketSize bounds one frame. Memberlist keeps its packets under UDPBufferSize (1400 bytes by
	// default); the bound only protects the reader from a corrupt or hostile length.
	maxPacketSize = 4 << 20

	// linkQueueLen is how many packets may wait for one peer's connection. Memberlist treats packets as
	// best-effort, so a full queue (peer unreachable or too slow) drops the packet with an error.
	linkQueueLen = 1024

	// maxWriteBatch caps how many queued bytes one write coalesces.
	maxWriteBatch = 64 << 10
)

// packetLink is the long-lived outgoing packet connection to one peer. A sender goroutine dials it on
// first use and writes queued frames; a reader goroutine notices the peer closing it. Any error evicts
// the link from the pool; the next packet to that address starts a new one.
type packetLink struct {
	t    *Transport
	addr string
	q    chan []byte   // framed packets
	gone chan struct{} // closed on eviction
	once sync.Once

	// For CLUSTER LINKS: when the connection came up (unix ms, 0 while dialing), the bytes queued or
	// being written, and the capacity of the write buffer.
	created, pending, bufCap atomic.Int64
}

// WriteTo implements memberlist.Transport; see WriteToAddress.
func (t *Transport) WriteTo(b []byte, addr string) (time.Time, error) {
	return t.WriteToAddress(b, memberlist.Address{Addr: addr})
}

// WriteToAddress implements memberlist.NodeAwareTransport. It queues b on the peer's packet connection
// and returns at once, like a UDP send: dialing and writing happen on the link's goroutine, so a peer
// that does not answer never stalls memberlist's probe or gossip loop. The returned time is when the
// packet was queued; on loopback and healthy links the write follows within microseconds. An error means
// the packet was dropped (transport shut down, oversized, or the peer's queue full).
func (t *Transport) WriteToAddress(b []byte, a memberlist.Address) (time.Time, error) {
	if len(b) > maxPacketSize {
		return time.Time{}, fmt.Errorf("clusterbus: packet of %d bytes to %s exceeds %d", len(b), a, maxPacketSize)
	}
	if !t.allowed(a.Addr) {
		return time.Now(), nil // lost on the way, as far as the sender can tell
	}
	frame := make([]byte, 4+len(b))
	binary.BigEndian.PutUint32(frame, uint32(len(b)))
	copy(frame[4:], b)

	l, err := t.link(a.Addr)
	if err != nil {
		return time.Time{}, err
	}
	l.pending.Add(int64(len(frame)))
	select {
	case l.q <- frame:
		return time.Now(), nil
	default:
		l.pending.Add(-int64(len(frame)))
		return time.Time{}, fmt.Errorf("clusterbus: send queue to %s is full, packet dropped", a)
	}
}

// link returns the pooled link to addr, starting one if there is none.
func (t *Transport) link(addr string) (*packetLink, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil, ErrTransportClosed
	}
	if l := t.links[addr]; l != nil {
		return l, nil
	}
	l := &packetLink{t: t, addr: addr, q: make(chan []byte, linkQueueLen), gone: make(chan struct{})}
	t.links[addr] = l
	t.wg.Add(1) // under t.mu with closed false: Shutdown has not started waiting
	go l.run()
	return l, nil
}

// evict removes the link from the pool (if it is still the pooled one) and wakes its sender.
func (l *packetLink) evict() {
	l.once.Do(func() {
		l.t.mu.Lock()
		if l.t.links[l.addr] == l {
			delete(l.t.links, l.addr)
		}
		l.t.mu.Unlock()
		close(l.gone)
	})
}

// run is the link's sender: dial, then write frames as they come, coalescing what is queued.
func (l *packetLink) run() {
	t := l.t
	defer t.wg.Done()
	defer l.evict()
	raw, conn, err := t.dial(l.addr, connPacket, t.cfg.DialTimeout)
	if err != nil {
		if !errors.Is(err, ErrTransportClosed) {
			t.log.Debug().Str("peer", l.addr).Err(err).Msg("Cluster bus packet link could not be opened")
		}
		return
	}
	defer func() { _ = t.closeConn(raw, conn) }()
	l.created.Store(time.Now().UnixMilli())

	// The acceptor never writes on a packet connection: any read result means the peer closed it or
	// broke the protocol, and either way the link is done.
	t.wg.Add(1) // run's own count keeps the group above zero
	go func() {
		defer t.wg.Done()
		var b [1]byte
		_, rerr := conn.Read(b[:])
		if rerr == nil {
			rerr = errors.New("unexpected data on a packet connection")
		}
		select {
		case <-l.gone:
		default:
			if !t.isClosed() {
				t.log.Debug().Str("peer", l.addr).Err(rerr).Msg("Cluster bus packet link closed by peer")
			}
		}
		l.evict()
	}()

	buf := make([]byte, 0, maxWriteBatch)
	l.bufCap.Store(int64(cap(buf)))
	for {
		select {
		case f := <-l.q:
			buf = append(buf[:0], f...)
		coalesce:
			for len(buf) < maxWriteBatch {
				select {
				case f := <-l.q:
					buf = append(buf, f...)
				default:
					break coalesce
				}
			}
			if err := conn.SetWriteDeadline(time.Now().Add(t.cfg.DialTimeout)); err != nil {
				return
			}
			_, err := conn.Write(buf)
			l.pending.Add(-int64(len(buf)))
			if err != nil {
				if !t.isClosed() {
					t.log.Debug().Str("peer", l.addr).Err(err).Msg("Cluster bus packet link failed, dropped")
				}
				return
			}
		case <-l.gone:
			return
		case <-t.ctx.Done():
			return
		}
	}
}

// readPackets reads frames from an accepted packet connection until it fails, delivering each to
// PacketCh stamped with the time it was read. From is the peer's IP with its advertised bus port, as a
// UDP transport would report it, so that replies addressed to From reach the peer's bus.
func (t *Transport) readPackets(raw, conn net.Conn, h hello) {
	defer func() { _ = t.closeConn(raw, conn) }()
	from := &net.TCPAddr{Port: h.port}
	if ra, ok := raw.RemoteAddr().(*net.TCPAddr); ok {
		from.IP, from.Zone = ra.IP, ra.Zone
		if from.Port == 0 {
			from.Port = ra.Port
		}
	}
	t.mu.Lock()
	t.inbound[raw] = BusLink{Inbound: true, Peer: from.String(), Created: time.Now().UnixMilli()}
	t.mu.Unlock()
	defer func() {
		t.mu.Lock()
		delete(t.inbound, raw)
		t.mu.Unlock()
	}()
	var hdr [4]byte
	for {
		if _, err := io.ReadFull(conn, hdr[:]); err != nil {
			if !t.isClosed() && !errors.Is(err, io.EOF) {
				t.log.Debug().Str("peer", from.String()).Err(err).Msg("Cluster bus packet connection lost")
			}
			return
		}
		n := binary.BigEndian.Uint32(hdr[:])
		if n == 0 || n > maxPacketSize {
			t.peerWarn(from.String(), "frame").Str("peer", from.String()).Uint32("length", n).
				Msg("Cluster bus packet connection closed: invalid frame length")
			return
		}
		// A fresh buffer each time: memberlist keeps packets queued after PacketCh hands them over.
		buf := make([]byte, n)
		if _, err := io.ReadFull(conn, buf); err != nil {
			if !t.isClosed() {
				t.log.Debug().Str("peer", from.String()).Err(err).Msg("Cluster bus packet connection lost mid-frame")
			}
			return
		}
		if !t.allowed(from.String()) {
			continue
		}
		p := &memberlist.Packet{Buf: buf, From: from, Timestamp: time.Now()}
		select {
		case t.packetCh <- p:
		case <-t.ctx.Done():
			return
		}
	}
}

// BusLink is one long-lived packet connection of the bus, as CLUSTER LINKS shows it. Streams, which
// carry one exchange each, are not links.
type BusLink struct {
	// Inbound: the peer opened it and sends on it ("from"); else this node does ("to").
	Inbound bool
	// Peer is the peer's bus address, ip:port with the bus port it advertises.
	Peer string
	// Created is when the connection came up, in unix ms.
	Created int64
	// SendBufAllocated is the memory held for sending (the write buffer and the queued packets),
	// SendBufUsed the bytes queued or being written. Both are 0 on an inbound link, which only reads.
	SendBufAllocated, SendBufUsed int64
}

// Links lists the packet connections that are up, outbound ones first, each group by peer address.
func (t *Transport) Links() []BusLink {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out, in []BusLink
	for addr, l := range t.links {
		created := l.created.Load()
		if created == 0 {
			continue // still dialing
		}
		used := max(l.pending.Load(), 0)
		out = append(out, BusLink{Peer: addr, Created: created, SendBufAllocated: l.bufCap.Load() + used, SendBufUsed: used})
	}
	for _, l := range t.inbound {
		in = append(in, l)
	}
	byPeer := func(a, b BusLink) int {
		return cmp.Or(strings.Compare(a.Peer, b.Peer), cmp.Compare(a.Created, b.Created))
	}
	slices.SortFunc(out, byPeer)
	slices.SortFunc(in, byPeer)
	return append(out, in...)
}
