package sentinel

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/valkey-node/valkey-node/server"
	"github.com/valkey-node/valkey-node/server/textargs"
)

// confScript writes an executable script into dir and returns its path.
func confScript(t testing.TB, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// applyConf feeds the "sentinel …" lines of text to a new sentinel, as the server's loader does, and
// returns it with the first error.
func applyConf(t testing.TB, text string) (*Sentinel, error) {
	t.Helper()
	st := New()
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		words, err := textargs.SplitString(line)
		if err != nil {
			t.Fatalf("splitting %q: %v", line, err)
		}
		if !strings.EqualFold(words[0], "sentinel") {
			continue
		}
		if err := st.SetDirective(words[1:]); err != nil {
			return st, err
		}
	}
	return st, nil
}

const idA = "0123456789abcdef0123456789abcdef01234567"
const idB = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

func TestConfigParseRewriteRoundTrip(t *testing.T) {
	dir := t.TempDir()
	script := confScript(t, dir, "notify.sh", "exit 0")
	conf := strings.Join([]string{
		"sentinel myid " + idA,
		"sentinel deny-scripts-reconfig no",
		"sentinel resolve-hostnames yes",
		"sentinel announce-hostnames yes",
		"sentinel monitor mymaster 127.0.0.1 6380 2",
		"sentinel down-after-milliseconds mymaster 5000",
		"sentinel failover-timeout mymaster 60000",
		"sentinel parallel-syncs mymaster 3",
		"sentinel notification-script mymaster " + script,
		"sentinel client-reconfig-script mymaster " + script,
		`sentinel auth-pass mymaster "pass word"`,
		"sentinel auth-user mymaster alice",
		"sentinel master-reboot-down-after-period mymaster 1000",
		"sentinel config-epoch mymaster 7",
		"sentinel leader-epoch mymaster 6",
		"sentinel known-slave mymaster 127.0.0.1 6382",
		"sentinel known-replica mymaster 127.0.0.1 6381",
		"sentinel known-sentinel mymaster 127.0.0.1 26380 " + idB,
		"sentinel known-sentinel mymaster 127.0.0.1 26381", // old form: ignored
		"sentinel rename-command mymaster CONFIG MYCONFIG",
		"sentinel monitor other localhost 7000 1",
		"sentinel current-epoch 9",
		"sentinel announce-ip 10.0.0.1",
		"sentinel announce-port 26999",
		"sentinel sentinel-user suser",
		"sentinel sentinel-pass spass",
	}, "\n")
	st, err := applyConf(t, conf)
	if err != nil {
		t.Fatal(err)
	}
	m := st.masters["mymaster"]
	if m == nil || m.DownAfter != 5*time.Second || m.FailoverTimeout != time.Minute || m.ParallelSyncs != 3 ||
		m.AuthPass != "pass word" || m.RebootDownAfter != time.Second || m.ConfigEpoch != 7 || m.LeaderEpoch != 6 ||
		len(m.Slaves) != 2 || len(m.Sentinels) != 1 || m.RenamedCommands["config"] != "MYCONFIG" {
		t.Fatalf("parsed primary: %+v", m)
	}
	// replicas and sentinels are judged with their primary's down-after
	if sl := m.Slaves["127.0.0.1:6381"]; sl == nil || sl.DownAfter != 5*time.Second || sl.Master != m {
		t.Fatalf("known replica: %+v", sl)
	}
	want := []string{
		"myid " + idA,
		"deny-scripts-reconfig no",
		"resolve-hostnames yes",
		"announce-hostnames yes",
		"monitor mymaster 127.0.0.1 6380 2",
		"down-after-milliseconds mymaster 5000",
		"failover-timeout mymaster 60000",
		"parallel-syncs mymaster 3",
		"notification-script mymaster " + script,
		"client-reconfig-script mymaster " + script,
		`auth-pass mymaster "pass word"`,
		"auth-user mymaster alice",
		"primary-reboot-down-after-period mymaster 1000",
		"config-epoch mymaster 7",
		"leader-epoch mymaster 6",
		"known-replica mymaster 127.0.0.1 6381",
		"known-replica mymaster 127.0.0.1 6382",
		"known-sentinel mymaster 127.0.0.1 26380 " + idB,
		"rename-command mymaster config MYCONFIG",
		"monitor other localhost 7000 1",
		"config-epoch other 0",
		"leader-epoch other 0",
		"current-epoch 9",
		"announce-ip 10.0.0.1",
		"announce-port 26999",
		"sentinel-user suser",
		"sentinel-pass spass",
	}
	got := st.DirectiveLines()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("rewrite:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// the rewritten lines read back to the same state
	again, err := applyConf(t, "sentinel "+strings.Join(got, "\nsentinel "))
	if err != nil {
		t.Fatalf("reading the rewrite back: %v", err)
	}
	if got2 := again.DirectiveLines(); !reflect.DeepEqual(got2, got) {
		t.Fatalf("second rewrite differs:\n%s\nfirst:\n%s", strings.Join(got2, "\n"), strings.Join(got, "\n"))
	}
}

func TestConfigRewriteDefaultsOmitted(t *testing.T) {
	st, err := applyConf(t, "sentinel monitor m 10.1.2.3 6379 1\nsentinel down-after-milliseconds m 30000")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"monitor m 10.1.2.3 6379 1", "config-epoch m 0", "leader-epoch m 0", "current-epoch 0"}
	if got := st.DirectiveLines(); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// A failover that has promoted a replica writes the replica as the primary and the old primary as a
// replica, so a restart in the middle of the failover comes back with the new configuration.
func TestConfigRewriteDuringFailover(t *testing.T) {
	st, err := applyConf(t, "sentinel monitor m 10.0.0.1 6379 1\nsentinel known-replica m 10.0.0.2 6379")
	if err != nil {
		t.Fatal(err)
	}
	m := st.masters["m"]
	m.Flags |= FlagFailoverInProgress
	m.FailoverState = FailoverReconfSlaves
	m.PromotedSlave = m.Slaves["10.0.0.2:6379"]
	got := strings.Join(st.DirectiveLines(), "\n")
	for _, l := range []string{"monitor m 10.0.0.2 6379 1", "known-replica m 10.0.0.1 6379"} {
		if !strings.Contains(got, l) {
			t.Fatalf("rewrite lacks %q:\n%s", l, got)
		}
	}
}

func TestConfigRefusesBadLines(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain.sh")
	if err := os.WriteFile(plain, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	base := "sentinel monitor m 127.0.0.1 6379 2\n"
	cases := []struct{ conf, want string }{
		{"sentinel bogus x", errUnrecognized},
		{"sentinel monitor m 127.0.0.1 6379", errUnrecognized},
		{"sentinel down-after-milliseconds m", errUnrecognized},
		{"sentinel monitor m 127.0.0.1 6379 0", errQuorum},
		{"sentinel monitor m 127.0.0.1 6379 two", errQuorum},
		{"sentinel monitor m 127.0.0.1 99999 2", errBadPort},
		{"sentinel monitor m not-an-address 6379 2", errUnresolvable},
		{base + "sentinel monitor m 127.0.0.2 6379 2", errDuplicateMaster},
		{"sentinel down-after-milliseconds nosuch 100", errNoSuchMasterConf},
		{"sentinel known-replica nosuch 127.0.0.1 6380", errNoSuchMasterConf},
		{base + "sentinel down-after-milliseconds m 0", errTimeNotPositive},
		{base + "sentinel failover-timeout m -5", errTimeNotPositive},
		{base + "sentinel down-after-milliseconds m abc", "Invalid down-after-milliseconds value 'abc': not an integer number of milliseconds."},
		{base + "sentinel primary-reboot-down-after-period m -1", errTimeNegative},
		{base + "sentinel parallel-syncs m 0", "Invalid parallel-syncs value '0': it must be an integer, 1 or greater."},
		{"sentinel myid 1234", errMyID},
		{"sentinel myid " + strings.Repeat("z", 40), errMyID},
		{base + "sentinel notification-script m " + filepath.Join(dir, "missing.sh"), errNotifyScript},
		{base + "sentinel client-reconfig-script m " + plain, errReconfScript},
		{base + "sentinel notification-script m " + dir, errNotifyScript},
		{base + "sentinel rename-command m config a\nsentinel rename-command m CONFIG b", errRenamedTwice},
		{base + "sentinel known-replica m 127.0.0.1 6380\nsentinel known-slave m 127.0.0.1 6380", errDuplicateSlave},
		{base + "sentinel known-sentinel m 127.0.0.1 26380 " + idB + "\nsentinel known-sentinel m 127.0.0.2 26380 " + idB, errDuplicateSentinel},
		{base + "sentinel known-sentinel m 127.0.0.1 26380 not-a-run-id", "Invalid sentinel run id 'not-a-run-id': it must be 40 hexadecimal digits."},
		{"sentinel resolve-hostnames maybe", "Please specify yes or no for the resolve-hostnames option."},
		{"sentinel announce-hostnames 1", "Please specify yes or no for the announce-hostnames option."},
		{"sentinel deny-scripts-reconfig maybe", "Please specify yes or no for the deny-scripts-reconfig options."},
		{"sentinel current-epoch -1", "Invalid current-epoch value '-1': not a non-negative integer."},
		{"sentinel announce-port 70000", errBadPort},
	}
	for _, tc := range cases {
		_, err := applyConf(t, tc.conf)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%q: got %v, want %q", tc.conf, err, tc.want)
		}
	}
}

// The server refuses to start on a bad sentinel line and says which line and why.
func TestConfigBadLineStopsServer(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sentinel.conf")
	if err := os.WriteFile(path, []byte("sentinel down-after-milliseconds nosuch 100\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	st := New()
	srv, err := server.New(server.Options{ConfigFile: path, Mode: st, LogWriter: &surfLog{}})
	if err == nil {
		srv.Shutdown(t.Context())
		t.Fatal("a sentinel line naming an unknown primary was accepted")
	}
	if !strings.Contains(err.Error(), errNoSuchMasterConf) || !strings.Contains(err.Error(), "down-after-milliseconds nosuch") {
		t.Fatalf("the error should name the line and the problem: %v", err)
	}
}

func TestConfigCreateContract(t *testing.T) {
	st := New()
	st.mu.Lock()
	defer st.mu.Unlock()
	m, err := st.createMasterLocked("m", "10.0.0.1", 6379, 2)
	if err != nil {
		t.Fatal(err)
	}
	d := DefaultTiming()
	if m.DownAfter != d.DefaultDownAfter || m.FailoverTimeout != d.DefaultFailoverTimeout || m.ParallelSyncs != 1 ||
		m.Slaves == nil || m.Sentinels == nil || m.RenamedCommands == nil || m.RoleReported != FlagMaster {
		t.Fatalf("new primary: %+v", m)
	}
	for _, tc := range []struct {
		name, host   string
		port, quorum int
		want         string
	}{
		{"m", "10.0.0.9", 6379, 1, errDuplicateMaster},
		{"n", "10.0.0.9", 6379, 0, errQuorum},
		{"n", "10.0.0.9", 0, 1, errBadPort},
		{"n", "some-host", 6379, 1, errUnresolvable},
	} {
		if _, err := st.createMasterLocked(tc.name, tc.host, tc.port, tc.quorum); err == nil || err.Error() != tc.want {
			t.Errorf("createMasterLocked(%q, %q, %d, %d) = %v, want %q", tc.name, tc.host, tc.port, tc.quorum, err, tc.want)
		}
	}
	sl := st.addSlaveLocked(m, "10.0.0.2", 6380)
	if st.addSlaveLocked(m, "10.0.0.2", 6380) != sl || sl.Name != "10.0.0.2:6380" || !sl.IsSlave() ||
		sl.SlavePriority != 100 || !sl.ReplicaAnnounced {
		t.Fatalf("replica: %+v", sl)
	}
	se := st.addSentinelLocked(m, "10.0.0.3", 26379, idB)
	if st.addSentinelLocked(m, "10.0.0.4", 26379, idB) != se || se.Name != idB || se.RunID != idB || !se.IsSentinel() {
		t.Fatalf("sentinel: %+v", se)
	}
}

// On a configuration file with comments, the flush after SENTINEL MONITOR writes the new state in place
// of the old sentinel lines and keeps every comment; the file reads back to the same state.
func TestConfigRewriteKeepsComments(t *testing.T) {
	n := surfStart(t, strings.Join([]string{
		"# my sentinel",
		"sentinel monitor mymaster 127.0.0.1 6390 2",
		"# about the primary",
		"sentinel down-after-milliseconds mymaster 5000",
		"# the end",
		"",
	}, "\n"))
	// Start persisted the new id at once
	id := n.st.MyID()
	if !isRunID(id) || !strings.Contains(n.confText(), "sentinel myid "+id) {
		t.Fatalf("myid %q not written on start:\n%s", id, n.confText())
	}
	c := n.dial(2)
	c.mustOK("SENTINEL", "MONITOR", "second", "127.0.0.1", "6391", "1")
	text := n.confText()
	for _, want := range []string{"# my sentinel", "# about the primary", "# the end",
		"sentinel monitor mymaster 127.0.0.1 6390 2", "sentinel down-after-milliseconds mymaster 5000",
		"sentinel monitor second 127.0.0.1 6391 1"} {
		if !strings.Contains(text, want+"\n") {
			t.Fatalf("rewritten file lacks %q:\n%s", want, text)
		}
	}
	back, err := applyConf(t, text)
	if err != nil {
		t.Fatalf("the rewritten file does not read back: %v\n%s", err, text)
	}
	if got, want := back.DirectiveLines(), n.st.DirectiveLines(); !reflect.DeepEqual(got, want) {
		t.Fatalf("read back:\n%s\nrunning:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A configuration file without any sentinel line still gets the generated id on the first start.
func TestConfigMyIDPersistedOnFirstStart(t *testing.T) {
	n := surfStart(t, "# empty sentinel config\n")
	id := n.st.MyID()
	if !strings.Contains(n.confText(), "sentinel myid "+id+"\n") {
		t.Fatalf("myid not persisted:\n%s", n.confText())
	}
	// and a restart on that file keeps it
	n.stop()
	again := surfStartFile(t, n.conf)
	if got := again.st.MyID(); got != id {
		t.Fatalf("restart changed myid from %s to %s", id, got)
	}
}
