package replication

import (
	"time"
)

// Stream commands the primary generates itself. Both count in the offset like any fed command.
var (
	pingCommand   = []byte("*1\r\n$4\r\nPING\r\n")
	getackCommand = []byte("*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n")
)

// Feed appends stream bytes (complete RESP commands, SELECT included) to the backlog and to every
// replica's output. It only copies: the writers send the bytes later, outside the node's lock. The
// backlog is created on first use (and after a TTL free, by the next replica's sync). data is not kept.
// Wanted reports whether Feed would keep anything: a backlog exists (or was freed by its TTL, whose
// offset keeps counting) or a replica is connected. The node skips encoding its stream when nothing
// wants it, so that, as with Valkey, a primary that never had a replica keeps no backlog.
func (p *Primary) Wanted() bool {
	// called for every write command: no defer on this path
	p.mu.Lock()
	w := p.bl.active || p.freedByTTL || len(p.replicas) > 0
	p.mu.Unlock()
	return w
}

func (p *Primary) Feed(data []byte) {
	if len(data) == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.feedLocked(data)
}

func (p *Primary) feedLocked(data []byte) {
	if !p.bl.active && !p.freedByTTL {
		p.bl.activate()
	}
	p.bl.feed(data)
	var over []*primaryReplica
	for _, r := range p.replicas {
		switch {
		case r.streaming:
			r.out = append(r.out, data...)
			r.signal()
		case r.registered:
			r.held = append(r.held, data...)
		default:
			// Waiting for its snapshot: the snapshot will contain the effect of these bytes.
			continue
		}
		if p.overLimitLocked(r, time.Time{}) {
			over = append(over, r)
		}
	}
	for _, r := range over {
		p.dropOverLimitLocked(r)
	}
}

// overLimitLocked applies client-output-buffer-limit replica: above Hard at once, above Soft for longer
// than SoftSeconds. now is zero when called from Feed (the clock is read only when above the soft limit).
func (p *Primary) overLimitLocked(r *primaryReplica, now time.Time) bool {
	n := r.pendingLocked()
	if p.cfg.OutputHard > 0 && n >= p.cfg.OutputHard {
		return true
	}
	if p.cfg.OutputSoft <= 0 || n < p.cfg.OutputSoft {
		r.softSince = time.Time{}
		return false
	}
	if now.IsZero() {
		now = time.Now()
	}
	if r.softSince.IsZero() {
		r.softSince = now
		return false
	}
	return now.Sub(r.softSince) >= p.cfg.OutputSoftFor
}

func (p *Primary) dropOverLimitLocked(r *primaryReplica) {
	p.log.Warn().Uint64("id", r.rc.ID).Str("addr", r.rc.Addr).Int64("omem", r.pendingLocked()).
		Str("class", "replica").
		Msgf("Client id=%d addr=%s scheduled to be closed ASAP for overcoming of output buffer limits.",
			r.rc.ID, r.rc.Addr)
	p.dropLocked(r)
}

// RequestAcks queues one REPLCONF GETACK * for WAIT; replicas answer with REPLCONF ACK. Nothing is fed
// without replicas (there is nobody to answer, and the offset stays put).
func (p *Primary) RequestAcks() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.replicas) > 0 {
		p.feedLocked(getackCommand)
	}
}

// Cron is the periodic work (~10 Hz): a PING into the stream every PingPeriod while there are replicas
// (0 disables it), dropping online replicas that have not acked for Timeout, the soft output limit of
// replicas that receive no new stream, and freeing the backlog after BacklogTTL without replicas.
//
// Valkey frees the backlog only on a primary: a node that is a replica should set BacklogTTL to 0 while
// it is one, so that it keeps the history its siblings need after a promotion.
func (p *Primary) Cron(now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	if p.cfg.PingPeriod > 0 && len(p.replicas) > 0 && now.Sub(p.lastPing) >= p.cfg.PingPeriod {
		p.lastPing = now
		p.feedLocked(pingCommand)
	}
	for _, r := range append([]*primaryReplica(nil), p.replicas...) {
		switch {
		case p.cfg.Timeout > 0 && r.state == StateOnline && now.Sub(r.ackTime) > p.cfg.Timeout:
			p.log.Warn().Msgf("Disconnecting timedout replica (streaming sync): %s", r.name)
			p.dropLocked(r)
		case (r.streaming || r.registered) && p.overLimitLocked(r, now):
			p.dropOverLimitLocked(r)
		}
	}
	if ttl := p.cfg.BacklogTTL; ttl > 0 && p.bl.active && len(p.replicas) == 0 && now.Sub(p.noReplicasSince) >= ttl {
		p.log.Info().Msgf("Replication backlog freed after %d seconds without connected replicas.", int64(ttl/time.Second))
		p.bl.free()
		p.freedByTTL = true
	}
}
