package aof

import "time"

// Stats holds the aof_* fields of INFO persistence, named after them. The server formats them (ok/err for
// the two status fields, 0/1 for the booleans) and overrides what it owns: aof_enabled and
// aof_rewrite_scheduled / aof_pending_rewrite.
type Stats struct {
	Enabled                     bool  // aof_enabled
	RewriteInProgress           bool  // aof_rewrite_in_progress
	RewriteScheduled            bool  // aof_rewrite_scheduled (server-owned, always false here)
	LastRewriteTimeSec          int64 // aof_last_rewrite_time_sec, -1 before the first rewrite
	CurrentRewriteTimeSec       int64 // aof_current_rewrite_time_sec, -1 when none runs
	LastBgrewriteOK             bool  // aof_last_bgrewrite_status ok|err
	Rewrites                    int64 // aof_rewrites
	RewritesConsecutiveFailures int64 // aof_rewrites_consecutive_failures
	LastWriteOK                 bool  // aof_last_write_status ok|err (write or background fsync)
	LastCowSize                 int64 // aof_last_cow_size: no fork, always 0
	CurrentSize                 int64 // aof_current_size: base plus incr files
	BaseSize                    int64 // aof_base_size: size right after the last rewrite (or the base at load)
	PendingRewrite              bool  // aof_pending_rewrite (server-owned, same as RewriteScheduled)
	BufferLength                int64 // aof_buffer_length: appended bytes not yet written
	PendingBioFsync             int64 // aof_pending_bio_fsync: queued background fsync/close jobs
	DelayedFsync                int64 // aof_delayed_fsync: writes that stopped waiting for a slow fsync
}

// Status renders a status field the way INFO does.
func Status(ok bool) string {
	if ok {
		return "ok"
	}
	return "err"
}

// Stats returns the current figures. It takes no lock that a rewrite or a slow disk could hold for long.
func (m *Manager) Stats() Stats {
	s := Stats{
		Enabled:                     true,
		LastRewriteTimeSec:          m.stats.lastRewriteSec.Load(),
		CurrentRewriteTimeSec:       -1,
		LastBgrewriteOK:             !m.stats.lastRewriteFailed.Load(),
		Rewrites:                    m.stats.rewrites.Load(),
		RewritesConsecutiveFailures: m.stats.consecFailures.Load(),
		CurrentSize:                 m.stats.curSize.Load(),
		BaseSize:                    m.stats.baseSize.Load(),
		PendingBioFsync:             m.stats.pendingBio.Load(),
		DelayedFsync:                m.stats.delayedFsync.Load(),
	}
	if start := m.stats.rewriteStart.Load(); start != 0 {
		s.RewriteInProgress = true
		s.CurrentRewriteTimeSec = int64(time.Since(time.Unix(0, start)) / time.Second)
	}
	m.mu.Lock()
	s.LastWriteOK = m.writeErr == nil && m.syncErr == nil
	s.BufferLength = int64(len(m.buf)) + m.stats.pendingLen.Load()
	m.mu.Unlock()
	return s
}
