package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
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
