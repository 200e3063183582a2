package aof

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

var (
	// ErrClosed is returned by Wait (for bytes not yet durable) and StartRewrite after Close.
	ErrClosed = errors.New("aof: closed")
	// ErrNotStarted is returned by Wait and StartRewrite before Start.
	ErrNotStarted = errors.New("aof: not started")
	// ErrRewriteInProgress is returned by StartRewrite while a rewrite runs (Valkey's BGREWRITEAOF text).
	ErrRewriteInProgress = errors.New("Background append only file rewriting already in progress")
)

// Manager owns one append-only directory. Append, Wait, SetFsync, Stats and the status queries are safe for
// concurrent use; Load and Start are called once at startup.
type Manager struct {
	cfg Config
	dir string // Dir/DirName

	// flushMu makes one goroutine at a time the writer: the writer goroutine, or a client in WriteThrough
	flushMu sync.Mutex

	// mmu guards the manifest and the lifecycle: Load, Start, rewrite start and completion, Close.
	mmu         sync.Mutex
	man         *Manifest
	hadManifest bool
	loaded      bool
	started     bool
	closed      bool
	// fresh: appends go to a temporary incr file that the manifest does not list yet, because no base
	// covering the dataset exists (Valkey's AOF_WAIT_REWRITE); the next successful rewrite adopts it.
	fresh  bool
	rw     *rewriteState // the running rewrite, nil when none
	lastRW *rewriteState // the most recently started one, for WaitRewrite

	// mu guards the append buffer and the progress counters; cond wakes Wait.
	mu       sync.Mutex
	cond     *sync.Cond
	buf      []byte
	appended uint64 // bytes appended since Open: the sequence numbers Append returns
	written  uint64 // bytes handed to the OS
	synced   uint64 // bytes known to be on stable storage
	switches []switchPoint
	writeErr error // set while writes fail, cleared by the next successful write
	syncErr  error // set while fsyncs fail, cleared by the next successful fsync
	running  bool
	stopped  bool

	fsync atomic.Int32
	abort atomic.Bool // Close: make a running writeBase fail fast

	kick       chan struct{}
	stop       chan struct{}
	writerDone chan struct{}
	bioCh      chan bioJob
	bioDone    chan struct{}
	closeErr   error // the final flush/fsync result, set by the writer before writerDone

	w        writerState   // owned by the writer goroutine
	postpone time.Duration // maxPostpone; tests shorten it
	stats    counters
}

// switchPoint: bytes from offset at onward go to file f (a rewrite opened it).
type switchPoint struct {
	at   uint64
	f    File
	name string
}

// counters back Stats; atomics so INFO never waits for the writer or a rewrite.
type counters struct {
	curSize, baseSize, incrSize atomic.Int64
	pendingLen, pendingBio      atomic.Int64
	delayedFsync                atomic.Int64
	rewrites, consecFailures    atomic.Int64
	lastRewriteSec              atomic.Int64
	rewriteStart                atomic.Int64 // unix nanoseconds of the running rewrite's start, 0 when none
	lastRewriteFailed           atomic.Bool
}

// Open prepares the directory <Dir>/<DirName> (created if missing) and reads its manifest. It loads nothing
// and opens no file for writing.
func Open(cfg Config) (*Manager, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	m := &Manager{cfg: cfg, dir: filepath.Join(cfg.Dir, cfg.DirName), postpone: maxPostpone}
	m.cond = sync.NewCond(&m.mu)
	m.kick = make(chan struct{}, 1)
	m.stop = make(chan struct{})
	m.writerDone = make(chan struct{})
	m.bioCh = make(chan bioJob, 64)
	m.bioDone = make(chan struct{})
	m.fsync.Store(int32(cfg.Fsync))
	m.stats.lastRewriteSec.Store(-1)
	if err := os.MkdirAll(m.dir, 0o755); err != nil {
		return nil, fmt.Errorf("aof: can't open or create append-only dir %s: %w", m.dir, err)
	}
	man, err := readManifest(m.dir, cfg.FileName)
	if err != nil {
		return nil, err
	}
	if man != nil {
		m.man, m.hadManifest = man, true
	} else {
		m.man = &Manifest{}
	}
	return m, nil
}

// Dir is the append-only directory path.
func (m *Manager) Dir() string { return m.dir }

// Manifest returns a copy of the current manifest.
func (m *Manager) Manifest() *Manifest {
	m.mmu.Lock()
	defer m.mmu.Unlock()
	return m.man.Clone()
}

// Start makes the manager ready for Append: it adopts an old single-file AOF if Load did not, writes a base
// synchronously when the manifest lists nothing at all and writeBase is not nil (Valkey creates a base on
// startup from whatever the server loaded, an RDB for example), opens the last incr file for appending (or
// creates the next one), persists the manifest, removes history files and temporary files left by a crash,
// and starts the writer and fsync goroutines. Pass nil when the dataset is empty or was loaded from these
// files.
func (m *Manager) Start(writeBase func(w io.Writer) error) error {
	m.mmu.Lock()
	defer m.mmu.Unlock()
	if err := m.prepareStart(); err != nil {
		return err
	}
	next := m.man.Clone()
	dirty := !m.hadManifest
	if next.Empty() && writeBase != nil {
		e := Entry{Name: baseName(m.cfg.FileName, next.baseSeq()+1, m.cfg.UseRDBPreamble), Seq: next.baseSeq() + 1, Type: TypeBase}
		tmp := filepath.Join(m.dir, fmt.Sprintf("temp-rewriteaof-%d.aof", os.Getpid()))
		size, err := m.writeBaseFile(tmp, writeBase)
		if err == nil {
			err = os.Rename(tmp, filepath.Join(m.dir, e.Name))
		}
		if err != nil {
			os.Remove(tmp)
			return fmt.Errorf("aof: creating the base file %s on start: %w", e.Name, err)
		}
		next.Base, dirty = &e, true
		m.stats.baseSize.Store(size)
		m.cfg.Log.Info().Str("file", e.Name).Msg("Creating AOF base file on server start")
	}
	created := len(next.Incr) == 0
	if created {
		seq := next.incrSeq() + 1
		next.Incr = append(next.Incr, Entry{Name: incrName(m.cfg.FileName, seq), Seq: seq, Type: TypeIncr})
	}
	cur := next.Incr[len(next.Incr)-1].Name
	f, err := m.cfg.OpenFile(filepath.Join(m.dir, cur), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("aof: can't open the append-only file %s: %w", cur, err)
	}
	if created || dirty {
		if err := writeManifest(m.dir, m.cfg.FileName, next); err != nil {
			f.Close()
			return err
		}
	}
	m.man, m.hadManifest = next, true
	if created {
		m.cfg.Log.Info().Str("file", cur).Msg("Creating AOF incr file on server start")
	} else {
		m.cfg.Log.Info().Str("file", cur).Msg("Opening AOF incr file on server start")
	}
	m.gcHistoryLocked()
	m.measure()
	m.launch(f, cur)
	return nil
}

// StartFresh is Start for a node whose dataset is not in these files yet (CONFIG SET appendonly yes at
// runtime, or a start from an RDB without blocking on a synchronous base): appends go to a temporary incr
// file the manifest does not list, and a rewrite writes the base in the background. Only when it succeeds do
// the new base and that incr file enter the manifest, so a crash in between never loads a partial dataset.
// If it fails, appends keep going to the temporary file and the server retries with StartRewrite.
func (m *Manager) StartFresh(writeBase func(w io.Writer) error) error {
	m.mmu.Lock()
	defer m.mmu.Unlock()
	if err := m.prepareStart(); err != nil {
		return err
	}
	tmp := m.tempIncrName()
	path := filepath.Join(m.dir, tmp)
	os.Remove(path)
	f, err := m.cfg.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("aof: can't open the append-only file %s: %w", tmp, err)
	}
	m.fresh = true
	m.gcHistoryLocked()
	m.measure()
	m.stats.curSize.Store(0)
	m.launch(f, tmp)
	return m.startRewriteLocked(writeBase, false)
}

func (m *Manager) prepareStart() error {
	if m.closed {
		return ErrClosed
	}
	if m.started {
		return errors.New("aof: already started")
	}
	if m.needsUpgrade() {
		if err := m.upgrade(); err != nil {
			return err
		}
	}
	m.removeTempFiles()
	return nil
}

func (m *Manager) tempIncrName() string { return "temp-" + m.cfg.FileName + ".incr" }

// measure fills the size counters from the files when Load did not.
func (m *Manager) measure() {
	size := func(name string) int64 {
		st, err := os.Stat(filepath.Join(m.dir, name))
		if err != nil {
			return 0
		}
		return st.Size()
	}
	var total int64
	if m.man.Base != nil {
		b := size(m.man.Base.Name)
		total += b
		if !m.loaded {
			m.stats.baseSize.Store(b)
		}
	}
	var last int64
	for _, e := range m.man.Incr {
		last = size(e.Name)
		total += last
	}
	m.stats.curSize.Store(total)
	m.stats.incrSize.Store(last)
}

// launch starts the goroutines with f as the current incr file.
func (m *Manager) launch(f File, name string) {
	m.started = true
	m.w = writerState{cur: f, curName: name, curSize: m.stats.incrSize.Load(), lastFsync: time.Now()}
	if m.fresh {
		m.w.curSize = 0
		m.stats.incrSize.Store(0)
	}
	m.mu.Lock()
	m.running = true
	m.mu.Unlock()
	go m.runWriter()
	go m.runBio()
}

// removeTempFiles deletes what a crashed rewrite or manifest update left in the directory. A temporary
// incr file is never listed in the manifest, so it is not part of the dataset either.
func (m *Manager) removeTempFiles() {
	ents, err := os.ReadDir(m.dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		n := e.Name()
		if strings.HasPrefix(n, "temp-rewriteaof-") || n == tempManifestName(m.cfg.FileName) || n == m.tempIncrName() {
			if err := os.Remove(filepath.Join(m.dir, n)); err == nil {
				m.cfg.Log.Info().Str("file", n).Msg("Removed a temporary AOF file left by an earlier run")
			}
		}
	}
}

// gcHistoryLocked deletes the files the manifest lists as history and rewrites the manifest without them.
// A failure is only logged: history files cost disk space, never correctness.
func (m *Manager) gcHistoryLocked() {
	if len(m.man.History) == 0 {
		return
	}
	for _, e := range m.man.History {
		m.cfg.Log.Info().Str("file", e.Name).Msg("Removing the history file")
		if err := os.Remove(filepath.Join(m.dir, e.Name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			m.cfg.Log.Warn().Err(err).Str("file", e.Name).Msg("Can't remove the AOF history file")
		}
	}
	next := m.man.Clone()
	next.History = nil
	if err := writeManifest(m.dir, m.cfg.FileName, next); err != nil {
		m.cfg.Log.Warn().Err(err).Msg("Can't persist the AOF manifest after removing history files")
		return
	}
	m.man = next
}

// Append queues already RESP-encoded bytes (commands, and the SELECT the server emits before them) and
// returns the sequence number to Wait for. It copies p into a buffer and wakes the writer; no syscall.
func (m *Manager) Append(p []byte) uint64 {
	m.mu.Lock()
	m.buf = append(m.buf, p...)
	m.appended += uint64(len(p))
	seq := m.appended
	m.mu.Unlock()
	select {
	case m.kick <- struct{}{}:
	default:
	}
	return seq
}

// Wait blocks until the bytes up to seq are written to the OS (appendfsync no and everysec) or written and
// fsynced (always). While the writer is failing and seq is not reached yet it returns that error at once,
// so the server can answer MISCONF; the bytes stay queued and are written when the disk recovers.
func (m *Manager) Wait(seq uint64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for {
		always := Fsync(m.fsync.Load()) == FsyncAlways
		done := m.written
		if always {
			done = m.synced
		}
		switch {
		case done >= seq:
			return nil
		case m.writeErr != nil:
			return m.writeErr
		case always && m.syncErr != nil:
			return m.syncErr
		case m.stopped:
			return ErrClosed
		case !m.running:
			return ErrNotStarted
		}
		m.cond.Wait()
	}
}

// Synced is the sequence number up to which the appended bytes are known to be on stable storage.
func (m *Manager) Synced() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.synced
}

// SetFsync changes the appendfsync policy. Switching to always makes the writer fsync what is still
// unsynced at once.
func (m *Manager) SetFsync(f Fsync) {
	m.fsync.Store(int32(f))
	m.mu.Lock()
	m.cond.Broadcast()
	m.mu.Unlock()
	m.wake()
}

// FsyncPolicy is the current appendfsync policy.
func (m *Manager) FsyncPolicy() Fsync { return Fsync(m.fsync.Load()) }

// LastWriteError is the error that makes Valkey refuse writes with "MISCONF Errors writing to the AOF
// file: ...": the last write error, or the last background fsync error, until a later success clears it.
func (m *Manager) LastWriteError() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.writeErr != nil {
		return m.writeErr
	}
	return m.syncErr
}

func (m *Manager) wake() {
	select {
	case m.kick <- struct{}{}:
	default:
	}
}

// Close aborts a running rewrite (the manifest stays consistent), writes what is buffered, fsyncs and
// closes the current file and stops the goroutines. The error is the final write or fsync failure, if any.
func (m *Manager) Close() error {
	m.mmu.Lock()
	if m.closed {
		m.mmu.Unlock()
		return nil
	}
	m.closed = true
	m.abort.Store(true)
	rw := m.rw
	started := m.started
	m.mmu.Unlock()
	if rw != nil {
		<-rw.done
	}
	if !started {
		return nil
	}
	close(m.stop)
	<-m.writerDone
	close(m.bioCh)
	<-m.bioDone
	m.mu.Lock()
	m.stopped = true
	m.cond.Broadcast()
	m.mu.Unlock()
	return m.closeErr
}
