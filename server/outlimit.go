package server

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/valkey-node/valkey-node/server/config"
)

// obufLimit is one class of client-output-buffer-limit: a hard limit that closes the client at once, and
// a soft limit that closes it when exceeded continuously for softSeconds. Zero disables a limit.
type obufLimit struct {
	hard, soft, softSeconds int64
}

// obufClasses are the classes in CONFIG GET order; Valkey still prints "slave" for replicas.
var obufClasses = []string{"normal", "slave", "pubsub"}

func obufClassIndex(name string) int {
	switch strings.ToLower(name) {
	case "normal":
		return 0
	case "replica", "slave":
		return 1
	case "pubsub":
		return 2
	}
	return -1
}

// obufValue is the client-output-buffer-limit directive: "class hard soft seconds" repeated.
type obufValue struct{ p *[3]obufLimit }

func (v obufValue) Set(args []string) error {
	if len(args)%4 != 0 || len(args) == 0 {
		return errors.New("Wrong number of arguments in buffer limit configuration.")
	}
	next := *v.p
	for i := 0; i < len(args); i += 4 {
		class := obufClassIndex(args[i])
		if class < 0 {
			return errors.New("Invalid client class specified in buffer limit configuration.")
		}
		hard, err1 := config.ParseMemory(args[i+1])
		soft, err2 := config.ParseMemory(args[i+2])
		secs, err3 := config.ParseMemory(args[i+3])
		if err1 != nil || err2 != nil || err3 != nil || hard < 0 || soft < 0 || secs < 0 {
			return errors.New("Error in hard, soft or soft_seconds setting in buffer limit configuration.")
		}
		next[class] = obufLimit{hard, soft, secs}
	}
	*v.p = next
	return nil
}

func (v obufValue) Get() string {
	var parts []string
	for i, l := range v.p {
		parts = append(parts, fmt.Sprintf("%s %d %d %d", obufClasses[i], l.hard, l.soft, l.softSeconds))
	}
	return strings.Join(parts, " ")
}

func (s *Server) registerOutputLimitDirective() {
	s.reg.Add(&config.Directive{Name: "client-output-buffer-limit",
		Default: "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
		Flags:   config.Multi, Value: obufValue{&s.cfg.OutputLimits}})
}

// pendingOutput is how many reply bytes c has not delivered yet: the buffer plus what a write in progress
// still holds. Lock held.
func (c *Client) pendingOutput() int64 {
	var n int
	if c.srv.cur == c {
		n = c.out.Len()
	} else {
		c.outMu.Lock()
		n = c.out.Len()
		c.outMu.Unlock()
	}
	return int64(n) + c.inflight.Load()
}

// checkOutputLimit closes c when its pending output passes the limits of its class, so a slow consumer
// cannot make the node's memory grow without bound. Lock held.
func (s *Server) checkOutputLimit(c *Client) {
	class := 0
	if c.flags.subscribed {
		class = 2
	}
	lim := s.cfg.OutputLimits[class]
	if lim.hard == 0 && lim.soft == 0 {
		return
	}
	n := c.pendingOutput()
	over := lim.hard > 0 && n >= lim.hard
	if !over && lim.soft > 0 && n >= lim.soft {
		if c.obufSoftSince.IsZero() {
			c.obufSoftSince = time.Now()
		} else if time.Since(c.obufSoftSince) >= time.Duration(lim.softSeconds)*time.Second {
			over = true
		}
	} else if !over {
		c.obufSoftSince = time.Time{}
	}
	if !over || c.closeASAP || c.killed {
		return
	}
	s.stats.obufDisconnections++
	s.log.Warn().Str("addr", c.addr).Int64("omem", n).Str("class", obufClasses[class]).
		Msg("Client scheduled to be closed ASAP for overcoming of output buffer limits.")
	if s.cur == c {
		c.closeASAP = true
		return
	}
	c.kill()
}
