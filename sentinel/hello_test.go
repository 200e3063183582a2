package sentinel

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseHello(t *testing.T) {
	p := "127.0.0.1,26380," + testOtherA + ",7,mymaster,127.0.0.1,6379,3"
	h, err := parseHello(p)
	if err != nil {
		t.Fatal(err)
	}
	want := hello{ip: "127.0.0.1", port: 26380, runID: testOtherA, currentEpoch: 7, masterName: "mymaster",
		masterIP: "127.0.0.1", masterPort: 6379, configEpoch: 3}
	if h != want {
		t.Fatalf("parsed %+v, want %+v", h, want)
	}
	if h.format() != p {
		t.Fatalf("format %q, want %q", h.format(), p)
	}
	for _, bad := range []string{
		"", "1,2,3", p + ",extra", strings.Replace(p, "26380", "x", 1), strings.Replace(p, ",7,", ",-1,", 1),
		strings.Replace(p, "6379", "port", 1), strings.TrimSuffix(p, "3") + "z",
	} {
		if _, err := parseHello(bad); err == nil {
			t.Errorf("parseHello(%q) accepted", bad)
		}
	}
}

func helloFrom(runID, ip, port, epoch, masterIP, masterPort, configEpoch string) string {
	return strings.Join([]string{ip, port, runID, epoch, "mymaster", masterIP, masterPort, configEpoch}, ",")
}

func TestHelloDiscoversSentinels(t *testing.T) {
	s := newUnitSentinel(t)
	m := unitMaster(t, s, 2)

	s.handleHelloLocked(helloFrom(testOtherA, "127.0.0.1", "26380", "0", "127.0.0.1", "6379", "0"), m)
	si := m.Sentinels[testOtherA]
	if si == nil || si.Addr != (Addr{"127.0.0.1", 26380}) || si.LastHelloTime.IsZero() {
		t.Fatalf("sentinel not added: %+v", m.Sentinels)
	}
	evs := takeEvents(s)
	want := []string{"+sentinel sentinel " + testOtherA + " 127.0.0.1 26380 @ mymaster 127.0.0.1 6379"}
	if !reflect.DeepEqual(evs, want) {
		t.Fatalf("events %q, want %q", evs, want)
	}

	// The same hello again: nothing new.
	s.handleHelloLocked(helloFrom(testOtherA, "127.0.0.1", "26380", "0", "127.0.0.1", "6379", "0"), m)
	if evs := takeEvents(s); len(evs) != 0 || len(m.Sentinels) != 1 {
		t.Fatalf("repeated hello: events %q, %d sentinels", evs, len(m.Sentinels))
	}

	// Same run id, new address: an address switch, not a new sentinel.
	s.handleHelloLocked(helloFrom(testOtherA, "127.0.0.1", "26390", "0", "127.0.0.1", "6379", "0"), nil)
	if got := eventTypes(takeEvents(s)); !reflect.DeepEqual(got, []string{"+sentinel-address-switch"}) {
		t.Fatalf("address switch events %q", got)
	}
	if si := m.Sentinels[testOtherA]; si == nil || si.Addr.Port != 26390 || len(m.Sentinels) != 1 {
		t.Fatalf("sentinels after switch %+v", m.Sentinels)
	}

	// A new run id at that address replaces the old sentinel (it restarted with a new id).
	s.handleHelloLocked(helloFrom(testOtherB, "127.0.0.1", "26390", "0", "127.0.0.1", "6379", "0"), nil)
	if got := eventTypes(takeEvents(s)); !reflect.DeepEqual(got, []string{"+sentinel-invalid-addr", "+sentinel"}) {
		t.Fatalf("replacement events %q", got)
	}
	if len(m.Sentinels) != 1 || m.Sentinels[testOtherB] == nil {
		t.Fatalf("sentinels after replacement %v", m.Sentinels)
	}

	// Our own hello, a primary we do not know, and garbage are ignored.
	s.handleHelloLocked(helloFrom(testMyID, "127.0.0.1", "26379", "9", "127.0.0.1", "6379", "9"), m)
	s.handleHelloLocked(strings.Replace(helloFrom(testOtherA, "1.1.1.1", "1", "9", "1.1.1.1", "1", "9"), "mymaster", "other", 1), nil)
	s.handleHelloLocked("garbage", nil)
	if evs := takeEvents(s); len(evs) != 0 || s.currentEpoch != 0 || len(m.Sentinels) != 1 {
		t.Fatalf("ignored hellos changed state: events %q epoch %d", evs, s.currentEpoch)
	}
}

func TestHelloAdoptsNewerConfig(t *testing.T) {
	s := newUnitSentinel(t)
	m := unitMaster(t, s, 2)
	s.addSlaveLocked(m, "127.0.0.1", 6380)
	s.addSlaveLocked(m, "127.0.0.1", 6381)
	s.handleHelloLocked(helloFrom(testOtherA, "127.0.0.1", "26380", "0", "127.0.0.1", "6379", "0"), m)
	takeEvents(s)

	// Epoch 5, config epoch 5, primary moved to 6380.
	s.handleHelloLocked(helloFrom(testOtherA, "127.0.0.1", "26380", "5", "127.0.0.1", "6380", "5"), m)
	evs := takeEvents(s)
	want := []string{
		"+new-epoch 5",
		"+config-update-from sentinel " + testOtherA + " 127.0.0.1 26380 @ mymaster 127.0.0.1 6379",
		"+switch-master mymaster 127.0.0.1 6379 127.0.0.1 6380",
		"+slave slave 127.0.0.1:6379 127.0.0.1 6379 @ mymaster 127.0.0.1 6380",
		"+slave slave 127.0.0.1:6381 127.0.0.1 6381 @ mymaster 127.0.0.1 6380",
	}
	if !reflect.DeepEqual(evs, want) {
		t.Fatalf("events\n%q\nwant\n%q", evs, want)
	}
	if s.currentEpoch != 5 || m.ConfigEpoch != 5 || m.Addr.Port != 6380 {
		t.Fatalf("epoch %d config epoch %d addr %v", s.currentEpoch, m.ConfigEpoch, m.Addr)
	}
	if m.Sentinels[testOtherA] == nil {
		t.Fatal("sentinels lost by the switch")
	}
	// An older or equal config epoch does not move the primary back.
	s.handleHelloLocked(helloFrom(testOtherA, "127.0.0.1", "26380", "5", "127.0.0.1", "6379", "4"), m)
	if m.Addr.Port != 6380 || len(takeEvents(s)) != 0 {
		t.Fatal("older configuration adopted")
	}
}

func TestSendHelloPayload(t *testing.T) {
	s := newUnitSentinel(t)
	s.currentEpoch = 4
	m := unitMaster(t, s, 2)
	m.ConfigEpoch = 2
	sl := s.addSlaveLocked(m, "127.0.0.1", 6380)
	s.announceIP = "10.9.8.7"
	l := fakeUp(s, sl)
	if !s.sendHelloLocked(sl, m.LastPubTime) {
		t.Fatal("hello not sent")
	}
	want := "PUBLISH __sentinel__:hello 10.9.8.7,26379," + testMyID + ",4,mymaster,127.0.0.1,6379,2"
	if got := sentCommands(t, l.cmd); !reflect.DeepEqual(got, []string{want}) {
		t.Fatalf("sent %q, want %q", got, want)
	}
	// Once the failover promoted the replica, hellos announce its address.
	m.Flags |= FlagFailoverInProgress
	m.PromotedSlave = sl
	m.FailoverState = FailoverReconfSlaves
	if a := currentMasterAddr(m); a != sl.Addr {
		t.Fatalf("announced primary %v, want the promoted replica %v", a, sl.Addr)
	}
	// Without announce-ip and before the socket is connected, no hello goes out.
	s.announceIP = ""
	if s.sendHelloLocked(sl, m.LastPubTime) {
		t.Fatal("hello sent without a local address")
	}
}
