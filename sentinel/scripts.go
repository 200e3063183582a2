package sentinel

import (
	"errors"
	"os/exec"
	"strconv"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/valkey-node/valkey-node/server"
)

// Script limits, Valkey's.
const (
	scriptMaxQueue   = 256 // queued runs beyond this drop the oldest waiting one
	scriptMaxRunning = 16  // at most this many run at once
	scriptMaxRetry   = 10  // runs of one job, the first included
)

// script is one queued notification or client-reconfig script run. It stays in s.scriptQueue while it
// waits, runs, and waits for a retry; it leaves when it succeeds, fails for good, or is dropped.
type script struct {
	path    string
	args    []string
	retries int       // runs started so far (Valkey's retry_num)
	retryAt time.Time // not before this (zero: as soon as a slot is free)
	running bool
	pid     int
	started time.Time
}

// runScriptLocked queues a run of the script at path with args (notification-script: event type and
// payload; client-reconfig-script: name, role, state, from and to addresses) and starts what may start.
// Scripts run as child processes with the sentinel's environment; their output is discarded. A run that
// exits 1 or is killed by a signal (a timeout included) is retried after script-retry-delay, doubled at
// each retry, up to 10 runs; exit code 2 or more is final. Call with s.mu held.
func (s *Sentinel) runScriptLocked(path string, args ...string) {
	if !s.started {
		return
	}
	s.scriptQueue = append(s.scriptQueue, &script{path: path, args: args})
	if len(s.scriptQueue) > scriptMaxQueue {
		for i, j := range s.scriptQueue {
			if !j.running {
				s.scriptQueue = append(s.scriptQueue[:i:i], s.scriptQueue[i+1:]...)
				break
			}
		}
	}
	s.runPendingScriptsLocked(time.Now())
}

// notifyScriptLocked runs the primary's notification-script for a warning-level event about one of its
// instances (events.go's eventLocked calls it with the event's payload).
func (s *Sentinel) notifyScriptLocked(level zerolog.Level, typ string, inst *Instance, payload string) {
	if level != zerolog.WarnLevel || inst == nil {
		return
	}
	m := inst
	if !m.IsMaster() {
		m = inst.Master
	}
	if m != nil && m.NotifyScript != "" {
		s.runScriptLocked(m.NotifyScript, typ, payload)
	}
}

// runPendingScriptsLocked starts the queued runs that are due, in queue order, while slots are free.
func (s *Sentinel) runPendingScriptsLocked(now time.Time) {
	for i := 0; i < len(s.scriptQueue) && s.started && s.runningScript < scriptMaxRunning; i++ {
		j := s.scriptQueue[i]
		if j.running || j.retryAt.After(now) {
			continue
		}
		cmd := exec.Command(j.path, j.args...)
		j.retries++
		if err := cmd.Start(); err != nil {
			// Valkey reports a failed fork as exit code 99 and does not retry
			s.log.Warn().Err(err).Str("script", j.path).Msg("sentinel: cannot start script")
			s.eventLocked(zerolog.WarnLevel, "-script-error", nil, "%s %d %d", j.path, 99, 0)
			s.scriptQueue = append(s.scriptQueue[:i:i], s.scriptQueue[i+1:]...)
			i--
			continue
		}
		j.running, j.pid, j.started = true, cmd.Process.Pid, now
		s.runningScript++
		s.eventLocked(zerolog.TraceLevel, "+script-child", nil, "%d", j.pid)
		s.wg.Add(1)
		go s.superviseScript(j, cmd, s.timing.ScriptMaxRuntime)
	}
}

// superviseScript waits for one run: it kills it after maxRuntime (-script-timeout) or when the sentinel
// stops, then decides between retry and removal, and starts what the freed slot allows.
func (s *Sentinel) superviseScript(j *script, cmd *exec.Cmd, maxRuntime time.Duration) {
	defer s.wg.Done()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	timer := time.NewTimer(maxRuntime)
	defer timer.Stop()
	var err error
	select {
	case err = <-done:
	case <-timer.C:
		s.mu.Lock()
		s.eventLocked(zerolog.WarnLevel, "-script-timeout", nil, "%s %d", j.path, j.pid)
		s.mu.Unlock()
		_ = cmd.Process.Kill()
		err = <-done
	case <-s.stop:
		_ = cmd.Process.Kill()
		<-done
		s.mu.Lock()
		s.runningScript--
		s.dropScriptLocked(j)
		s.mu.Unlock()
		return
	}
	signaled, code := exitStatus(err)
	now := time.Now()
	s.mu.Lock()
	s.runningScript--
	j.running, j.pid = false, 0
	retry := (signaled || code == 1) && j.retries < scriptMaxRetry
	var delay time.Duration
	if retry {
		delay = retryDelay(s.timing.ScriptRetryDelay, j.retries)
		j.retryAt = now.Add(delay)
	} else {
		if signaled || code != 0 {
			sig := 0
			if signaled {
				sig = 1
			}
			s.eventLocked(zerolog.WarnLevel, "-script-error", nil, "%s %d %d", j.path, sig, code)
		}
		s.dropScriptLocked(j)
	}
	s.runPendingScriptsLocked(now)
	s.mu.Unlock()
	if !retry {
		return
	}
	// this goroutine stays to start the retry when it is due (or another run's end may start it first)
	wait := time.NewTimer(delay)
	defer wait.Stop()
	select {
	case <-wait.C:
		s.mu.Lock()
		s.runPendingScriptsLocked(time.Now())
		s.mu.Unlock()
	case <-s.stop:
	}
}

// retryDelay is the wait before the next run after the n-th: base, doubled at each further retry.
func retryDelay(base time.Duration, n int) time.Duration {
	d := base
	for ; n > 1; n-- {
		d *= 2
	}
	return d
}

// exitStatus reads a finished run's outcome: killed by a signal, or its exit code.
func exitStatus(err error) (signaled bool, code int) {
	if err == nil {
		return false, 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return true, 0
		}
		return false, ee.ExitCode()
	}
	return false, 1 // wait failed: treat as a failure worth a retry
}

func (s *Sentinel) dropScriptLocked(j *script) {
	for i, q := range s.scriptQueue {
		if q == j {
			s.scriptQueue = append(s.scriptQueue[:i:i], s.scriptQueue[i+1:]...)
			return
		}
	}
}

// cmdPendingScripts lists the queue: for each run its argv, whether it runs or waits, its pid, how long it
// has run or how long until it may start, and how many runs it has had.
func (s *Sentinel) cmdPendingScripts(c *server.Client, args [][]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	w := c.W()
	w.Array(len(s.scriptQueue))
	for _, j := range s.scriptQueue {
		w.Map(5)
		w.BulkString("argv")
		w.StringArray(append([]string{j.path}, j.args...))
		w.BulkString("flags")
		if j.running {
			w.BulkString("running")
		} else {
			w.BulkString("scheduled")
		}
		w.BulkString("pid")
		w.BulkString(strconv.Itoa(j.pid))
		if j.running {
			w.BulkString("run-time")
			w.BulkString(strconv.FormatInt(now.Sub(j.started).Milliseconds(), 10))
		} else {
			delay := int64(0)
			if j.retryAt.After(now) {
				delay = j.retryAt.Sub(now).Milliseconds()
			}
			w.BulkString("run-delay")
			w.BulkString(strconv.FormatInt(delay, 10))
		}
		w.BulkString("retry-num")
		w.BulkString(strconv.Itoa(j.retries))
	}
}
