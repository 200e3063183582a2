package sentinel

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// hello is one __sentinel__:hello message (spec §5.3):
// "<s_ip>,<s_port>,<s_runid>,<s_current_epoch>,<primary_name>,<p_ip>,<p_port>,<p_config_epoch>".
type hello struct {
	ip           string
	port         int
	runID        string
	currentEpoch uint64
	masterName   string
	masterIP     string
	masterPort   int
	configEpoch  uint64
}

// parseHello splits a hello payload; it fails unless there are exactly 8 fields with numeric ports and
// epochs.
func parseHello(payload string) (hello, error) {
	f := strings.Split(payload, ",")
	if len(f) != 8 {
		return hello{}, fmt.Errorf("hello has %d fields, want 8", len(f))
	}
	var h hello
	var err error
	h.ip, h.runID, h.masterName, h.masterIP = f[0], f[2], f[4], f[5]
	if h.port, err = strconv.Atoi(f[1]); err != nil {
		return hello{}, fmt.Errorf("hello sentinel port %q: %w", f[1], err)
	}
	if h.currentEpoch, err = strconv.ParseUint(f[3], 10, 64); err != nil {
		return hello{}, fmt.Errorf("hello current epoch %q: %w", f[3], err)
	}
	if h.masterPort, err = strconv.Atoi(f[6]); err != nil {
		return hello{}, fmt.Errorf("hello primary port %q: %w", f[6], err)
	}
	if h.configEpoch, err = strconv.ParseUint(f[7], 10, 64); err != nil {
		return hello{}, fmt.Errorf("hello config epoch %q: %w", f[7], err)
	}
	return h, nil
}

// format renders a hello payload.
func (h hello) format() string {
	return fmt.Sprintf("%s,%d,%s,%d,%s,%s,%d,%d", h.ip, h.port, h.runID, h.currentEpoch, h.masterName,
		h.masterIP, h.masterPort, h.configEpoch)
}

// currentMasterAddr is the address hellos announce for a primary: once our failover has promoted a
// replica, that replica's, so the other sentinels follow before the failover ends.
func currentMasterAddr(m *Instance) Addr {
	if m.Flags&FlagFailoverInProgress != 0 && m.PromotedSlave != nil && m.FailoverState >= FailoverReconfSlaves {
		return m.PromotedSlave.Addr
	}
	return m.Addr
}

// sendHelloLocked publishes our hello for the instance's primary through the instance (a primary, a
// replica or another sentinel). The announced IP is announce-ip or the local address of the link's
// socket, the port is the sentinel's listener (or announce-port).
func (s *Sentinel) sendHelloLocked(in *Instance, now time.Time) bool {
	l := in.link
	if l == nil || l.disconnected() {
		return false
	}
	m := in
	if !in.IsMaster() {
		m = in.Master
	}
	if m == nil {
		return false
	}
	ip := s.announceIP
	if ip == "" {
		ip = l.cmd.local()
	}
	if ip == "" {
		return false // not connected yet: the next tick tries again
	}
	addr := currentMasterAddr(m)
	h := hello{ip: ip, port: s.myPort, runID: s.myID, currentEpoch: s.currentEpoch, masterName: m.Name,
		masterIP: addr.Host, masterPort: addr.Port, configEpoch: m.ConfigEpoch}
	err := s.sendLocked(in, func(r *reply) {
		if r != nil && !r.isError() {
			in.LastPubTime = time.Now()
		}
	}, "PUBLISH", helloChannel, h.format())
	if err != nil {
		return false
	}
	// Counted as sent now so that a slow reply does not make every tick send another.
	in.LastPubTime = now
	return true
}

// forceHelloUpdateLocked makes the next tick send hellos for the primary through every instance, so
// that a new configuration spreads at once.
func (s *Sentinel) forceHelloUpdateLocked(m *Instance) {
	past := time.Now().Add(-s.timing.PublishPeriod - time.Millisecond)
	m.LastPubTime = past
	for _, sl := range m.Slaves {
		sl.LastPubTime = past
	}
	for _, si := range m.Sentinels {
		si.LastPubTime = past
	}
}

// receiveHelloLocked handles a message on a pub/sub connection: hellos from other sentinels (ours come
// back too and are ignored).
func (s *Sentinel) receiveHelloLocked(in *Instance, r *reply) {
	if len(r.elems) != 3 || !strings.EqualFold(r.elems[0].text(), "message") || r.elems[2].kind != kindBulk {
		return
	}
	payload := r.elems[2].str
	if strings.Contains(payload, s.myID) {
		return
	}
	s.handleHelloLocked(payload, in)
}

// handleHelloLocked processes one hello (spec §5.3): it learns the sending sentinel (new, moved, or
// replacing another at the same address), adopts a newer current epoch, and adopts a newer configuration
// of the primary (+config-update-from, +switch-master). from is the instance whose pub/sub connection
// carried it, nil when it was PUBLISHed to this sentinel.
func (s *Sentinel) handleHelloLocked(payload string, from *Instance) {
	h, err := parseHello(payload)
	if err != nil {
		s.log.Debug().Err(err).Str("payload", payload).Msg("sentinel: ignoring malformed hello")
		return
	}
	if h.runID == s.myID {
		return
	}
	m := s.masters[h.masterName]
	if m == nil {
		return // a primary we do not monitor
	}
	helloAddr := Addr{Host: h.ip, Port: h.port}
	si := m.Sentinels[h.runID]
	if si != nil && !sameAddr(si.Addr, helloAddr) {
		si = nil // known run id at a new address: handled as an address switch below
	}
	if si == nil {
		removed := s.removeSentinelLocked(m, h.runID)
		if removed {
			s.eventLocked(zerolog.InfoLevel, "+sentinel-address-switch", m, "ip %s port %d for %s",
				h.ip, h.port, h.runID)
		} else if other := sentinelByAddr(m, helloAddr); other != nil {
			// Another run id at the same address: that sentinel was restarted with a new id (or its
			// address was reused). Forget the old id everywhere.
			s.eventLocked(zerolog.InfoLevel, "+sentinel-invalid-addr", other, "")
			old := other.Name
			for _, mm := range s.masters {
				s.removeSentinelLocked(mm, old)
			}
		}
		si = s.addSentinelLocked(m, h.ip, h.port, h.runID)
		if si != nil {
			si.RunID = h.runID
			if !removed {
				s.eventLocked(zerolog.InfoLevel, "+sentinel", si, "")
			} else {
				s.updateSentinelAddressLocked(si)
			}
			s.flushConfig()
		}
	}

	if h.currentEpoch > s.currentEpoch {
		s.currentEpoch = h.currentEpoch
		s.flushConfig()
		s.eventLocked(zerolog.WarnLevel, "+new-epoch", nil, "%d", s.currentEpoch)
	}

	if si != nil && m.ConfigEpoch < h.configEpoch {
		m.ConfigEpoch = h.configEpoch
		newAddr := Addr{Host: h.masterIP, Port: h.masterPort}
		if !sameAddr(m.Addr, newAddr) {
			old := m.Addr
			s.eventLocked(zerolog.WarnLevel, "+config-update-from", si, "")
			s.eventLocked(zerolog.WarnLevel, "+switch-master", nil, "%s %s %d %s %d",
				m.Name, old.Host, old.Port, newAddr.Host, newAddr.Port)
			s.resetMasterAndChangeAddressLocked(m, newAddr.Host, newAddr.Port)
			s.callReconfScriptLocked(m, "observer", old, m.Addr)
		}
		s.flushConfig()
	}
	if si != nil {
		si.LastHelloTime = time.Now()
	}
}

// sentinelByAddr finds a primary's sentinel by address.
func sentinelByAddr(m *Instance, a Addr) *Instance {
	for _, si := range m.Sentinels {
		if sameAddr(si.Addr, a) {
			return si
		}
	}
	return nil
}

// removeSentinelLocked forgets a primary's sentinel by run id.
func (s *Sentinel) removeSentinelLocked(m *Instance, runID string) bool {
	removed := false
	for key, si := range m.Sentinels {
		if key == runID || si.RunID == runID {
			s.closeLinksLocked(si)
			delete(m.Sentinels, key)
			removed = true
		}
	}
	return removed
}

// updateSentinelAddressLocked moves every record of a sentinel (one per primary both watch) to the
// address it now announces.
func (s *Sentinel) updateSentinelAddressLocked(si *Instance) {
	for _, m := range s.masters {
		for _, other := range m.Sentinels {
			if other == si || other.RunID != si.RunID || sameAddr(other.Addr, si.Addr) {
				continue
			}
			s.closeLinksLocked(other)
			other.Addr = si.Addr
		}
	}
}

// callReconfScriptLocked queues client-reconfig-script: <name> <role> start <from ip> <from port> <to ip>
// <to port>, role "leader" or "observer".
func (s *Sentinel) callReconfScriptLocked(m *Instance, role string, from, to Addr) {
	if m.ReconfScript == "" {
		return
	}
	s.runScriptLocked(m.ReconfScript, m.Name, role, "start", from.Host, strconv.Itoa(from.Port),
		to.Host, strconv.Itoa(to.Port))
}
