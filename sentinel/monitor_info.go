package sentinel

import (
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// infoReport is what the sentinel reads in an INFO reply (spec §3.6, last paragraph).
type infoReport struct {
	runID string
	role  Flags // FlagMaster, FlagSlave, or 0 when INFO has no role line
	// slaves are the replicas a primary lists (slave<i>: lines).
	slaves []Addr
	// masterLinkDownTime is master_link_down_since_seconds (0 when absent: the link is up).
	masterLinkDownTime time.Duration

	// replica fields, meaningful when role is FlagSlave
	masterHost       string
	masterPort       int
	hasMasterHost    bool
	hasMasterPort    bool
	masterLinkUp     bool
	priority         int
	hasPriority      bool
	replOffset       int64
	hasReplOffset    bool
	announced        bool
	hasAnnounced     bool
	hasMasterLinkSts bool
}

// parseInfo reads an INFO reply.
func parseInfo(text string) infoReport {
	var r infoReport
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSuffix(l, "\r")
		key, val, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		switch key {
		case "run_id":
			if len(val) >= 40 {
				r.runID = val[:40]
			}
		case "role":
			switch val {
			case "master":
				r.role = FlagMaster
			case "slave":
				r.role = FlagSlave
			}
		case "master_link_down_since_seconds":
			n, _ := strconv.ParseInt(val, 10, 64)
			r.masterLinkDownTime = time.Duration(n) * time.Second
		case "master_host":
			r.masterHost, r.hasMasterHost = val, true
		case "master_port":
			r.masterPort, _ = strconv.Atoi(val)
			r.hasMasterPort = true
		case "master_link_status":
			r.masterLinkUp, r.hasMasterLinkSts = strings.HasPrefix(strings.ToLower(val), "up"), true
		case "slave_priority", "replica_priority":
			r.priority, _ = strconv.Atoi(val)
			r.hasPriority = true
		case "slave_repl_offset":
			r.replOffset, _ = strconv.ParseInt(val, 10, 64)
			r.hasReplOffset = true
		case "replica_announced":
			n, _ := strconv.Atoi(val)
			r.announced, r.hasAnnounced = n != 0, true
		default:
			if a, ok := parseSlaveLine(key, val); ok {
				r.slaves = append(r.slaves, a)
			}
		}
	}
	return r
}

// parseSlaveLine reads "slave<i>:ip=…,port=…,state=…" (and the old "slave<i>:<ip>,<port>,<state>").
func parseSlaveLine(key, val string) (Addr, bool) {
	if len(key) < 6 || !strings.HasPrefix(key, "slave") {
		return Addr{}, false
	}
	if _, err := strconv.Atoi(key[5:]); err != nil {
		return Addr{}, false
	}
	var a Addr
	if strings.Contains(val, "ip=") {
		for _, f := range strings.Split(val, ",") {
			k, v, _ := strings.Cut(f, "=")
			switch k {
			case "ip":
				a.Host = v
			case "port":
				a.Port, _ = strconv.Atoi(v)
			}
		}
	} else {
		f := strings.Split(val, ",")
		if len(f) < 2 {
			return Addr{}, false
		}
		a.Host = f[0]
		a.Port, _ = strconv.Atoi(f[1])
	}
	if a.Host == "" || a.Port <= 0 {
		return Addr{}, false
	}
	return a, true
}

// refreshInfoLocked applies an INFO reply (spec §5.3): new replicas, the reported role and replica
// state, reboots, and the corrective actions: promoted replica found, wrong primary fixed, returning
// old primary converted, replica reconfiguration progress.
func (s *Sentinel) refreshInfoLocked(in *Instance, text string, now time.Time) {
	info := parseInfo(text)
	in.InfoText = text
	in.MasterLinkDownTime = info.masterLinkDownTime

	if info.runID != "" && info.runID != in.RunID {
		if in.RunID != "" {
			s.eventLocked(zerolog.InfoLevel, "+reboot", in, "")
			if in.IsMaster() && in.RebootDownAfter != 0 {
				in.Flags |= FlagMasterReboot
				in.RebootSince = now
			}
		}
		in.RunID = info.runID
	}
	if in.IsMaster() {
		for _, a := range info.slaves {
			if _, ok := in.Slaves[a.String()]; ok {
				continue
			}
			if sl := s.addSlaveLocked(in, a.Host, a.Port); sl != nil {
				s.eventLocked(zerolog.InfoLevel, "+slave", sl, "")
				s.flushConfig()
			}
		}
	}
	if info.role == FlagSlave {
		if info.hasMasterHost && !strings.EqualFold(info.masterHost, in.SlaveMasterHost) {
			in.SlaveMasterHost = info.masterHost
			in.SlaveConfChanged = now
		}
		if info.hasMasterPort && info.masterPort != in.SlaveMasterPort {
			in.SlaveMasterPort = info.masterPort
			in.SlaveConfChanged = now
		}
		if info.hasMasterLinkSts {
			in.SlaveMasterLinkUp = info.masterLinkUp
		}
		if info.hasPriority {
			in.SlavePriority = info.priority
		}
		if info.hasReplOffset {
			in.SlaveReplOffset = info.replOffset
		}
		if info.hasAnnounced {
			in.ReplicaAnnounced = info.announced
		}
	}
	in.InfoRefresh = now

	if info.role != in.RoleReported {
		in.RoleReported = info.role
		in.RoleReportedTime = now
		if info.role == FlagSlave {
			in.SlaveConfChanged = now
		}
		typ := "-role-change"
		if in.Flags&(FlagMaster|FlagSlave) == info.role {
			typ = "+role-change"
		}
		s.eventLocked(zerolog.DebugLevel, typ, in, "new reported role is %s", roleWord(info.role))
	}

	// The rest acts on the instances; TILT allows only monitoring.
	if s.tilt {
		return
	}
	// A primary reporting role:slave needs nothing here: it counts as down (failure.go) and is failed
	// over in time.
	if in.IsSlave() && info.role == FlagMaster {
		s.slaveReportsMasterLocked(in, now)
	}
	m := in.Master
	if in.IsSlave() && info.role == FlagSlave && m != nil {
		// A replica of another primary than ours is fixed, once our primary looks healthy and the
		// replica has kept that configuration for failover-timeout (a failover may be under way).
		if in.SlaveMasterPort != m.Addr.Port || !strings.EqualFold(in.SlaveMasterHost, m.Addr.Host) {
			wait := m.FailoverTimeout
			if s.masterLooksSane(m, now) && noDownFor(in, wait, now) && now.Sub(in.SlaveConfChanged) > wait {
				if s.sendSlaveOfLocked(in, &m.Addr) == nil {
					s.eventLocked(zerolog.InfoLevel, "+fix-slave-config", in, "")
				}
			}
		}
		s.trackReconfLocked(in, m)
	}
}

// slaveReportsMasterLocked handles a replica that says it is a primary: the one we are promoting moves
// the failover on; any other is turned back into a replica of our primary (an old primary that
// returned, or a replica promoted behind our back), after publish-period×4 for other news to arrive.
func (s *Sentinel) slaveReportsMasterLocked(in *Instance, now time.Time) {
	m := in.Master
	if m == nil {
		return
	}
	if in.Flags&FlagPromoted != 0 && m.Flags&FlagFailoverInProgress != 0 && m.FailoverState == FailoverWaitPromotion {
		s.promotedLocked(m, in, now)
		return
	}
	wait := 4 * s.timing.PublishPeriod
	if in.Flags&FlagPromoted == 0 && m.Flags&FlagFailoverInProgress == 0 && s.masterLooksSane(m, now) &&
		noDownFor(in, wait, now) && now.Sub(in.RoleReportedTime) > wait {
		if s.sendSlaveOfLocked(in, &m.Addr) == nil {
			s.eventLocked(zerolog.InfoLevel, "+convert-to-slave", in, "")
		}
	}
}

// trackReconfLocked follows a replica we sent SLAVEOF during a failover: reconf_sent → reconf_inprog when
// it points at the promoted replica, → reconf_done when its link is up.
func (s *Sentinel) trackReconfLocked(in, m *Instance) {
	if in.Flags&(FlagReconfSent|FlagReconfInProg) == 0 || m.PromotedSlave == nil {
		return
	}
	p := m.PromotedSlave.Addr
	if in.Flags&FlagReconfSent != 0 && in.SlaveMasterHost != "" &&
		strings.EqualFold(in.SlaveMasterHost, p.Host) && in.SlaveMasterPort == p.Port {
		in.Flags &^= FlagReconfSent
		in.Flags |= FlagReconfInProg
		s.eventLocked(zerolog.InfoLevel, "+slave-reconf-inprog", in, "")
	}
	if in.Flags&FlagReconfInProg != 0 && in.SlaveMasterLinkUp {
		in.Flags &^= FlagReconfInProg
		in.Flags |= FlagReconfDone
		s.eventLocked(zerolog.InfoLevel, "+slave-reconf-done", in, "")
	}
}

func roleWord(f Flags) string {
	if f == FlagMaster {
		return "master"
	}
	return "slave"
}
