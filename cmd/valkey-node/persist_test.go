package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestKill9WithAppendfsyncAlwaysLosesNoAcknowledgedWrite: clients write as fast as they can while the
// process is killed with SIGKILL; after a restart on the same directory every write that was acknowledged
// is there.
func TestKill9WithAppendfsyncAlwaysLosesNoAcknowledgedWrite(t *testing.T) {
	n := startNode(t, nodeSpec{plain: true, args: []string{"--appendonly", "yes", "--appendfsync", "always"}})
	dir := n.dir
	var mu sync.Mutex
	acked := map[string]string{}
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			c := redis.NewClient(&redis.Options{Addr: n.addr(), MaxRetries: -1, PoolSize: 1})
			defer c.Close()
			for i := 0; ctx.Err() == nil; i++ {
				k, v := fmt.Sprintf("k:%d:%d", w, i), fmt.Sprintf("v%d", i)
				if err := c.Set(ctx, k, v, 0).Err(); err != nil {
					return
				}
				mu.Lock()
				acked[k] = v
				mu.Unlock()
			}
		}(w)
	}
	waitUntil(t, "some acknowledged writes", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(acked) >= 2000
	})
	n.signal(syscall.SIGKILL)
	wg.Wait()
	n.stopped = true
	n.exitCode()

	n2 := startNode(t, nodeSpec{plain: true, args: []string{"--appendonly", "yes", "--dir", dir}})
	c := redis.NewClient(&redis.Options{Addr: n2.addr()})
	defer c.Close()
	missing := 0
	for k, v := range acked {
		got, err := c.Get(context.Background(), k).Result()
		if err != nil || got != v {
			missing++
			if missing < 5 {
				t.Errorf("acknowledged %s=%s, after restart: %q %v", k, v, got, err)
			}
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d acknowledged writes lost", missing, len(acked))
	}
	t.Logf("%d acknowledged writes survived SIGKILL", len(acked))
}

// TestSIGTERMSavesWithSavePoints: the default save points make SIGTERM write the RDB before exiting, and a
// restart loads it.
func TestSIGTERMSavesWithSavePoints(t *testing.T) {
	n := startNode(t, nodeSpec{plain: true})
	c := redis.NewClient(&redis.Options{Addr: n.addr()})
	for i := 0; i < 100; i++ {
		if err := c.Set(context.Background(), fmt.Sprint("key", i), i, time.Hour).Err(); err != nil {
			t.Fatal(err)
		}
	}
	c.Close()
	if code := n.terminate(); code != 0 {
		t.Fatalf("exit code %d after SIGTERM\n%s", code, n.out)
	}
	if _, err := os.Stat(filepath.Join(n.dir, "dump.rdb")); err != nil {
		t.Fatalf("no RDB after SIGTERM: %v\n%s", err, n.out)
	}
	n2 := startNode(t, nodeSpec{plain: true, args: []string{"--dir", n.dir}})
	c2 := redis.NewClient(&redis.Options{Addr: n2.addr()})
	defer c2.Close()
	if got := c2.DBSize(context.Background()).Val(); got != 100 {
		t.Fatalf("DBSIZE after restart = %d, want 100", got)
	}
	if ttl := c2.TTL(context.Background(), "key7").Val(); ttl <= 0 {
		t.Fatalf("TTL lost: %v", ttl)
	}
}

// TestFullDiskKeepsDataAndSaysSo runs the node under a file size limit (ulimit -f), which makes the kernel
// fail writes past it with EFBIG as a full disk fails them with ENOSPC. The AOF's write error refuses
// further writes with MISCONF and shows in INFO; a SAVE that cannot complete fails and leaves the previous
// RDB as it was; reads go on.
func TestFullDiskKeepsDataAndSaysSo(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh to set a file size limit")
	}
	port := freePort(t)
	dir := t.TempDir()
	// dash counts ulimit -f in 512-byte blocks, bash in 1024: either way between 100 and 200 KB
	script := fmt.Sprintf("ulimit -f 200 && exec %s --bind 127.0.0.1 --port %d --dir %s --appendonly yes --save '3600 1'",
		binPath, port, dir)
	n := startNode(t, nodeSpec{raw: []string{"-c", script}, rawPort: port, shell: sh})
	c := redis.NewClient(&redis.Options{Addr: n.addr(), MaxRetries: -1})
	defer c.Close()
	ctx := context.Background()
	if err := c.Set(ctx, "first", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Save(ctx).Err(); err != nil {
		t.Fatalf("SAVE while there is room: %v", err)
	}
	good, err := os.ReadFile(filepath.Join(dir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	// random values: compression must not shrink the RDB under the limit
	var refused error
	for i := 0; i < 200 && refused == nil; i++ {
		raw := make([]byte, 3072)
		rand.Read(raw)
		refused = c.Set(ctx, fmt.Sprint("big", i), base64.StdEncoding.EncodeToString(raw), 0).Err()
	}
	if refused == nil || !strings.HasPrefix(refused.Error(), "MISCONF Errors writing to the AOF file") {
		t.Fatalf("writes past the limit: %v", refused)
	}
	info := c.Info(ctx, "persistence").Val()
	if !strings.Contains(info, "aof_last_write_status:err") {
		t.Fatalf("INFO persistence after the write error:\n%s", info)
	}
	if got := c.Get(ctx, "first").Val(); got != "1" {
		t.Fatalf("read after the write error: %q", got)
	}
	if err := c.Save(ctx).Err(); err == nil {
		t.Fatal("SAVE succeeded past the file size limit")
	}
	if now, _ := os.ReadFile(filepath.Join(dir, "dump.rdb")); string(now) != string(good) {
		t.Fatal("the failed SAVE changed the previous RDB")
	}
	if !strings.Contains(n.out.String(), "file too large") {
		t.Errorf("the log does not report the write error:\n%s", n.out)
	}
	n.stopped = true
	n.cmd.Process.Kill()
}

// TestReplicaKilledMidStream: a replica killed with SIGKILL while the primary streams writes to it comes
// back (same directory, same flags), resynchronises and ends with exactly the primary's data.
func TestReplicaKilledMidStream(t *testing.T) {
	p := startNode(t, nodeSpec{plain: true, args: []string{"--repl-diskless-sync-delay", "0", "--enable-debug-command", "yes"}})
	pc := redis.NewClient(&redis.Options{Addr: p.addr()})
	defer pc.Close()
	ctx := context.Background()
	replArgs := []string{"--replicaof", "127.0.0.1 " + fmt.Sprint(p.port), "--enable-debug-command", "yes"}
	r := startNode(t, nodeSpec{plain: true, args: replArgs})
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			pc.Set(ctx, fmt.Sprint("k", i%5000), i, 0)
			pc.RPush(ctx, "list", i)
		}
	}()
	waitUntil(t, "the replica to be online", func() bool {
		return strings.Contains(pc.Info(ctx, "replication").Val(), "state=online")
	})
	r.signal(syscall.SIGKILL)
	r.stopped = true
	r.exitCode()
	r2 := startNode(t, nodeSpec{plain: true, args: append(replArgs, "--dir", r.dir)})
	close(stop)
	<-done
	rc := redis.NewClient(&redis.Options{Addr: r2.addr()})
	defer rc.Close()
	waitUntil(t, "the restarted replica to catch up", func() bool {
		return rc.Do(ctx, "DEBUG", "DIGEST").String() == pc.Do(ctx, "DEBUG", "DIGEST").String() &&
			strings.Contains(rc.Info(ctx, "replication").Val(), "master_link_status:up")
	})
	if n := rc.DBSize(ctx).Val(); n == 0 || n != pc.DBSize(ctx).Val() {
		t.Fatalf("DBSIZE replica %d, primary %d", n, pc.DBSize(ctx).Val())
	}
}
