package sentinel

import (
	"net"
	"strconv"
	"strings"
	"time"
)

// Flags are an instance's state bits, named in SENTINEL replies and INFO as Valkey names them.
type Flags uint32

// Instance flags.
const (
	FlagMaster Flags = 1 << iota
	FlagSlave
	FlagSentinel
	FlagSDown // subjectively down
	FlagODown // objectively down (primaries only)
	FlagMasterDown
	FlagFailoverInProgress
	FlagPromoted // the replica chosen for promotion
	FlagReconfSent
	FlagReconfInProg
	FlagReconfDone
	FlagForceFailover
	FlagScriptKillSent
	FlagMasterReboot
)

// flagNames is the order SENTINEL replies list flags in (spec §5.5).
var flagNames = []struct {
	f    Flags
	name string
}{
	{FlagSDown, "s_down"}, {FlagODown, "o_down"}, {FlagMaster, "master"}, {FlagSlave, "slave"},
	{FlagSentinel, "sentinel"}, {FlagMasterDown, "master_down"}, {FlagFailoverInProgress, "failover_in_progress"},
	{FlagPromoted, "promoted"}, {FlagReconfSent, "reconf_sent"}, {FlagReconfInProg, "reconf_inprog"},
	{FlagReconfDone, "reconf_done"}, {FlagForceFailover, "force_failover"},
	{FlagScriptKillSent, "script_kill_sent"}, {FlagMasterReboot, "master_reboot"},
}

// Failover states, with the names SENTINEL PRIMARY's failover-state field shows.
type FailoverState int

// Failover states in the order the state machine walks them (spec §5.4).
const (
	FailoverNone FailoverState = iota
	FailoverWaitStart
	FailoverSelectSlave
	FailoverSendSlaveofNoone
	FailoverWaitPromotion
	FailoverReconfSlaves
	FailoverUpdateConfig
)

var failoverStateNames = []string{"none", "wait_start", "select_slave", "send_slaveof_noone",
	"wait_promotion", "reconf_slaves", "update_config"}

func (f FailoverState) String() string { return failoverStateNames[f] }

// Addr is an instance's announced address.
type Addr struct {
	Host string
	Port int
}

// String is "host:port" ([host]:port for IPv6), the name of replica records.
func (a Addr) String() string { return net.JoinHostPort(a.Host, strconv.Itoa(a.Port)) }

// Instance is a monitored primary, one of its replicas, or another sentinel watching it. The fields
// are guarded by Sentinel.mu.
type Instance struct {
	Flags       Flags
	Name        string // primary: its configured name; replica: "ip:port"; sentinel: its run id
	RunID       string // from INFO (primary, replica) or hello (sentinel); "" while unknown
	ConfigEpoch uint64 // primaries: the epoch of the configuration that made this address the primary
	Addr        Addr
	Master      *Instance // replicas and sentinels: the primary they belong to

	// links (engine)
	link *link // cmd + pubsub connections; sentinels share one link per remote sentinel

	// liveness, as Valkey's act_ping_time / last_ping_time / last_pong_time / last_avail_time
	PingPending   time.Time // when the oldest unanswered PING was sent (zero: none pending)
	LastPingSent  time.Time
	LastPongTime  time.Time // last reply of any kind to PING
	LastAvailTime time.Time // last valid reply (+PONG, -LOADING, -MASTERDOWN)
	LastPubTime   time.Time // last hello we sent through this instance
	LastHelloTime time.Time // sentinels: last hello heard from it
	// LastMasterDownReply is when this sentinel last answered is-master-down-by-addr.
	LastMasterDownReply time.Time

	SDownSince        time.Time
	ODownSince        time.Time
	DownAfter         time.Duration
	RebootDownAfter   time.Duration // primary-reboot-down-after-period (0: off)
	RebootSince       time.Time
	InfoRefresh       time.Time // when INFO was last received
	InfoText          string    // the last INFO reply (INFO-CACHE)
	RoleReported      Flags     // FlagMaster or FlagSlave, as INFO last said
	RoleReportedTime  time.Time
	SlaveConfChanged  time.Time // when we last sent this instance SLAVEOF
	RenamedCommands   map[string]string
	PendingCommands   int // link-pending-commands
	DisconnectedSince time.Time

	// primaries only
	Sentinels     map[string]*Instance // by run id
	Slaves        map[string]*Instance // by "ip:port"
	Quorum        int
	ParallelSyncs int
	AuthPass      string
	AuthUser      string
	NotifyScript  string
	ReconfScript  string

	// replicas only
	MasterLinkDownTime time.Duration
	SlavePriority      int
	ReplicaAnnounced   bool
	SlaveReconfSent    time.Time
	SlaveMasterHost    string
	SlaveMasterPort    int
	SlaveMasterLinkUp  bool
	SlaveReplOffset    int64

	// sentinels: the leader it voted for, and in which epoch (is-master-down-by-addr replies)
	Leader      string
	LeaderEpoch uint64

	// failover (primaries)
	FailoverEpoch       uint64
	FailoverState       FailoverState
	FailoverStateChange time.Time
	FailoverStart       time.Time // also the time of the last attempt: the next one waits 2×failover-timeout
	FailoverTimeout     time.Duration
	FailoverDelayLogged time.Time
	PromotedSlave       *Instance
}

// IsMaster, IsSlave and IsSentinel tell the instance's kind.
func (in *Instance) IsMaster() bool   { return in.Flags&FlagMaster != 0 }
func (in *Instance) IsSlave() bool    { return in.Flags&FlagSlave != 0 }
func (in *Instance) IsSentinel() bool { return in.Flags&FlagSentinel != 0 }

// kindName is the "master|slave|sentinel" word of event payloads.
func (in *Instance) kindName() string {
	switch {
	case in.IsMaster():
		return "master"
	case in.IsSlave():
		return "slave"
	}
	return "sentinel"
}

// FlagList renders the flags as SENTINEL replies do ("master,s_down").
func (in *Instance) FlagList() string {
	var names []string
	for _, fn := range flagNames {
		if in.Flags&fn.f != 0 {
			names = append(names, fn.name)
		}
		if fn.f == FlagSentinel && (in.link == nil || in.link.disconnected()) {
			names = append(names, "disconnected")
		}
	}
	return strings.Join(names, ",")
}
