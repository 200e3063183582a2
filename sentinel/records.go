package sentinel

import (
	"strconv"
	"time"

	"github.com/valkey-node/valkey-node/server/resp"
)

// field is one name/value pair of an instance record; every value is a bulk string (spec §5.5).
type field struct{ name, value string }

// record is the SENTINEL PRIMARY / REPLICAS / SENTINELS description of one instance, in Valkey's field
// order: common fields, then those of primaries, replicas or sentinels. Optional fields (failover-state,
// s-down-time, o-down-time, scripts) appear only when they apply.
func (s *Sentinel) record(in *Instance, now time.Time) []field {
	f := make([]field, 0, 32)
	add := func(name, value string) { f = append(f, field{name, value}) }
	num := func(name string, n int64) { add(name, strconv.FormatInt(n, 10)) }
	add("name", in.Name)
	add("ip", in.Addr.Host)
	num("port", int64(in.Addr.Port))
	add("runid", in.RunID)
	add("flags", in.FlagList())
	num("link-pending-commands", int64(in.PendingCommands))
	num("link-refcount", int64(s.linkRefcount(in)))
	if in.Flags&FlagFailoverInProgress != 0 {
		add("failover-state", in.FailoverState.String())
	}
	num("last-ping-sent", sinceMillis(now, in.PingPending))
	num("last-ok-ping-reply", sinceMillis(now, in.LastAvailTime))
	num("last-ping-reply", sinceMillis(now, in.LastPongTime))
	if in.Flags&FlagSDown != 0 {
		num("s-down-time", sinceMillis(now, in.SDownSince))
	}
	if in.Flags&FlagODown != 0 {
		num("o-down-time", sinceMillis(now, in.ODownSince))
	}
	num("down-after-milliseconds", in.DownAfter.Milliseconds())
	if in.IsMaster() || in.IsSlave() {
		num("info-refresh", sinceMillis(now, in.InfoRefresh))
		role := "slave"
		if in.RoleReported == FlagMaster {
			role = "master"
		}
		add("role-reported", role)
		num("role-reported-time", sinceMillis(now, in.RoleReportedTime))
	}
	if in.IsMaster() {
		num("config-epoch", int64(in.ConfigEpoch))
		num("num-slaves", int64(len(in.Slaves)))
		num("num-other-sentinels", int64(len(in.Sentinels)))
		num("quorum", int64(in.Quorum))
		num("failover-timeout", in.FailoverTimeout.Milliseconds())
		num("parallel-syncs", int64(in.ParallelSyncs))
		if in.NotifyScript != "" {
			add("notification-script", in.NotifyScript)
		}
		if in.ReconfScript != "" {
			add("client-reconfig-script", in.ReconfScript)
		}
		if in.RebootDownAfter != 0 {
			num("master-reboot-down-after-period", in.RebootDownAfter.Milliseconds())
		}
	}
	if in.IsSlave() {
		num("master-link-down-time", in.MasterLinkDownTime.Milliseconds())
		status := "err"
		if in.SlaveMasterLinkUp {
			status = "ok"
		}
		add("master-link-status", status)
		host := in.SlaveMasterHost
		if host == "" {
			host = "?"
		}
		add("master-host", host)
		num("master-port", int64(in.SlaveMasterPort))
		num("slave-priority", int64(in.SlavePriority))
		num("slave-repl-offset", in.SlaveReplOffset)
		announced := int64(0)
		if in.ReplicaAnnounced {
			announced = 1
		}
		num("replica-announced", announced)
	}
	if in.IsSentinel() {
		num("last-hello-message", sinceMillis(now, in.LastHelloTime))
		leader := in.Leader
		if leader == "" {
			leader = "?"
		}
		add("voted-leader", leader)
		num("voted-leader-epoch", int64(in.LeaderEpoch))
	}
	return f
}

// sinceMillis is now - t in milliseconds, 0 for a time never set (Valkey's "ri->x ? now - x : 0").
func sinceMillis(now, t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return now.Sub(t).Milliseconds()
}

// linkRefcount is link-refcount: how many instance records share in's link (1 without a link yet).
func (s *Sentinel) linkRefcount(in *Instance) int {
	if in.link == nil {
		return 1
	}
	return in.link.refcount()
}

// writeRecord replies one record as a map (RESP2: a flat array of names and values).
func writeRecord(w *resp.Writer, f []field) {
	w.Map(len(f))
	for _, p := range f {
		w.BulkString(p.name)
		w.BulkString(p.value)
	}
}

// writeRecords replies an array of records. Replicas that asked not to be announced
// (replica-announced no) are left out, as Valkey leaves them out.
func (s *Sentinel) writeRecords(w *resp.Writer, list []*Instance) {
	now := time.Now()
	shown := list[:0:0]
	for _, in := range list {
		if in.IsSlave() && !in.ReplicaAnnounced {
			continue
		}
		shown = append(shown, in)
	}
	w.Array(len(shown))
	for _, in := range shown {
		writeRecord(w, s.record(in, now))
	}
}
