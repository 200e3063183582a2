package replication

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// Sync answers PSYNC (psync true; replid and offset are its arguments, offset being the first byte the
// replica lacks) or SYNC. A partial resynchronisation is accepted iff the replica follows our history
// (our replid, or our previous one up to second_repl_offset) and the backlog still holds every byte from
// offset on; otherwise the replica takes a full sync. Everything written to the replica from here on —
// the +CONTINUE or +FULLRESYNC line, the snapshot, the stream — is written by the package. Lock held.
//
// A second Sync for a connection that is already a replica is ignored (Valkey ignores SYNC from a
// replica client): full is false and errReply empty, and nothing is written.
func (p *Primary) Sync(rc *ReplicaConn, psync bool, replid string, offset int64) (full bool, errReply string) {
	if rc == nil || rc.Conn == nil {
		return false, "ERR no connection to synchronize with"
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false, "ERR the server is shutting down"
	}
	if _, dup := p.byID[rc.ID]; dup {
		return false, ""
	}
	r := newPrimaryReplica(rc, psync)
	p.log.Info().Msgf("Replica %s asks for synchronization", r.name)
	if psync && p.partialLocked(r, replid, offset) {
		return false, ""
	}
	p.fullLocked(r)
	return true, ""
}

// partialLocked decides and, if accepted, starts a partial resynchronisation (spec §3.2).
func (p *Primary) partialLocked(r *primaryReplica, replid string, offset int64) bool {
	if replid != p.replid && (replid != p.replid2 || offset > p.secondOffset) {
		switch {
		case replid == "?":
			p.log.Info().Msgf("Full resync requested by replica %s", r.name)
		case replid != p.replid2:
			p.log.Info().Msgf("Partial resynchronization not accepted: Replication ID mismatch "+
				"(Replica asked for '%s', my replication IDs are '%s' and '%s')", replid, p.replid, p.replid2)
		default:
			p.log.Info().Msgf("Partial resynchronization not accepted: Requested offset for second ID was %d, "+
				"but I can reply up to %d", offset, p.secondOffset)
		}
		return false
	}
	if !p.bl.contains(offset) {
		p.log.Info().Msgf("Unable to partial resync with replica %s for lack of backlog (Replica request was: %d).",
			r.name, offset)
		if offset > p.bl.offset+1 {
			p.log.Warn().Msgf("Warning: replica %s tried to PSYNC with an offset that is greater than "+
				"the master replication offset.", r.name)
		}
		return false
	}
	if r.rc.CapaPSYNC2 {
		r.out = fmt.Appendf(r.out, "+CONTINUE %s\r\n", p.replid)
	} else {
		r.out = append(r.out, "+CONTINUE\r\n"...)
	}
	r.out, _ = p.bl.appendFrom(r.out, offset) // contains(offset) checked above
	r.registered, r.streaming = true, true
	r.state = StateOnline
	r.ackTime = time.Now()
	p.addLocked(r)
	p.log.Info().Msgf("Partial resynchronization request from %s accepted. Sending %d bytes of backlog "+
		"starting from offset %d.", r.name, p.bl.offset+1-offset, offset)
	return true
}

// primarySyncJob is one snapshot shared by the replicas that joined it before it was taken.
type primarySyncJob struct {
	diskless bool
	mark     string        // the $EOF: mark (diskless)
	kick     chan struct{} // cap 1: enough replicas are waiting, start now
	started  chan struct{} // closed once the snapshot is taken (or the job is abandoned: failed)
	ready    chan struct{} // disk: closed once the file is written (or failed: err)

	// guarded by Primary.mu until started is closed, read-only afterwards
	members []*primaryReplica // joined while pending
	targets []*primaryReplica // alive members when the snapshot was taken
	failed  bool
	replid  string // id and offset at the snapshot: the +FULLRESYNC line
	offset  int64

	// written by the job goroutine before ready (disk) or the chunk channels (diskless) are closed
	path string
	size int64
	err  error
}

const (
	jobDisk = iota
	jobDiskless
)

// snapshotRetry is how often a snapshot refused because another one runs is retried (Valkey's cron).
const snapshotRetry = 100 * time.Millisecond

var errSyncAborted = errors.New("full sync aborted")

// fullLocked queues r for a full sync: it joins the pending snapshot of its kind, or starts one.
func (p *Primary) fullLocked(r *primaryReplica) {
	if !p.bl.active {
		// The replica will PSYNC from the snapshot's offset on its next reconnection: keep history.
		p.bl.activate()
		p.freedByTTL = false
	}
	diskless := p.cfg.DisklessSync && r.rc.CapaEOF
	kind := jobDisk
	if diskless {
		kind = jobDiskless
	}
	job := p.pending[kind]
	if job == nil {
		job = &primarySyncJob{
			diskless: diskless,
			mark:     primaryRandomHex(),
			kick:     make(chan struct{}, 1),
			started:  make(chan struct{}),
			ready:    make(chan struct{}),
		}
		p.pending[kind] = job
		delay := time.Duration(0)
		if diskless {
			delay = p.cfg.DisklessDelay
		}
		p.wg.Add(1)
		go p.runJob(job, delay)
	}
	job.members = append(job.members, r)
	r.job = job
	p.addLocked(r)
	if diskless && p.cfg.DisklessMaxReplicas > 0 && job.aliveLocked() >= p.cfg.DisklessMaxReplicas {
		select {
		case job.kick <- struct{}{}:
		default:
		}
	}
}

func (j *primarySyncJob) aliveLocked() int {
	n := 0
	for _, r := range j.members {
		if !r.dead {
			n++
		}
	}
	return n
}

func (p *Primary) detachLocked(job *primarySyncJob) {
	for i, j := range p.pending {
		if j == job {
			p.pending[i] = nil
		}
	}
}

// runJob is a snapshot's goroutine: the diskless delay, the snapshot, the transfer.
func (p *Primary) runJob(job *primarySyncJob, delay time.Duration) {
	defer p.wg.Done()
	if delay > 0 {
		p.log.Debug().Msg("Delay next BGSAVE for diskless SYNC")
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-job.kick:
		case <-p.ctx.Done():
		}
		t.Stop()
	}
	write, release, ok := p.takeSnapshot(job)
	if !ok {
		return
	}
	if job.diskless {
		p.transferDiskless(job, write, release)
	} else {
		p.transferDisk(job, write, release)
	}
}

// snapshotWrite is SnapshotFunc's write.
type snapshotWrite = func(ctx context.Context, w io.Writer) error

// takeSnapshot takes the job's snapshot under the node's lock, retrying while another snapshot runs.
// In the same critical section the offset is read and the replicas registered: Feed keeps every later
// byte for them, so their stream starts exactly at the snapshot. The job leaves pending then: replicas
// that come later wait for the next snapshot.
func (p *Primary) takeSnapshot(job *primarySyncJob) (write snapshotWrite, release func(), ok bool) {
	for {
		abandon := false
		p.host.WithLock(func() {
			p.mu.Lock()
			if p.closed || job.aliveLocked() == 0 {
				p.detachLocked(job)
				abandon = true
				p.mu.Unlock()
				return
			}
			p.mu.Unlock()
			// Not under mu: the node's snapshot may call back into the Primary (Offset, Status).
			write, release, ok = p.host.Snapshot()
			if !ok {
				return
			}
			p.mu.Lock()
			defer p.mu.Unlock()
			p.detachLocked(job)
			job.replid, job.offset = p.replid, p.bl.offset
			for _, r := range job.members {
				if r.dead {
					continue
				}
				r.registered = true
				if job.diskless {
					r.chunks = make(chan []byte, fanoutDepth)
				}
				job.targets = append(job.targets, r)
			}
		})
		switch {
		case abandon:
		case ok && len(job.targets) == 0:
			release()
		case ok:
			target := "disk"
			if job.diskless {
				target = "replicas sockets"
			}
			p.log.Info().Msgf("Starting BGSAVE for SYNC with target: %s", target)
			close(job.started)
			return write, release, true
		default:
			p.log.Debug().Msg("Snapshot for SYNC postponed: another one is in progress")
			t := time.NewTimer(snapshotRetry)
			select {
			case <-t.C:
				continue
			case <-p.ctx.Done():
				t.Stop()
			}
		}
		p.mu.Lock()
		p.detachLocked(job)
		job.failed = true
		p.mu.Unlock()
		close(job.started)
		return nil, nil, false
	}
}

// fullSync is the replica's side of a full sync: wait for the snapshot (sending "\n" every second), then
// the +FULLRESYNC line and the snapshot in the job's framing. On success the replica is online.
func (p *Primary) fullSync(r *primaryReplica) error {
	job := r.job
	if err := p.keepalive(r, job.started); err != nil {
		return err
	}
	p.mu.Lock()
	ok := r.registered && !job.failed
	p.mu.Unlock()
	if !ok {
		return errSyncAborted
	}
	var hdr []byte
	if r.psync {
		hdr = fmt.Appendf(hdr, "+FULLRESYNC %s %d\r\n", job.replid, job.offset)
	}
	if job.diskless {
		return p.sendDiskless(r, hdr)
	}
	return p.sendDisk(r, hdr)
}

var newline = []byte("\n")

// keepalive writes "\n" once a second until ch is closed, so that the replica's read timeout doesn't
// fire while the snapshot is prepared (the replica skips empty lines before the $ line).
func (p *Primary) keepalive(r *primaryReplica, ch <-chan struct{}) error {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ch:
			return nil
		case <-r.deadCh:
			return errReplicaDropped
		case <-t.C:
			if err := p.write(r, newline); err != nil {
				return err
			}
		}
	}
}
