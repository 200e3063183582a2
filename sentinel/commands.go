package sentinel

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/valkey-node/valkey-node/server"
	"github.com/valkey-node/valkey-node/server/glob"
)

// Reply texts shared by several subcommands.
const (
	errNoSuchMaster = "ERR No such master with that name"
	errFlushFailed  = "ERR Failed to save config file. Check server logs."
	errNotInteger   = "ERR value is not an integer or out of range"
)

// subcommand is one SENTINEL subcommand: its arity as Valkey's command table gives it (n: exactly n
// arguments, -n: at least n, SENTINEL and the subcommand included) and its handler. Handlers run under the
// server's execution lock and take s.mu themselves.
type subcommand struct {
	arity int
	run   func(s *Sentinel, c *server.Client, args [][]byte)
}

var subcommands map[string]subcommand

func init() {
	subcommands = map[string]subcommand{
		"help":                     {2, (*Sentinel).cmdHelp},
		"masters":                  {2, (*Sentinel).cmdMasters},
		"primaries":                {2, (*Sentinel).cmdMasters},
		"master":                   {3, (*Sentinel).cmdMaster},
		"primary":                  {3, (*Sentinel).cmdMaster},
		"slaves":                   {3, (*Sentinel).cmdReplicas},
		"replicas":                 {3, (*Sentinel).cmdReplicas},
		"sentinels":                {3, (*Sentinel).cmdSentinels},
		"myid":                     {2, (*Sentinel).cmdMyID},
		"is-master-down-by-addr":   {6, (*Sentinel).cmdIsMasterDown},
		"is-primary-down-by-addr":  {6, (*Sentinel).cmdIsMasterDown},
		"reset":                    {3, (*Sentinel).cmdReset},
		"get-master-addr-by-name":  {3, (*Sentinel).cmdGetMasterAddr},
		"get-primary-addr-by-name": {3, (*Sentinel).cmdGetMasterAddr},
		"failover":                 {3, (*Sentinel).cmdFailover},
		"pending-scripts":          {2, (*Sentinel).cmdPendingScripts},
		"monitor":                  {6, (*Sentinel).cmdMonitor},
		"flushconfig":              {2, (*Sentinel).cmdFlushConfig},
		"remove":                   {3, (*Sentinel).cmdRemove},
		"ckquorum":                 {3, (*Sentinel).cmdCKQuorum},
		"set":                      {-5, (*Sentinel).cmdSet},
		"config":                   {-4, (*Sentinel).cmdConfig},
		"info-cache":               {-2, (*Sentinel).cmdInfoCache},
		"simulate-failure":         {-2, (*Sentinel).cmdSimulateFailure},
		"debug":                    {-2, (*Sentinel).cmdDebug},
	}
}

// Command implements server.Mode: SENTINEL <subcommand> … (spec §5.5).
func (s *Sentinel) Command(c *server.Client, args [][]byte) {
	name := strings.ToLower(string(args[1]))
	sub, ok := subcommands[name]
	if !ok {
		c.Err(fmt.Sprintf("ERR unknown subcommand '%s'. Try SENTINEL HELP.", args[1]))
		return
	}
	if sub.arity >= 0 && len(args) != sub.arity || sub.arity < 0 && len(args) < -sub.arity {
		c.Err(fmt.Sprintf("ERR wrong number of arguments for 'sentinel|%s' command", name))
		return
	}
	sub.run(s, c, args)
}

// Publish implements server.Mode: a sentinel takes only hello messages, which other sentinels may send
// it directly (spec §5.3).
func (s *Sentinel) Publish(c *server.Client, channel, message []byte) {
	if string(channel) != helloChannel {
		c.Err("ERR Only HELLO messages are accepted by Sentinel instances.")
		return
	}
	s.mu.Lock()
	s.handleHelloLocked(string(message), nil)
	s.mu.Unlock()
	c.W().Int(1)
}

// masterOrErr finds the primary a subcommand names, or replies Valkey's error. Call with s.mu held.
func (s *Sentinel) masterOrErr(c *server.Client, name []byte) *Instance {
	m := s.masters[string(name)]
	if m == nil {
		c.Err(errNoSuchMaster)
	}
	return m
}

// flushAndReply writes the configuration now and replies OK, or the error if the file could not be
// written (Valkey's sentinelFlushConfigAndReply). It runs under the server's execution lock, which the
// registry's rewrite needs, and must be called without s.mu (the rewrite takes it for DirectiveLines).
func (s *Sentinel) flushAndReply(c *server.Client) {
	if err := s.flushSync(c); err != nil {
		c.Err(errFlushFailed)
		return
	}
	c.W().OK()
}

// flushSync rewrites the configuration file from a command handler (without s.mu).
func (s *Sentinel) flushSync(c *server.Client) error {
	if err := c.Server().Registry().Rewrite(); err != nil {
		s.log.Warn().Err(err).Msg("WARNING: Sentinel was not able to save the new configuration on disk!!!")
		return fmt.Errorf("sentinel: rewriting the configuration file: %w", err)
	}
	return nil
}

func (s *Sentinel) cmdMasters(c *server.Client, args [][]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	list := make([]*Instance, 0, len(s.masterOrder))
	for _, name := range s.masterOrder {
		list = append(list, s.masters[name])
	}
	s.writeRecords(c.W(), list)
}

func (s *Sentinel) cmdMaster(c *server.Client, args [][]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.masterOrErr(c, args[2]); m != nil {
		writeRecord(c.W(), s.record(m, time.Now()))
	}
}

func (s *Sentinel) cmdReplicas(c *server.Client, args [][]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.masterOrErr(c, args[2]); m != nil {
		s.writeRecords(c.W(), sortedInstances(m.Slaves))
	}
}

func (s *Sentinel) cmdSentinels(c *server.Client, args [][]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.masterOrErr(c, args[2]); m != nil {
		s.writeRecords(c.W(), sortedInstances(m.Sentinels))
	}
}

func (s *Sentinel) cmdMyID(c *server.Client, args [][]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.W().BulkString(s.myID)
}

// cmdIsMasterDown answers another sentinel's is-master-down-by-addr: whether the primary at ip:port is
// SDOWN here (never while in TILT), and, when the asker gives its run id instead of "*", this sentinel's
// vote for the failover leader in the asker's epoch.
func (s *Sentinel) cmdIsMasterDown(c *server.Client, args [][]byte) {
	port, err := strconv.ParseInt(string(args[3]), 10, 64)
	if err != nil {
		c.Err(errNotInteger)
		return
	}
	epoch, err := strconv.ParseInt(string(args[4]), 10, 64)
	if err != nil {
		c.Err(errNotInteger)
		return
	}
	ip, runID := string(args[2]), string(args[5])
	s.mu.Lock()
	defer s.mu.Unlock()
	var m *Instance
	for _, name := range s.masterOrder {
		if cand := s.masters[name]; cand.Addr.Host == ip && int64(cand.Addr.Port) == port {
			m = cand
			break
		}
	}
	down := m != nil && !s.tilt && m.Flags&FlagSDown != 0
	leader, leaderEpoch := "", uint64(0)
	if m != nil && runID != "*" {
		leader, leaderEpoch = s.voteLocked(m, uint64(epoch), runID)
	}
	if leader == "" {
		leader = "*"
	}
	w := c.W()
	w.Array(3)
	if down {
		w.Int(1)
	} else {
		w.Int(0)
	}
	w.BulkString(leader)
	w.Int(int64(leaderEpoch))
}

// cmdReset drops the replicas, sentinels and failover state of every primary whose name matches the
// pattern (they are discovered again), and replies how many were reset.
func (s *Sentinel) cmdReset(c *server.Client, args [][]byte) {
	pattern := string(args[2])
	s.mu.Lock()
	n := 0
	for _, name := range s.masterOrder {
		if !glob.MatchString(pattern, name, false) {
			continue
		}
		m := s.masters[name]
		s.resetMasterLocked(m, false)
		s.eventLocked(zerolog.WarnLevel, "+reset-master", m, "")
		n++
	}
	s.mu.Unlock()
	if n > 0 {
		_ = s.flushSync(c) // logged; the reply is the count, as in Valkey
	}
	c.W().Int(int64(n))
}

func (s *Sentinel) cmdGetMasterAddr(c *server.Client, args [][]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.masters[string(args[2])]
	w := c.W()
	if m == nil {
		w.NullArray()
		return
	}
	a := currentMasterAddr(m)
	w.Array(2)
	w.BulkString(a.Host)
	w.BulkString(strconv.Itoa(a.Port))
}

// cmdFailover starts a failover without asking the other sentinels (spec §5.5).
func (s *Sentinel) cmdFailover(c *server.Client, args [][]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.masterOrErr(c, args[2])
	if m == nil {
		return
	}
	if err := s.startForcedFailoverLocked(m); err != nil {
		c.Err(err.Error())
		return
	}
	c.W().OK()
}

// cmdMonitor starts monitoring a primary: SENTINEL MONITOR name ip port quorum.
func (s *Sentinel) cmdMonitor(c *server.Client, args [][]byte) {
	quorum, err := strconv.ParseInt(string(args[5]), 10, 64)
	if err != nil {
		c.Err("ERR Invalid quorum")
		return
	}
	port, err := strconv.ParseInt(string(args[4]), 10, 64)
	if err != nil {
		c.Err("ERR Invalid port")
		return
	}
	if quorum <= 0 {
		c.Err("ERR " + errQuorum)
		return
	}
	s.mu.Lock()
	resolve := s.resolveHostnames
	s.mu.Unlock()
	host, err := checkHost(string(args[3]), resolve) // may resolve a name: not under s.mu
	if err != nil {
		c.Err("ERR Invalid IP address or hostname specified")
		return
	}
	if port <= 0 || port > 65535 {
		c.Err("ERR " + errBadPort)
		return
	}
	s.mu.Lock()
	m, err := s.createMasterLocked(string(args[2]), host, int(port), int(quorum))
	if err != nil {
		s.mu.Unlock()
		c.Err("ERR " + err.Error())
		return
	}
	s.eventLocked(zerolog.WarnLevel, "+monitor", m, "quorum %d", m.Quorum)
	s.mu.Unlock()
	s.flushAndReply(c)
}

func (s *Sentinel) cmdFlushConfig(c *server.Client, args [][]byte) { s.flushAndReply(c) }

// cmdRemove stops monitoring a primary and forgets its replicas and sentinels.
func (s *Sentinel) cmdRemove(c *server.Client, args [][]byte) {
	s.mu.Lock()
	m := s.masterOrErr(c, args[2])
	if m == nil {
		s.mu.Unlock()
		return
	}
	s.eventLocked(zerolog.WarnLevel, "-monitor", m, "")
	s.removeMasterLocked(m)
	s.mu.Unlock()
	s.flushAndReply(c)
}

// removeMasterLocked drops a primary with its replicas and sentinels, closing their links.
func (s *Sentinel) removeMasterLocked(m *Instance) {
	for _, sl := range m.Slaves {
		s.closeLinksLocked(sl)
	}
	for _, se := range m.Sentinels {
		s.closeLinksLocked(se)
	}
	s.closeLinksLocked(m)
	delete(s.masters, m.Name)
	for i, name := range s.masterOrder {
		if name == m.Name {
			s.masterOrder = append(s.masterOrder[:i:i], s.masterOrder[i+1:]...)
			break
		}
	}
}

func (s *Sentinel) cmdCKQuorum(c *server.Client, args [][]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.masterOrErr(c, args[2])
	if m == nil {
		return
	}
	status, errText := s.checkQuorumLocked(m).reply()
	if errText != "" {
		c.Err(errText)
		return
	}
	c.W().Simple(status)
}

// helpLines are SENTINEL HELP's, after the header line.
var helpLines = []string{
	"CKQUORUM <primary-name>",
	"    Check whether enough Sentinels are reachable to agree on the quorum and to authorize a failover.",
	"CONFIG SET <param> <value> [<param> <value> ...]",
	"    Set global Sentinel parameters (announce-ip, announce-port, announce-hostnames, resolve-hostnames,",
	"    sentinel-user, sentinel-pass, loglevel).",
	"CONFIG GET <param> [<param> ...]",
	"    Get global Sentinel parameters (glob patterns allowed).",
	"DEBUG [<param> <value> ...]",
	"    Show the timing parameters (milliseconds), or change some of them.",
	"GET-PRIMARY-ADDR-BY-NAME <primary-name>",
	"    The address of the current primary of that name (also GET-MASTER-ADDR-BY-NAME).",
	"FAILOVER <primary-name>",
	"    Fail over now, without asking the other Sentinels.",
	"FLUSHCONFIG",
	"    Rewrite the configuration file with the current state.",
	"INFO-CACHE [<primary-name> ...]",
	"    The last INFO replies of the primaries and their replicas.",
	"IS-PRIMARY-DOWN-BY-ADDR <ip> <port> <current-epoch> <runid>",
	"    Whether that primary is down here; with a run id, also this Sentinel's leader vote.",
	"PRIMARY <primary-name>",
	"    The state of one primary (also MASTER).",
	"PRIMARIES",
	"    The state of every monitored primary (also MASTERS).",
	"MONITOR <name> <ip> <port> <quorum>",
	"    Start monitoring a primary.",
	"MYID",
	"    This Sentinel's id.",
	"PENDING-SCRIPTS",
	"    The queued and running scripts.",
	"REMOVE <primary-name>",
	"    Stop monitoring a primary.",
	"REPLICAS <primary-name>",
	"    The state of a primary's replicas (also SLAVES).",
	"RESET <pattern>",
	"    Forget the replicas, Sentinels and failover state of the matching primaries.",
	"SENTINELS <primary-name>",
	"    The other Sentinels watching a primary.",
	"SET <primary-name> <option> <value> [<option> <value> ...]",
	"    Change the settings of a primary.",
	"SIMULATE-FAILURE [CRASH-AFTER-ELECTION] [CRASH-AFTER-PROMOTION] [HELP]",
	"    Make this Sentinel crash at a step of its next failover (tests).",
}

func (s *Sentinel) cmdHelp(c *server.Client, args [][]byte) {
	w := c.W()
	w.Array(len(helpLines) + 3)
	w.Simple("SENTINEL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
	for _, l := range helpLines {
		w.Simple(l)
	}
	w.Simple("HELP")
	w.Simple("    Print this help.")
}
