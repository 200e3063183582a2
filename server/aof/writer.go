package aof

import (
	"errors"
	"fmt"
	"io"
	"time"
)

// writerState belongs to the writer goroutine.
type writerState struct {
	cur     File
	curName string
	curSize int64 // bytes in cur known to be written, to undo a partial write

	pending []byte // taken from the append buffer, not written yet
	pendOff int    // pending[pendOff:] is what is left
	sw      []switchPoint

	lastFsync   time.Time // last everysec fsync request (or attempt)
	postponedAt time.Time // first postponed write while a background fsync ran, zero when none
	lastErrLog  time.Time
}

// errLogEvery limits write error logs (Valkey: one line per 30 seconds).
const errLogEvery = 30 * time.Second

// runWriter is the group-commit loop: whatever Append queued since the last round is written with one
// write call. It wakes on Append, on the everysec period, and after an error to retry.
func (m *Manager) runWriter() {
	defer close(m.writerDone)
	tick := time.NewTicker(m.cfg.FsyncInterval)
	defer tick.Stop()
	var retry *time.Timer
	var retryC <-chan time.Time
	for {
		select {
		case <-m.kick:
		case <-tick.C:
		case <-retryC:
		case <-m.stop:
			if retry != nil {
				retry.Stop()
			}
			m.flushMu.Lock()
			m.closeErr = m.final()
			m.flushMu.Unlock()
			return
		}
		m.flushMu.Lock()
		after := m.flush(false)
		m.flushMu.Unlock()
		if after > 0 {
			if retry == nil {
				retry = time.NewTimer(after)
			} else {
				retry.Reset(after)
			}
			retryC = retry.C
		} else {
			retryC = nil
		}
	}
}

// WriteThrough makes the bytes up to seq reach the file like Wait, but writes them from the calling
// goroutine when no write is in progress, instead of waking the writer goroutine and sleeping until it is
// done: under load every client's reply would otherwise cost two goroutine switches. A caller that finds
// a write in progress waits for it (group commit); a write that must be retried goes back to the writer.
func (m *Manager) WriteThrough(seq uint64) error {
	m.mu.Lock()
	done := m.written >= seq && (Fsync(m.fsync.Load()) != FsyncAlways || m.synced >= seq)
	running := m.running && !m.stopped
	m.mu.Unlock()
	if done {
		return nil
	}
	if running && m.flushMu.TryLock() {
		after := m.flush(false)
		m.flushMu.Unlock()
		if after > 0 {
			m.wake()
		}
	}
	return m.Wait(seq)
}

// flush writes what is queued, follows rewrite switch points, and fsyncs as the policy asks. It returns how
// long to wait before trying again when something is left (a write error or a postponed write), else 0.
func (m *Manager) flush(force bool) time.Duration {
	w := &m.w
	m.mu.Lock()
	if len(m.buf) > 0 {
		if w.pendOff == len(w.pending) {
			// swap buffers: Append fills the other one while this one is written
			w.pending, m.buf = m.buf, w.pending[:0]
			w.pendOff = 0
		} else {
			w.pending = append(w.pending, m.buf...)
			m.buf = m.buf[:0]
		}
	}
	w.sw = append(w.sw, m.switches...)
	m.switches = m.switches[:0]
	base := m.written // absolute offset of pending[pendOff]
	// updated under mu together with buf, so Stats never counts a byte twice or misses it
	m.stats.pendingLen.Store(int64(len(w.pending) - w.pendOff))
	m.mu.Unlock()

	policy := Fsync(m.fsync.Load())
	if policy == FsyncEverysec && !force && w.pendOff < len(w.pending) && m.stats.pendingBio.Load() > 0 {
		// A background fsync is running and a write would block behind it: postpone up to two seconds, as
		// Valkey does, then write anyway and count a delayed fsync.
		now := time.Now()
		if w.postponedAt.IsZero() {
			w.postponedAt = now
		}
		if wait := m.postpone - now.Sub(w.postponedAt); wait > 0 {
			return min(wait, m.cfg.RetryInterval)
		}
		m.stats.delayedFsync.Add(1)
		m.cfg.Log.Info().Msg("Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF buffer " +
			"without waiting for fsync to complete, this may slow down the server.")
	}
	w.postponedAt = time.Time{}

	for {
		left := len(w.pending) - w.pendOff
		n := left
		if len(w.sw) > 0 {
			n = min(n, int(w.sw[0].at-base))
		}
		if n > 0 {
			wrote, ok := m.writeOut(w.pending[w.pendOff : w.pendOff+n])
			base += uint64(wrote)
			w.pendOff += wrote
			if !ok {
				return m.cfg.RetryInterval
			}
			continue
		}
		if len(w.sw) > 0 && w.sw[0].at == base {
			if !m.switchFile(policy) {
				return m.cfg.RetryInterval
			}
			continue
		}
		break
	}
	if w.pendOff == len(w.pending) {
		w.pending, w.pendOff = w.pending[:0], 0
		if cap(w.pending) > 4<<20 {
			w.pending = nil // a burst grew it; give the memory back
		}
	}
	return m.syncPolicy(policy)
}

// writeOut writes p to the current file. On failure the bytes stay queued; a partial write is cut off the
// file again when possible (else the written part counts as done), so the file never holds a byte twice.
func (m *Manager) writeOut(p []byte) (int, bool) {
	w := &m.w
	n, err := w.cur.Write(p)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	if err != nil && n > 0 {
		if terr := w.cur.Truncate(w.curSize); terr == nil {
			n = 0
		} else if time.Since(w.lastErrLog) > errLogEvery {
			m.cfg.Log.Warn().Err(terr).Str("file", w.curName).Msg("Could not remove short write from the " +
				"append-only file. The server may refuse to load the AOF the next time it starts.")
		}
	}
	if n > 0 {
		w.curSize += int64(n)
		m.stats.curSize.Add(int64(n))
		m.stats.incrSize.Store(w.curSize)
	}
	m.mu.Lock()
	m.written += uint64(n)
	m.stats.pendingLen.Add(-int64(n))
	recovered := false
	if err != nil {
		m.writeErr = fmt.Errorf("aof: writing %s: %w", w.curName, err)
	} else if m.writeErr != nil {
		m.writeErr, recovered = nil, true
	}
	m.cond.Broadcast()
	m.mu.Unlock()
	if err != nil {
		if time.Since(w.lastErrLog) > errLogEvery {
			w.lastErrLog = time.Now()
			m.cfg.Log.Warn().Err(err).Str("file", w.curName).Int("wrote", n).Int("expected", len(p)).
				Msg("Error writing to the AOF file")
		}
		return n, false
	}
	if recovered {
		m.cfg.Log.Info().Msg("AOF write error looks solved. The server can write again.")
	}
	return n, true
}

// switchFile moves from the current incr file to the one a rewrite opened, once every byte meant for the
// old file is in it. With always the old file is fsynced here; otherwise the fsync thread fsyncs and closes
// it, like Valkey's background close.
func (m *Manager) switchFile(policy Fsync) bool {
	w := &m.w
	if policy == FsyncAlways && !m.syncCurrent() {
		return false
	}
	m.mu.Lock()
	upto := m.written
	m.mu.Unlock()
	m.stats.pendingBio.Add(1)
	m.bioCh <- bioJob{f: w.cur, name: w.curName, upto: upto, close: true}
	sp := w.sw[0]
	w.sw = w.sw[1:]
	w.cur, w.curName, w.curSize = sp.f, sp.name, 0
	m.stats.incrSize.Store(0)
	w.lastFsync = time.Now()
	return true
}

// syncPolicy does the fsync part of a round: inline with always, a background request once per period with
// everysec (skipped when the previous one still runs). It returns a retry delay after an inline failure.
func (m *Manager) syncPolicy(policy Fsync) time.Duration {
	w := &m.w
	m.mu.Lock()
	written, synced := m.written, m.synced
	m.mu.Unlock()
	switch policy {
	case FsyncAlways:
		if synced < written && !m.syncCurrent() {
			return m.cfg.RetryInterval
		}
	case FsyncEverysec:
		if synced < written && time.Since(w.lastFsync) >= m.cfg.FsyncInterval {
			if m.stats.pendingBio.Load() == 0 {
				m.stats.pendingBio.Add(1)
				m.bioCh <- bioJob{f: w.cur, name: w.curName, upto: written}
			}
			w.lastFsync = time.Now()
		}
	}
	return 0
}

// syncCurrent fsyncs the current file inline (appendfsync always, and at Close).
func (m *Manager) syncCurrent() bool {
	w := &m.w
	m.mu.Lock()
	upto := m.written
	m.mu.Unlock()
	err := w.cur.Sync()
	m.noteSync(upto, w.curName, err)
	w.lastFsync = time.Now()
	return err == nil
}

// noteSync records an fsync result: on success everything up to upto is durable.
func (m *Manager) noteSync(upto uint64, name string, err error) {
	m.mu.Lock()
	recovered := false
	if err != nil {
		// After a failed fsync the kernel may already have dropped the dirty pages, so a later success does
		// not prove these bytes reached the disk; Valkey exits here with always. We report and keep
		// refusing (through Wait and LastWriteError) until an fsync succeeds.
		m.syncErr = fmt.Errorf("aof: fsync %s: %w", name, err)
	} else {
		if upto > m.synced {
			m.synced = upto
		}
		if m.syncErr != nil {
			m.syncErr, recovered = nil, true
		}
	}
	m.cond.Broadcast()
	m.mu.Unlock()
	if err != nil {
		m.cfg.Log.Warn().Err(err).Str("file", name).Msg("Error syncing the AOF file")
	} else if recovered {
		m.cfg.Log.Info().Msg("AOF fsync error looks solved.")
	}
}

// final runs when Close stops the writer: write everything (even past a running fsync), fsync, close.
func (m *Manager) final() error {
	var errs []error
	if m.flush(true) > 0 {
		// one more try after the retry interval before giving up: a transient error should not lose data
		time.Sleep(m.cfg.RetryInterval)
		if m.flush(true) > 0 {
			m.mu.Lock()
			errs = append(errs, m.writeErr, m.syncErr)
			m.mu.Unlock()
		}
	}
	if !m.syncCurrent() {
		m.mu.Lock()
		errs = append(errs, m.syncErr)
		m.mu.Unlock()
	}
	if err := m.w.cur.Close(); err != nil {
		errs = append(errs, fmt.Errorf("aof: closing %s: %w", m.w.curName, err))
	}
	for _, sp := range m.w.sw {
		sp.f.Close() // a switch that never happened: the file is empty and listed, nothing is lost
	}
	m.mu.Lock()
	for _, sp := range m.switches {
		sp.f.Close()
	}
	m.mu.Unlock()
	return errors.Join(errs...)
}

// bioJob is a request for the fsync goroutine: fsync f (then close it when close is set).
type bioJob struct {
	f     File
	name  string
	upto  uint64
	close bool
}

// runBio is Valkey's background fsync thread: jobs run in order, so closing an old incr file never
// overtakes an fsync of it.
func (m *Manager) runBio() {
	defer close(m.bioDone)
	for j := range m.bioCh {
		err := j.f.Sync()
		m.noteSync(j.upto, j.name, err)
		if j.close {
			if cerr := j.f.Close(); cerr != nil {
				m.cfg.Log.Warn().Err(cerr).Str("file", j.name).Msg("Error closing the previous AOF file")
			}
		}
		m.stats.pendingBio.Add(-1)
		m.wake() // a postponed write may go now
	}
}
