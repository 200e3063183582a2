package sentinel

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/valkey-node/valkey-node/server/textargs"
)

// DirectiveLines implements server.Mode: the "sentinel …" lines CONFIG REWRITE (and every flush after a
// state change) writes, in Valkey's order (spec §5.2): the identity and global switches first (so that
// resolve-hostnames is in effect before the monitor lines are read back), then each primary with its
// settings and known state, then the current epoch and the announce and auth settings.
func (s *Sentinel) DirectiveLines() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	add := func(args ...string) {
		for i, a := range args {
			args[i] = textargs.Quote(a)
		}
		out = append(out, strings.Join(args, " "))
	}
	def := DefaultTiming()
	if s.myID != "" {
		add("myid", s.myID)
	}
	if !s.denyScriptsReconfig {
		add("deny-scripts-reconfig", "no")
	}
	if s.resolveHostnames {
		add("resolve-hostnames", "yes")
	}
	if s.announceHostnames {
		add("announce-hostnames", "yes")
	}
	for _, name := range s.masterOrder {
		m := s.masters[name]
		addr := currentMasterAddr(m)
		add("monitor", m.Name, addr.Host, itoa(addr.Port), itoa(m.Quorum))
		// compared with the built-in defaults rather than SENTINEL DEBUG's current ones, so that a value
		// always survives a restart
		if m.DownAfter != def.DefaultDownAfter {
			add("down-after-milliseconds", m.Name, millis(m.DownAfter))
		}
		if m.FailoverTimeout != def.DefaultFailoverTimeout {
			add("failover-timeout", m.Name, millis(m.FailoverTimeout))
		}
		if m.ParallelSyncs != defaultParallelSyncs {
			add("parallel-syncs", m.Name, itoa(m.ParallelSyncs))
		}
		if m.NotifyScript != "" {
			add("notification-script", m.Name, m.NotifyScript)
		}
		if m.ReconfScript != "" {
			add("client-reconfig-script", m.Name, m.ReconfScript)
		}
		if m.AuthPass != "" {
			add("auth-pass", m.Name, m.AuthPass)
		}
		if m.AuthUser != "" {
			add("auth-user", m.Name, m.AuthUser)
		}
		if m.RebootDownAfter != 0 {
			add("primary-reboot-down-after-period", m.Name, millis(m.RebootDownAfter))
		}
		add("config-epoch", m.Name, strconv.FormatUint(m.ConfigEpoch, 10))
		add("leader-epoch", m.Name, strconv.FormatUint(m.LeaderEpoch, 10))
		for _, sl := range sortedInstances(m.Slaves) {
			a := sl.Addr
			// once the promoted replica is the primary's current address, the old primary takes its
			// place among the replicas (the failover is writing its outcome)
			if a == addr {
				a = m.Addr
			}
			add("known-replica", m.Name, a.Host, itoa(a.Port))
		}
		for _, se := range sortedInstances(m.Sentinels) {
			if se.RunID == "" {
				continue
			}
			add("known-sentinel", m.Name, se.Addr.Host, itoa(se.Addr.Port), se.RunID)
		}
		olds := make([]string, 0, len(m.RenamedCommands))
		for old := range m.RenamedCommands {
			olds = append(olds, old)
		}
		sort.Strings(olds)
		for _, old := range olds {
			add("rename-command", m.Name, old, m.RenamedCommands[old])
		}
	}
	add("current-epoch", strconv.FormatUint(s.currentEpoch, 10))
	if s.announceIP != "" {
		add("announce-ip", s.announceIP)
	}
	if s.announcePort != 0 {
		add("announce-port", itoa(s.announcePort))
	}
	if s.sentinelUser != "" {
		add("sentinel-user", s.sentinelUser)
	}
	if s.sentinelPass != "" {
		add("sentinel-pass", s.sentinelPass)
	}
	return out
}

func itoa(n int) string { return strconv.Itoa(n) }

func millis(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }
