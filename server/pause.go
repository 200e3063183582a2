package server

import (
	"time"
)

// pauseState is CLIENT PAUSE: until deadline, commands of the paused kind wait before they run.
type pauseState struct {
	active    bool
	writeOnly bool
	deadline  time.Time
	// wake is closed when the pause ends early (CLIENT UNPAUSE) or is replaced.
	wake chan struct{}
}

// pauses reports whether cmd must wait under the current pause.
func (p *pauseState) pauses(c *Client, cmd *Command, args [][]byte) bool {
	if !p.active {
		return false
	}
	if time.Now().After(p.deadline) {
		p.end()
		return false
	}
	if !p.writeOnly {
		return true
	}
	// WRITE pauses: writes, and commands that may replicate (EVAL, PUBLISH), and an EXEC whose
	// transaction contains one
	if cmd.Name == "exec" && c.multi != nil && c.multi.writes {
		return true
	}
	return cmd.Flags&(flagWrite|flagMayReplicate) != 0
}

// start begins a pause of d, or extends the one in effect: as in Valkey, the later end time and the
// stricter kind (ALL over WRITE) win.
func (p *pauseState) start(d time.Duration, writeOnly bool) {
	deadline := time.Now().Add(d)
	if p.active {
		if p.deadline.After(deadline) {
			deadline = p.deadline
		}
		writeOnly = writeOnly && p.writeOnly
	}
	if p.wake != nil {
		// waiting commands look again at the new end time
		close(p.wake)
	}
	p.active, p.writeOnly, p.deadline, p.wake = true, writeOnly, deadline, make(chan struct{})
}

// end lifts the pause (CLIENT UNPAUSE, or its end time passed) and wakes the waiting commands.
func (p *pauseState) end() {
	if !p.active {
		return
	}
	p.active = false
	if p.wake != nil {
		close(p.wake)
		p.wake = nil
	}
}

// waitPause blocks (releasing the lock) while cmd is paused. Called with s.mu and c.outMu held. It
// reports whether the command should still run: not if the client was killed or the node began stopping
// while it waited.
func (s *Server) waitPause(c *Client, cmd *Command, args [][]byte) bool {
	for s.pause.pauses(c, cmd, args) {
		wake, d := s.pause.wake, time.Until(s.pause.deadline)
		c.outMu.Unlock()
		s.mu.Unlock()
		t := time.NewTimer(d)
		select {
		case <-wake:
		case <-t.C:
		case <-s.done:
		}
		t.Stop()
		s.mu.Lock()
		c.outMu.Lock()
		s.cur = c
		if s.shuttingDown || c.killed {
			return false
		}
	}
	return true
}
