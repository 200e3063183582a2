package server

import (
	"strings"
	"testing"
)

func TestPubSubRESP2(t *testing.T) {
	n := startNode(t)
	sub, pub := n.raw(), n.raw()
	mustDo(t, sub, `["subscribe" "news" :1]`, "SUBSCRIBE", "news")
	sub.cmd("PSUBSCRIBE", "n*", "x?")
	for _, want := range []string{`["psubscribe" "n*" :2]`, `["psubscribe" "x?" :3]`} {
		if got := sub.reply(); got != want {
			t.Fatalf("got %s want %s", got, want)
		}
	}
	mustDo(t, pub, ":2", "PUBLISH", "news", "hello") // one channel + one pattern subscriber (same client)
	for _, want := range []string{`["message" "news" "hello"]`, `["pmessage" "n*" "news" "hello"]`} {
		if got := sub.reply(); got != want {
			t.Fatalf("got %s want %s", got, want)
		}
	}
	mustDo(t, pub, ":0", "PUBLISH", "other", "x")
	// RESP2 subscribed mode allows only a few commands
	mustDo(t, sub, "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context", "GET", "k")
	mustDo(t, sub, `["pong" ""]`, "PING")
	mustDo(t, pub, `["news"]`, "PUBSUB", "CHANNELS")
	mustDo(t, pub, `["news" :1 "none" :0]`, "PUBSUB", "NUMSUB", "news", "none")
	mustDo(t, pub, ":2", "PUBSUB", "NUMPAT")
	mustDo(t, sub, `["unsubscribe" "news" :2]`, "UNSUBSCRIBE", "news")
	sub.cmd("PUNSUBSCRIBE")
	for _, want := range []string{`["punsubscribe" "n*" :1]`, `["punsubscribe" "x?" :0]`} {
		if got := sub.reply(); got != want {
			t.Fatalf("got %s want %s", got, want)
		}
	}
	// out of subscribed mode, normal commands work again
	mustDo(t, sub, "(nil)", "GET", "k")
	mustDo(t, sub, `["unsubscribe" (nil) :0]`, "UNSUBSCRIBE")
}

func TestPubSubRESP3Push(t *testing.T) {
	n := startNode(t)
	sub, pub := n.raw(), n.raw()
	sub.do("HELLO", "3")
	sub.cmd("SUBSCRIBE", "ch")
	if l := sub.line(); l != ">3" {
		t.Fatalf("subscribe confirmation is not a push: %q", l)
	}
	sub.reply()
	sub.reply()
	sub.reply()
	// RESP3 clients may run normal commands while subscribed
	mustDo(t, sub, "OK", "SET", "k", "v")
	mustDo(t, pub, ":1", "PUBLISH", "ch", "m")
	if l := sub.line(); l != ">3" {
		t.Fatalf("message is not a push: %q", l)
	}
	for _, want := range []string{`"message"`, `"ch"`, `"m"`} {
		if got := sub.reply(); got != want {
			t.Fatalf("got %s want %s", got, want)
		}
	}
	// SSUBSCRIBE has its own namespace
	mustDo(t, pub, ":0", "SPUBLISH", "ch", "m")
}

func TestPubSubManySubscribers(t *testing.T) {
	n := startNode(t)
	const subs = 20
	conns := make([]*rawConn, subs)
	for i := range conns {
		conns[i] = n.raw()
		if i%2 == 0 {
			mustDo(t, conns[i], `["subscribe" "events" :1]`, "SUBSCRIBE", "events")
		} else {
			mustDo(t, conns[i], `["psubscribe" "ev*" :1]`, "PSUBSCRIBE", "ev*")
		}
	}
	pub := n.raw()
	for m := 0; m < 50; m++ {
		mustDo(t, pub, ":20", "PUBLISH", "events", "m")
	}
	for i, c := range conns {
		for m := 0; m < 50; m++ {
			got := c.reply()
			if !strings.Contains(got, `"events" "m"`) {
				t.Fatalf("subscriber %d message %d: %s", i, m, got)
			}
		}
	}
}

// A subscriber that never reads is disconnected when its pending output passes the pubsub hard limit,
// instead of growing the node's memory without bound.
func TestSlowSubscriberDisconnected(t *testing.T) {
	n := startNode(t, "client-output-buffer-limit pubsub 1mb 0 0")
	slow := n.raw()
	mustDo(t, slow, `["subscribe" "firehose" :1]`, "SUBSCRIBE", "firehose")
	pub := n.raw()
	payload := strings.Repeat("x", 100*1024)
	disconnected := false
	for i := 0; i < 2000 && !disconnected; i++ {
		got := pub.do("PUBLISH", "firehose", payload)
		disconnected = got == ":0"
	}
	if !disconnected {
		t.Fatal("slow subscriber was never disconnected")
	}
	mustDo(t, pub, `["firehose" :0]`, "PUBSUB", "NUMSUB", "firehose")
	if got := n.raw().do("PING"); got != "PONG" {
		t.Fatal(got)
	}
}

func TestKeyspaceNotifications(t *testing.T) {
	n := startNode(t, "notify-keyspace-events", "KEA")
	sub, c := n.raw(), n.raw()
	mustDo(t, c, `["notify-keyspace-events" "AKE"]`, "CONFIG", "GET", "notify-keyspace-events")
	sub.cmd("PSUBSCRIBE", "__key*@0__:*")
	sub.reply()
	mustDo(t, c, "OK", "SET", "k", "v")
	for _, want := range []string{
		`["pmessage" "__key*@0__:*" "__keyspace@0__:k" "set"]`,
		`["pmessage" "__key*@0__:*" "__keyevent@0__:set" "k"]`,
	} {
		if got := sub.reply(); got != want {
			t.Fatalf("got %s want %s", got, want)
		}
	}
	// an expiry is announced as "expired" when the key is reclaimed
	mustDo(t, c, "OK", "SET", "e", "v", "PX", "10")
	sub.reply() // set (keyspace)
	sub.reply() // set (keyevent)
	sub.reply() // expire (keyspace)
	sub.reply() // expire (keyevent)
	got := sub.reply()
	if got != `["pmessage" "__key*@0__:*" "__keyspace@0__:e" "expired"]` {
		t.Fatalf("got %s", got)
	}
}

func TestNotifyFlags(t *testing.T) {
	for _, in := range []string{"", "KEA", "Kg$", "Ex", "KElshzxetdmn", "A"} {
		f, err := parseNotifyFlags(in)
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		g, _ := parseNotifyFlags(notifyFlagsString(f))
		if g != f {
			t.Fatalf("%q does not round trip: %q", in, notifyFlagsString(f))
		}
	}
	if _, err := parseNotifyFlags("KQ"); err == nil {
		t.Fatal("bad flag accepted")
	}
}
