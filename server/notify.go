package server

import (
	"errors"
	"strconv"
	"strings"

	"github.com/valkey-node/valkey-node/server/config"
)

// Keyspace notification classes, as the notify-keyspace-events flags select them.
const (
	notifyKeyspaceCh = 1 << iota // K: __keyspace@<db>__:<key> channels
	notifyKeyeventCh             // E: __keyevent@<db>__:<event> channels
	notifyGeneric                // g
	notifyString                 // $
	notifyList                   // l
	notifySet                    // s
	notifyHash                   // h
	notifyZSet                   // z
	notifyExpired                // x
	notifyEvicted                // e
	notifyStream                 // t
	notifyKeyMiss                // m
	notifyLoaded                 // (module use only)
	notifyModule                 // d
	notifyNew                    // n

	// notifyAll is what "A" stands for.
	notifyAll = notifyGeneric | notifyString | notifyList | notifySet | notifyHash | notifyZSet |
		notifyExpired | notifyEvicted | notifyStream | notifyModule
)

var notifyChars = []struct {
	c    byte
	flag int
}{
	{'g', notifyGeneric}, {'$', notifyString}, {'l', notifyList}, {'s', notifySet}, {'h', notifyHash},
	{'z', notifyZSet}, {'x', notifyExpired}, {'e', notifyEvicted}, {'t', notifyStream}, {'d', notifyModule},
}

func parseNotifyFlags(s string) (int, error) {
	f := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case 'A':
			f |= notifyAll
		case 'K':
			f |= notifyKeyspaceCh
		case 'E':
			f |= notifyKeyeventCh
		case 'm':
			f |= notifyKeyMiss
		case 'n':
			f |= notifyNew
		default:
			found := false
			for _, nc := range notifyChars {
				if nc.c == c {
					f |= nc.flag
					found = true
				}
			}
			if !found {
				return 0, errors.New("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")
			}
		}
	}
	return f, nil
}

func notifyFlagsString(f int) string {
	var b strings.Builder
	if f&notifyAll == notifyAll {
		b.WriteByte('A')
	} else {
		for _, nc := range notifyChars {
			if f&nc.flag != 0 {
				b.WriteByte(nc.c)
			}
		}
	}
	if f&notifyKeyspaceCh != 0 {
		b.WriteByte('K')
	}
	if f&notifyKeyeventCh != 0 {
		b.WriteByte('E')
	}
	if f&notifyKeyMiss != 0 {
		b.WriteByte('m')
	}
	if f&notifyNew != 0 {
		b.WriteByte('n')
	}
	return b.String()
}

func (s *Server) registerNotifyDirective() {
	s.reg.Add(&config.Directive{Name: "notify-keyspace-events", Default: "", Value: config.Func{
		SetFn: func(args []string) error {
			if len(args) != 1 {
				return errWrongArgs
			}
			f, err := parseNotifyFlags(args[0])
			if err != nil {
				return err
			}
			s.cfg.NotifyKeyspaceEvents = f
			return nil
		},
		GetFn: func() string { return notifyFlagsString(s.cfg.NotifyKeyspaceEvents) },
	}})
}

// notifyKeyspace publishes a keyspace event on __keyspace@<db>__:<key> (message: the event) and
// __keyevent@<db>__:<event> (message: the key) when notify-keyspace-events selects its class.
func (s *Server) notifyKeyspace(class int, event string, key []byte, dbID int) {
	f := s.cfg.NotifyKeyspaceEvents
	if f&class == 0 || f&(notifyKeyspaceCh|notifyKeyeventCh) == 0 {
		return
	}
	db := strconv.Itoa(dbID)
	if f&notifyKeyspaceCh != 0 {
		ch := make([]byte, 0, 16+len(key))
		ch = append(ch, "__keyspace@"...)
		ch = append(ch, db...)
		ch = append(ch, "__:"...)
		ch = append(ch, key...)
		s.publish(ch, []byte(event), false)
	}
	if f&notifyKeyeventCh != 0 {
		ch := "__keyevent@" + db + "__:" + event
		s.publish([]byte(ch), key, false)
	}
}
