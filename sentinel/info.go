package sentinel

import (
	"fmt"
	"strings"
	"time"

	"github.com/valkey-node/valkey-node/server"
)

// InfoSection implements server.Mode: INFO's "# Sentinel" section (spec §5.5). "sentinels" counts this
// sentinel too.
func (s *Sentinel) InfoSection() (string, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	tilt, since := 0, int64(-1)
	if s.tilt {
		tilt = 1
		since = int64(time.Since(s.tiltStart) / time.Second)
	}
	fmt.Fprintf(&b, "sentinel_masters:%d\r\n", len(s.masters))
	fmt.Fprintf(&b, "sentinel_tilt:%d\r\n", tilt)
	fmt.Fprintf(&b, "sentinel_tilt_since_seconds:%d\r\n", since)
	fmt.Fprintf(&b, "sentinel_running_scripts:%d\r\n", s.runningScript)
	fmt.Fprintf(&b, "sentinel_scripts_queue_length:%d\r\n", len(s.scriptQueue))
	fmt.Fprintf(&b, "sentinel_simulate_failure_flags:%d\r\n", s.simFailure)
	for i, name := range s.masterOrder {
		m := s.masters[name]
		status := "ok"
		switch {
		case m.Flags&FlagODown != 0:
			status = "odown"
		case m.Flags&FlagSDown != 0:
			status = "sdown"
		}
		fmt.Fprintf(&b, "master%d:name=%s,status=%s,address=%s:%d,slaves=%d,sentinels=%d\r\n",
			i, m.Name, status, m.Addr.Host, m.Addr.Port, len(m.Slaves), len(m.Sentinels)+1)
	}
	return "Sentinel", b.String()
}

// Role implements server.Mode: ["sentinel", [names of the monitored primaries]].
func (s *Sentinel) Role(c *server.Client) {
	s.mu.Lock()
	names := append([]string(nil), s.masterOrder...)
	s.mu.Unlock()
	w := c.W()
	w.Array(2)
	w.BulkString("sentinel")
	w.StringArray(names)
}
