package server

import (
	"errors"
	"math"
	"net"
	"strconv"
	"time"

	"github.com/valkey-node/valkey-node/server/resp"
)

// blockState is a client waiting in a blocking command (BLPOP, BZPOPMIN, BLMOVE, ...).
//
// The blocked client's goroutine waits outside the execution lock. When a write makes one of its keys
// ready, the writing goroutine serves the blocked clients in arrival order right after its command, under
// the lock, by calling retry on their behalf: the pop and the push are one atomic step, as in Valkey.
type blockState struct {
	db       int
	keys     [][]byte
	deadline time.Time // zero: wait forever
	retry    func(c *Client, keys [][]byte) bool
	onTimout func(w *resp.Writer)
	done     chan struct{}
}

type unblockReason int

const (
	unblockServed unblockReason = iota
	unblockTimeout
	unblockGone
	unblockByClientError // CLIENT UNBLOCK ... ERROR
)

// parseBlockTimeout parses a blocking command's timeout in seconds (fractions allowed), as Valkey:
// "ERR timeout is not a float or out of range", "ERR timeout is negative".
func parseBlockTimeout(arg []byte) (time.Duration, string) {
	f, err := strconv.ParseFloat(string(arg), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, "ERR timeout is not a float or out of range"
	}
	if f < 0 {
		return 0, "ERR timeout is negative"
	}
	if f > float64(math.MaxInt64/int64(time.Second)) {
		return 0, "ERR timeout is out of range"
	}
	d := time.Duration(f * float64(time.Second))
	if d == 0 && f > 0 {
		d = time.Millisecond // a positive timeout too small to count is not "forever"
	}
	return d, ""
}

// blockOn makes c wait for one of keys to become ready. retry is called (with the lock held and c as the
// current client) each time a key is signalled; it must write the reply and return true when it could
// serve the client, or write nothing and return false. onTimeout writes the reply for a timeout. Inside
// MULTI/EXEC a blocking command does not block: it times out at once, as in Valkey.
func (s *Server) blockOn(c *Client, keys [][]byte, timeout time.Duration,
	retry func(c *Client, keys [][]byte) bool, onTimeout func(w *resp.Writer)) {
	if c.inExec {
		onTimeout(c.W())
		return
	}
	b := &blockState{db: c.db, retry: retry, onTimout: onTimeout, done: make(chan struct{})}
	if timeout > 0 {
		b.deadline = time.Now().Add(timeout)
	}
	for _, k := range keys {
		kc := append([]byte(nil), k...)
		b.keys = append(b.keys, kc)
		wk := watchKey{c.db, string(kc)}
		s.blockedKeys[wk] = append(s.blockedKeys[wk], c)
	}
	c.blocked = b
	s.blockedCount++
}

// signalKeyReady is called by commands that add elements to a key (LPUSH, ZADD, ...): clients blocked on
// it are served after the current command.
func (s *Server) signalKeyReady(dbID int, key []byte) {
	if len(s.blockedKeys) == 0 {
		return
	}
	wk := watchKey{dbID, string(key)}
	if _, ok := s.blockedKeys[wk]; !ok || s.readySet[wk] {
		return
	}
	s.readySet[wk] = true
	s.readyKeys = append(s.readyKeys, wk)
}

// handleReadyKeys serves blocked clients whose keys were signalled, in the order they blocked, until
// each key has nothing more to give. Lock held.
func (s *Server) handleReadyKeys() {
	for len(s.readyKeys) > 0 {
		keys := s.readyKeys
		s.readyKeys = nil
		clear(s.readySet)
		for _, wk := range keys {
			waiting := append([]*Client(nil), s.blockedKeys[wk]...)
			for _, bc := range waiting {
				b := bc.blocked
				if b == nil {
					continue
				}
				prev := s.cur
				if bc != prev {
					bc.outMu.Lock()
				}
				s.cur = bc
				served := b.retry(bc, b.keys)
				s.cur = prev
				if bc != prev {
					bc.outMu.Unlock()
				}
				if !served {
					break // the key is empty again (or not of the right type): later clients keep waiting
				}
				s.unblockClient(bc, unblockServed)
			}
		}
	}
}

// unblockClient ends c's wait. For a timeout or CLIENT UNBLOCK it writes the reply. Lock held.
func (s *Server) unblockClient(c *Client, why unblockReason) {
	b := c.blocked
	if b == nil {
		return
	}
	for _, k := range b.keys {
		wk := watchKey{b.db, string(k)}
		list := s.blockedKeys[wk]
		for i, x := range list {
			if x == c {
				list = append(list[:i:i], list[i+1:]...)
				break
			}
		}
		if len(list) == 0 {
			delete(s.blockedKeys, wk)
		} else {
			s.blockedKeys[wk] = list
		}
	}
	c.blocked = nil
	s.blockedCount--
	if why == unblockTimeout || why == unblockByClientError {
		if s.cur != c {
			c.outMu.Lock()
			defer c.outMu.Unlock()
		}
		if why == unblockTimeout {
			b.onTimout(&c.out)
		} else {
			c.srv.stats.countError("UNBLOCKED")
			c.out.Error("UNBLOCKED client unblocked via CLIENT UNBLOCK")
		}
	}
	close(b.done)
}

// unblockByID implements CLIENT UNBLOCK: it reports whether the client was blocked.
func (s *Server) unblockByID(id uint64, withError bool) bool {
	c := s.clients[id]
	if c == nil || c.blocked == nil {
		return false
	}
	if withError {
		s.unblockClient(c, unblockByClientError)
	} else {
		s.unblockClient(c, unblockTimeout)
	}
	return true
}

// waitUnblocked waits, without the lock, until the client's blocking command is served, times out, is
// unblocked, or the connection goes away. Input that arrives meanwhile is buffered (not executed) while a
// reader goroutine watches for the peer closing the connection, so an element is never popped for a
// client that is gone.
func (c *Client) waitUnblocked(b *blockState) error {
	s := c.srv
	var timer <-chan time.Time
	if !b.deadline.IsZero() {
		t := time.NewTimer(time.Until(b.deadline))
		defer t.Stop()
		timer = t.C
	}
	c.conn.SetReadDeadline(time.Time{})
	errc := make(chan error, 1)
	read := func() { errc <- c.rd.Fill() }
	reading := true
	go read()
	var ioErr error
wait:
	for {
		select {
		case <-b.done:
			break wait
		case <-timer:
			timer = nil
			s.mu.Lock()
			if c.blocked == b {
				s.unblockClient(c, unblockTimeout)
			}
			s.mu.Unlock()
		case err := <-errc:
			reading = false
			if err != nil {
				ioErr = err
				s.mu.Lock()
				if c.blocked == b {
					s.unblockClient(c, unblockGone)
				}
				s.mu.Unlock()
				break wait
			}
			reading = true
			go read()
		case <-s.done:
			s.mu.Lock()
			if c.blocked == b {
				s.unblockClient(c, unblockGone)
			}
			s.mu.Unlock()
			ioErr = net.ErrClosed
			break wait
		}
	}
	if reading {
		// stop the reader goroutine: a deadline in the past makes its Read return at once
		c.conn.SetReadDeadline(time.Unix(1, 0))
		err := <-errc
		c.conn.SetReadDeadline(time.Time{})
		var ne net.Error
		if err != nil && !(errors.As(err, &ne) && ne.Timeout()) && ioErr == nil {
			ioErr = err
		}
	}
	return ioErr
}
