package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"sync/atomic"
	"time"

	"github.com/valkey-node/valkey-node/server/aof"
	"github.com/valkey-node/valkey-node/server/config"
	"github.com/valkey-node/valkey-node/server/keyspace"
	"github.com/valkey-node/valkey-node/server/resp"
)

// The append-only file. server/aof owns the files (manifest, base, incremental files, group commit); this
// file wires it to the node: the directives, loading at start-up, the propagation feed, holding replies
// until the commands they acknowledge are durable, rewrites (BGREWRITEAOF, automatic, CONFIG SET appendonly
// yes) from a capture, and INFO.

// aofSettings are the AOF directives.
type aofSettings struct {
	Enabled          bool   // appendonly
	FileName         string // appendfilename
	DirName          string // appenddirname
	Fsync            string // appendfsync
	RewritePerc      int64  // auto-aof-rewrite-percentage
	RewriteMinSize   int64  // auto-aof-rewrite-min-size
	LoadTruncated    bool   // aof-load-truncated
	UseRDBPreamble   bool   // aof-use-rdb-preamble
	TimestampEnabled bool   // aof-timestamp-enabled (only "no")
	IncrementalFsync bool   // aof-rewrite-incremental-fsync
	NoFsyncOnRewrite bool   // no-appendfsync-on-rewrite (only "no")
}

// aofState is the running AOF. Lock held for every field.
type aofState struct {
	m    *aof.Manager
	feed *propFeed
	// mgr is m for the connection goroutines, which read it without the lock; seq is the sequence number
	// of the last bytes appended. A reply is written only once the AOF holds everything appended before
	// it, as Valkey writes the AOF before it writes any reply.
	mgr atomic.Pointer[aof.Manager]
	seq atomic.Uint64
	// scheduled: a rewrite waits for a background save to end (BGREWRITEAOF, or turning AOF on)
	scheduled bool
	// turningOn: CONFIG SET appendonly yes is waiting for its first base file (aof_rewrite_in_progress)
	turningOn   bool
	rewriteCap  *capture
	lastTry     time.Time
	baseAtStart int64
}

func (s *Server) registerAOFDirectives() {
	c := &s.cfg.AOF
	s.reg.Add(
		&config.Directive{Name: "appendonly", Default: "no", Value: config.Bool{P: &c.Enabled},
			Apply: &config.Apply{Name: "appendonly", Fn: s.applyAppendonly}},
		&config.Directive{Name: "appendfilename", Default: "appendonly.aof", Flags: config.Immutable, Value: config.String{P: &c.FileName, Validate: checkAOFName}},
		&config.Directive{Name: "appenddirname", Default: "appendonlydir", Flags: config.Immutable, Value: config.String{P: &c.DirName, Validate: checkAOFName}},
		&config.Directive{Name: "appendfsync", Default: "everysec", Value: config.Enum{P: &c.Fsync, Options: []string{"always", "everysec", "no"}},
			Apply: &config.Apply{Name: "appendfsync", Fn: s.applyAppendfsync}},
		&config.Directive{Name: "auto-aof-rewrite-percentage", Default: "100", Value: config.Int{P: &c.RewritePerc, Min: 0, Max: math.MaxInt32}},
		&config.Directive{Name: "auto-aof-rewrite-min-size", Default: "67108864", Value: config.Memory{P: &c.RewriteMinSize, Min: 0, Max: math.MaxInt64}},
		&config.Directive{Name: "aof-load-truncated", Default: "yes", Value: config.Bool{P: &c.LoadTruncated}},
		&config.Directive{Name: "aof-use-rdb-preamble", Default: "yes", Value: config.Bool{P: &c.UseRDBPreamble}},
		&config.Directive{Name: "aof-timestamp-enabled", Default: "no", Value: boolNotYet("aof-timestamp-enabled", &c.TimestampEnabled)},
		&config.Directive{Name: "aof-rewrite-incremental-fsync", Default: "yes", Value: config.Bool{P: &c.IncrementalFsync}},
		&config.Directive{Name: "no-appendfsync-on-rewrite", Default: "no", Value: boolNotYet("no-appendfsync-on-rewrite", &c.NoFsyncOnRewrite)},
	)
}

func checkAOFName(name string) error {
	if name == "" || strings.ContainsRune(name, '/') || name == "." || name == ".." {
		return fmt.Errorf("'%s' can't be a path, just a filename", name)
	}
	return nil
}

func (s *Server) aofFsync() aof.Fsync {
	f, _ := aof.ParseFsync(s.cfg.AOF.Fsync)
	return f
}

// openAOF opens the append-only directory (it does not load). Lock not needed: start-up or lock held.
func (s *Server) openAOF() (*aof.Manager, error) {
	return aof.Open(aof.Config{
		Dir: s.cfg.Dir, DirName: s.cfg.AOF.DirName, FileName: s.cfg.AOF.FileName, Fsync: s.aofFsync(),
		UseRDBPreamble: s.cfg.AOF.UseRDBPreamble, LoadTruncated: s.cfg.AOF.LoadTruncated, Log: s.log,
	})
}

// aofWriteBase returns the function that writes a rewrite's base file from cp: an RDB (aof-use-rdb-preamble
// yes) or the commands that rebuild the data.
func (s *Server) aofWriteBase(cp *capture, locked bool) func(w io.Writer) error {
	aux := append(s.auxFields(cp), [2]string{"aof-base", "1"})
	// aof-base is already in auxFields with 0: replace it
	for i := range aux {
		if aux[i][0] == "aof-base" {
			aux[i][1] = "1"
		}
	}
	aux = aux[:len(aux)-1]
	opts, delay, preamble := s.rdbOptions(), s.cfg.Persist.KeySaveDelay, s.cfg.AOF.UseRDBPreamble
	return func(w io.Writer) error {
		if preamble {
			return writeCapture(context.Background(), w, cp, locked, aux, opts, delay)
		}
		return writeCaptureCommands(w, cp, locked)
	}
}

// loadAOF replays the append-only directory at start-up. When there is none but an RDB exists, the RDB is
// loaded and becomes the first base, as Valkey converts an RDB-only data dir.
func (s *Server) loadAOF() error {
	m, err := s.openAOF()
	if err != nil {
		return fmt.Errorf("opening the append only directory: %w", err)
	}
	start := time.Now()
	if m.HasData() {
		if err := m.Load(&aofLoader{s: s}); err != nil {
			m.Close()
			return err
		}
		s.log.Info().Float64("seconds", time.Since(start).Seconds()).Msg("DB loaded from append only file")
		s.mu.Lock()
		defer s.mu.Unlock()
		if err := m.Start(nil); err != nil {
			m.Close()
			return fmt.Errorf("opening the append only file for writing: %w", err)
		}
	} else {
		if err := s.loadRDBFile(); err != nil {
			m.Close()
			return err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		// the first base holds what the RDB held (possibly nothing); written before the node serves, so
		// the directory is complete from the first command on
		cp := s.captureSnapshot()
		err := m.Start(s.aofWriteBase(cp, true))
		s.releaseSnapshot(cp)
		if err != nil {
			m.Close()
			return fmt.Errorf("creating the append only file: %w", err)
		}
	}
	s.attachAOF(m)
	return nil
}

// attachAOF makes m the consumer of the propagated stream. Lock held.
func (s *Server) attachAOF(m *aof.Manager) {
	s.aof.m = m
	s.aof.baseAtStart = m.Stats().CurrentSize
	s.aof.feed = s.addFeed("aof", func(p []byte) { s.aof.seq.Store(m.Append(p)) })
	s.aof.feed.durable = true
	s.aof.mgr.Store(m)
}

// detachAOF stops appending and closes the files. Lock held.
func (s *Server) detachAOF() error {
	if s.aof.m == nil {
		return nil
	}
	s.removeFeed(s.aof.feed)
	m := s.aof.m
	s.aof.m, s.aof.feed = nil, nil
	s.aof.mgr.Store(nil)
	s.aof.turningOn, s.aof.scheduled = false, false
	return m.Close()
}

// aofLoader applies the AOF's content to the keyspace at start-up.
type aofLoader struct {
	s    *Server
	fake *Client
}

func (l *aofLoader) LoadRDB(r io.Reader, name string) error {
	return l.s.loadRDB(r, name, 0)
}

// Exec runs one command of the file as the node's own internal client: no ACL, no limits, no replies.
// MULTI and EXEC are dropped: the loader applies everything in order anyway, and a transaction arrives whole.
func (l *aofLoader) Exec(argv [][]byte) error {
	s := l.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if l.fake == nil {
		l.fake = s.internalClient("aof-loader")
	}
	return s.execInternal(l.fake, argv)
}

// internalClient is a client with no connection, for commands the node runs itself (AOF loading, a
// replica applying its primary's stream). Lock held.
func (s *Server) internalClient(name string) *Client {
	c := &Client{srv: s, proto: 2, authed: true, created: time.Now(), name: name,
		kick: make(chan struct{}, 1), closed: make(chan struct{})}
	c.user = s.acl.defaultUser()
	c.out.Proto = 2
	return c
}

// execInternal runs argv for an internal client: unknown commands and wrong arities are errors (the
// stream is not one this node can apply), error replies are not (the source applied the same command and
// got the same error). Lock held.
func (s *Server) execInternal(c *Client, argv [][]byte) error {
	if len(argv) == 0 {
		return nil
	}
	cmd, container := lookupCommand(argv)
	if cmd == nil || container != nil {
		return fmt.Errorf("Unknown command '%s' reading the append only file", trunc(argv[0], 128))
	}
	if cmd.Name == "multi" || cmd.Name == "exec" {
		return nil
	}
	if (cmd.Arity > 0 && len(argv) != cmd.Arity) || (cmd.Arity < 0 && len(argv) < -cmd.Arity) {
		return fmt.Errorf("wrong number of arguments for '%s' reading the append only file", cmd.FullName())
	}
	s.invoke(c, cmd, argv)
	s.flushPropagation()
	c.out.Buf = c.out.Buf[:0]
	return nil
}

// aofDurable blocks until the AOF holds everything appended so far (written, and fsynced with always).
// Called without the lock, before a client's replies are written. It reports false when the replies must
// not be written: with appendfsync always, a reply acknowledges a write only once it is on disk.
func (c *Client) aofDurable() bool {
	s := c.srv
	m := s.aof.mgr.Load()
	if m == nil {
		return true
	}
	seq := s.aof.seq.Load()
	if seq <= c.aofDone {
		return true
	}
	if err := m.WriteThrough(seq); err != nil {
		if s.aof.mgr.Load() != m {
			return true // AOF turned off meanwhile
		}
		return m.FsyncPolicy() != aof.FsyncAlways
	}
	c.aofDone = seq
	return true
}

func (s *Server) applyAppendfsync() error {
	if s.aof.m != nil {
		s.aof.m.SetFsync(s.aofFsync())
	}
	return nil
}

// applyAppendonly is CONFIG SET appendonly: turning it on writes a first base from a capture (while the
// node serves, appends collecting meanwhile); turning it off closes the files.
func (s *Server) applyAppendonly() error {
	if !s.cfg.AOF.Enabled {
		return s.detachAOF()
	}
	if s.aof.m != nil {
		return nil
	}
	m, err := s.openAOF()
	if err != nil {
		return err
	}
	cp := s.captureSnapshot()
	if cp == nil {
		// a background save holds the capture: start once it ends (persistCron)
		m.Close()
		s.aof.scheduled, s.aof.turningOn = true, true
		return nil
	}
	if err := m.StartFresh(s.aofWriteBase(cp, false)); err != nil {
		s.releaseSnapshot(cp)
		m.Close()
		return fmt.Errorf("starting the append only file: %w", err)
	}
	s.attachAOF(m)
	s.trackRewrite(cp)
	return nil
}

// startAOFRewrite is BGREWRITEAOF and the automatic rewrite. Lock held.
func (s *Server) startAOFRewrite(reason string) error {
	if s.aof.m == nil {
		// Valkey rewrites even with AOF off (it writes a single file); with no AOF here it would be a file
		// nobody reads, so say what to do instead
		return errors.New("ERR Background append only file rewriting is only available with appendonly yes; use BGSAVE for a snapshot")
	}
	if s.aof.m.RewriteInProgress() || s.persist.owner == ownerAOF {
		return errors.New("ERR Background append only file rewriting already in progress")
	}
	cp := s.captureSnapshot()
	if cp == nil {
		s.aof.scheduled = true
		return errAOFScheduled
	}
	if err := s.aof.m.StartRewrite(s.aofWriteBase(cp, false)); err != nil {
		s.releaseSnapshot(cp)
		return fmt.Errorf("ERR Can't rewrite append only file in background: %w", err)
	}
	s.log.Info().Str("reason", reason).Msg("Background append only file rewriting started")
	s.trackRewrite(cp)
	return nil
}

var errAOFScheduled = errors.New("scheduled")

// trackRewrite holds the capture until the aof package finished the base. Lock held.
func (s *Server) trackRewrite(cp *capture) {
	s.persist.owner = ownerAOF
	s.aof.rewriteCap = cp
	s.aof.lastTry = time.Now()
	m := s.aof.m
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		err := m.WaitRewrite()
		s.mu.Lock()
		defer s.mu.Unlock()
		s.releaseSnapshot(cp)
		if s.persist.owner == ownerAOF {
			s.persist.owner = ownerNone
		}
		s.aof.rewriteCap = nil
		if err != nil {
			s.log.Warn().Err(err).Msg("Background AOF rewrite failed")
			return
		}
		s.aof.turningOn = false
		if s.aof.m == m {
			s.aof.baseAtStart = m.Stats().BaseSize
		}
		s.log.Info().Msg("Background AOF rewrite finished successfully")
	}()
}

// aofCron starts scheduled and automatic rewrites. Lock held.
func (s *Server) aofCron() {
	if s.persist.owner != ownerNone || s.snap.active {
		return
	}
	if s.aof.scheduled {
		s.aof.scheduled = false
		if s.aof.turningOn && s.aof.m == nil {
			if err := s.applyAppendonly(); err != nil {
				s.log.Warn().Err(err).Msg("Could not turn the append only file on")
			}
			return
		}
		if err := s.startAOFRewrite("scheduled"); err != nil && err != errAOFScheduled {
			s.log.Warn().Err(err).Msg("Scheduled AOF rewrite could not start")
		}
		return
	}
	m := s.aof.m
	if m == nil || s.cfg.AOF.RewritePerc == 0 {
		return
	}
	st := m.Stats()
	if st.RewritesConsecutiveFailures > 0 && time.Since(s.aof.lastTry) < bgsaveRetryDelay {
		return
	}
	base := max(s.aof.baseAtStart, 1)
	if st.CurrentSize > s.cfg.AOF.RewriteMinSize && (st.CurrentSize-base)*100/base >= s.cfg.AOF.RewritePerc {
		reason := fmt.Sprintf("Starting automatic rewriting of AOF on %d%% growth", (st.CurrentSize-base)*100/base)
		s.log.Info().Msg(reason)
		if err := s.startAOFRewrite(reason); err != nil && err != errAOFScheduled {
			s.log.Warn().Err(err).Msg("Automatic AOF rewrite could not start")
		}
	}
}

// aofWriteRefused is the MISCONF rule for AOF write errors. Lock held.
func (s *Server) aofWriteRefused() string {
	if s.aof.m == nil {
		return ""
	}
	if err := s.aof.m.LastWriteError(); err != nil {
		return "MISCONF Errors writing to the AOF file: " + err.Error()
	}
	return ""
}

// BGREWRITEAOF
func bgrewriteaofCommand(c *Client, args [][]byte) {
	s := c.srv
	if s.persist.owner == ownerRDB {
		s.aof.scheduled = true
		c.W().Simple("Background append only file rewriting scheduled")
		return
	}
	switch err := s.startAOFRewrite("BGREWRITEAOF"); {
	case err == errAOFScheduled:
		c.W().Simple("Background append only file rewriting scheduled")
	case err != nil:
		c.Err(err.Error())
	default:
		c.W().Simple("Background append only file rewriting started")
	}
}

func init() {
	register(
		spec{name: "bgrewriteaof", arity: 1, flags: "admin noscript dangerous", group: "server",
			summary: "Asynchronously rewrites the append-only file to disk.", since: "1.0.0",
			complexity: "O(1)", handler: bgrewriteaofCommand},
	)
}

// infoAOFFields reports the AOF part of INFO persistence.
func (s *Server) infoAOFFields(b *infoBuilder) {
	m := s.aof.m
	if m == nil {
		b.field("aof_enabled", 0)
		b.field("aof_rewrite_in_progress", boolInt(s.aof.turningOn))
		b.field("aof_rewrite_scheduled", boolInt(s.aof.scheduled))
		b.field("aof_last_rewrite_time_sec", -1)
		b.field("aof_current_rewrite_time_sec", -1)
		b.field("aof_last_bgrewrite_status", "ok")
		b.field("aof_rewrites", 0)
		b.field("aof_rewrites_consecutive_failures", 0)
		b.field("aof_last_write_status", "ok")
		b.field("aof_last_cow_size", 0)
		b.field("module_fork_in_progress", 0)
		b.field("module_fork_last_cow_size", 0)
		return
	}
	st := m.Stats()
	b.field("aof_enabled", 1)
	b.field("aof_rewrite_in_progress", boolInt(st.RewriteInProgress || s.aof.turningOn))
	b.field("aof_rewrite_scheduled", boolInt(s.aof.scheduled))
	b.field("aof_last_rewrite_time_sec", st.LastRewriteTimeSec)
	b.field("aof_current_rewrite_time_sec", st.CurrentRewriteTimeSec)
	b.field("aof_last_bgrewrite_status", aof.Status(st.LastBgrewriteOK))
	b.field("aof_rewrites", st.Rewrites)
	b.field("aof_rewrites_consecutive_failures", st.RewritesConsecutiveFailures)
	b.field("aof_last_write_status", aof.Status(st.LastWriteOK))
	b.field("aof_last_cow_size", 0)
	b.field("module_fork_in_progress", 0)
	b.field("module_fork_last_cow_size", 0)
	b.field("aof_current_size", st.CurrentSize)
	b.field("aof_base_size", st.BaseSize)
	b.field("aof_pending_rewrite", boolInt(s.aof.scheduled))
	b.field("aof_buffer_length", st.BufferLength)
	b.field("aof_pending_bio_fsync", st.PendingBioFsync)
	b.field("aof_delayed_fsync", st.DelayedFsync)
}

// aofBatch is how many elements one rebuilding command carries (Valkey's AOF_REWRITE_ITEMS_PER_CMD).
const aofBatch = 64

// writeCaptureCommands writes cp as the commands that rebuild it (aof-use-rdb-preamble no).
func writeCaptureCommands(w io.Writer, cp *capture, locked bool) error {
	bw := &cmdWriter{w: w}
	err := cp.walk(context.Background(), locked, func(d *capDB) error {
		bw.strs("SELECT", fmt.Sprint(d.id))
		return bw.err
	}, func(e *snapEntry) error {
		bw.value(e.key, &e.obj)
		if e.expire >= 0 {
			bw.strs("PEXPIREAT", e.key, fmt.Sprint(e.expire))
		}
		return bw.err
	})
	if err != nil {
		return err
	}
	bw.flush()
	return bw.err
}

// cmdWriter buffers RESP commands; the first write error sticks.
type cmdWriter struct {
	w   io.Writer
	buf []byte
	err error
}

func (b *cmdWriter) strs(argv ...string) {
	b.buf = append(b.buf, '*')
	b.buf = fmt.Appendf(b.buf, "%d\r\n", len(argv))
	for _, a := range argv {
		b.buf = appendBulkString(b.buf, a)
	}
	if len(b.buf) > 64<<10 {
		b.flush()
	}
}

func (b *cmdWriter) argv(argv [][]byte) {
	b.buf = resp.AppendCommand(b.buf, argv...)
	if len(b.buf) > 64<<10 {
		b.flush()
	}
}

func (b *cmdWriter) flush() {
	if b.err == nil && len(b.buf) > 0 {
		_, b.err = b.w.Write(b.buf)
	}
	b.buf = b.buf[:0]
}

// value writes the commands that recreate one key.
func (b *cmdWriter) value(key string, o *keyspace.Object) {
	k := []byte(key)
	var batch [][]byte
	emit := func(name string) {
		if len(batch) > 0 {
			b.argv(append([][]byte{[]byte(name), k}, batch...))
			batch = batch[:0]
		}
	}
	if o.Kind == keyspace.KindString {
		b.argv([][]byte{bSET, k, o.Str})
		return
	}
	switch v := o.Val.(type) {
	case *keyspace.List:
		v.Range(0, v.Len(), func(e []byte) bool {
			if batch = append(batch, e); len(batch) == aofBatch {
				emit("RPUSH")
			}
			return true
		})
		emit("RPUSH")
	case *keyspace.Hash:
		v.Range(func(f, val []byte) bool {
			if batch = append(batch, f, val); len(batch) == 2*aofBatch {
				emit("HSET")
			}
			return true
		})
		emit("HSET")
	case *keyspace.Set:
		v.Each(func(m []byte) bool {
			if batch = append(batch, append([]byte(nil), m...)); len(batch) == aofBatch {
				emit("SADD")
			}
			return true
		})
		emit("SADD")
	case *keyspace.ZSet:
		v.Range(func(m string, score float64) bool {
			if batch = append(batch, resp.AppendDouble(nil, score), []byte(m)); len(batch) == 2*aofBatch {
				emit("ZADD")
			}
			return true
		})
		emit("ZADD")
	default:
		b.err = fmt.Errorf("key '%s': a %s value cannot be written as commands", key, o.Kind)
	}
}
