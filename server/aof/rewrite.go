package aof

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// rewriteState is one background rewrite.
type rewriteState struct {
	done    chan struct{}
	err     error
	start   time.Time
	fresh   bool  // the manifest does not list the incr file yet (StartFresh)
	incrSeq int64 // incr files with a lower seq are covered by the new base
}

// incrementalSync is how often a base being written is fsynced (Valkey's aof-rewrite-incremental-fsync, on
// by default: 4 MB), so the final fsync does not stall on gigabytes of dirty pages.
const incrementalSync = 4 << 20

// StartRewrite begins a rewrite at this exact point of the append stream. Call it under the server lock at
// the moment the server captured the snapshot that writeBase will write. It opens the next incr file, lists
// it in the manifest (persisted before returning) and makes every later Append go to it; then writeBase runs
// in a goroutine into a temporary file. On success that file becomes the next base, the previous base and
// incr files become history in a new manifest and are deleted. On failure the temporary file is removed and
// the manifest, which already lists the new incr file after the old ones, still loads the whole dataset.
func (m *Manager) StartRewrite(writeBase func(w io.Writer) error) error {
	m.mmu.Lock()
	defer m.mmu.Unlock()
	if m.closed {
		return ErrClosed
	}
	if !m.started {
		return ErrNotStarted
	}
	return m.startRewriteLocked(writeBase, true)
}

func (m *Manager) startRewriteLocked(writeBase func(w io.Writer) error, switchFile bool) error {
	if m.rw != nil {
		return ErrRewriteInProgress
	}
	rs := &rewriteState{done: make(chan struct{}), start: time.Now(), fresh: m.fresh}
	if switchFile {
		if err := m.openNextIncr(rs); err != nil {
			m.stats.lastRewriteFailed.Store(true)
			return err
		}
	}
	m.stats.rewrites.Add(1)
	m.stats.rewriteStart.Store(rs.start.UnixNano())
	m.rw, m.lastRW = rs, rs
	m.cfg.Log.Info().Msg("Background append only file rewriting started")
	go m.runRewrite(rs, writeBase)
	return nil
}

// openNextIncr creates the incr file the rewrite switches appends to, and queues the switch at the current
// end of the append stream. Outside fresh mode the manifest listing it is persisted first: if that fails
// nothing changed.
func (m *Manager) openNextIncr(rs *rewriteState) error {
	var name string
	var next *Manifest
	if m.fresh {
		// The previous temporary incr (a failed fresh rewrite) is superseded by the new snapshot; unlink it
		// so the writer's pending bytes for it land in the orphaned inode, not in the new file.
		name = m.tempIncrName()
		os.Remove(filepath.Join(m.dir, name))
	} else {
		next = m.man.Clone()
		rs.incrSeq = next.incrSeq() + 1
		name = incrName(m.cfg.FileName, rs.incrSeq)
		next.Incr = append(next.Incr, Entry{Name: name, Seq: rs.incrSeq, Type: TypeIncr})
	}
	path := filepath.Join(m.dir, name)
	f, err := m.cfg.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("aof: can't open the append-only file %s: %w", name, err)
	}
	if next != nil {
		if err := writeManifest(m.dir, m.cfg.FileName, next); err != nil {
			f.Close()
			os.Remove(path)
			return err
		}
		m.man = next
	}
	m.mu.Lock()
	m.switches = append(m.switches, switchPoint{at: m.appended, f: f, name: name})
	m.mu.Unlock()
	m.wake()
	m.cfg.Log.Info().Str("file", name).Msg("Creating AOF incr file on background rewrite")
	return nil
}

func (m *Manager) runRewrite(rs *rewriteState, writeBase func(w io.Writer) error) {
	tmp := filepath.Join(m.dir, fmt.Sprintf("temp-rewriteaof-bg-%d.aof", os.Getpid()))
	size, err := m.writeBaseFile(tmp, writeBase)
	if err == nil {
		err = m.finishRewrite(rs, tmp, size)
	}
	if err != nil {
		os.Remove(tmp)
		m.stats.lastRewriteFailed.Store(true)
		m.stats.consecFailures.Add(1)
		if !errors.Is(err, ErrClosed) {
			m.cfg.Log.Warn().Err(err).Msg("Background AOF rewrite failed")
		}
	} else {
		m.stats.lastRewriteFailed.Store(false)
		m.stats.consecFailures.Store(0)
		m.cfg.Log.Info().Msg("Background AOF rewrite finished successfully")
	}
	m.stats.lastRewriteSec.Store(int64(time.Since(rs.start) / time.Second))
	m.mmu.Lock()
	rs.err = err
	m.rw = nil
	m.stats.rewriteStart.Store(0)
	m.mmu.Unlock()
	close(rs.done)
}

// writeBaseFile runs writeBase into path and makes the result durable. It returns the file size.
func (m *Manager) writeBaseFile(path string, writeBase func(w io.Writer) error) (int64, error) {
	f, err := m.cfg.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return 0, fmt.Errorf("aof: opening the temp file for AOF rewrite: %w", err)
	}
	bw := &baseWriter{f: f, abort: &m.abort}
	buf := bufio.NewWriterSize(bw, 64<<10)
	err = writeBase(buf)
	if err == nil {
		err = buf.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, fmt.Errorf("aof: writing the base file: %w", err)
	}
	return bw.n, nil
}

// baseWriter counts, fsyncs every incrementalSync bytes, and fails once Close asked to abort.
type baseWriter struct {
	f        File
	abort    interface{ Load() bool }
	n        int64
	unsynced int64
}

func (b *baseWriter) Write(p []byte) (int, error) {
	if b.abort.Load() {
		return 0, ErrClosed
	}
	n, err := b.f.Write(p)
	b.n += int64(n)
	b.unsynced += int64(n)
	if err == nil && b.unsynced >= incrementalSync {
		b.unsynced = 0
		err = b.f.Sync()
	}
	return n, err
}

// finishRewrite installs the new base: rename, new manifest (previous base and covered incr files as
// history), then deletion of the history files and a last manifest without them.
func (m *Manager) finishRewrite(rs *rewriteState, tmp string, size int64) error {
	m.mmu.Lock()
	if m.closed {
		m.mmu.Unlock()
		return ErrClosed
	}
	next := m.man.Clone()
	var hist []Entry
	if next.Base != nil {
		h := *next.Base
		h.Type = TypeHistory
		hist = append(hist, h)
	}
	seq := m.man.baseSeq() + 1
	base := Entry{Name: baseName(m.cfg.FileName, seq, m.cfg.UseRDBPreamble), Seq: seq, Type: TypeBase}
	next.Base = &base
	basePath := filepath.Join(m.dir, base.Name)
	if err := os.Rename(tmp, basePath); err != nil {
		m.mmu.Unlock()
		return fmt.Errorf("aof: renaming the temporary AOF base file into %s: %w", base.Name, err)
	}
	var keep []Entry
	for _, e := range next.Incr {
		if rs.fresh || e.Seq < rs.incrSeq {
			e.Type = TypeHistory
			hist = append(hist, e)
		} else {
			keep = append(keep, e)
		}
	}
	var tempIncr, newIncr string
	if rs.fresh {
		// adopt the temporary incr file that has received every append since the snapshot
		iseq := next.incrSeq() + 1
		e := Entry{Name: incrName(m.cfg.FileName, iseq), Seq: iseq, Type: TypeIncr}
		tempIncr, newIncr = filepath.Join(m.dir, m.tempIncrName()), filepath.Join(m.dir, e.Name)
		if err := os.Rename(tempIncr, newIncr); err != nil {
			os.Remove(basePath)
			m.mmu.Unlock()
			return fmt.Errorf("aof: renaming the temporary AOF incr file into %s: %w", e.Name, err)
		}
		keep = []Entry{e}
	}
	next.Incr = keep
	next.History = append(hist, next.History...)
	if err := writeManifest(m.dir, m.cfg.FileName, next); err != nil {
		os.Remove(basePath)
		if rs.fresh {
			os.Rename(newIncr, tempIncr)
		}
		m.mmu.Unlock()
		return err
	}
	m.man = next
	m.fresh = false
	total := size + m.stats.incrSize.Load()
	m.stats.baseSize.Store(total)
	m.stats.curSize.Store(total)
	m.cfg.Log.Info().Str("file", base.Name).Msg("Successfully renamed the temporary AOF base file")
	gone := next.History
	m.mmu.Unlock()

	// Deleting can be slow for big files; the lock is not needed for it, and no other rewrite can start
	// before this one is marked done.
	removed := map[string]bool{}
	for _, e := range gone {
		m.cfg.Log.Info().Str("file", e.Name).Msg("Removing the history file")
		err := os.Remove(filepath.Join(m.dir, e.Name))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			m.cfg.Log.Warn().Err(err).Str("file", e.Name).Msg("Can't remove the AOF history file")
			continue
		}
		removed[e.Name] = true
	}
	m.mmu.Lock()
	defer m.mmu.Unlock()
	after := m.man.Clone()
	after.History = after.History[:0]
	for _, e := range m.man.History {
		if !removed[e.Name] {
			after.History = append(after.History, e)
		}
	}
	if err := writeManifest(m.dir, m.cfg.FileName, after); err != nil {
		// the rewrite itself succeeded; the next start removes the listed history files
		m.cfg.Log.Warn().Err(err).Msg("Can't persist the AOF manifest after removing history files")
		return nil
	}
	m.man = after
	return nil
}

// RewriteInProgress reports a running background rewrite.
func (m *Manager) RewriteInProgress() bool { return m.stats.rewriteStart.Load() != 0 }

// WaitRewrite waits for the most recently started rewrite to end and returns its result (nil when none
// was started).
func (m *Manager) WaitRewrite() error {
	m.mmu.Lock()
	rs := m.lastRW
	m.mmu.Unlock()
	if rs == nil {
		return nil
	}
	<-rs.done
	return rs.err
}
