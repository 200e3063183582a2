package sentinel

import (
	"fmt"

	"github.com/rs/zerolog"
)

// event is one sentinel event: logged, and published on the channel named as the event (spec §5.4).
type event struct {
	level   zerolog.Level
	typ     string
	payload string
}

// eventLocked records an event about inst (nil: none), with s.mu held. The payload is Valkey's:
// "<kind> <name> <ip> <port>", then " @ <primary name> <ip> <port>" for replicas and sentinels, then the
// formatted extra text. Debug-level events are logged only; the others are also published (by
// deliverEvents, which takes the server lock, so never here).
func (s *Sentinel) eventLocked(level zerolog.Level, typ string, inst *Instance, format string, args ...any) {
	msg := ""
	if inst != nil {
		msg = fmt.Sprintf("%s %s %s %d", inst.kindName(), inst.Name, inst.Addr.Host, inst.Addr.Port)
		if !inst.IsMaster() && inst.Master != nil {
			m := inst.Master
			msg += fmt.Sprintf(" @ %s %s %d", m.Name, m.Addr.Host, m.Addr.Port)
		}
	}
	if format != "" {
		extra := fmt.Sprintf(format, args...)
		if msg != "" {
			msg += " "
		}
		msg += extra
	}
	s.notifyScriptLocked(level, typ, inst, msg)
	select {
	case s.events <- event{level: level, typ: typ, payload: msg}:
	default:
		// the delivery goroutine is far behind: log here rather than block the state machine
		s.log.WithLevel(level).Str("event", typ).Msg(typ + " " + msg + " (not published: event queue full)")
	}
}

// deliverEvents logs and publishes queued events, in order.
func (s *Sentinel) deliverEvents() {
	defer s.wg.Done()
	for {
		select {
		case ev := <-s.events:
			s.deliver(ev)
		case <-s.stop:
			for {
				select {
				case ev := <-s.events:
					s.deliver(ev)
				default:
					return
				}
			}
		}
	}
}

func (s *Sentinel) deliver(ev event) {
	s.log.WithLevel(ev.level).Str("event", ev.typ).Msg(ev.typ + " " + ev.payload)
	if ev.level > zerolog.TraceLevel { // Valkey's LL_DEBUG events are not published
		s.srv.Publish(ev.typ, []byte(ev.payload))
	}
}
