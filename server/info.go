package server

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/metrics"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/valkey-node/valkey-node/server/config"
)

// INFO: the sections, their fields (Valkey's names, in Valkey's order) and the state behind the few values
// that are not counters kept elsewhere.

// infoSections is every section in the order INFO prints them; dflt marks the ones plain INFO shows.
var infoSections = []struct {
	name string
	dflt bool
	gen  func(s *Server, b *infoBuilder)
}{
	{"server", true, (*Server).infoServer},
	{"clients", true, (*Server).infoClients},
	{"memory", true, (*Server).infoMemory},
	{"persistence", true, (*Server).infoPersistence},
	{"stats", true, (*Server).infoStats},
	{"replication", true, (*Server).infoReplication},
	{"tls", true, (*Server).infoTLS},
	{"cpu", true, (*Server).infoCPU},
	{"modules", true, func(*Server, *infoBuilder) {}},
	{"commandstats", false, (*Server).infoCommandStats},
	{"errorstats", true, (*Server).infoErrorStats},
	{"latencystats", false, (*Server).infoLatencyStats},
	{"cluster", true, (*Server).infoCluster},
	{"keyspace", true, (*Server).infoKeyspace},
}

// modeInfoSections are the node's sections a sentinel reports (it has no data, persistence or replication).
var modeInfoSections = map[string]bool{"server": true, "clients": true, "cpu": true, "stats": true}

// sectionTitles are the headers Valkey prints where they are not just the capitalised name.
var sectionTitles = map[string]string{"cpu": "CPU", "tls": "TLS"}

// metricSamples is how many 100 ms samples the instantaneous metrics average (Valkey: 16).
const metricSamples = 16

// metricRing turns a growing counter into a rate averaged over the last samples.
type metricRing struct {
	lastTime  time.Time
	lastValue int64
	samples   [metricSamples]float64
	idx       int
}

func (m *metricRing) track(now time.Time, value int64) {
	if !m.lastTime.IsZero() {
		if ms := now.Sub(m.lastTime).Milliseconds(); ms > 0 {
			m.samples[m.idx] = float64(value-m.lastValue) * 1000 / float64(ms)
			m.idx = (m.idx + 1) % metricSamples
		}
	}
	m.lastTime, m.lastValue = now, value
}

func (m *metricRing) rate() float64 {
	var sum float64
	for _, v := range m.samples {
		sum += v
	}
	return sum / metricSamples
}

// infoState is what INFO needs beyond the counters of stats. Guarded by the execution lock, except the
// atomics, which connection goroutines update without it.
type infoState struct {
	startupMem uint64
	peakMem    uint64

	ops, netIn, netOut metricRing
	lastSample         time.Time

	// bytes moved by connections that are closed (the live ones keep their own counters), and the totals
	// at the last CONFIG RESETSTAT
	closedNetIn, closedNetOut int64
	baseNetIn, baseNetOut     int64
	// qbufLimitDisconnects counts clients closed for exceeding client-query-buffer-limit
	qbufLimitDisconnects atomic.Int64
}

func (st *infoState) init() {
	st.startupMem = heapInUse()
	st.peakMem = st.startupMem
}

// reset is CONFIG RESETSTAT's part: traffic totals, rates, peak memory and the disconnection counter start
// again from now. Lock held.
func (st *infoState) reset(s *Server) {
	st.baseNetIn, st.baseNetOut = 0, 0
	st.baseNetIn, st.baseNetOut = s.netTotals()
	st.ops, st.netIn, st.netOut = metricRing{}, metricRing{}, metricRing{}
	st.peakMem = heapInUse()
	s.memResetStats()
	st.qbufLimitDisconnects.Store(0)
}

// sampleInfoMetrics feeds the instantaneous metrics; the cron calls it every tick and it records every 100 ms.
// Lock held.
func (s *Server) sampleInfoMetrics(now time.Time) {
	st := &s.info
	if now.Sub(st.lastSample) < 100*time.Millisecond {
		return
	}
	st.lastSample = now
	in, out := s.netTotals()
	st.ops.track(now, s.stats.commands)
	st.netIn.track(now, in)
	st.netOut.track(now, out)
	if m := heapInUse(); m > st.peakMem {
		st.peakMem = m
	}
}

// clientClosed keeps the traffic of a closing connection in the totals. Lock held.
func (st *infoState) clientClosed(c *Client) {
	st.closedNetIn += c.netIn.Load()
	st.closedNetOut += c.netOut.Load()
}

// netTotals is the traffic of every connection since start or the last CONFIG RESETSTAT. Lock held.
func (s *Server) netTotals() (in, out int64) {
	in, out = s.info.closedNetIn-s.info.baseNetIn, s.info.closedNetOut-s.info.baseNetOut
	for _, c := range s.clients {
		in += c.netIn.Load()
		out += c.netOut.Load()
	}
	return in, out
}

// netCounter counts the bytes a connection reads.
type netCounter struct {
	r io.Reader
	n *atomic.Int64
}

func (nc netCounter) Read(p []byte) (int, error) {
	n, err := nc.r.Read(p)
	nc.n.Add(int64(n))
	return n, err
}

var heapSample = []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}

// heapInUse is the memory held by live Go objects. It is what used_memory reports: the Go heap, until the
// data set keeps its own accounting. runtime/metrics reads it without stopping the world.
func heapInUse() uint64 {
	s := []metrics.Sample{heapSample[0]}
	metrics.Read(s)
	if s[0].Value.Kind() == metrics.KindUint64 {
		return s[0].Value.Uint64()
	}
	return 0
}

// cmdStat is one command's statistics on this node (INFO commandstats and latencystats, LATENCY
// HISTOGRAM). They live on the Server, not on the shared command table, so that several nodes in one
// process keep their own.
type cmdStat struct {
	calls, usec, rejected, failed int64
	hist                          *latencyHistogram // allocated when the command first runs
}

// cstat returns the statistics of cmd. Lock held.
func (s *Server) cstat(cmd *Command) *cmdStat {
	if s.cmdStats == nil {
		s.cmdStats = make([]cmdStat, len(commandList))
	}
	return &s.cmdStats[cmd.ID]
}

func (st *cmdStat) record(d time.Duration) {
	if st.hist == nil {
		st.hist = &latencyHistogram{}
	}
	st.hist.record(d)
}

// histCount is the number of durations recorded.
func (st *cmdStat) histCount() int64 {
	if st.hist == nil {
		return 0
	}
	return st.hist.count
}

// infoBuilder accumulates the INFO text.
type infoBuilder struct {
	strings.Builder
}

func (b *infoBuilder) field(name string, value any) {
	b.WriteString(name)
	b.WriteByte(':')
	switch v := value.(type) {
	case string:
		b.WriteString(v)
	case int:
		b.WriteString(strconv.Itoa(v))
	case int64:
		b.WriteString(strconv.FormatInt(v, 10))
	case uint64:
		b.WriteString(strconv.FormatUint(v, 10))
	case bool:
		if v {
			b.WriteByte('1')
		} else {
			b.WriteByte('0')
		}
	default:
		fmt.Fprint(b, v)
	}
	b.WriteString("\r\n")
}

// infoCommand implements INFO [section ...].
func infoCommand(c *Client, args [][]byte) {
	c.W().Verbatim(c.srv.infoString(args[1:]), "txt")
}

// infoString renders the requested sections: none means the default ones; "all" is every section,
// "everything" too (there are no module sections); unknown names add nothing.
func (s *Server) infoString(names [][]byte) string {
	want := map[string]bool{}
	if len(names) == 0 {
		names = [][]byte{[]byte("default")}
	}
	for _, n := range names {
		name := strings.ToLower(string(n))
		switch name {
		case "default":
			want["*mode"] = true
			for _, sec := range infoSections {
				if sec.dflt {
					want[sec.name] = true
				}
			}
		case "all", "everything":
			want["*mode"] = true
			for _, sec := range infoSections {
				want[sec.name] = true
			}
		default:
			want[name] = true
		}
	}
	var b infoBuilder
	n := 0
	for _, sec := range infoSections {
		if !want[sec.name] || s.mode != nil && !modeInfoSections[sec.name] {
			continue
		}
		if n > 0 {
			b.WriteString("\r\n")
		}
		n++
		title := sectionTitles[sec.name]
		if title == "" {
			title = strings.ToUpper(sec.name[:1]) + sec.name[1:]
		}
		b.WriteString("# " + title + "\r\n")
		sec.gen(s, &b)
	}
	if s.mode != nil {
		title, body := s.mode.InfoSection()
		if want[strings.ToLower(title)] || want["*mode"] {
			if n > 0 {
				b.WriteString("\r\n")
			}
			b.WriteString("# " + title + "\r\n" + body)
		}
	}
	return b.String()
}

func (s *Server) infoServer(b *infoBuilder) {
	now := time.Now()
	uptime := int64(now.Sub(s.started) / time.Second)
	b.field("redis_version", RedisVersion)
	b.field("server_name", "valkey")
	// valkey_version is the compatibility version too: tools compare it against Valkey releases to decide
	// what they may send
	b.field("valkey_version", RedisVersion)
	b.field("valkey_node_version", Version)
	b.field("redis_git_sha1", "00000000")
	b.field("redis_git_dirty", 0)
	b.field("redis_mode", s.serverMode())
	b.field("server_mode", s.serverMode())
	b.field("os", osDescription())
	b.field("arch_bits", strconv.Itoa(strconv.IntSize))
	b.field("multiplexing_api", multiplexingAPI())
	b.field("go_version", runtime.Version())
	b.field("process_id", os.Getpid())
	b.field("run_id", s.runID)
	port := s.cfg.Port
	if port == 0 {
		port = s.cfg.TLSPort
	}
	b.field("tcp_port", port)
	b.field("server_time_usec", now.UnixMicro())
	b.field("uptime_in_seconds", uptime)
	b.field("uptime_in_days", uptime/86400)
	b.field("hz", s.cfg.Hz)
	b.field("configured_hz", s.cfg.Hz)
	b.field("lru_clock", int64(uint32(now.Unix())&lruClockMax))
	exe, _ := os.Executable()
	b.field("executable", exe)
	b.field("config_file", s.reg.File)
	for i, l := range s.listenerLines() {
		b.field(fmt.Sprintf("listener%d", i), l)
	}
}

// lruClockMax is the range of Valkey's 24-bit LRU clock, which lru_clock and DEBUG OBJECT show.
const lruClockMax = 1<<24 - 1

// listenerLines describes the listeners as Valkey's listener<n> fields.
func (s *Server) listenerLines() []string {
	var out []string
	binds := ""
	for _, b := range s.cfg.Bind {
		binds += ",bind=" + b
	}
	if s.lis.port != 0 {
		out = append(out, fmt.Sprintf("name=tcp%s,port=%d", binds, s.lis.port))
	}
	if s.lis.tlsPort != 0 {
		out = append(out, fmt.Sprintf("name=tls%s,port=%d", binds, s.lis.tlsPort))
	}
	if s.lis.unix != nil {
		out = append(out, "name=unix,bind="+s.cfg.UnixSocket)
	}
	return out
}

func osDescription() string {
	name := runtime.GOOS
	if name != "" {
		name = strings.ToUpper(name[:1]) + name[1:]
	}
	if rel, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		name += " " + strings.TrimSpace(string(rel))
	}
	arch := runtime.GOARCH
	switch arch {
	case "amd64":
		arch = "x86_64"
	case "arm64":
		arch = "aarch64"
	case "386":
		arch = "i686"
	}
	return name + " " + arch
}

// multiplexingAPI is what Go's network poller uses on this system.
func multiplexingAPI() string {
	switch runtime.GOOS {
	case "linux", "android":
		return "epoll"
	case "darwin", "freebsd", "netbsd", "openbsd", "dragonfly":
		return "kqueue"
	case "solaris", "illumos":
		return "evport"
	}
	return runtime.GOOS
}

func (s *Server) infoClients(b *infoBuilder) {
	var connected, watching, pubsub int
	for _, c := range s.clients {
		if c.killed {
			continue
		}
		connected++
		if len(c.watching) > 0 {
			watching++
		}
		if c.flags.subscribed {
			pubsub++
		}
	}
	b.field("connected_clients", connected)
	b.field("cluster_connections", 0)
	b.field("maxclients", s.cfg.MaxClients)
	b.field("blocked_clients", s.blockedCount)
	b.field("tracking_clients", s.tracking.clients)
	b.field("pubsub_clients", pubsub)
	b.field("watching_clients", watching)
	b.field("total_watched_keys", len(s.watched))
	b.field("total_blocking_keys", len(s.blockedKeys))
}

// infoMemory is the memory section, from the memory accounting (memory_info.go).
func (s *Server) infoMemory(b *infoBuilder) { s.writeMemoryInfo(b) }

func pct(part, whole uint64) float64 {
	if whole == 0 {
		return 0
	}
	return float64(part) * 100 / float64(whole)
}

// bytesToHuman formats a size as Valkey does: 872B, 918.92K, 11.60M, 23.54G.
func bytesToHuman(n uint64) string {
	const k = 1024
	switch d := float64(n); {
	case n < k:
		return fmt.Sprintf("%dB", n)
	case n < k*k:
		return fmt.Sprintf("%.2fK", d/k)
	case n < k*k*k:
		return fmt.Sprintf("%.2fM", d/(k*k))
	case n < k*k*k*k:
		return fmt.Sprintf("%.2fG", d/(k*k*k))
	case n < k*k*k*k*k:
		return fmt.Sprintf("%.2fT", d/(k*k*k*k))
	default:
		return fmt.Sprintf("%.2fP", d/(k*k*k*k*k))
	}
}

// residentMemory is the process's resident set size, from /proc where there is one, otherwise what the Go
// runtime obtained from the system.
func residentMemory() uint64 {
	if b, err := os.ReadFile("/proc/self/statm"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 2 {
			if pages, err := strconv.ParseUint(f[1], 10, 64); err == nil {
				return pages * uint64(os.Getpagesize())
			}
		}
	}
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() == metrics.KindUint64 {
		return s[0].Value.Uint64()
	}
	return 0
}

// totalSystemMemory reads MemTotal from /proc/meminfo (0 where there is none).
func totalSystemMemory() uint64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
			kb, _ := strconv.ParseUint(f[1], 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// infoPersistence reports the RDB and AOF state with Valkey's field names.
func (s *Server) infoPersistence(b *infoBuilder) {
	p := &s.persist
	b.field("loading", boolInt(p.loading.Load()))
	b.field("async_loading", 0)
	b.field("current_cow_peak", 0)
	b.field("current_cow_size", 0)
	b.field("current_cow_size_age", 0)
	b.field("current_fork_perc", "0.00")
	b.field("current_save_keys_processed", 0)
	b.field("current_save_keys_total", 0)
	b.field("rdb_changes_since_last_save", s.dirty)
	b.field("rdb_bgsave_in_progress", boolInt(p.owner == ownerRDB))
	b.field("rdb_last_save_time", s.lastSave.Unix())
	b.field("rdb_last_bgsave_status", okErr(p.lastBgOK))
	b.field("rdb_last_bgsave_time_sec", secsOrMinus(p.lastBgDur, p.saves > 0 || !p.lastBgOK))
	cur := int64(-1)
	if p.owner == ownerRDB {
		cur = int64(time.Since(p.bgStart).Seconds())
	}
	b.field("rdb_current_bgsave_time_sec", cur)
	b.field("rdb_saves", p.saves)
	b.field("rdb_last_cow_size", 0)
	b.field("rdb_last_load_keys_expired", p.loadedExpired)
	b.field("rdb_last_load_keys_loaded", p.loadedKeys)
	s.infoAOF(b)
}

func boolInt(v bool) int {
	if v {
		return 1
	}
	return 0
}

func okErr(ok bool) string {
	if ok {
		return "ok"
	}
	return "err"
}

func secsOrMinus(d time.Duration, known bool) int64 {
	if !known {
		return -1
	}
	return int64(d.Seconds())
}

func (s *Server) infoStats(b *infoBuilder) {
	st := &s.stats
	in, out := s.netTotals()
	b.field("total_connections_received", st.connectionsReceived)
	b.field("total_commands_processed", st.commands)
	b.field("instantaneous_ops_per_sec", int64(s.info.ops.rate()))
	b.field("total_net_input_bytes", in)
	b.field("total_net_output_bytes", out)
	b.field("total_net_repl_input_bytes", 0)
	b.field("total_net_repl_output_bytes", 0)
	b.field("instantaneous_input_kbps", fmt.Sprintf("%.2f", s.info.netIn.rate()/1024))
	b.field("instantaneous_output_kbps", fmt.Sprintf("%.2f", s.info.netOut.rate()/1024))
	b.field("instantaneous_input_repl_kbps", "0.00")
	b.field("instantaneous_output_repl_kbps", "0.00")
	b.field("rejected_connections", st.rejectedConns)
	b.field("sync_full", st.syncFull)
	b.field("sync_partial_ok", st.syncPartialOK)
	b.field("sync_partial_err", st.syncPartialErr)
	b.field("expired_keys", st.expiredKeys)
	b.field("expired_stale_perc", fmt.Sprintf("%.2f", st.expiredStalePerc*100))
	b.field("expire_cycle_cpu_milliseconds", st.expireCycleTimeUs/1000)
	s.writeEvictionStats(b) // evicted_keys … current_eviction_exceeded_time (memory_info.go)
	b.field("keyspace_hits", st.keyspaceHits)
	b.field("keyspace_misses", st.keyspaceMisses)
	b.field("pubsub_channels", len(s.pubsub.channels))
	b.field("pubsub_patterns", len(s.pubsub.patterns))
	b.field("pubsubshard_channels", len(s.pubsub.shard))
	b.field("latest_fork_usec", 0)
	b.field("total_forks", 0)
	b.field("tracking_total_keys", len(s.tracking.keys))
	b.field("tracking_total_items", s.tracking.items)
	b.field("tracking_total_prefixes", len(s.tracking.prefixes))
	b.field("unexpected_error_replies", 0)
	b.field("total_error_replies", st.errorReplies)
	b.field("client_query_buffer_limit_disconnections", s.info.qbufLimitDisconnects.Load())
	b.field("client_output_buffer_limit_disconnections", st.obufDisconnections)
	b.field("acl_access_denied_auth", st.aclDeniedAuth)
	b.field("acl_access_denied_cmd", st.aclDeniedCmd)
	b.field("acl_access_denied_key", st.aclDeniedKey)
	b.field("acl_access_denied_channel", st.aclDeniedChannel)
	b.field("acl_access_denied_tls_cert", st.aclDeniedTLSCert)
}

func (s *Server) infoTLS(b *infoBuilder) {
	for _, l := range s.tls.Info().Lines() {
		b.WriteString(l)
		b.WriteString("\r\n")
	}
}

func (s *Server) infoCPU(b *infoBuilder) {
	var self, children syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &self); err != nil {
		return
	}
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	tv := func(t syscall.Timeval) string { return fmt.Sprintf("%d.%06d", t.Sec, t.Usec) }
	b.field("used_cpu_sys", tv(self.Stime))
	b.field("used_cpu_user", tv(self.Utime))
	b.field("used_cpu_sys_children", tv(children.Stime))
	b.field("used_cpu_user_children", tv(children.Utime))
}

// statCommands lists the commands and subcommands INFO commandstats and latencystats report, by name.
func (s *Server) statCommands(keep func(st *cmdStat) bool) []*Command {
	var out []*Command
	for _, cmd := range commandList {
		if keep(s.cstat(cmd)) {
			out = append(out, cmd)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].FullName() < out[j].FullName() })
	return out
}

func (s *Server) infoCommandStats(b *infoBuilder) {
	for _, cmd := range s.statCommands(func(st *cmdStat) bool { return st.calls > 0 || st.rejected > 0 || st.failed > 0 }) {
		st := s.cstat(cmd)
		perCall := 0.0
		if st.calls > 0 {
			perCall = float64(st.usec) / float64(st.calls)
		}
		b.field("cmdstat_"+cmd.FullName(), fmt.Sprintf("calls=%d,usec=%d,usec_per_call=%.2f,rejected_calls=%d,failed_calls=%d",
			st.calls, st.usec, perCall, st.rejected, st.failed))
	}
}

func (s *Server) infoErrorStats(b *infoBuilder) {
	for _, code := range s.stats.errorCodes() {
		b.field("errorstat_"+code, fmt.Sprintf("count=%d", s.stats.errorCounts[code]))
	}
}

func (s *Server) infoLatencyStats(b *infoBuilder) {
	ps := s.cfg.LatencyTrackingPercentiles
	if len(ps) == 0 {
		return
	}
	for _, cmd := range s.statCommands(func(st *cmdStat) bool { return st.histCount() > 0 }) {
		h := s.cstat(cmd).hist
		var v strings.Builder
		for i, p := range ps {
			if i > 0 {
				v.WriteByte(',')
			}
			fmt.Fprintf(&v, "p%s=%.3f", strconv.FormatFloat(p, 'f', -1, 64), h.percentile(p))
		}
		b.field("latency_percentiles_usec_"+cmd.FullName(), v.String())
	}
}

// infoCluster: cluster mode does not exist yet.
func (s *Server) infoKeyspace(b *infoBuilder) {
	now := nowMs()
	for _, db := range s.dbs {
		keys := db.Len()
		if keys == 0 {
			continue
		}
		b.field(fmt.Sprintf("db%d", db.ID), fmt.Sprintf("keys=%d,expires=%d,avg_ttl=%d",
			keys, db.ExpiresLen(), s.avgTTL(db.ID, now)))
	}
}

// avgTTLSample is how many keys with a time to live avg_ttl looks at.
const avgTTLSample = 64

// avgTTL estimates the mean remaining time to live in ms of the keys that have one from a random sample,
// as Valkey estimates it from the keys its expiry cycle samples.
func (s *Server) avgTTL(dbID int, now int64) int64 {
	db := s.dbs[dbID]
	n := min(db.ExpiresLen(), avgTTLSample)
	var sum, cnt int64
	for i := 0; i < n; i++ {
		_, when, ok := db.RandomExpiring(s.rng)
		if !ok {
			break
		}
		if ttl := when - now; ttl > 0 {
			sum += ttl
			cnt++
		}
	}
	if cnt == 0 {
		return 0
	}
	return sum / cnt
}

// registerIntrospectionDirectives declares latency-tracking-info-percentiles and enable-debug-command.
func (s *Server) registerIntrospectionDirectives() {
	c := &s.cfg
	s.reg.Add(
		&config.Directive{Name: "latency-tracking-info-percentiles", Default: "50 99 99.9", Flags: config.Multi,
			Value: config.Func{
				SetFn: func(args []string) error {
					ps := make([]float64, 0, len(args))
					// one quoted argument holding several numbers is accepted too ("50 99 99.9")
					for _, a := range strings.Fields(strings.Join(args, " ")) {
						p, err := strconv.ParseFloat(a, 64)
						if err != nil || p < 0 || p > 100 {
							return errors.New("Invalid latency-tracking-info-percentiles parameters")
						}
						ps = append(ps, p)
					}
					c.LatencyTrackingPercentiles = ps
					return nil
				},
				GetFn: func() string {
					out := make([]string, len(c.LatencyTrackingPercentiles))
					for i, p := range c.LatencyTrackingPercentiles {
						out[i] = strconv.FormatFloat(p, 'f', -1, 64)
					}
					return strings.Join(out, " ")
				},
			}},
		&config.Directive{Name: "enable-debug-command", Default: "no", Flags: config.Immutable,
			Value: config.Enum{P: &c.EnableDebugCommand, Options: []string{"yes", "no", "local"}}},
	)
}
