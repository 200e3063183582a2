package server

import (
	"strconv"

	"github.com/valkey-node/valkey-node/server/resp"
)

// Propagation: every change to the data set is described as a sequence of commands that, replayed in order
// on an empty node that loaded the same snapshot, rebuilds the same data. The AOF and the replication stream
// are two consumers of that sequence.
//
// A write command that changed something (the dirty counter moved) is propagated as it was sent, unless its
// handler rewrote it: commands whose effect depends on the clock or on chance are rewritten into
// deterministic ones (EXPIRE → PEXPIREAT, SPOP → SREM, INCRBYFLOAT → SET, a served BLPOP → LPOP …), and
// deletions the node makes on its own (expiry, eviction) are added as DEL. What one top-level call
// propagates is collected first and emitted at its end; more than one command is wrapped in MULTI/EXEC so a
// consumer applies the call atomically, as it was applied here.
//
// The commands are encoded once into propState.buf; each consumer adds only its own SELECT and the
// MULTI/EXEC frame, since consumers track their selected database independently.

// propState is the pending propagation of the running call. Lock held for every use.
type propState struct {
	buf   []byte
	ops   []propOp
	feeds []*propFeed
	// set by a handler for its own command, reset by invoke
	argv     [][]byte // rewritten form of the running command (nil: as sent)
	suppress bool     // the running command propagates nothing of its own (it queued what it needed)
	force    bool     // propagate the running command to replicas even though nothing looked dirty (PUBLISH)
}

type propOp struct {
	db         int
	start, end int
	replOnly   bool // for replicas only, not the AOF (PUBLISH)
}

// propFeed is one consumer of the propagated stream.
type propFeed struct {
	name string
	// durable: the AOF, which keeps only what changes data (PUBLISH goes to replicas only)
	durable bool
	// wants, if set, says whether the consumer needs the stream right now (nil: always)
	wants func() bool
	seldb int // the database the consumer has selected, -1 when unknown (forces a SELECT)
	emit  func(p []byte)
	// scratch buffer reused for framing
	out []byte
}

// addFeed registers a consumer; from now on it receives every propagated call. Lock held.
func (s *Server) addFeed(name string, emit func(p []byte)) *propFeed {
	f := &propFeed{name: name, seldb: -1, emit: emit}
	s.prop.feeds = append(s.prop.feeds, f)
	return f
}

// removeFeed unregisters a consumer. Lock held.
func (s *Server) removeFeed(f *propFeed) {
	for i, g := range s.prop.feeds {
		if g == f {
			s.prop.feeds = append(s.prop.feeds[:i], s.prop.feeds[i+1:]...)
			return
		}
	}
}

// propagating reports whether anyone consumes the stream; callers skip building rewritten commands when
// nobody would read them.
func (s *Server) propagating() bool {
	for _, f := range s.prop.feeds {
		if f.wants == nil || f.wants() {
			return true
		}
	}
	return false
}

// alsoPropagate queues a command for the current call, in database db. Lock held.
func (s *Server) alsoPropagate(db int, argv ...[]byte) {
	if !s.propagating() {
		return
	}
	start := len(s.prop.buf)
	s.prop.buf = resp.AppendCommand(s.prop.buf, argv...)
	s.prop.ops = append(s.prop.ops, propOp{db: db, start: start, end: len(s.prop.buf)})
}

// rewriteCommand replaces what the running command propagates with argv (a deterministic equivalent).
func (c *Client) rewriteCommand(argv ...[]byte) {
	c.srv.prop.argv = argv
}

// propagateAs records what a blocking command did, in the form a consumer runs without blocking: as the
// rewritten form of the running command, or, when the client is being served after it waited (its command
// is long finished), as an extra command of the call that made its key ready.
func (s *Server) propagateAs(c *Client, argv ...[]byte) {
	if !s.propagating() {
		return
	}
	if c.blocked != nil {
		s.alsoPropagate(c.db, argv...)
		return
	}
	s.prop.argv = argv
}

// preventPropagation stops the running command from propagating itself (it queued its own equivalent with
// alsoPropagate, or it changed nothing a consumer needs).
func (c *Client) preventPropagation() { c.srv.prop.suppress = true }

// forcePropagation propagates the running command to replicas even if it changed no key (PUBLISH: a
// replica's subscribers get the primary's messages).
func (c *Client) forcePropagation() { c.srv.prop.force = true }

// propagateCommand is called by invoke after a handler ran: it queues the command (or its rewritten form)
// when it changed the data set.
func (s *Server) propagateCommand(c *Client, cmd *Command, args [][]byte, dirtyBefore int64) {
	p := &s.prop
	if !p.suppress && (p.force || (s.dirty != dirtyBefore && cmd.Flags&flagWrite != 0)) && s.propagating() {
		argv := args
		if p.argv != nil {
			argv = p.argv
		} else if rw := s.rewriteForPropagation(c, cmd, args); rw != nil {
			argv = rw
		}
		s.alsoPropagate(c.db, argv...)
		if p.force && s.dirty == dirtyBefore {
			p.ops[len(p.ops)-1].replOnly = true
		}
	}
	p.argv, p.suppress, p.force = nil, false, false
}

// flushPropagation hands the queued commands of the finished call to every consumer and reports whether
// there were any. Lock held.
func (s *Server) flushPropagation() bool {
	p := &s.prop
	if len(p.ops) == 0 {
		return false
	}
	for _, f := range p.feeds {
		ops := p.ops
		if f.durable {
			ops = durableOps(p.ops)
			if len(ops) == 0 {
				continue
			}
		}
		wrap := len(ops) > 1
		out := f.out[:0]
		if wrap {
			out = f.selectDB(out, ops[0].db)
			out = append(out, "*1\r\n$5\r\nMULTI\r\n"...)
		}
		for _, op := range ops {
			out = f.selectDB(out, op.db)
			out = append(out, p.buf[op.start:op.end]...)
		}
		if wrap {
			out = append(out, "*1\r\n$4\r\nEXEC\r\n"...)
		}
		f.emit(out)
		if cap(out) <= 64<<10 {
			f.out = out[:0] // keep a modest buffer for the next call
		} else {
			f.out = nil
		}
	}
	p.ops = p.ops[:0]
	if cap(p.buf) > 64<<10 {
		p.buf = nil
	} else {
		p.buf = p.buf[:0]
	}
	return true
}

// selectDB appends a SELECT when the consumer is in another database.
func (f *propFeed) selectDB(out []byte, db int) []byte {
	if f.seldb == db {
		return out
	}
	f.seldb = db
	n := strconv.Itoa(db)
	out = append(out, "*2\r\n$6\r\nSELECT\r\n"...)
	return appendBulkString(out, n)
}

func appendBulkString(b []byte, a string) []byte {
	b = append(b, '$')
	b = strconv.AppendInt(b, int64(len(a)), 10)
	b = append(b, '\r', '\n')
	b = append(b, a...)
	return append(b, '\r', '\n')
}

// durableOps is ops without those meant for replicas only; it allocates only when there are some.
func durableOps(ops []propOp) []propOp {
	n := 0
	for _, op := range ops {
		if !op.replOnly {
			n++
		}
	}
	if n == len(ops) {
		return ops
	}
	out := make([]propOp, 0, n)
	for _, op := range ops {
		if !op.replOnly {
			out = append(out, op)
		}
	}
	return out
}
