package sentinel

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Valkey's texts for refused "sentinel …" lines; the config loader shows them after the offending line.
// Where Valkey silently accepts nonsense (atoi of "abc"), the line is refused with a text naming the value.
const (
	errUnrecognized      = "Unrecognized sentinel configuration statement."
	errNoSuchMasterConf  = "No such master with specified name."
	errQuorum            = "Quorum must be 1 or greater."
	errDuplicateMaster   = "Duplicate master name."
	errDuplicateSlave    = "Duplicate hostname and port for replica."
	errDuplicateSentinel = "Duplicate runid for sentinel."
	errUnresolvable      = "Can't resolve instance hostname."
	errBadPort           = "Invalid port number."
	errTimeNotPositive   = "negative or zero time parameter."
	errTimeNegative      = "negative time parameter."
	errMyID              = "Malformed Sentinel id in myid option."
	errRenamedTwice      = "Same command renamed multiple times with rename-command."
	errNotifyScript      = "Notification script seems non existing or non executable."
	errReconfScript      = "Client reconfiguration script seems non existing or non executable."
)

// Valkey's defaults for the per-primary settings the rewrite leaves out when unchanged.
const (
	defaultParallelSyncs = 1
	defaultSlavePriority = 100
)

// directiveSpec is one "sentinel <name> …" statement: the argument counts it accepts (the statement's
// name included, as Valkey counts them) and what it does.
type directiveSpec struct {
	argc  []int
	apply func(s *Sentinel, a []string) error
}

var directiveTable map[string]directiveSpec

func init() {
	reboot := directiveSpec{[]int{3}, (*Sentinel).confRebootPeriod}
	known := directiveSpec{[]int{4}, (*Sentinel).confKnownReplica}
	directiveTable = map[string]directiveSpec{
		"monitor":                 {[]int{5}, (*Sentinel).confMonitor},
		"down-after-milliseconds": {[]int{3}, (*Sentinel).confDownAfter},
		"failover-timeout":        {[]int{3}, (*Sentinel).confFailoverTimeout},
		"parallel-syncs":          {[]int{3}, (*Sentinel).confParallelSyncs},
		"notification-script": {[]int{3}, confMasterString(func(m *Instance) *string { return &m.NotifyScript },
			executableOr(errNotifyScript))},
		"client-reconfig-script": {[]int{3}, confMasterString(func(m *Instance) *string { return &m.ReconfScript },
			executableOr(errReconfScript))},
		"auth-pass":                        {[]int{3}, confMasterString(func(m *Instance) *string { return &m.AuthPass }, nil)},
		"auth-user":                        {[]int{3}, confMasterString(func(m *Instance) *string { return &m.AuthUser }, nil)},
		"primary-reboot-down-after-period": reboot,
		"master-reboot-down-after-period":  reboot,
		"rename-command":                   {[]int{4}, (*Sentinel).confRenameCommand},
		"announce-ip":                      {[]int{2}, (*Sentinel).confAnnounceIP},
		"announce-port":                    {[]int{2}, (*Sentinel).confAnnouncePort},
		"resolve-hostnames": {[]int{2}, confYesNo(func(s *Sentinel) *bool { return &s.resolveHostnames },
			"Please specify yes or no for the resolve-hostnames option.")},
		"announce-hostnames": {[]int{2}, confYesNo(func(s *Sentinel) *bool { return &s.announceHostnames },
			"Please specify yes or no for the announce-hostnames option.")},
		"deny-scripts-reconfig": {[]int{2}, confYesNo(func(s *Sentinel) *bool { return &s.denyScriptsReconfig },
			"Please specify yes or no for the deny-scripts-reconfig options.")},
		"sentinel-user": {[]int{2}, confString(func(s *Sentinel) *string { return &s.sentinelUser })},
		"sentinel-pass": {[]int{2}, confString(func(s *Sentinel) *string { return &s.sentinelPass })},
		"myid":          {[]int{2}, (*Sentinel).confMyID},
		"current-epoch": {[]int{2}, (*Sentinel).confCurrentEpoch},
		"config-epoch":  {[]int{3}, (*Sentinel).confConfigEpoch},
		"leader-epoch":  {[]int{3}, (*Sentinel).confLeaderEpoch},
		"known-replica": known,
		"known-slave":   known,
		// the four-argument form (no run id) is an old format Valkey reads and ignores
		"known-sentinel": {[]int{4, 5}, (*Sentinel).confKnownSentinel},
	}
}

// SetDirective implements server.Mode: one "sentinel …" configuration line (its arguments). A statement
// with an unknown name or the wrong number of arguments is refused as Valkey refuses it.
func (s *Sentinel) SetDirective(args []string) error {
	if len(args) == 0 {
		return errors.New(errUnrecognized)
	}
	spec, ok := directiveTable[strings.ToLower(args[0])]
	if !ok || !containsInt(spec.argc, len(args)) {
		return errors.New(errUnrecognized)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return spec.apply(s, args)
}

func containsInt(list []int, n int) bool {
	for _, v := range list {
		if v == n {
			return true
		}
	}
	return false
}

// confMaster finds the primary a per-primary statement names.
func (s *Sentinel) confMaster(name string) (*Instance, error) {
	m := s.masters[name]
	if m == nil {
		return nil, errors.New(errNoSuchMasterConf)
	}
	return m, nil
}

func (s *Sentinel) confMonitor(a []string) error {
	quorum, err := strconv.Atoi(a[4])
	if err != nil || quorum <= 0 {
		return errors.New(errQuorum)
	}
	port, err := parsePort(a[3])
	if err != nil {
		return err
	}
	host, err := checkHost(a[2], s.resolveHostnames)
	if err != nil {
		return err
	}
	_, err = s.createMasterLocked(a[1], host, port, quorum)
	return err
}

func (s *Sentinel) confDownAfter(a []string) error {
	m, err := s.confMaster(a[1])
	if err != nil {
		return err
	}
	d, err := parseMillis(a[0], a[2], true)
	if err != nil {
		return err
	}
	s.setDownAfterLocked(m, d)
	return nil
}

// setDownAfterLocked sets a primary's down-after-milliseconds and, as Valkey does, the period of its
// replicas and sentinels, which are judged by the same rule.
func (s *Sentinel) setDownAfterLocked(m *Instance, d time.Duration) {
	m.DownAfter = d
	for _, sl := range m.Slaves {
		sl.DownAfter = d
	}
	for _, se := range m.Sentinels {
		se.DownAfter = d
	}
}

func (s *Sentinel) confFailoverTimeout(a []string) error {
	m, err := s.confMaster(a[1])
	if err != nil {
		return err
	}
	d, err := parseMillis(a[0], a[2], true)
	if err != nil {
		return err
	}
	m.FailoverTimeout = d
	return nil
}

func (s *Sentinel) confParallelSyncs(a []string) error {
	m, err := s.confMaster(a[1])
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(a[2])
	if err != nil || n <= 0 {
		return fmt.Errorf("Invalid parallel-syncs value '%s': it must be an integer, 1 or greater.", a[2])
	}
	m.ParallelSyncs = n
	return nil
}

func (s *Sentinel) confRebootPeriod(a []string) error {
	m, err := s.confMaster(a[1])
	if err != nil {
		return err
	}
	d, err := parseMillis(a[0], a[2], false)
	if err != nil {
		return err
	}
	m.RebootDownAfter = d
	return nil
}

func (s *Sentinel) confRenameCommand(a []string) error {
	m, err := s.confMaster(a[1])
	if err != nil {
		return err
	}
	// command names are case-insensitive: the key is lower case, so the engine looks up lower-case names
	old := strings.ToLower(a[2])
	if _, dup := m.RenamedCommands[old]; dup {
		return errors.New(errRenamedTwice)
	}
	m.RenamedCommands[old] = a[3]
	return nil
}

func (s *Sentinel) confAnnounceIP(a []string) error {
	s.announceIP = a[1]
	return nil
}

// confMasterString is a "<statement> <primary> <value>" line stored in the field field returns, after
// check (if any) accepts the value.
func confMasterString(field func(*Instance) *string, check func(string) error) func(*Sentinel, []string) error {
	return func(s *Sentinel, a []string) error {
		m, err := s.confMaster(a[1])
		if err != nil {
			return err
		}
		if check != nil {
			if err := check(a[2]); err != nil {
				return err
			}
		}
		*field(m) = a[2]
		return nil
	}
}

// executableOr accepts the path of an executable file, and otherwise gives Valkey's error msg.
func executableOr(msg string) func(string) error {
	return func(path string) error {
		if checkExecutable(path) != nil {
			return errors.New(msg)
		}
		return nil
	}
}

// confYesNo is a global yes/no statement stored in the field field returns; msg is Valkey's complaint
// about any other value.
func confYesNo(field func(*Sentinel) *bool, msg string) func(*Sentinel, []string) error {
	return func(s *Sentinel, a []string) error {
		v, ok := yesNo(a[1])
		if !ok {
			return errors.New(msg)
		}
		*field(s) = v
		return nil
	}
}

// confString is a global statement whose one argument is stored as it is.
func confString(field func(*Sentinel) *string) func(*Sentinel, []string) error {
	return func(s *Sentinel, a []string) error {
		*field(s) = a[1]
		return nil
	}
}

func (s *Sentinel) confAnnouncePort(a []string) error {
	p, err := strconv.Atoi(a[1])
	if err != nil || p < 0 || p > 65535 {
		return errors.New(errBadPort)
	}
	s.announcePort = p
	return nil
}

func (s *Sentinel) confMyID(a []string) error {
	if !isRunID(a[1]) {
		return errors.New(errMyID)
	}
	s.myID = strings.ToLower(a[1])
	return nil
}

// isRunID tells a 40-hex-digit run id (myid, a sentinel's id).
func isRunID(id string) bool {
	if len(id) != 40 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

func (s *Sentinel) confCurrentEpoch(a []string) error {
	e, err := parseEpoch(a[0], a[1])
	if err != nil {
		return err
	}
	s.adoptEpochLocked(e)
	return nil
}

// adoptEpochLocked raises the current epoch to e (epochs never go back).
func (s *Sentinel) adoptEpochLocked(e uint64) {
	if e > s.currentEpoch {
		s.currentEpoch = e
	}
}

func (s *Sentinel) confConfigEpoch(a []string) error {
	m, err := s.confMaster(a[1])
	if err != nil {
		return err
	}
	e, err := parseEpoch(a[0], a[2])
	if err != nil {
		return err
	}
	m.ConfigEpoch = e
	s.adoptEpochLocked(e)
	return nil
}

func (s *Sentinel) confLeaderEpoch(a []string) error {
	m, err := s.confMaster(a[1])
	if err != nil {
		return err
	}
	e, err := parseEpoch(a[0], a[2])
	if err != nil {
		return err
	}
	m.LeaderEpoch = e
	return nil
}

func (s *Sentinel) confKnownReplica(a []string) error {
	m, err := s.confMaster(a[1])
	if err != nil {
		return err
	}
	port, err := parsePort(a[3])
	if err != nil {
		return err
	}
	host, err := checkHost(a[2], s.resolveHostnames)
	if err != nil {
		return err
	}
	if m.Slaves[Addr{host, port}.String()] != nil {
		return errors.New(errDuplicateSlave)
	}
	s.addSlaveLocked(m, host, port)
	return nil
}

func (s *Sentinel) confKnownSentinel(a []string) error {
	if len(a) == 4 {
		return nil
	}
	m, err := s.confMaster(a[1])
	if err != nil {
		return err
	}
	port, err := parsePort(a[3])
	if err != nil {
		return err
	}
	host, err := checkHost(a[2], s.resolveHostnames)
	if err != nil {
		return err
	}
	if !isRunID(a[4]) {
		return fmt.Errorf("Invalid sentinel run id '%s': it must be 40 hexadecimal digits.", a[4])
	}
	if m.Sentinels[a[4]] != nil {
		return errors.New(errDuplicateSentinel)
	}
	s.addSentinelLocked(m, host, port, a[4])
	return nil
}

// ---- instance creation (the contract: the engine creates replicas and sentinels it discovers) ----------

// createMasterLocked adds a monitored primary with Valkey's defaults. It refuses a bad quorum, port or
// address and a name already monitored, with Valkey's texts (the callers add "ERR " for a reply).
func (s *Sentinel) createMasterLocked(name, host string, port, quorum int) (*Instance, error) {
	if quorum <= 0 {
		return nil, errors.New(errQuorum)
	}
	if port <= 0 || port > 65535 {
		return nil, errors.New(errBadPort)
	}
	if net.ParseIP(host) == nil && !s.resolveHostnames {
		return nil, errors.New(errUnresolvable)
	}
	if s.masters[name] != nil {
		return nil, errors.New(errDuplicateMaster)
	}
	m := &Instance{
		Flags:           FlagMaster,
		Name:            name,
		Addr:            Addr{Host: host, Port: port},
		Quorum:          quorum,
		DownAfter:       s.timing.DefaultDownAfter,
		FailoverTimeout: s.timing.DefaultFailoverTimeout,
		ParallelSyncs:   defaultParallelSyncs,
		Sentinels:       map[string]*Instance{},
		Slaves:          map[string]*Instance{},
		RenamedCommands: map[string]string{},
	}
	initTimes(m, time.Now())
	s.masters[name] = m
	s.masterOrder = append(s.masterOrder, name)
	return m, nil
}

// addSlaveLocked returns m's replica at host:port, creating it if it is new.
func (s *Sentinel) addSlaveLocked(m *Instance, host string, port int) *Instance {
	addr := Addr{Host: host, Port: port}
	key := addr.String()
	if sl := m.Slaves[key]; sl != nil {
		return sl
	}
	sl := &Instance{
		Flags:            FlagSlave,
		Name:             key,
		Addr:             addr,
		Master:           m,
		DownAfter:        m.DownAfter,
		SlavePriority:    defaultSlavePriority,
		ReplicaAnnounced: true,
		RenamedCommands:  m.RenamedCommands,
	}
	initTimes(sl, time.Now())
	m.Slaves[key] = sl
	return sl
}

// addSentinelLocked returns the sentinel with run id runID watching m, creating it if it is new.
func (s *Sentinel) addSentinelLocked(m *Instance, host string, port int, runID string) *Instance {
	if se := m.Sentinels[runID]; se != nil {
		return se
	}
	se := &Instance{
		Flags:     FlagSentinel,
		Name:      runID,
		RunID:     runID,
		Addr:      Addr{Host: host, Port: port},
		Master:    m,
		DownAfter: m.DownAfter,
	}
	initTimes(se, time.Now())
	m.Sentinels[runID] = se
	return se
}

// initTimes starts an instance's clocks at its creation, as Valkey does: a link that never connects then
// times out after down-after like one that stopped answering, and the "seconds since" fields of SENTINEL
// replies count from the creation rather than from 1970.
func initTimes(in *Instance, now time.Time) {
	in.PingPending = now
	in.LastAvailTime = now
	in.LastPongTime = now
	in.LastPubTime = now
	in.LastHelloTime = now
	in.LastMasterDownReply = now
	in.RoleReportedTime = now
	in.SlaveConfChanged = now
	in.RoleReported = in.Flags & (FlagMaster | FlagSlave)
}

// ---- value parsing --------------------------------------------------------------------------------------

func parsePort(v string) (int, error) {
	p, err := strconv.Atoi(v)
	if err != nil || p <= 0 || p > 65535 {
		return 0, errors.New(errBadPort)
	}
	return p, nil
}

// parseMillis reads a period in milliseconds; positive says whether 0 is refused too.
func parseMillis(name, v string, positive bool) (time.Duration, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("Invalid %s value '%s': not an integer number of milliseconds.", name, v)
	}
	if positive && n <= 0 {
		return 0, errors.New(errTimeNotPositive)
	}
	if n < 0 {
		return 0, errors.New(errTimeNegative)
	}
	return time.Duration(n) * time.Millisecond, nil
}

func parseEpoch(name, v string) (uint64, error) {
	e, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("Invalid %s value '%s': not a non-negative integer.", name, v)
	}
	return e, nil
}

// yesNo parses Valkey's yes/no (any case).
func yesNo(v string) (value, ok bool) {
	switch strings.ToLower(v) {
	case "yes":
		return true, true
	case "no":
		return false, true
	}
	return false, false
}

func yesNoString(v bool) string {
	if v {
		return "yes"
	}
	return "no"
}

// checkHost accepts an IP address (returned in canonical form, as the engine and the INFO of monitored
// nodes write it), or, with resolve-hostnames yes, a name that resolves now (returned unchanged: the
// links resolve it again when they dial, so a moved host is followed).
func checkHost(host string, resolve bool) (string, error) {
	if ip := net.ParseIP(host); ip != nil {
		return ip.String(), nil
	}
	if !resolve || host == "" {
		return "", errors.New(errUnresolvable)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if addrs, err := net.DefaultResolver.LookupHost(ctx, host); err != nil || len(addrs) == 0 {
		return "", errors.New(errUnresolvable)
	}
	return host, nil
}

// checkExecutable tells whether path is a file this process may execute (Valkey: access(X_OK)).
func checkExecutable(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("script %s: %w", path, err)
	}
	if st.IsDir() {
		return fmt.Errorf("script %s is a directory", path)
	}
	if err := syscall.Access(path, 0x1 /* X_OK */); err != nil {
		return fmt.Errorf("script %s is not executable: %w", path, err)
	}
	return nil
}
