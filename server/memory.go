package server

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/valkey-node/valkey-node/server/keyspace"
)

// Memory accounting: used_memory as an account of what the node holds, not a reading of the Go heap.
//
// The data set is accounted key by key: each key costs keyspace.KeyOverhead (its table entries and name)
// plus its value's MemUsage, which every value type keeps current in O(1). The server keeps a running
// total per database from the changes commands make, so that INFO and the maxmemory check before every
// command cost O(databases), not O(keys).
//
// A change is accounted by noting the key before it changes (memNote: the key's figure at that moment)
// and settling after (memSettle: the key's figure now, minus the noted one, added to its database's
// total). Write commands note every key their key specification names before the handler runs
// (memBefore) and settle when it returns (memAfter). Paths that change keys a command does not name
// note them themselves: expiry and eviction (memDeleteKey), MOVE and COPY into another database, and
// blocked clients served after the command (their keys are noted at the end of the command that made
// them ready, and settled at the start of the next one). Whole-database changes (FLUSHDB, FLUSHALL,
// SWAPDB) settle first and then move the per-database totals along.
//
// The invariant: the total equals the sum of every key's figure, except that a noted key counts with its
// first noted figure until the next settle. memCheck verifies it with a full recount (tests).
//
// used_memory adds what is not the data set: a fixed base (the database headers), the hash tables'
// bucket arrays (from their sizes) and the client buffers (sampled by the cron, see memSampleClients).

// memState is the node's memory bookkeeping. Lock held for every use.
type memState struct {
	// dbUsed is the running total of each database's keys and values, in bytes.
	dbUsed []int64
	// notes are the keys noted since the last settle, with their figure at the time; the key bytes
	// live in arena (a note may outlive the command whose arguments named the key).
	notes []memNote
	arena []byte
	// blocked holds the keys of each blocked client's command, so that serving it can be accounted.
	blocked map[*Client]memBlocked
	// clients is the last sample of the client buffers (memSampleClients).
	clients int64
	startup int64
	peak    int64
	evict   evictState
	lazy    lazyFreer
}

type memNote struct {
	db       int
	off, len int // the key is arena[off:off+len]
	before   int64
}

// memBlocked is the database and keys of a blocked client's command, for as long as block is its wait.
type memBlocked struct {
	block *blockState
	db    int
	keys  [][]byte
}

// memInit sizes the per-database totals and counts what the databases already hold (a data set loaded
// before the first command). Lock held.
func (s *Server) memInit() {
	m := &s.mem
	m.dbUsed = make([]int64, len(s.dbs))
	for i, db := range s.dbs {
		m.dbUsed[i] = int64(db.MemRecount(false))
	}
	m.startup = int64(len(s.dbs) * keyspace.BaseMemUsage())
}

// memRecountAll replaces the running totals by a recount of every key: for code that fills the data set
// without going through commands (loading a snapshot). Lock held.
func (s *Server) memRecountAll() {
	s.mem.notes, s.mem.arena = s.mem.notes[:0], s.mem.arena[:0]
	s.memInit()
}

// memLoaded adds what a loader put into each database (it counted as it went). The loader fills empty
// databases, so the totals of databases it did not touch stay as they are. Lock held.
func (s *Server) memLoaded(perDB []int64) {
	if s.mem.dbUsed == nil {
		s.memInit() // counts everything, the loaded keys included
		return
	}
	s.mem.notes, s.mem.arena = s.mem.notes[:0], s.mem.arena[:0]
	for i, n := range perDB {
		s.mem.dbUsed[i] += n
	}
}

// memKeyAdded accounts for a key that code outside a command added (a loader). Lock held.
func (s *Server) memKeyAdded(db *keyspace.DB, key []byte) {
	if s.mem.dbUsed == nil {
		s.memInit() // counts the key already
		return
	}
	s.mem.dbUsed[db.ID] += int64(db.KeyMemUsage(key))
}

// memNote records key's current figure before it changes. Lock held.
func (s *Server) memNote(dbID int, key []byte) {
	m := &s.mem
	if m.dbUsed == nil {
		s.memInit()
	}
	off := len(m.arena)
	m.arena = append(m.arena, key...)
	m.notes = append(m.notes, memNote{db: dbID, off: off, len: len(key), before: int64(s.dbs[dbID].KeyMemUsage(key))})
}

func (m *memState) noteKey(n *memNote) []byte { return m.arena[n.off : n.off+n.len] }

// memSettle adds the change of every noted key to its database's total. A key noted more than once
// counts from its first note: that figure is the one the total holds. Lock held.
func (s *Server) memSettle() {
	m := &s.mem
	switch len(m.notes) {
	case 0:
		return
	case 1:
		n := &m.notes[0]
		m.dbUsed[n.db] += int64(s.dbs[n.db].KeyMemUsage(m.noteKey(n))) - n.before
	default:
		// a stable sort keeps the notes of one key in the order they were taken
		slices.SortStableFunc(m.notes, func(a, b memNote) int {
			if a.db != b.db {
				return a.db - b.db
			}
			return bytes.Compare(m.noteKey(&a), m.noteKey(&b))
		})
		for i := range m.notes {
			n := &m.notes[i]
			if i > 0 && n.db == m.notes[i-1].db && bytes.Equal(m.noteKey(n), m.noteKey(&m.notes[i-1])) {
				continue
			}
			m.dbUsed[n.db] += int64(s.dbs[n.db].KeyMemUsage(m.noteKey(n))) - n.before
		}
	}
	m.notes, m.arena = m.notes[:0], m.arena[:0]
	// a command with a huge key list must not pin its buffers
	if cap(m.arena) > 1<<20 {
		m.arena = nil
	}
	if cap(m.notes) > 1<<14 {
		m.notes = nil
	}
}

// memTracked reports whether cmd's named keys are noted around it: write commands, and PFCOUNT, which
// stores its cached count in the value (and so may replace a value a snapshot shares).
func memTracked(cmd *Command) bool {
	return cmd.Flags&flagWrite != 0 || cmd.Name == "pfcount"
}

// memCommandKeys calls fn with every key a command line names: its KeysFn for movable keys (SORT's STORE
// destination included), else first/last/step.
func memCommandKeys(cmd *Command, args [][]byte, fn func(key []byte)) {
	switch {
	case cmd.KeysFn != nil:
		for _, p := range cmd.KeysFn(args) {
			if p > 0 && p < len(args) {
				fn(args[p])
			}
		}
	case cmd.FirstKey > 0:
		last := cmd.LastKey
		if last < 0 {
			last += len(args)
		}
		for i := cmd.FirstKey; i <= last && i < len(args); i += max(cmd.Step, 1) {
			fn(args[i])
		}
	}
}

// memBefore notes the keys a write command names, before its handler runs. Lock held.
func (s *Server) memBefore(c *Client, cmd *Command, args [][]byte) {
	if !memTracked(cmd) {
		return
	}
	if cmd.KeysFn != nil {
		memCommandKeys(cmd, args, func(key []byte) { s.memNote(c.db, key) })
		return
	}
	// the common case written out: no closure to allocate on every write
	if cmd.FirstKey > 0 {
		last := cmd.LastKey
		if last < 0 {
			last += len(args)
		}
		for i := cmd.FirstKey; i <= last && i < len(args); i += max(cmd.Step, 1) {
			s.memNote(c.db, args[i])
		}
	}
}

// memAfter settles what the command changed. When the command made keys ready for blocked clients, the
// clients are served after it returns: their keys are noted now, and everything is settled at the start
// of the next command instead. Lock held.
func (s *Server) memAfter(c *Client, cmd *Command, args [][]byte) {
	if c.blocked != nil && memTracked(cmd) {
		s.memRecordBlocked(c, cmd, args)
	}
	if len(s.mem.notes) == 0 && len(s.readyKeys) == 0 {
		return
	}
	if len(s.readyKeys) > 0 {
		s.memNoteReady()
		return
	}
	s.memSettle()
}

// memRecordBlocked keeps the keys of the command c is now blocked in (a BLMOVE's destination included).
func (s *Server) memRecordBlocked(c *Client, cmd *Command, args [][]byte) {
	m := &s.mem
	if rec, ok := m.blocked[c]; ok && rec.block == c.blocked {
		return
	}
	if m.blocked == nil {
		m.blocked = map[*Client]memBlocked{}
	}
	rec := memBlocked{block: c.blocked, db: c.db}
	memCommandKeys(cmd, args, func(key []byte) { rec.keys = append(rec.keys, bytes.Clone(key)) })
	m.blocked[c] = rec
}

// memNoteReady notes the keys of every blocked client that may be served on the ready keys, and of the
// clients those may serve in turn (a BLMOVE pushes to a key another client waits on).
func (s *Server) memNoteReady() {
	m := &s.mem
	if len(m.blocked) == 0 {
		return
	}
	seen := map[watchKey]bool{}
	queue := append([]watchKey(nil), s.readyKeys...)
	for len(queue) > 0 {
		wk := queue[0]
		queue = queue[1:]
		if seen[wk] {
			continue
		}
		seen[wk] = true
		for _, bc := range s.blockedKeys[wk] {
			rec, ok := m.blocked[bc]
			if !ok || rec.block != bc.blocked {
				continue
			}
			for _, k := range rec.keys {
				s.memNote(rec.db, k)
				queue = append(queue, watchKey{rec.db, string(k)})
			}
		}
	}
}

// memForgetUnblocked drops the records of clients that are no longer blocked (cron). Lock held.
func (s *Server) memForgetUnblocked() {
	for c, rec := range s.mem.blocked {
		if c.blocked != rec.block {
			delete(s.mem.blocked, c)
		}
	}
}

// memDeleteKey deletes a key, noting it first, and hands a large value to the lazy free when lazy. It
// returns the key's figure before the deletion and whether it existed. Lock held.
func (s *Server) memDeleteKey(dbID int, key []byte, lazy bool) (int64, bool) {
	db := s.dbs[dbID]
	o := db.Get(key)
	if o == nil {
		return 0, false
	}
	s.memNote(dbID, key)
	freed := s.mem.notes[len(s.mem.notes)-1].before
	obj := *o
	db.Delete(key)
	s.lazyFreeValue(&obj, freed, lazy)
	return freed, true
}

// memFlushDB empties a database with its accounting; lazy hands the old tables to the lazy free. It
// returns the number of keys removed. Lock held.
func (s *Server) memFlushDB(id int, lazy bool) int {
	s.memSettleAll()
	freed := s.mem.dbUsed[id]
	d := s.dbs[id].FlushDetached()
	s.mem.dbUsed[id] = 0
	n := d.Keys()
	if lazy && n > 0 {
		s.lazyFree(d, int64(n), freed)
	}
	return n
}

// memSwapDB exchanges the totals of two databases along with their contents (SWAPDB). Lock held.
func (s *Server) memSwapDB(a, b int) {
	s.memSettleAll()
	s.mem.dbUsed[a], s.mem.dbUsed[b] = s.mem.dbUsed[b], s.mem.dbUsed[a]
}

// memSettleAll settles and makes sure the totals exist. Lock held.
func (s *Server) memSettleAll() {
	if s.mem.dbUsed == nil {
		s.memInit()
	}
	s.memSettle()
}

// dataset is the running total of every database. Lock held, settled.
func (s *Server) memDataset() int64 {
	var n int64
	for _, u := range s.mem.dbUsed {
		n += u
	}
	return n
}

// usedMemory is used_memory: the base, the data set, the hash tables' bucket arrays and the client
// buffers (as last sampled). Lock held; the caller settles first for an exact figure.
func (s *Server) usedMemory() int64 {
	if s.mem.dbUsed == nil {
		s.memInit()
	}
	used := s.mem.startup + s.memDataset() + s.mem.clients
	for _, db := range s.dbs {
		used += int64(db.TableOverhead())
	}
	return used
}

// memUpdatePeak records used_memory_peak. Lock held.
func (s *Server) memUpdatePeak() int64 {
	used := s.usedMemory()
	if used > s.mem.peak {
		s.mem.peak = used
	}
	return used
}

// clientQueryBufEstimate stands for a connection's input buffer. The buffer belongs to the connection's
// goroutine and is not read from here; it starts at this size and shrinks back to it when a large
// request has passed.
const clientQueryBufEstimate = 16 * 1024

// memSampleClients adds up the client buffers: the input buffer, the reply buffer (read under the
// client's outMu), the current arguments and a queued transaction. The cron refreshes it every tick, so
// the maxmemory check before each command does not walk every connection. Lock held.
func (s *Server) memSampleClients() int64 {
	var total int64
	for _, c := range s.clients {
		n := int64(clientQueryBufEstimate + c.argvMem)
		if c != s.cur {
			c.outMu.Lock()
		}
		n += int64(keyspace.AllocSize(cap(c.out.Buf)))
		if c != s.cur {
			c.outMu.Unlock()
		}
		if c.multi != nil {
			for _, q := range c.multi.cmds {
				for _, a := range q.args {
					n += int64(keyspace.AllocSize(len(a)))
				}
			}
		}
		total += n
	}
	s.mem.clients = total
	return total
}

// memoryCron is the periodic part: settle what expiry noted, refresh the client sample and the peak,
// continue an eviction that ran out of time, and drop stale blocked-client records. Lock held.
func (s *Server) memoryCron() {
	s.memSettleAll()
	s.memSampleClients()
	s.memUpdatePeak()
	if s.mem.evict.running {
		s.mem.evict.running = false
		s.performEvictions()
	}
	if len(s.mem.blocked) > 0 {
		s.memForgetUnblocked()
	}
}

// memCheck compares the running totals with a recount of every key (deep: values recounted element by
// element where their types can) and returns an error describing the first difference. It walks the
// whole data set: for tests and debugging. Lock held.
func (s *Server) memCheck(deep bool) error {
	s.memSettleAll()
	for i, db := range s.dbs {
		if got, want := s.mem.dbUsed[i], int64(db.MemRecount(deep)); got != want {
			return fmt.Errorf("database %d: running total %d bytes, recount %d (%d keys)", i, got, want, db.Len())
		}
	}
	return nil
}
