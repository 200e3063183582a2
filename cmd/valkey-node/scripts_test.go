package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The operator scripts (scripts/sentinel-trio, scripts/create-cluster) run here as an operator runs them,
// with the built binary, on ports chosen free for the test.

// freeBase finds a base port for which base+off is free for every offset (the scripts use fixed offsets).
func freeBase(t *testing.T, offsets ...int) int {
	t.Helper()
	for try := 0; try < 100; try++ {
		base := 20000 + rand.IntN(30000)
		ok := true
		for _, off := range offsets {
			l, err := net.Listen("tcp4", "127.0.0.1:"+strconv.Itoa(base+off))
			if err != nil {
				ok = false
				break
			}
			l.Close()
		}
		if ok {
			return base
		}
	}
	t.Fatal("no free run of ports found")
	return 0
}

// runOpScript runs a script of scripts/ from the repository root with env added, and returns its output.
func runOpScript(t *testing.T, env []string, timeout time.Duration, script string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", append([]string{filepath.Join("scripts", script)}, args...)...)
	cmd.Dir = filepath.Join("..", "..")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestScriptSentinelTrio(t *testing.T) {
	requireTool(t, "redis-cli", "redis-tools")
	work := t.TempDir()
	base := freeBase(t, 0, 1, 2)
	sbase := freeBase(t, 0, 1, 2)
	env := []string{"BIN=" + binPath, "CERTS=" + filepath.Join(work, "certs"), "TRIO_DIR=" + filepath.Join(work, "trio"),
		"TRIO_PORT=" + strconv.Itoa(base), "SENTINEL_PORT=" + strconv.Itoa(sbase),
		"DOWN_AFTER=1000", "FAILOVER_TIMEOUT=5000", "TIMEOUT=60"}
	t.Cleanup(func() {
		if out, err := runOpScript(t, env, 2*time.Minute, "sentinel-trio", "stop"); err != nil {
			t.Errorf("sentinel-trio stop at cleanup: %v\n%s", err, out)
		}
	})
	out, err := runOpScript(t, env, 2*time.Minute, "sentinel-trio", "start")
	if err != nil || !strings.Contains(out, "redis-cli") {
		t.Fatalf("sentinel-trio start: %v\n%s", err, out)
	}
	out, err = runOpScript(t, env, time.Minute, "sentinel-trio", "status")
	if err != nil || !strings.Contains(out, strconv.Itoa(base)) {
		t.Fatalf("sentinel-trio status: %v\n%s", err, out)
	}
	out, err = runOpScript(t, env, 2*time.Minute, "sentinel-trio", "failover")
	if err != nil {
		t.Fatalf("sentinel-trio failover: %v\n%s", err, out)
	}
	// the primary is now one of the two former replicas, by every sentinel's account
	cli := func(port int, args ...string) string {
		c := exec.Command("redis-cli", append([]string{"--tls", "--cacert", filepath.Join(work, "certs", "ca.crt"),
			"--cert", filepath.Join(work, "certs", "client.crt"), "--key", filepath.Join(work, "certs", "client.key"),
			"-p", strconv.Itoa(port)}, args...)...)
		b, _ := c.CombinedOutput()
		return strings.TrimSpace(string(b))
	}
	var primary string
	for i := 0; i < 3; i++ {
		got := cli(sbase+i, "SENTINEL", "GET-PRIMARY-ADDR-BY-NAME", "mymaster")
		if primary == "" {
			primary = got
		}
		if got != primary || got == fmt.Sprintf("127.0.0.1\n%d", base) || !strings.HasPrefix(got, "127.0.0.1\n") {
			t.Fatalf("sentinel %d says the primary is %q (first said %q, old primary port %d)", i, got, primary, base)
		}
	}
	if out, err = runOpScript(t, env, 2*time.Minute, "sentinel-trio", "stop"); err != nil {
		t.Fatalf("sentinel-trio stop: %v\n%s", err, out)
	}
	for i := 0; i < 3; i++ {
		if got := cli(sbase+i, "PING"); got == "PONG" {
			t.Errorf("sentinel %d still answers after stop", i)
		}
	}
	if out, err = runOpScript(t, env, time.Minute, "sentinel-trio", "clean"); err != nil {
		t.Fatalf("sentinel-trio clean: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(work, "trio")); !os.IsNotExist(err) {
		t.Errorf("clean left the working directory: %v", err)
	}
}

func TestScriptCreateCluster(t *testing.T) {
	requireTool(t, "redis-cli", "redis-tools")
	work := t.TempDir()
	offsets := []int{1, 2, 3, 4, 5, 6, 10001, 10002, 10003, 10004, 10005, 10006}
	base := freeBase(t, offsets...)
	env := []string{"BIN=" + binPath, "CERTS=" + filepath.Join(work, "certs"), "CLUSTER_DIR=" + filepath.Join(work, "cluster"),
		"CLUSTER_PORT=" + strconv.Itoa(base), "TIMEOUT=60"}
	t.Cleanup(func() {
		if out, err := runOpScript(t, env, 2*time.Minute, "create-cluster", "stop"); err != nil {
			t.Errorf("create-cluster stop at cleanup: %v\n%s", err, out)
		}
	})
	for _, verb := range []string{"start", "create", "status"} {
		out, err := runOpScript(t, env, 2*time.Minute, "create-cluster", verb)
		if err != nil {
			t.Fatalf("create-cluster %s: %v\n%s", verb, err, out)
		}
		if verb == "create" && !strings.Contains(out, "redis-cli -c") {
			t.Fatalf("create-cluster create does not print the redis-cli line:\n%s", out)
		}
	}
	c := exec.Command("redis-cli", "--tls", "--cacert", filepath.Join(work, "certs", "ca.crt"),
		"--cert", filepath.Join(work, "certs", "client.crt"), "--key", filepath.Join(work, "certs", "client.key"),
		"--cluster", "check", "127.0.0.1:"+strconv.Itoa(base+1))
	out, _ := c.CombinedOutput()
	if !strings.Contains(string(out), "[OK] All 16384 slots covered.") || strings.Contains(string(out), "[ERR]") {
		t.Fatalf("redis-cli --cluster check after create-cluster create:\n%s", out)
	}
	for _, verb := range []string{"stop", "clean"} {
		if out, err := runOpScript(t, env, 2*time.Minute, "create-cluster", verb); err != nil {
			t.Fatalf("create-cluster %s: %v\n%s", verb, err, out)
		}
	}
	if _, err := os.Stat(filepath.Join(work, "cluster")); !os.IsNotExist(err) {
		t.Errorf("clean left the working directory: %v", err)
	}
}
