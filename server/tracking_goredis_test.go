package server

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/push"
)

// Client-side caching seen from go-redis v9 (RESP3). go-redis has a push API: a handler registered for
// the "invalidate" push with Conn.RegisterPushNotificationHandler is called with each invalidation,
// synchronously, when the connection next reads a reply (pushes ahead of the reply are processed
// first). So no raw connection is needed, and a command on the tracking connection after another
// client's write is enough to observe the push without any waiting: the server queued the push on the
// tracking connection while it executed the write, before it read the command.

// pushRecorder is a go-redis push handler that keeps the notifications it is given.
type pushRecorder struct {
	mu  sync.Mutex
	got []string
}

func (p *pushRecorder) HandlePushNotification(_ context.Context, _ push.NotificationHandlerContext, n []interface{}) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.got = append(p.got, fmt.Sprint(n))
	return nil
}

// take returns the notifications received since the last call.
func (p *pushRecorder) take() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.got
	p.got = nil
	return out
}

// trackingGoRedisScenario drives one tracking connection of tracker while writer modifies keys, and
// checks the invalidations go-redis hands to its push handler.
func trackingGoRedisScenario(t *testing.T, tracker, writer *redis.Client) {
	ctx := context.Background()
	if err := writer.FlushAll(ctx).Err(); err != nil {
		t.Fatalf("FLUSHALL: %v", err)
	}
	writer.Set(ctx, "k", "v1", 0)
	conn := tracker.Conn()
	defer conn.Close()
	rec := &pushRecorder{}
	if err := conn.RegisterPushNotificationHandler("invalidate", rec, false); err != nil {
		t.Fatalf("registering the invalidate handler: %v", err)
	}
	// expect runs a command on the tracking connection (which processes the pushes ahead of its reply)
	// and compares the invalidations seen
	expect := func(what string, want ...string) {
		t.Helper()
		if err := conn.Ping(ctx).Err(); err != nil {
			t.Fatalf("%s: PING: %v", what, err)
		}
		if got := rec.take(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%s: invalidations %q, want %q", what, got, want)
		}
	}

	if err := conn.ClientTrackingOn(ctx, nil).Err(); err != nil {
		t.Fatalf("CLIENT TRACKING ON: %v", err)
	}
	if v, err := conn.Get(ctx, "k").Result(); err != nil || v != "v1" {
		t.Fatalf("GET k: %q %v", v, err)
	}
	writer.Set(ctx, "unread", "x", 0)
	expect("a write to a key the connection never read")
	writer.Set(ctx, "k", "v2", 0)
	expect("a write to a key it read", "[invalidate [k]]")
	writer.Set(ctx, "k", "v3", 0)
	expect("a second write before it reads again: a key is invalidated once per read")

	if v, err := conn.Get(ctx, "k").Result(); err != nil || v != "v3" {
		t.Fatalf("GET k again: %q %v", v, err)
	}
	writer.Del(ctx, "k")
	expect("DEL", "[invalidate [k]]")
	if err := conn.Get(ctx, "k").Err(); err != redis.Nil {
		t.Fatalf("GET of the deleted k: %v", err)
	}
	writer.Set(ctx, "k", "back", 0)
	expect("a read of a missing key is tracked too", "[invalidate [k]]")

	conn.Get(ctx, "k")
	conn.HGetAll(ctx, "h")
	writer.FlushAll(ctx)
	expect("FLUSHALL invalidates everything with a null key list", "[invalidate <nil>]")

	// BCAST: every key under a prefix, read or not
	if err := conn.ClientTrackingOff(ctx).Err(); err != nil {
		t.Fatalf("CLIENT TRACKING OFF: %v", err)
	}
	if err := conn.ClientTrackingOn(ctx, &redis.ClientTrackingOptions{Bcast: true, Prefixes: []string{"user:"}}).Err(); err != nil {
		t.Fatalf("CLIENT TRACKING ON BCAST: %v", err)
	}
	writer.Set(ctx, "user:1", "a", 0)
	writer.Set(ctx, "post:1", "b", 0)
	writer.MSet(ctx, "user:2", "c", "user:3", "d")
	expect("BCAST prefix user:", "[invalidate [user:1]]", "[invalidate [user:2 user:3]]")

	// a write by the tracking connection itself is reported too, unless NOLOOP
	conn.Set(ctx, "user:4", "e", 0)
	expect("its own write", "[invalidate [user:4]]")
	conn.ClientTrackingOff(ctx)
	if err := conn.ClientTrackingOn(ctx, &redis.ClientTrackingOptions{Bcast: true, Prefixes: []string{"user:"}, NoLoop: true}).Err(); err != nil {
		t.Fatalf("CLIENT TRACKING ON BCAST NOLOOP: %v", err)
	}
	conn.Set(ctx, "user:5", "f", 0)
	expect("its own write under NOLOOP")
}

func TestTrackingGoRedisPush(t *testing.T) {
	n := startNode(t)
	trackingGoRedisScenario(t, n.client(), n.client())
}

// TestTrackingGoRedisPushInterop runs the same scenario on redis-server 7.0: the expectations are the
// real server's.
func TestTrackingGoRedisPushInterop(t *testing.T) {
	_, port := startRedisServer(t)
	newClient := func() *redis.Client {
		c := redis.NewClient(&redis.Options{Addr: loopbackAddr(port), Protocol: 3, MaxRetries: -1, PoolSize: 4})
		t.Cleanup(func() { c.Close() })
		return c
	}
	trackingGoRedisScenario(t, newClient(), newClient())
}

// TestTrackingGoRedisClientSideCache uses go-redis's own client-side cache, which turns tracking on by
// itself and evicts entries on the invalidation pushes: after another client's write, the cached value
// must give way to the new one. Without the pushes the cache would serve the old value for ever (no
// MaxStaleness is set), so the wait below would time out.
func TestTrackingGoRedisClientSideCache(t *testing.T) {
	n := startNode(t)
	ctx := context.Background()
	cached := n.client(func(o *redis.Options) {
		o.ClientSideCacheConfig = &redis.ClientSideCacheConfig{MaxEntries: 100}
	})
	writer := n.client()
	writer.Set(ctx, "ck", "v1", 0)
	for i := 0; i < 3; i++ {
		if v, err := cached.Get(ctx, "ck").Result(); err != nil || v != "v1" {
			t.Fatalf("GET ck: %q %v", v, err)
		}
	}
	if st := cached.CSCStats(); st.Hits == 0 || st.Entries == 0 {
		t.Fatalf("the value was not cached: %+v", st)
	}
	writer.Set(ctx, "ck", "v2", 0)
	waitFor(t, "the cached value to be invalidated", func() bool {
		v, err := cached.Get(ctx, "ck").Result()
		return err == nil && v == "v2"
	})
}
