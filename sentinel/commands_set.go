package sentinel

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/valkey-node/valkey-node/server"
)

const errScriptsDenied = "ERR Reconfiguration of scripts path is denied for security reasons. Check the " +
	"deny-scripts-reconfig configuration directive in your Sentinel configuration"

// cmdSet changes a primary's settings: SENTINEL SET name option value [option value …]. As in Valkey the
// options apply one by one: at the first bad one the reply is its error, the options before it stay
// applied (and are saved), and each applied option is reported as a +set event.
func (s *Sentinel) cmdSet(c *server.Client, args [][]byte) {
	s.mu.Lock()
	m := s.masterOrErr(c, args[2])
	if m == nil {
		s.mu.Unlock()
		return
	}
	changes := 0
	errText := ""
	for j := 3; j < len(args) && errText == ""; {
		var used int
		used, errText = s.setOption(m, args[j:])
		if errText != "" {
			break
		}
		opt := strings.ToLower(string(args[j]))
		vals := make([]string, 0, used-1)
		for _, v := range args[j+1 : j+used] {
			vals = append(vals, string(v))
		}
		if opt == "auth-pass" { // the password stays out of logs and event payloads
			vals = []string{"******"}
		}
		s.eventLocked(zerolog.WarnLevel, "+set", m, "%s %s", string(args[j]), strings.Join(vals, " "))
		changes++
		j += used
	}
	s.mu.Unlock()
	if errText != "" {
		c.Err(errText)
		if changes > 0 {
			_ = s.flushSync(c) // logged; the reply is already the option's error
		}
		return
	}
	s.flushAndReply(c)
}

// setOption applies the option at a[0] with its values; it returns how many arguments it used, or the
// error reply.
func (s *Sentinel) setOption(m *Instance, a [][]byte) (int, string) {
	opt := strings.ToLower(string(a[0]))
	more := len(a) - 1
	badArg := func(v []byte) string {
		return fmt.Sprintf("ERR Invalid argument '%s' for SENTINEL SET '%s'", v, a[0])
	}
	millis := func(min int64) (time.Duration, string) {
		n, err := strconv.ParseInt(string(a[1]), 10, 64)
		if err != nil || n < min {
			return 0, badArg(a[1])
		}
		return time.Duration(n) * time.Millisecond, ""
	}
	switch {
	case opt == "down-after-milliseconds" && more > 0:
		d, e := millis(1)
		if e != "" {
			return 0, e
		}
		s.setDownAfterLocked(m, d)
	case opt == "failover-timeout" && more > 0:
		d, e := millis(1)
		if e != "" {
			return 0, e
		}
		m.FailoverTimeout = d
	case opt == "parallel-syncs" && more > 0:
		n, err := strconv.ParseInt(string(a[1]), 10, 32)
		if err != nil || n <= 0 {
			return 0, badArg(a[1])
		}
		m.ParallelSyncs = int(n)
	case (opt == "notification-script" || opt == "client-reconfig-script") && more > 0:
		if s.denyScriptsReconfig {
			return 0, errScriptsDenied
		}
		path := string(a[1])
		if path != "" && checkExecutable(path) != nil {
			if opt == "notification-script" {
				return 0, "ERR Notification script seems non existing or non executable"
			}
			return 0, "ERR Client reconfiguration script seems non existing or non executable"
		}
		if opt == "notification-script" {
			m.NotifyScript = path
		} else {
			m.ReconfScript = path
		}
	case opt == "auth-pass" && more > 0:
		m.AuthPass = string(a[1])
		s.dropInstanceLinksLocked(m)
	case opt == "auth-user" && more > 0:
		m.AuthUser = string(a[1])
		s.dropInstanceLinksLocked(m)
	case opt == "quorum" && more > 0:
		n, err := strconv.ParseInt(string(a[1]), 10, 32)
		if err != nil || n <= 0 {
			return 0, badArg(a[1])
		}
		m.Quorum = int(n)
	case opt == "rename-command" && more > 1:
		old, renamed := string(a[1]), string(a[2])
		if old == "" || renamed == "" {
			if renamed != "" {
				return 0, badArg(a[1])
			}
			return 0, badArg(a[2])
		}
		key := strings.ToLower(old)
		delete(m.RenamedCommands, key)
		// a command renamed to itself needs no entry
		if !strings.EqualFold(old, renamed) {
			m.RenamedCommands[key] = renamed
		}
		return 3, ""
	case (opt == "primary-reboot-down-after-period" || opt == "master-reboot-down-after-period") && more > 0:
		d, e := millis(0)
		if e != "" {
			return 0, e
		}
		m.RebootDownAfter = d
	default:
		return 0, fmt.Sprintf("ERR Unknown option or number of arguments for SENTINEL SET '%s'", a[0])
	}
	return 2, ""
}

// dropInstanceLinksLocked closes the links to a primary and its replicas so that they reconnect with new
// credentials.
func (s *Sentinel) dropInstanceLinksLocked(m *Instance) {
	s.closeLinksLocked(m)
	for _, sl := range m.Slaves {
		s.closeLinksLocked(sl)
	}
}

// debugParams are SENTINEL DEBUG's, in Valkey's reply order, with the Timing field each one is.
var debugParams = []struct {
	name string
	ptr  func(t *Timing) *time.Duration
}{
	{"info-period", func(t *Timing) *time.Duration { return &t.InfoPeriod }},
	{"ping-period", func(t *Timing) *time.Duration { return &t.PingPeriod }},
	{"ask-period", func(t *Timing) *time.Duration { return &t.AskPeriod }},
	{"publish-period", func(t *Timing) *time.Duration { return &t.PublishPeriod }},
	{"default-down-after", func(t *Timing) *time.Duration { return &t.DefaultDownAfter }},
	{"default-failover-timeout", func(t *Timing) *time.Duration { return &t.DefaultFailoverTimeout }},
	{"tilt-trigger", func(t *Timing) *time.Duration { return &t.TiltTrigger }},
	{"tilt-period", func(t *Timing) *time.Duration { return &t.TiltPeriod }},
	{"slave-reconf-timeout", func(t *Timing) *time.Duration { return &t.SlaveReconfTimeout }},
	{"min-link-reconnect-period", func(t *Timing) *time.Duration { return &t.MinLinkReconnectPeriod }},
	{"election-timeout", func(t *Timing) *time.Duration { return &t.ElectionTimeout }},
	{"script-max-runtime", func(t *Timing) *time.Duration { return &t.ScriptMaxRuntime }},
	{"script-retry-delay", func(t *Timing) *time.Duration { return &t.ScriptRetryDelay }},
}

// cmdDebug shows the timing parameters in milliseconds (names upper case, as Valkey replies them) or sets
// some: SENTINEL DEBUG [param value …]. Every pair is checked before any applies.
func (s *Sentinel) cmdDebug(c *server.Client, args [][]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := c.W()
	if len(args) == 2 {
		w.Map(len(debugParams))
		for _, p := range debugParams {
			w.BulkString(strings.ToUpper(p.name))
			w.BulkString(strconv.FormatInt(p.ptr(&s.timing).Milliseconds(), 10))
		}
		return
	}
	t := s.timing
	for j := 2; j < len(args); j += 2 {
		opt := strings.ToLower(string(args[j]))
		found := false
		for _, p := range debugParams {
			if p.name != opt || j+1 >= len(args) {
				continue
			}
			found = true
			n, err := strconv.ParseInt(string(args[j+1]), 10, 64)
			if err != nil || n <= 0 {
				c.Err(fmt.Sprintf("ERR Invalid argument '%s' for SENTINEL DEBUG '%s'", args[j+1], args[j]))
				return
			}
			*p.ptr(&t) = time.Duration(n) * time.Millisecond
		}
		if !found {
			c.Err(fmt.Sprintf("ERR Unknown option or number of arguments for SENTINEL DEBUG '%s'", args[j]))
			return
		}
	}
	s.timing = t
	w.OK()
}
