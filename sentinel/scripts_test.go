package sentinel

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// scriptLog is a file a test script appends its arguments to, one run per line.
func scriptLog(dir string) string { return filepath.Join(dir, "runs.log") }

func readRuns(path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// A notification script runs for every warning-level event of its primary, with the event type and
// payload as its two arguments.
func TestScriptsNotificationOnEvents(t *testing.T) {
	dir := t.TempDir()
	log := scriptLog(dir)
	script := confScript(t, dir, "notify.sh", `printf '%s|%s|%s\n' "$#" "$1" "$2" >> `+log)
	n := surfStart(t, "sentinel monitor m 127.0.0.1 1 1\nsentinel notification-script m "+script+"\n")
	// Start announced +monitor for the configured primary
	surfWait(t, "the +monitor run", func() bool { return len(readRuns(log)) >= 1 })
	if runs := readRuns(log); runs[0] != "2|+monitor|master m 127.0.0.1 1 quorum 1" {
		t.Fatalf("first run: %q", runs)
	}
	c := n.dial(2)
	c.mustOK("SENTINEL", "SET", "m", "quorum", "2")
	surfWait(t, "the +set run", func() bool {
		for _, r := range readRuns(log) {
			if r == "2|+set|master m 127.0.0.1 1 quorum 2" {
				return true
			}
		}
		return false
	})
	// a primary without a script runs nothing
	c.mustOK("SENTINEL", "MONITOR", "other", "127.0.0.1", "2", "1")
	for _, r := range readRuns(log) {
		if strings.Contains(r, "other") {
			t.Fatalf("a script ran for another primary: %q", r)
		}
	}
}

func TestScriptsNotifyOnlyWarnings(t *testing.T) {
	st, err := applyConf(t, "sentinel monitor m 127.0.0.1 1 1\n")
	if err != nil {
		t.Fatal(err)
	}
	st.masters["m"].NotifyScript = "/bin/true"
	st.mu.Lock()
	st.started = true // queue without running: no goroutine in this unit test beyond what Stop waits for
	st.runningScript = scriptMaxRunning
	st.notifyScriptLocked(zerolog.DebugLevel, "+verbose-event", st.masters["m"], "x")
	st.notifyScriptLocked(zerolog.InfoLevel, "+notice-event", st.masters["m"], "x")
	st.notifyScriptLocked(zerolog.WarnLevel, "+no-instance", nil, "x")
	st.notifyScriptLocked(zerolog.WarnLevel, "+warning-event", st.masters["m"], "p")
	sl := st.addSlaveLocked(st.masters["m"], "127.0.0.1", 2)
	// a replica's event runs its primary's script
	st.notifyScriptLocked(zerolog.WarnLevel, "+sdown", sl, "q")
	q := st.scriptQueue
	st.mu.Unlock()
	if len(q) != 2 || q[0].args[0] != "+warning-event" || q[0].args[1] != "p" || q[1].args[0] != "+sdown" {
		t.Fatalf("queued: %+v", q)
	}
}

// Exit code 1 is retried after the retry delay (doubled each time); exit code 2 is final and reported
// with -script-error.
func TestScriptsRetryAndError(t *testing.T) {
	dir := t.TempDir()
	log := scriptLog(dir)
	flaky := confScript(t, dir, "flaky.sh", `echo run >> `+log+`; n=$(wc -l < `+log+`); [ "$n" -ge 3 ] && exit 0; exit 1`)
	fatal := confScript(t, dir, "fatal.sh", `exit 2`)
	n := surfStart(t, "sentinel deny-scripts-reconfig no\nsentinel monitor m 127.0.0.1 1 1\n")
	c := n.dial(2)
	c.mustOK("SENTINEL", "DEBUG", "script-retry-delay", "20")
	events := n.subscribe("-script-error")
	n.st.mu.Lock()
	n.st.runScriptLocked(flaky, "a")
	n.st.runScriptLocked(fatal, "b")
	n.st.mu.Unlock()
	if ch, msg := events.nextMessage(); ch != "-script-error" || msg != fatal+" 0 2" {
		t.Fatalf("event %s %q", ch, msg)
	}
	surfWait(t, "the third run of the flaky script", func() bool { return len(readRuns(log)) == 3 })
	surfWait(t, "the queue to empty", func() bool {
		return c.do("SENTINEL", "PENDING-SCRIPTS").String() == "[]"
	})
	if runs := readRuns(log); len(runs) != 3 {
		t.Fatalf("a successful run was retried: %d runs", len(runs))
	}
}

func TestScriptsRetryDelayDoubles(t *testing.T) {
	base := 30 * time.Second
	for n, want := range map[int]time.Duration{1: base, 2: 2 * base, 3: 4 * base, 10: 512 * base} {
		if got := retryDelay(base, n); got != want {
			t.Errorf("retryDelay after run %d = %v, want %v", n, got, want)
		}
	}
}

// A run longer than script-max-runtime is killed (-script-timeout); PENDING-SCRIPTS shows it running
// until then.
func TestScriptsTimeoutAndPending(t *testing.T) {
	dir := t.TempDir()
	slow := confScript(t, dir, "slow.sh", `exec sleep 30`)
	n := surfStart(t, "sentinel monitor m 127.0.0.1 1 1\n")
	c := n.dial(3)
	c.mustOK("SENTINEL", "DEBUG", "script-max-runtime", "300", "script-retry-delay", "60000")
	events := n.subscribe("-script-timeout")
	n.st.mu.Lock()
	n.st.runScriptLocked(slow, "x", "y")
	n.st.mu.Unlock()
	r := c.do("SENTINEL", "PENDING-SCRIPTS")
	if r.kind != '*' || len(r.elems) != 1 || r.elems[0].kind != '%' {
		t.Fatalf("PENDING-SCRIPTS: %s", r)
	}
	job := r.elems[0]
	if job.elems[0].s != "argv" || job.elems[1].String() != "["+slow+" x y]" || job.elems[2].s != "flags" ||
		job.elems[3].s != "running" || job.elems[4].s != "pid" || job.elems[5].s == "0" ||
		job.elems[6].s != "run-time" || job.elems[8].s != "retry-num" || job.elems[9].s != "1" {
		t.Fatalf("running job: %s", job)
	}
	if !strings.Contains(infoSentinel(t, c), "sentinel_running_scripts:1\r\nsentinel_scripts_queue_length:1\r\n") {
		t.Fatalf("INFO: %s", infoSentinel(t, c))
	}
	if ch, msg := events.nextMessage(); ch != "-script-timeout" || !strings.HasPrefix(msg, slow+" ") {
		t.Fatalf("event %s %q", ch, msg)
	}
	// killed by a signal: retried later, as Valkey does
	surfWait(t, "the killed run to wait for its retry", func() bool {
		r := c.do("SENTINEL", "PENDING-SCRIPTS")
		return len(r.elems) == 1 && r.elems[0].elems[3].s == "scheduled" && r.elems[0].elems[6].s == "run-delay"
	})
}

// At most 16 scripts run at once; the others wait in the queue and start as slots free up.
func TestScriptsConcurrencyLimit(t *testing.T) {
	dir := t.TempDir()
	gate := filepath.Join(dir, "gate")
	log := scriptLog(dir)
	wait := confScript(t, dir, "wait.sh", `echo "$1" >> `+log+`; while [ ! -e `+gate+` ]; do sleep 0.02; done`)
	n := surfStart(t, "sentinel monitor m 127.0.0.1 1 1\n")
	n.st.mu.Lock()
	for i := 0; i < 20; i++ {
		n.st.runScriptLocked(wait, "job")
	}
	running, queued := n.st.runningScript, len(n.st.scriptQueue)
	n.st.mu.Unlock()
	if running != scriptMaxRunning || queued != 20 {
		t.Fatalf("running %d queued %d, want %d and 20", running, queued, scriptMaxRunning)
	}
	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	surfWait(t, "all 20 runs", func() bool { return len(readRuns(log)) == 20 })
	surfWait(t, "the queue to empty", func() bool {
		n.st.mu.Lock()
		defer n.st.mu.Unlock()
		return len(n.st.scriptQueue) == 0 && n.st.runningScript == 0
	})
}

// Stopping the sentinel kills the scripts still running and leaves no goroutine behind (goleak checks).
func TestScriptsKilledOnStop(t *testing.T) {
	dir := t.TempDir()
	slow := confScript(t, dir, "slow.sh", `exec sleep 30`)
	n := surfStart(t, "sentinel monitor m 127.0.0.1 1 1\n")
	n.st.mu.Lock()
	n.st.runScriptLocked(slow)
	pid := n.st.scriptQueue[0].pid
	n.st.mu.Unlock()
	n.st.Stop()
	if p, err := os.FindProcess(pid); err == nil {
		if err := p.Signal(nil); err == nil {
			t.Fatalf("script %d still runs after Stop", pid)
		}
	}
}
