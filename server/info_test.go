package server

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// infoText runs INFO with the given sections on a raw connection and returns the text.
func infoText(t *testing.T, r *rawConn, sections ...string) string {
	t.Helper()
	reply := r.do(append([]string{"INFO"}, sections...)...)
	text, err := strconv.Unquote(reply)
	if err != nil {
		t.Fatalf("INFO reply %q is not a bulk string", reply)
	}
	return text
}

// infoMap parses INFO text into its fields.
func infoMap(t *testing.T, r *rawConn, sections ...string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, l := range strings.Split(infoText(t, r, sections...), "\r\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && !strings.HasPrefix(l, "#") {
			m[k] = v
		}
	}
	return m
}

func infoInt(t *testing.T, m map[string]string, field string) int64 {
	t.Helper()
	v, ok := m[field]
	if !ok {
		t.Fatalf("INFO has no field %s", field)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		t.Fatalf("INFO %s = %q is not an integer", field, v)
	}
	return n
}

// infoHeaders lists the section headers of an INFO text.
func infoHeaders(text string) []string {
	var out []string
	for _, l := range strings.Split(text, "\r\n") {
		if strings.HasPrefix(l, "# ") {
			out = append(out, l[2:])
		}
	}
	return out
}

func TestInfoSections(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	dflt := "Server Clients Memory Persistence Stats Replication TLS CPU Modules Errorstats Cluster Keyspace"
	all := "Server Clients Memory Persistence Stats Replication TLS CPU Modules Commandstats Errorstats Latencystats Cluster Keyspace"
	cases := []struct {
		args []string
		want string
	}{
		{nil, dflt},
		{[]string{"default"}, dflt},
		{[]string{"all"}, all},
		{[]string{"EVERYTHING"}, all},
		{[]string{"server"}, "Server"},
		{[]string{"Keyspace", "cpu", "server"}, "Server CPU Keyspace"}, // Valkey's order, not the request's
		{[]string{"commandstats", "latencystats", "errorstats"}, "Commandstats Errorstats Latencystats"},
		{[]string{"tls"}, "TLS"},
		{[]string{"nosuchsection"}, ""},
		{[]string{"default", "commandstats"}, "Server Clients Memory Persistence Stats Replication TLS CPU Modules Commandstats Errorstats Cluster Keyspace"},
	}
	for _, tc := range cases {
		if got := strings.Join(infoHeaders(infoText(t, r, tc.args...)), " "); got != tc.want {
			t.Errorf("INFO %v sections = %q, want %q", tc.args, got, tc.want)
		}
	}
	// an unknown section is an empty bulk string; the layout is "# Title\r\nfield:value\r\n" with a blank
	// line between sections
	if got := r.do("INFO", "nosuchsection"); got != `""` {
		t.Fatalf("INFO nosuchsection = %s", got)
	}
	text := infoText(t, r, "server", "cluster")
	if !strings.HasPrefix(text, "# Server\r\nredis_version:") || !strings.HasSuffix(text, "\r\n\r\n# Cluster\r\ncluster_enabled:0\r\n") {
		t.Fatalf("layout: %q", text)
	}
}

func TestInfoServerAndClientsFields(t *testing.T) {
	n := startNode(t, "hz", "20", "maxclients", "77")
	r := n.raw()
	m := infoMap(t, r, "server", "clients", "replication")
	_, port, _ := strings.Cut(n.addr, ":")
	want := map[string]string{
		"redis_version": RedisVersion, "valkey_version": RedisVersion, "valkey_node_version": Version,
		"server_name": "valkey", "redis_mode": "standalone", "server_mode": "standalone", "tcp_port": port,
		"hz": "20", "configured_hz": "20", "config_file": "", "arch_bits": strconv.Itoa(strconv.IntSize),
		"run_id": n.srv.runID, "maxclients": "77", "connected_clients": "1", "blocked_clients": "0",
		"watching_clients": "0", "role": "master", "connected_slaves": "0",
		"master_replid2": strings.Repeat("0", 40), "master_repl_offset": "0", "second_repl_offset": "-1",
		"listener0": "name=tcp,bind=127.0.0.1,port=" + port,
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("INFO %s = %q, want %q", k, m[k], v)
		}
	}
	for _, k := range []string{"run_id", "master_replid"} {
		if !regexp.MustCompile(`^[0-9a-f]{40}$`).MatchString(m[k]) {
			t.Errorf("%s = %q is not 40 hex digits", k, m[k])
		}
	}
	if m["master_replid"] == m["run_id"] {
		t.Error("master_replid must be its own random id")
	}
	if infoInt(t, m, "process_id") <= 0 || infoInt(t, m, "uptime_in_seconds") < 0 || infoInt(t, m, "server_time_usec") <= 0 {
		t.Errorf("process fields: %v", m)
	}
	// a second client, one that WATCHes a key, and one that is killed
	w := n.raw()
	mustDo(t, w, "OK", "WATCH", "k")
	m = infoMap(t, r, "clients")
	if m["connected_clients"] != "2" || m["watching_clients"] != "1" || m["total_watched_keys"] != "1" {
		t.Errorf("clients with a watcher: %v", m)
	}
	mustDo(t, w, "OK", "UNWATCH")
	if m = infoMap(t, r, "clients"); m["watching_clients"] != "0" {
		t.Errorf("after UNWATCH: %v", m)
	}
}

func TestInfoStatsCountersMove(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	before := infoMap(t, r, "stats")
	mustDo(t, r, "OK", "SET", "k", "v")
	mustDo(t, r, `"v"`, "GET", "k")
	mustDo(t, r, "(nil)", "GET", "missing")
	r.do("NOSUCHCOMMAND")
	r.do("GET") // arity error: rejected, not processed
	after := infoMap(t, r, "stats")
	// SET, GET, GET and the first INFO ran (the refused ones did not)
	if d := infoInt(t, after, "total_commands_processed") - infoInt(t, before, "total_commands_processed"); d != 4 {
		t.Errorf("total_commands_processed grew by %d, want 4", d)
	}
	if infoInt(t, after, "keyspace_hits") != 1 || infoInt(t, after, "keyspace_misses") != 1 {
		t.Errorf("hits/misses: %s/%s", after["keyspace_hits"], after["keyspace_misses"])
	}
	if infoInt(t, after, "total_error_replies") != 2 {
		t.Errorf("total_error_replies = %s", after["total_error_replies"])
	}
	if infoInt(t, after, "total_connections_received") != 1 {
		t.Errorf("total_connections_received = %s", after["total_connections_received"])
	}
	in, out := infoInt(t, after, "total_net_input_bytes"), infoInt(t, after, "total_net_output_bytes")
	if in <= infoInt(t, before, "total_net_input_bytes") || out <= infoInt(t, before, "total_net_output_bytes") {
		t.Errorf("net bytes did not grow: %d/%d", in, out)
	}
	for _, f := range []string{"instantaneous_ops_per_sec", "rejected_connections", "expired_keys", "evicted_keys",
		"acl_access_denied_auth", "acl_access_denied_cmd", "acl_access_denied_key", "acl_access_denied_channel",
		"client_query_buffer_limit_disconnections", "pubsub_channels", "unexpected_error_replies"} {
		infoInt(t, after, f)
	}
	if !regexp.MustCompile(`^\d+\.\d\d$`).MatchString(after["instantaneous_input_kbps"]) {
		t.Errorf("instantaneous_input_kbps = %q", after["instantaneous_input_kbps"])
	}
	// a closed connection's traffic stays in the totals
	other := n.raw()
	mustDo(t, other, "PONG", "PING")
	other.c.Close()
	waitFor(t, "the closed client to go", func() bool {
		n.srv.mu.Lock()
		defer n.srv.mu.Unlock()
		return len(n.srv.clients) == 1
	})
	if later := infoMap(t, r, "stats"); infoInt(t, later, "total_net_input_bytes") < in+14 {
		t.Errorf("total_net_input_bytes went from %d to %s after another client's PING", in, later["total_net_input_bytes"])
	}
}

func TestInfoCommandErrorLatencyStats(t *testing.T) {
	n := startNode(t, "latency-tracking-info-percentiles", "50 99.9")
	r := n.raw()
	mustDo(t, r, "OK", "SET", "k", "v")
	mustDo(t, r, `"v"`, "GET", "k")
	mustDo(t, r, `"v"`, "GET", "k")
	r.do("GET", "a", "b")     // rejected (arity)
	r.do("INCR", "k")         // failed
	r.do("CONFIG", "GET", "") // a subcommand
	r.do("NOSUCH")
	m := infoMap(t, r, "commandstats", "errorstats", "latencystats")
	re := regexp.MustCompile(`^calls=(\d+),usec=(\d+),usec_per_call=(\d+\.\d\d),rejected_calls=(\d+),failed_calls=(\d+)$`)
	for cmd, want := range map[string][3]string{"get": {"2", "1", "0"}, "incr": {"1", "0", "1"}, "set": {"1", "0", "0"}, "config|get": {"1", "0", "0"}} {
		sm := re.FindStringSubmatch(m["cmdstat_"+cmd])
		if sm == nil || sm[1] != want[0] || sm[4] != want[1] || sm[5] != want[2] {
			t.Errorf("cmdstat_%s = %q, want calls=%s rejected=%s failed=%s", cmd, m["cmdstat_"+cmd], want[0], want[1], want[2])
		}
	}
	if m["errorstat_ERR"] != "count=3" {
		t.Errorf("errorstat_ERR = %q (arity, not an integer, unknown command)", m["errorstat_ERR"])
	}
	lat := regexp.MustCompile(`^p50=\d+\.\d{3},p99\.9=\d+\.\d{3}$`)
	for _, cmd := range []string{"get", "set", "config|get"} {
		if !lat.MatchString(m["latency_percentiles_usec_"+cmd]) {
			t.Errorf("latency_percentiles_usec_%s = %q", cmd, m["latency_percentiles_usec_"+cmd])
		}
	}
	// the percentiles follow the directive; an empty list leaves the section empty
	mustDo(t, r, `["latency-tracking-info-percentiles" "50 99.9"]`, "CONFIG", "GET", "latency-tracking-info-percentiles")
	mustDo(t, r, "-ERR CONFIG SET failed (possibly related to argument 'latency-tracking-info-percentiles') - Invalid latency-tracking-info-percentiles parameters",
		"CONFIG", "SET", "latency-tracking-info-percentiles", "50 101")
	mustDo(t, r, "OK", "CONFIG", "SET", "latency-tracking-info-percentiles", "")
	if text := infoText(t, r, "latencystats"); text != "# Latencystats\r\n" {
		t.Errorf("latencystats without percentiles: %q", text)
	}
	// CONFIG RESETSTAT clears the command, error and latency statistics
	mustDo(t, r, "OK", "CONFIG", "RESETSTAT")
	m = infoMap(t, r, "commandstats", "errorstats", "stats")
	if _, ok := m["cmdstat_get"]; ok || m["errorstat_ERR"] != "" || m["total_error_replies"] != "0" {
		t.Errorf("after RESETSTAT: %v", m)
	}
}

func TestInfoKeyspaceAndMemory(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	if text := infoText(t, r, "keyspace"); text != "# Keyspace\r\n" {
		t.Fatalf("empty keyspace: %q", text)
	}
	mustDo(t, r, "OK", "SET", "a", "1")
	mustDo(t, r, "OK", "SET", "b", "2", "EX", "1000")
	mustDo(t, r, "OK", "SELECT", "3")
	mustDo(t, r, "OK", "SET", "c", "3")
	m := infoMap(t, r, "keyspace", "memory", "persistence")
	re := regexp.MustCompile(`^keys=2,expires=1,avg_ttl=(\d+)$`)
	sm := re.FindStringSubmatch(m["db0"])
	if sm == nil {
		t.Fatalf("db0 = %q", m["db0"])
	}
	if ttl, _ := strconv.Atoi(sm[1]); ttl <= 990_000 || ttl > 1_000_000 {
		t.Errorf("avg_ttl = %d ms, want about 1000 s", ttl)
	}
	if m["db3"] != "keys=1,expires=0,avg_ttl=0" {
		t.Errorf("db3 = %q", m["db3"])
	}
	if infoInt(t, m, "rdb_changes_since_last_save") != 3 || m["aof_enabled"] != "0" || m["loading"] != "0" {
		t.Errorf("persistence: %v", m)
	}
	if infoInt(t, m, "used_memory") <= 0 || infoInt(t, m, "used_memory_rss") <= 0 ||
		infoInt(t, m, "used_memory_peak") < infoInt(t, m, "used_memory") || m["maxmemory_policy"] != "noeviction" {
		t.Errorf("memory: %v", m)
	}
	if !regexp.MustCompile(`^\d+(\.\d\d[KMGTP])?B?$`).MatchString(m["used_memory_human"]) {
		t.Errorf("used_memory_human = %q", m["used_memory_human"])
	}
}

func TestBytesToHuman(t *testing.T) {
	cases := map[uint64]string{0: "0B", 872: "872B", 1024: "1.00K", 940976: "918.92K", 12161024: "11.60M",
		25276510208: "23.54G", 1 << 40: "1.00T", 3 << 50: "3.00P"}
	for in, want := range cases {
		if got := bytesToHuman(in); got != want {
			t.Errorf("bytesToHuman(%d) = %q, want %q", in, got, want)
		}
	}
}

func TestInfoTLSSection(t *testing.T) {
	n := startNode(t, "tls")
	m := infoMap(t, n.raw(), "tls")
	if !regexp.MustCompile(`^[0-9A-F]+$`).MatchString(m["tls_server_cert_serial"]) || infoInt(t, m, "tls_server_cert_expires_in_seconds") <= 0 ||
		m["tls_client_cert_serial"] != "none" || m["tls_ca_cert_serial"] == "none" {
		t.Fatalf("INFO tls: %v", m)
	}
	plain := infoMap(t, startNode(t).raw(), "tls")
	if plain["tls_server_cert_serial"] != "none" || plain["tls_server_cert_expires_in_seconds"] != "0" {
		t.Fatalf("INFO tls without TLS: %v", plain)
	}
}

// TestInfoGoRedis: go-redis reads INFO as a verbatim string in RESP3 and a bulk string in RESP2.
func TestInfoGoRedis(t *testing.T) {
	n := startNode(t)
	ctx := context.Background()
	for _, proto := range []int{2, 3} {
		c := n.client(func(o *redis.Options) { o.Protocol = proto })
		text, err := c.Info(ctx, "server").Result()
		if err != nil || !strings.HasPrefix(text, "# Server\r\nredis_version:") {
			t.Fatalf("RESP%d INFO: %q, %v", proto, text, err)
		}
	}
	r := n.raw()
	if got := r.do("HELLO", "3"); !strings.HasPrefix(got, `["server" "valkey" "version"`) {
		t.Fatal(got)
	}
	r.cmd("INFO", "cluster")
	if l := r.line(); !strings.HasPrefix(l, "=") {
		t.Fatalf("RESP3 INFO is not a verbatim string: %q", l)
	}
	if l := r.line(); l != "txt:# Cluster" {
		t.Fatalf("verbatim format: %q", l)
	}
}

// TestMetricRing: the instantaneous rates average the last samples of a counter.
func TestMetricRing(t *testing.T) {
	var m metricRing
	start := time.Unix(1000, 0)
	m.track(start, 0) // the first sample only sets the base
	if m.rate() != 0 {
		t.Fatalf("rate after one sample: %v", m.rate())
	}
	// 100 per 100 ms for a whole window: 1000 per second
	for i := 1; i <= metricSamples; i++ {
		m.track(start.Add(time.Duration(i)*100*time.Millisecond), int64(i*100))
	}
	if r := m.rate(); r != 1000 {
		t.Fatalf("steady rate %v, want 1000", r)
	}
	// then nothing happens: the rate decays to zero over a window
	last := start.Add(metricSamples * 100 * time.Millisecond)
	for i := 1; i <= metricSamples; i++ {
		m.track(last.Add(time.Duration(i)*100*time.Millisecond), int64(metricSamples*100))
	}
	if r := m.rate(); r != 0 {
		t.Fatalf("idle rate %v", r)
	}
}
