package clusterbus

import (
	"errors"
	"math/rand/v2"
	"net"
	"strconv"
	"time"

	"github.com/hashicorp/memberlist"
)

// meetRetry is the pause between two attempts of one MEET.
const meetRetry = 100 * time.Millisecond

// handshakeTimeoutLocked is how long a MEET keeps trying: Valkey's handshake timeout, node-timeout but
// at least one second.
func (c *Cluster) handshakeTimeoutLocked() time.Duration {
	return max(time.Duration(c.nt)*time.Millisecond, time.Second)
}

// Meet is CLUSTER MEET ip port [cport]: join the node whose bus listens on ip:busPort (busPort 0 =
// port+10000). Like Valkey's, it returns at once and the handshake goes on in the background: this node
// joins the peer's memberlist, then sends it a MEET with everything it knows; the peer adds it, tells
// the rest of its cluster, and answers with everything it knows. A peer that cannot be reached within
// the handshake timeout, or that belongs to another cluster (label) or does not trust this node's
// certificate, is given up with a warning.
func (c *Cluster) Meet(ip string, port, busPort int) error {
	addr := net.ParseIP(ip)
	if busPort == 0 {
		busPort = port + 10000
	}
	if addr == nil || port <= 0 || port > 65535 || busPort <= 0 || busPort > 65535 {
		return replyErrorf("ERR Invalid node address specified: %s:%d", ip, port)
	}
	if v4 := addr.To4(); v4 != nil {
		addr = v4
	}
	nonce := rand.Uint64() | 1
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClusterClosed
	}
	hs := c.handshakeTimeoutLocked()
	c.meets[nonce] = nowMS() + (hs + c.tm.TCPTimeout).Milliseconds()
	c.wg.Add(1)
	c.mu.Unlock()
	go c.meet(addr, busPort, nonce, time.Now().Add(hs))
	return nil
}

// meet runs one MEET until it is delivered, the handshake times out (deadline), or the bus closes.
func (c *Cluster) meet(ip net.IP, busPort int, nonce uint64, deadline time.Time) {
	defer c.wg.Done()
	addr := net.JoinHostPort(ip.String(), strconv.Itoa(busPort))
	for {
		err := c.meetOnce(addr, ip, busPort, nonce)
		if err == nil {
			c.log.Debug().Str("peer", addr).Msg("Cluster bus: MEET delivered")
			return
		}
		if errors.Is(err, ErrClusterClosed) || errors.Is(err, ErrTransportClosed) {
			return
		}
		if time.Now().After(deadline) {
			c.log.Warn().Err(err).Str("peer", addr).Msg("CLUSTER MEET failed: handshake with the node timed out")
			c.mu.Lock()
			delete(c.meets, nonce)
			c.mu.Unlock()
			return
		}
		select {
		case <-c.stop:
			return
		case <-time.After(meetRetry):
		}
	}
}

// meetOnce joins the peer's memberlist and sends it the MEET.
func (c *Cluster) meetOnce(addr string, ip net.IP, busPort int, nonce uint64) error {
	if _, err := c.ml.Join([]string{addr}); err != nil {
		return err
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClusterClosed
	}
	msg := encodeState(msgMeet, c.st.Myself().ID, nonce, c.allRecordsLocked())
	c.mu.Unlock()
	if err := c.ml.SendReliable(&memberlist.Node{Addr: ip, Port: uint16(busPort)}, msg); err != nil {
		return err
	}
	c.statsMu.Lock()
	c.stats.Sent[MsgMeet]++
	c.statsMu.Unlock()
	return nil
}

// handleMeetLocked processes a MEET (from anyone the transport let in: same label, trusted
// certificate) or the answer to one of this node's MEETs. Either carries the sender's record first
// and then the records it knows, which are all applied; the sender's record is then passed on so that
// the rest of the cluster learns the new node.
func (c *Cluster) handleMeetLocked(t msgType, sender string, known bool, nonce uint64, recs []decodedRecord, now int64, fx *effects) error {
	st := c.st
	if len(recs) == 0 || recs[0].rec.ID != sender {
		return errors.New("clusterbus: MEET without its sender's record")
	}
	if ttl, banned := st.BlacklistTTL(sender, now); banned {
		if t == msgMeet {
			c.log.Info().Str("node", sender).Int64("ban_left_ms", ttl).
				Msg("MEET from node " + sender + " ignored: it was forgotten (CLUSTER FORGET), " +
					strconv.FormatInt((ttl+999)/1000, 10) + " s of the ban left")
		}
		return nil
	}
	first := recs[0]
	if t == msgMeetReply {
		if _, ok := c.meets[nonce]; !ok && !known {
			return nil
		}
		delete(c.meets, nonce)
	}
	for _, r := range c.applyRecords(recs, now, fx) {
		if r.rec.ID == sender {
			fx.relays = append(fx.relays, relay{sender, r.raw})
		}
	}
	if t == msgMeet {
		if !known {
			c.log.Info().Str("node", sender).Str("addr", first.rec.IP).Int("bus_port", first.rec.BusPort).
				Msg("MEET received: node " + sender + " added")
		}
		reply := encodeState(msgMeetReply, st.Myself().ID, nonce, c.allRecordsLocked())
		fx.sends = append(fx.sends, outMsg{first.rec.IP, first.rec.BusPort, reply})
	}
	return nil
}
