package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/valkey-node/valkey-node/server/keyspace"
	"github.com/valkey-node/valkey-node/server/rdb"
)

// RDB persistence: SAVE, BGSAVE, save points, and the bookkeeping INFO persistence reports. The snapshot a
// background save writes is a capture (snapshot.go), encoded by its own goroutine while commands go on.

// bgsaveRetryDelay is how long after a failed background save the save points wait before trying again
// (Valkey's CONFIG_BGSAVE_RETRY_DELAY), so a full disk is not hammered hz times a second.
const bgsaveRetryDelay = 5 * time.Second

// captureOwner says who holds the capture: BGSAVE and AOF rewrites refuse each other with different errors.
type captureOwner uint8

const (
	ownerNone captureOwner = iota
	ownerRDB
	ownerAOF
	ownerRepl // a full sync to replicas
)

// persistState is the RDB bookkeeping. Lock held for every field.
type persistState struct {
	owner     captureOwner
	bgStart   time.Time
	bgCancel  context.CancelFunc
	bgDone    chan struct{} // closed when the running background save ends
	scheduled bool          // BGSAVE SCHEDULE waiting for an AOF rewrite to end

	lastBgOK      bool
	lastBgErr     string
	lastBgDur     time.Duration
	lastBgTry     time.Time
	saves         int64
	lastSaveSize  int64
	loading       atomic.Bool
	loadedKeys    int64
	loadedExpired int64
	// finalDone: SHUTDOWN already did (or declined) the final save
	finalDone bool
	// the replication id and offset the last loaded RDB recorded: a replica restarting from it resumes
	// its primary's stream with a partial resync
	loadedReplID     string
	loadedReplOffset int64
	loadedStreamDB   int
}

// rdbPath is where the RDB lives: dbfilename inside dir.
func (s *Server) rdbPath() string {
	return filepath.Join(s.cfg.Dir, s.cfg.Persist.DBFilename)
}

// rdbOptions are the encoder options from the directives.
func (s *Server) rdbOptions() rdb.Options {
	return rdb.Options{Compress: s.cfg.Persist.Compression, Checksum: s.cfg.Persist.Checksum}
}

// rdbLimits are the encoding thresholds loaded values follow.
func (s *Server) rdbLimits() rdb.Limits {
	return rdb.Limits{Hash: s.hashLimits(), Set: s.setLimits(), ZSet: s.zsetLimits(), ListFill: s.listFill()}
}

// auxFields are the AUX records every RDB starts with, as Redis 7.0 writes them.
func (s *Server) auxFields(cp *capture) [][2]string {
	return [][2]string{
		{"redis-ver", RedisVersion},
		{"redis-bits", "64"},
		{"ctime", strconv.FormatInt(cp.startMs/1000, 10)},
		{"used-mem", strconv.FormatUint(s.usedMemoryForRDB(), 10)},
		{"repl-stream-db", strconv.Itoa(s.replStreamDB())},
		{"repl-id", s.replID()},
		{"repl-offset", strconv.FormatInt(s.replOffset(), 10)},
		{"aof-base", "0"},
	}
}

// usedMemoryForRDB is the used-mem AUX field: informational only.
func (s *Server) usedMemoryForRDB() uint64 { return uint64(s.usedMemory()) }

// replID is the replication id written into RDB files.
func (s *Server) replID() string {
	if s.repl.primary == nil {
		return s.runID
	}
	return s.repl.primary.Status().ReplID
}

// writeCapture encodes a snapshot as a complete RDB stream. It runs without the lock unless locked (the
// walk then takes it chunk by chunk); ctx cancels it between keys (shutdown, a failed replica link). delay
// is rdb-key-save-delay in microseconds.
func writeCapture(ctx context.Context, w io.Writer, cp *capture, locked bool, aux [][2]string, o rdb.Options, delay int64) error {
	e := rdb.NewEncoder(w, o)
	if err := e.Header(); err != nil {
		return err
	}
	for _, a := range aux {
		if err := e.Aux(a[0], a[1]); err != nil {
			return err
		}
	}
	n := 0
	err := cp.walk(ctx, locked, func(d *capDB) error {
		return e.SelectDB(d.id, uint64(d.size), uint64(d.expires))
	}, func(ent *snapEntry) error {
		if err := e.Key(ent.key, &ent.obj, ent.expire); err != nil {
			return fmt.Errorf("key '%s': %w", ent.key, err)
		}
		n++
		if delay > 0 {
			time.Sleep(time.Duration(delay) * time.Microsecond)
		} else if delay < 0 && n%int(-delay) == 0 {
			time.Sleep(time.Microsecond) // Valkey: a negative delay sleeps 1µs every -delay keys
		}
		return nil
	})
	if err != nil {
		return err
	}
	return e.Finish()
}

// saveFile writes the capture to path through a temporary file in the same directory: fsync, rename, then
// fsync the directory, so that a crash or a full disk at any point leaves the previous file intact.
func saveFile(ctx context.Context, path string, cp *capture, locked bool, aux [][2]string, o rdb.Options, delay int64, incremental bool) (int64, error) {
	dir := filepath.Dir(path)
	tmp := filepath.Join(dir, fmt.Sprintf("temp-%d-%d.rdb", os.Getpid(), cp.gen))
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return 0, fmt.Errorf("Failed opening the temp RDB file %s (in server root dir %s) for saving: %w", filepath.Base(tmp), dir, err)
	}
	cw := &countingWriter{w: f, fault: saveFault.Load()}
	if incremental {
		cw.syncEvery, cw.file = 4<<20, f
	}
	err = writeCapture(ctx, cw, cp, locked, aux, o, delay)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return 0, fmt.Errorf("Write error saving DB on disk: %w", err)
	}
	syncDir(dir)
	return cw.n, nil
}

// syncDir makes a rename durable.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// countingWriter counts bytes and, when syncEvery is set, fsyncs the file every syncEvery bytes.
type countingWriter struct {
	w         io.Writer
	n         int64
	file      *os.File
	syncEvery int64
	unsynced  int64
	fault     *func(written int64) error
}

// saveFault, set by tests, fails a save's write the way a full disk would (given the bytes written so far).
var saveFault atomic.Pointer[func(written int64) error]

func setSaveFault(f func(written int64) error) {
	if f == nil {
		saveFault.Store(nil)
		return
	}
	saveFault.Store(&f)
}

func (c *countingWriter) Write(p []byte) (int, error) {
	if c.fault != nil {
		if err := (*c.fault)(c.n + int64(len(p))); err != nil {
			return 0, err
		}
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	if c.file != nil {
		c.unsynced += int64(n)
		if c.unsynced >= c.syncEvery {
			c.unsynced = 0
			if serr := c.file.Sync(); err == nil && serr != nil {
				err = serr
			}
		}
	}
	return n, err
}

// rdbSaveSync is SAVE (and the save at shutdown): the whole data set written with the lock held. Lock held.
func (s *Server) rdbSaveSync() error {
	cp := s.captureSnapshot()
	if cp == nil {
		return errors.New("a snapshot is already in progress")
	}
	defer s.releaseSnapshot(cp)
	start := time.Now()
	n, err := saveFile(context.Background(), s.rdbPath(), cp, true, s.auxFields(cp), s.rdbOptions(), 0, s.cfg.Persist.IncrementalFsync)
	if err != nil {
		s.persist.lastBgOK = false
		s.persist.lastBgErr = err.Error()
		s.log.Warn().Err(err).Str("file", s.rdbPath()).Msg("Error saving DB on disk")
		return err
	}
	s.afterSave(cp, n, true)
	s.log.Info().Int("keys", cp.keys).Int64("bytes", n).Dur("took", time.Since(start)).Msg("DB saved on disk")
	return nil
}

// afterSave records a successful save of cp. Lock held.
func (s *Server) afterSave(cp *capture, size int64, ok bool) {
	s.dirty -= cp.dirty
	if s.dirty < 0 {
		s.dirty = 0
	}
	s.lastSave = time.Now()
	s.persist.saves++
	s.persist.lastSaveSize = size
	s.persist.lastBgOK = ok
	s.persist.lastBgErr = ""
}

// startBgsave starts a background save. Lock held. It returns an error reply text when it cannot start.
func (s *Server) startBgsave(reason string) error {
	switch s.persist.owner {
	case ownerRDB:
		return errors.New("ERR Background save already in progress")
	case ownerAOF:
		return errors.New("ERR An AOF log rewriting in progress: can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.")
	}
	cp := s.captureSnapshot()
	if cp == nil {
		return errors.New("ERR Background save already in progress")
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.persist.owner = ownerRDB
	s.persist.bgStart = time.Now()
	s.persist.lastBgTry = s.persist.bgStart
	s.persist.bgCancel = cancel
	done := make(chan struct{})
	s.persist.bgDone = done
	path, aux, opts, delay, inc := s.rdbPath(), s.auxFields(cp), s.rdbOptions(), s.cfg.Persist.KeySaveDelay, s.cfg.Persist.IncrementalFsync
	s.log.Info().Str("reason", reason).Int("keys", cp.keys).Msg("Background saving started")
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		defer close(done)
		n, err := saveFile(ctx, path, cp, false, aux, opts, delay, inc)
		s.mu.Lock()
		defer s.mu.Unlock()
		s.releaseSnapshot(cp)
		s.persist.owner = ownerNone
		s.persist.bgCancel = nil
		s.persist.lastBgDur = time.Since(s.persist.bgStart)
		if err != nil {
			s.persist.lastBgOK = false
			s.persist.lastBgErr = err.Error()
			s.log.Warn().Err(err).Str("file", path).Msg("Background saving error")
			return
		}
		s.afterSave(cp, n, true)
		s.log.Info().Int64("bytes", n).Dur("took", s.persist.lastBgDur).Msg("Background saving terminated with success")
	}()
	return nil
}

// stopBgsave cancels a running background save and waits for it to end. Lock held on entry and on return
// (it is released while waiting).
func (s *Server) stopBgsave() {
	if s.persist.owner != ownerRDB {
		return
	}
	s.persist.bgCancel()
	done := s.persist.bgDone
	s.mu.Unlock()
	<-done
	s.mu.Lock()
}

// persistCron starts a background save when a save point is reached or one was scheduled. Lock held.
func (s *Server) persistCron() {
	if s.persist.owner != ownerNone || s.snap.active {
		return
	}
	if s.aof.scheduled {
		s.aofCron()
		return
	}
	defer s.aofCron()
	if s.persist.scheduled {
		s.persist.scheduled = false
		if err := s.startBgsave("scheduled"); err != nil {
			s.log.Warn().Err(err).Msg("Scheduled background save could not start")
		}
		return
	}
	if s.dirty == 0 || len(s.cfg.Persist.SavePoints) == 0 {
		return
	}
	now := time.Now()
	// after a failure, wait before trying again unless the failure is older than the retry delay
	if !s.persist.lastBgOK && now.Sub(s.persist.lastBgTry) < bgsaveRetryDelay {
		return
	}
	for _, p := range s.cfg.Persist.SavePoints {
		if s.dirty >= p.Changes && now.Sub(s.lastSave) >= time.Duration(p.Seconds)*time.Second {
			reason := fmt.Sprintf("%d changes in %d seconds. Saving...", p.Changes, p.Seconds)
			s.log.Info().Msg(reason)
			if err := s.startBgsave(reason); err != nil {
				s.log.Warn().Err(err).Msg("Background save could not start")
			}
			return
		}
	}
}

// writesRefusedByDiskError is the MISCONF rule: with save points and stop-writes-on-bgsave-error, a failed
// last save refuses writes until a save succeeds. Lock held.
func (s *Server) writesRefusedByDiskError() string {
	if msg := s.aofWriteRefused(); msg != "" {
		return msg
	}
	if s.cfg.Persist.StopWritesOnError && len(s.cfg.Persist.SavePoints) > 0 && !s.persist.lastBgOK {
		return errMisconfRDB
	}
	return ""
}

const errMisconfRDB = "MISCONF Valkey is configured to save RDB snapshots, but it's currently unable to persist to disk. " +
	"Commands that may modify the data set are disabled, because this instance is configured to report errors during " +
	"writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Valkey logs for details " +
	"about the RDB error."

// loadRDBFile loads dir/dbfilename at start-up, if it exists. It runs before the listeners open.
func (s *Server) loadRDBFile() error {
	path := s.rdbPath()
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("opening the RDB file %s: %w", path, err)
	}
	defer f.Close()
	st, _ := f.Stat()
	start := time.Now()
	if err := s.loadRDB(f, path, st.Size()); err != nil {
		return err
	}
	s.log.Info().Float64("seconds", time.Since(start).Seconds()).Msg("DB loaded from disk")
	return nil
}

// loadRDB reads a whole RDB stream into the keyspace, which must be empty. Keys already expired are
// dropped, as a primary does. size (0 if unknown) lets the progress lines say how far the load is.
func (s *Server) loadRDB(r io.Reader, name string, size int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.loadRDBLocked(r, name, size)
}

// loadRDBLocked is loadRDB with the lock already held (DEBUG RELOAD, a replica's full sync).
func (s *Server) loadRDBLocked(r io.Reader, name string, size int64) error {
	s.persist.loading.Store(true)
	defer s.persist.loading.Store(false)
	d := rdb.NewDecoder(r, s.rdbLimits())
	ver, err := d.Header()
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	var rec rdb.Record
	var loaded, expired int64
	curDB := 0
	loadedBytes := make([]int64, len(s.dbs))
	lastLog := time.Now()
	now := nowMs()
	for {
		err := d.Next(&rec)
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("Short read or OOM loading DB. Unrecoverable error, aborting now. %s: %w", name, err)
		}
		switch rec.Kind {
		case rdb.RecAux:
			switch rec.Aux[0] {
			case "redis-ver", "valkey-ver":
				s.log.Info().Str("version", rec.Aux[1]).Int("rdb_version", ver).Msg("Loading RDB produced by version " + rec.Aux[1])
			case "repl-id":
				s.persist.loadedReplID = rec.Aux[1]
			case "repl-stream-db":
				s.persist.loadedStreamDB, _ = strconv.Atoi(rec.Aux[1])
			case "repl-offset":
				s.persist.loadedReplOffset, _ = strconv.ParseInt(rec.Aux[1], 10, 64)
			case "ctime":
				if t, err := strconv.ParseInt(rec.Aux[1], 10, 64); err == nil {
					s.log.Info().Int64("age_seconds", now/1000-t).Msg("RDB age " + strconv.FormatInt(now/1000-t, 10) + " seconds")
				}
			}
		case rdb.RecSelectDB:
			curDB = rec.DB
		case rdb.RecResizeDB:
			if curDB >= 0 && curDB < len(s.dbs) {
				// a hint: never more than a sane amount up front, whatever a corrupt file says
				s.dbs[curDB].Reserve(int(min(rec.DBSize, 1<<26)), int(min(rec.ExpiresSize, 1<<26)))
			}
		case rdb.RecKey:
			rec.DB = curDB
			if rec.DB < 0 || rec.DB >= len(s.dbs) {
				return fmt.Errorf("%s: FATAL: Data file was created with a Valkey server configured to handle more than %d databases. Exiting (at offset %d)", name, len(s.dbs), d.Offset())
			}
			if rec.ExpireMs >= 0 && rec.ExpireMs < now {
				expired++
				continue
			}
			db := s.dbs[rec.DB]
			rec.Obj.LRU = s.lruClock()
			o, added := db.AddNew(rec.Key, rec.Obj)
			if !added {
				return fmt.Errorf("%s: duplicate key '%s' in database %d at offset %d", name, rec.Key, rec.DB, d.Offset())
			}
			if rec.ExpireMs >= 0 {
				db.SetExpire(rec.Key, rec.ExpireMs)
			}
			// accounted here from the object in hand rather than by a recount of everything at the end
			loadedBytes[rec.DB] += int64(keyspace.KeyOverhead(len(rec.Key), rec.ExpireMs >= 0) + o.MemUsage())
			loaded++
			if loaded&0xffff == 0 && time.Since(lastLog) > time.Second {
				lastLog = time.Now()
				ev := s.log.Info().Int64("keys", loaded)
				if size > 0 {
					ev = ev.Float64("percent", float64(d.Offset())*100/float64(size))
				}
				ev.Msg("Loading RDB")
			}
		case rdb.RecFunction:
			return fmt.Errorf("%s: the RDB holds a function library (offset %d) and valkey-node has no functions: refusing to load it rather than drop it", name, d.Offset())
		}
	}
	s.persist.loadedKeys, s.persist.loadedExpired = loaded, expired
	s.memLoaded(loadedBytes)
	s.log.Info().Int64("keys_loaded", loaded).Int64("keys_expired", expired).
		Msg(fmt.Sprintf("Done loading RDB, keys loaded: %d, keys expired: %d.", loaded, expired))
	return nil
}

// loadOnStart loads the data set before the listeners open: the AOF when appendonly is on, else the RDB.
func (s *Server) loadOnStart() error {
	load := s.loadRDBFile
	if s.cfg.AOF.Enabled {
		load = s.loadAOF
	}
	if err := load(); err != nil {
		s.log.Warn().Err(err).Msg("Fatal error loading the DB, check server logs. Exiting.")
		return err
	}
	s.mu.Lock()
	s.persist.finalDone = false
	s.mu.Unlock()
	return nil
}

// PrepareShutdown does the final save a signal asks for. When it fails the node must keep running, as
// Valkey does: exiting would lose every change since the last good save.
func (s *Server) PrepareShutdown() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.persist.finalDone {
		return nil
	}
	if err := s.finalSave(false); err != nil {
		return err
	}
	s.persist.finalDone = true
	return nil
}

// finalSave is the save at shutdown: when save points are configured (or SHUTDOWN SAVE asked), any running
// background save is stopped and the data set written in the foreground. Lock held.
func (s *Server) finalSave(force bool) error {
	if !force && len(s.cfg.Persist.SavePoints) == 0 {
		return nil
	}
	s.stopBgsave()
	s.log.Info().Msg("Saving the final RDB snapshot before exiting.")
	if err := s.rdbSaveSync(); err != nil {
		s.log.Warn().Err(err).Msg("Error trying to save the DB, can't exit.")
		return err
	}
	return nil
}

// infoAOF reports the append-only file fields.
func (s *Server) infoAOF(b *infoBuilder) { s.infoAOFFields(b) }

// replOffset is the replication offset written into RDB files.
func (s *Server) replOffset() int64 {
	if s.repl.primary == nil {
		return 0
	}
	return s.repl.primary.Offset()
}

// replStreamDB is the database the replication stream has selected at this point (repl-stream-db): a
// replica restarted from this file resumes its primary's stream in it.
func (s *Server) replStreamDB() int {
	switch {
	case s.repl.master != nil:
		return s.repl.master.db
	case s.repl.feed != nil && s.repl.feed.seldb >= 0:
		return s.repl.feed.seldb
	}
	return 0
}
