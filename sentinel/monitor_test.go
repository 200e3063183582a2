package sentinel

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

const primaryInfo = "# Server\r\nredis_version:7.2.4\r\nrun_id:" + testRunIDR1 + "\r\ntcp_port:6379\r\n\r\n" +
	"# Replication\r\nrole:master\r\nconnected_slaves:2\r\n" +
	"slave0:ip=127.0.0.1,port=6380,state=online,offset=1234,lag=0,type=replica\r\n" +
	"slave1:ip=10.0.0.2,port=6381,state=wait_bgsave,offset=0,lag=0\r\n" +
	"replicas_waiting_psync:0\r\nmaster_failover_state:no-failover\r\nmaster_repl_offset:1234\r\n"

const replicaInfo = "# Server\r\nrun_id:" + testRunIDR2 + "\r\n\r\n# Replication\r\nrole:slave\r\n" +
	"master_host:127.0.0.1\r\nmaster_port:6379\r\nmaster_link_status:down\r\nmaster_last_io_seconds_ago:-1\r\n" +
	"master_sync_in_progress:0\r\nslave_read_repl_offset:99\r\nslave_repl_offset:98\r\n" +
	"master_link_down_since_seconds:7\r\nslave_priority:42\r\nslave_read_only:1\r\nreplica_announced:0\r\n" +
	"connected_slaves:0\r\n"

func TestParseInfoPrimary(t *testing.T) {
	r := parseInfo(primaryInfo)
	if r.runID != testRunIDR1 || r.role != FlagMaster {
		t.Fatalf("run id %q role %v", r.runID, r.role)
	}
	want := []Addr{{"127.0.0.1", 6380}, {"10.0.0.2", 6381}}
	if !reflect.DeepEqual(r.slaves, want) {
		t.Fatalf("slaves %v, want %v", r.slaves, want)
	}
	if r.masterLinkDownTime != 0 {
		t.Fatalf("link down time %v on a primary", r.masterLinkDownTime)
	}
}

func TestParseInfoReplica(t *testing.T) {
	r := parseInfo(replicaInfo)
	if r.role != FlagSlave || r.masterHost != "127.0.0.1" || r.masterPort != 6379 || r.masterLinkUp {
		t.Fatalf("replica fields %+v", r)
	}
	if r.priority != 42 || r.replOffset != 98 || r.announced || !r.hasAnnounced {
		t.Fatalf("priority %d offset %d announced %v", r.priority, r.replOffset, r.announced)
	}
	if r.masterLinkDownTime != 7*time.Second {
		t.Fatalf("link down time %v", r.masterLinkDownTime)
	}
	// replica_priority is accepted as well as slave_priority; old slave lines too.
	r = parseInfo("role:slave\nreplica_priority:0\nmaster_link_status:up\n")
	if !r.hasPriority || r.priority != 0 || !r.masterLinkUp {
		t.Fatalf("replica_priority / up not read: %+v", r)
	}
	r = parseInfo("role:master\r\nslave0:10.1.1.1,7000,online\r\nslave1:ip=,port=1\r\nslavex:ip=1.1.1.1,port=2\r\n")
	if !reflect.DeepEqual(r.slaves, []Addr{{"10.1.1.1", 7000}}) {
		t.Fatalf("old-format and malformed slave lines: %v", r.slaves)
	}
	if r := parseInfo("run_id:short\r\n"); r.runID != "" || r.role != 0 {
		t.Fatalf("short run id or missing role accepted: %+v", r)
	}
}

func TestRefreshInfoDiscoversReplicas(t *testing.T) {
	s := newUnitSentinel(t)
	m := unitMaster(t, s, 2)
	now := time.Now()
	s.refreshInfoLocked(m, primaryInfo, now)
	if len(m.Slaves) != 2 || m.Slaves["127.0.0.1:6380"] == nil || m.Slaves["10.0.0.2:6381"] == nil {
		t.Fatalf("replicas %v", m.Slaves)
	}
	evs := takeEvents(s)
	want := []string{"+slave slave 127.0.0.1:6380 127.0.0.1 6380 @ mymaster 127.0.0.1 6379",
		"+slave slave 10.0.0.2:6381 10.0.0.2 6381 @ mymaster 127.0.0.1 6379"}
	if !reflect.DeepEqual(evs, want) {
		t.Fatalf("events %q, want %q", evs, want)
	}
	if m.RunID != testRunIDR1 || m.InfoText != primaryInfo || !m.InfoRefresh.Equal(now) {
		t.Fatal("INFO not recorded")
	}
	// Known replicas are not announced twice; a new run id is a reboot.
	s.refreshInfoLocked(m, strings.Replace(primaryInfo, testRunIDR1, testRunIDR2, 1), now)
	if evs := takeEvents(s); !reflect.DeepEqual(eventTypes(evs), []string{"+reboot"}) {
		t.Fatalf("second INFO events %q", evs)
	}
}

func TestRefreshInfoReplicaFieldsAndRoleChange(t *testing.T) {
	s := newUnitSentinel(t)
	m := unitMaster(t, s, 2)
	sl := s.addSlaveLocked(m, "127.0.0.1", 6380)
	sl.RoleReported = FlagSlave
	now := time.Now()
	s.refreshInfoLocked(sl, replicaInfo, now)
	if sl.SlavePriority != 42 || sl.SlaveReplOffset != 98 || sl.SlaveMasterLinkUp || sl.ReplicaAnnounced ||
		sl.SlaveMasterHost != "127.0.0.1" || sl.SlaveMasterPort != 6379 || sl.MasterLinkDownTime != 7*time.Second {
		t.Fatalf("replica state %+v", sl)
	}
	takeEvents(s)
	// The replica now claims to be a primary: -role-change (it contradicts our view).
	s.refreshInfoLocked(sl, "run_id:"+testRunIDR2+"\r\nrole:master\r\n", now)
	if evs := takeEvents(s); len(evs) != 1 || !strings.HasPrefix(evs[0], "-role-change slave 127.0.0.1:6380") ||
		!strings.HasSuffix(evs[0], "new reported role is master") {
		t.Fatalf("events %q", evs)
	}
	if sl.RoleReported != FlagMaster || sl.MasterLinkDownTime != 0 {
		t.Fatalf("role %v, link down %v", sl.RoleReported, sl.MasterLinkDownTime)
	}
}

func TestFixSlaveConfig(t *testing.T) {
	s := newUnitSentinel(t)
	m := unitMaster(t, s, 2)
	now := time.Now()
	m.RoleReported, m.InfoRefresh = FlagMaster, now
	sl := s.addSlaveLocked(m, "127.0.0.1", 6380)
	l := fakeUp(s, sl)
	wrong := strings.Replace(replicaInfo, "master_port:6379", "master_port:7777", 1)
	s.refreshInfoLocked(sl, wrong, now)
	if got := sentCommands(t, l.cmd); len(got) != 0 {
		t.Fatalf("reconfigured at once (the replica's configuration is fresh): %q", got)
	}
	// failover-timeout later, with the primary healthy, the replica is pointed back at it.
	later := now.Add(m.FailoverTimeout + time.Millisecond)
	m.InfoRefresh = later
	s.refreshInfoLocked(sl, wrong, later)
	want := []string{"MULTI", "SLAVEOF 127.0.0.1 6379", "CONFIG REWRITE", "CLIENT KILL TYPE normal",
		"CLIENT KILL TYPE pubsub", "EXEC"}
	if got := sentCommands(t, l.cmd); !reflect.DeepEqual(got, want) {
		t.Fatalf("sent %q, want %q", got, want)
	}
	if !hasEvent(takeEvents(s), "+fix-slave-config") {
		t.Fatal("no +fix-slave-config")
	}
}

func TestSlaveOfHonoursRenameCommand(t *testing.T) {
	s := newUnitSentinel(t)
	m := unitMaster(t, s, 2)
	m.RenamedCommands["slaveof"] = "SLV"
	m.RenamedCommands["config"] = "CFG"
	sl := s.addSlaveLocked(m, "127.0.0.1", 6380)
	l := fakeUp(s, sl)
	if err := s.sendSlaveOfLocked(sl, nil); err != nil {
		t.Fatal(err)
	}
	want := []string{"MULTI", "SLV NO ONE", "CFG REWRITE", "CLIENT KILL TYPE normal", "CLIENT KILL TYPE pubsub", "EXEC"}
	if got := sentCommands(t, l.cmd); !reflect.DeepEqual(got, want) {
		t.Fatalf("sent %q, want %q", got, want)
	}
	if sl.PendingCommands != 6 {
		t.Fatalf("pending commands %d, want 6", sl.PendingCommands)
	}
	sl.link.cmd = nil
	if err := s.sendSlaveOfLocked(sl, &m.Addr); err == nil {
		t.Fatal("SLAVEOF queued on a down link")
	}
}

func TestConvertReturningPrimary(t *testing.T) {
	s := newUnitSentinel(t)
	s.timing.PublishPeriod = 100 * time.Millisecond
	m := unitMaster(t, s, 2)
	now := time.Now()
	m.RoleReported, m.InfoRefresh = FlagMaster, now
	old := s.addSlaveLocked(m, "127.0.0.1", 6390)
	l := fakeUp(s, old)
	s.refreshInfoLocked(old, "role:master\r\n", now)
	if got := sentCommands(t, l.cmd); len(got) != 0 {
		t.Fatalf("converted before publish-period×4: %q", got)
	}
	later := now.Add(4*s.timing.PublishPeriod + time.Millisecond)
	m.InfoRefresh = later
	// Not while a failover of the primary runs.
	m.Flags |= FlagFailoverInProgress
	s.refreshInfoLocked(old, "role:master\r\n", later)
	if got := sentCommands(t, l.cmd); len(got) != 0 {
		t.Fatalf("converted during a failover: %q", got)
	}
	m.Flags &^= FlagFailoverInProgress
	s.refreshInfoLocked(old, "role:master\r\n", later)
	if got := sentCommands(t, l.cmd); len(got) != 6 || got[1] != "SLAVEOF 127.0.0.1 6379" {
		t.Fatalf("sent %q", got)
	}
	if !hasEvent(takeEvents(s), "+convert-to-slave") {
		t.Fatal("no +convert-to-slave")
	}
}

func TestResetMasterAndChangeAddress(t *testing.T) {
	s := newUnitSentinel(t)
	m := unitMaster(t, s, 2)
	s.addSlaveLocked(m, "127.0.0.1", 6380)
	s.addSlaveLocked(m, "127.0.0.1", 6381)
	s.addSentinelLocked(m, "127.0.0.1", 26380, testOtherA)
	m.Flags |= FlagSDown | FlagODown | FlagFailoverInProgress
	m.FailoverState = FailoverUpdateConfig
	m.Leader = testOtherA
	s.resetMasterAndChangeAddressLocked(m, "127.0.0.1", 6380)
	if m.Addr != (Addr{"127.0.0.1", 6380}) || m.Flags != FlagMaster || m.FailoverState != FailoverNone || m.Leader != "" {
		t.Fatalf("primary after switch: %+v", m)
	}
	var names []string
	for n := range m.Slaves {
		names = append(names, n)
	}
	if len(names) != 2 || m.Slaves["127.0.0.1:6379"] == nil || m.Slaves["127.0.0.1:6381"] == nil {
		t.Fatalf("replicas after switch: %v (want the old primary and the other replica)", names)
	}
	if len(m.Sentinels) != 1 {
		t.Fatal("sentinels dropped by a switch")
	}
	s.resetMasterLocked(m, false)
	if len(m.Sentinels) != 0 || len(m.Slaves) != 0 {
		t.Fatal("reset kept replicas or sentinels")
	}
}
