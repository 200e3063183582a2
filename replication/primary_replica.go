package replication

import (
	"errors"
	"fmt"
	"time"
)

// primaryReplica is one replica as the primary sees it: its state for INFO, its pending output and the
// goroutine that writes to its connection. Fields below the marker are guarded by Primary.mu.
type primaryReplica struct {
	rc    *ReplicaConn
	ip    string // announced or peer IP, for INFO
	name  string // ip:listening-port, for logs
	psync bool   // came with PSYNC (gets the +FULLRESYNC line), not SYNC
	job   *primarySyncJob

	wake     chan struct{} // cap 1: there is output (or the replica died)
	deadCh   chan struct{} // closed by dropLocked
	exited   chan struct{} // closed when the goroutine is gone
	fileDone chan struct{} // closed when a disk-based transfer is over (the job may remove the file)

	// guarded by Primary.mu
	state      ReplicaState
	registered bool // the snapshot was taken: Feed keeps the stream for this replica from now on
	streaming  bool // Feed appends to out (else to held, while registered)
	awaitAck   bool // diskless transfer done: held is released by the first ack
	out        []byte
	spare      []byte // the writer's previous buffer, reused by the next swap
	held       []byte // stream since the snapshot, kept until the transfer is over
	inflight   int    // stream bytes the writer took from out and is writing
	chunks     chan []byte
	ackOffset  int64
	ackTime    time.Time
	softSince  time.Time // since when output is above the soft limit (zero: below)
	dead       bool
	byNode     bool // Remove: the node already knows, don't call ReplicaGone
}

// maxSpare is the largest writer buffer kept for reuse; a burst larger than this is freed afterwards.
const maxSpare = 1 << 20

func newPrimaryReplica(rc *ReplicaConn, psync bool) *primaryReplica {
	ip, name := replicaName(rc)
	return &primaryReplica{
		rc:       rc,
		ip:       ip,
		name:     name,
		psync:    psync,
		wake:     make(chan struct{}, 1),
		deadCh:   make(chan struct{}),
		exited:   make(chan struct{}),
		fileDone: make(chan struct{}),
		state:    StateWaitBgsave,
	}
}

// pendingLocked is the replica's output-buffer size for the output limits and INFO: the stream waiting to
// be written, whether held back by a transfer or queued for the writer. Snapshot bytes don't count (Valkey
// doesn't count the RDB either); they are bounded by the transfer's own back-pressure.
func (r *primaryReplica) pendingLocked() int64 {
	return int64(len(r.out) + len(r.held) + r.inflight)
}

func (r *primaryReplica) signal() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// addLocked registers r and starts its goroutine.
func (p *Primary) addLocked(r *primaryReplica) {
	p.replicas = append(p.replicas, r)
	p.byID[r.rc.ID] = r
	p.wg.Add(1)
	go p.serve(r)
}

// dropLocked removes r and makes its goroutine stop: the deadline in the past unblocks a write stuck on
// a replica that does not read (closing could block: a TLS close writes an alert), and the goroutine then
// closes the connection itself.
func (p *Primary) dropLocked(r *primaryReplica) {
	if r.dead {
		return
	}
	r.dead = true
	close(r.deadCh)
	r.out, r.held, r.spare = nil, nil, nil
	delete(p.byID, r.rc.ID)
	for i, x := range p.replicas {
		if x == r {
			p.replicas = append(p.replicas[:i], p.replicas[i+1:]...)
			break
		}
	}
	if len(p.replicas) == 0 {
		p.noReplicasSince = time.Now()
	}
	_ = r.rc.Conn.SetWriteDeadline(time.Unix(1, 0))
	r.signal()
}

// releaseLocked ends a full sync: the stream kept since the snapshot goes out, and from now on Feed
// appends to out directly.
func (p *Primary) releaseLocked(r *primaryReplica) {
	r.out = append(r.out, r.held...)
	r.held = nil
	r.streaming = true
	r.signal()
}

// errReplicaDropped is what the writer sees when its replica was dropped under it.
var errReplicaDropped = errors.New("replica dropped")

// setDeadline arms the write deadline for the next write (repl-timeout during a transfer, none while
// streaming). It is done under mu so that it cannot overwrite the past deadline of a concurrent drop.
func (p *Primary) setDeadline(r *primaryReplica, timed bool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if r.dead {
		return errReplicaDropped
	}
	var t time.Time
	if timed && p.cfg.Timeout > 0 {
		t = time.Now().Add(p.cfg.Timeout)
	}
	return r.rc.Conn.SetWriteDeadline(t)
}

// write writes b to the replica with a repl-timeout deadline: a transfer that makes no progress for that
// long drops the replica, as Valkey's "Disconnecting timedout replica (full sync)".
func (p *Primary) write(r *primaryReplica, b []byte) error {
	if err := p.setDeadline(r, true); err != nil {
		return err
	}
	if _, err := r.rc.Conn.Write(b); err != nil {
		return fmt.Errorf("write to replica %s: %w", r.name, err)
	}
	return nil
}

// serve is the replica's goroutine: the full sync if there is one, then the stream until the replica is
// dropped or its connection fails.
func (p *Primary) serve(r *primaryReplica) {
	defer p.wg.Done()
	err := error(nil)
	if r.job != nil {
		err = p.fullSync(r)
	}
	if err == nil {
		err = p.stream(r)
	}
	p.finish(r, err)
}

// stream drains the replica's output to its connection until the replica is dropped. Writes happen
// without mu: Feed only appends to out under mu, and the writer swaps buffers under it.
func (p *Primary) stream(r *primaryReplica) error {
	if err := p.setDeadline(r, false); err != nil {
		return err
	}
	for {
		p.mu.Lock()
		if r.dead {
			p.mu.Unlock()
			return errReplicaDropped
		}
		if len(r.out) == 0 {
			p.mu.Unlock()
			select {
			case <-r.wake:
			case <-r.deadCh:
			}
			continue
		}
		buf := r.out
		r.out, r.spare = r.spare[:0], nil
		r.inflight = len(buf)
		p.mu.Unlock()

		_, err := r.rc.Conn.Write(buf)

		p.mu.Lock()
		r.inflight = 0
		if cap(buf) <= maxSpare && !r.dead {
			r.spare = buf[:0]
		}
		p.mu.Unlock()
		if err != nil {
			return fmt.Errorf("write to replica %s: %w", r.name, err)
		}
	}
}

// finish ends the replica: removes it if the package did not already drop it (a write failed), closes
// its connection, and tells the node unless the node asked for it (Remove) or the Primary is closing.
func (p *Primary) finish(r *primaryReplica, err error) {
	p.mu.Lock()
	if !r.dead {
		p.log.Info().Msgf("Connection with replica %s lost.", r.name)
		p.log.Debug().Err(err).Msgf("Replica %s write failed", r.name)
		p.dropLocked(r)
	}
	tell := !r.byNode && !p.closed
	p.mu.Unlock()
	_ = r.rc.Conn.Close()
	close(r.exited)
	if tell {
		p.host.ReplicaGone(r.rc.ID)
	}
}
