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
	// WRITE pauses: writes, and commands that may replicate (EVAL, PUBLISH)
	return cmd.Flags&(flagWrite|flagMayReplicate) != 0
}

func (p *pauseState) start(d time.Duration, writeOnly bool) {
	deadline := time.Now().Add(d)
	if p.active && p.deadline.After(deadline) && (!writeOnly || p.writeOnly) {
		// a longer or stronger pause is already in effect; Valkey keeps the latest end time and the
		// stronger kind
		if !writeOnly {
			p.writeOnly = false
		}
		return
	}
	if p.wake != nil {
		close(p.wake)
	}
	p.active, p.writeOnly, p.deadline, p.wake = true, writeOnly && (!p.active || p.writeOnly), deadline, make(chan struct{})
}

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

// waitPause blocks (releasing the lock) while cmd is paused. Called with s.mu and c.outMu held.
func (s *Server) waitPause(c *Client, cmd *Command, args [][]byte) {
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
		if s.shuttingDown {
			return
		}
	}
}
