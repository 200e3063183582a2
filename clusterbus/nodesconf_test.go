package clusterbus

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// goldenConf is renderCluster saved: handshake node left out, aux fields in Valkey's order, the hostname
// slot present even when empty, migrations on myself's line.
const goldenConf = id1 + " 127.0.0.1:30001@40001,,tls-port=31001,shard-id=" + sh1 + " myself,master - 0 0 1 connected 0-5460 [100->-" + id2 + "] [6000-<-" + id2 + "]\n" +
	id2 + " 127.0.0.1:30002@40002,host-2,client-ipv4=10.0.0.2,tls-port=31002,nodename=second,shard-id=" + sh2 + " master - 0 1700000000500 2 connected 5461-10922\n" +
	id3 + " 127.0.0.1:30003@40003,,tls-port=31003,shard-id=5000000000000000000000000000000000000003 master,fail? - 1700000000100 0 3 disconnected 10923-16383\n" +
	id4 + " 127.0.0.1:30004@40004,,tls-port=31004,shard-id=" + sh1 + " slave " + id1 + " 0 1700000000400 1 connected\n" +
	id5 + " 127.0.0.1:30005@40005,,tls-port=31005,shard-id=" + sh2 + " slave,fail,nofailover " + id2 + " 0 0 2 connected\n" +
	"vars currentEpoch 5 lastVoteEpoch 0\n"

func TestConfEncodeGolden(t *testing.T) {
	s := renderCluster(t)
	if got := string(s.EncodeNodesConf()); got != goldenConf {
		t.Fatalf("nodes.conf:\n%s\nwant:\n%s", got, goldenConf)
	}
}

func TestConfRoundTrip(t *testing.T) {
	now := t0 + 9999
	s, err := ParseNodesConf("nodes.conf", []byte(goldenConf), DefaultConfig(), now)
	if err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, s)
	me := s.Myself()
	if me.ID != id1 || !me.IsMyself() || s.NumNodes() != 5 || s.CurrentEpoch != 5 || s.LastVoteEpoch != 0 {
		t.Fatalf("myself %s nodes %d epochs %d/%d", me.ID, s.NumNodes(), s.CurrentEpoch, s.LastVoteEpoch)
	}
	n2, n3, n4, n5 := s.Lookup(id2), s.Lookup(id3), s.Lookup(id4), s.Lookup(id5)
	if n2.Hostname != "host-2" || n2.HumanNodename != "second" || n2.ClientIPv4 != "10.0.0.2" ||
		n2.TCPPort != 30002 || n2.TLSPort != 31002 || n2.BusPort != 40002 || n2.ShardID != sh2 {
		t.Fatalf("node 2: %+v", n2)
	}
	if s.MigratingTo(100) != n2 || s.ImportingFrom(6000) != n2 || s.SlotOwner(16383) != n3 {
		t.Fatal("slots or migrations lost")
	}
	// Timestamps survive only as "some": they become the load time. FAIL time too.
	if n2.PongReceived != now || n3.PingSent != now || n2.PingSent != 0 || n5.FailTime != now {
		t.Fatalf("timestamps: %d %d %d %d", n2.PongReceived, n3.PingSent, n2.PingSent, n5.FailTime)
	}
	// A replica's own epoch is 0; it shows its primary's.
	if n4.ConfigEpoch != 0 || n4.Epoch() != 1 || n4.Primary() != me || !n3.TimedOut() || !n5.Failed() {
		t.Fatalf("replica: epoch %d/%d primary %v", n4.ConfigEpoch, n4.Epoch(), n4.Primary())
	}
	// Saving the loaded state gives the same file, up to the rewritten timestamps and the link states
	// (links are down until the bus connects).
	for _, n := range []*Node{n2, n4, n5} {
		n.LinkConnected = true
	}
	want := strings.NewReplacer("1700000000500", "1700000009999", "1700000000100", "1700000009999",
		"1700000000400", "1700000009999").Replace(goldenConf)
	if got := string(s.EncodeNodesConf()); got != want {
		t.Fatalf("round trip:\n%s\nwant:\n%s", got, want)
	}
}

func TestConfVariants(t *testing.T) {
	const (
		a = "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca"
		b = "67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1"
		c = "292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f"
	)
	type check func(t *testing.T, s *State)
	cases := []struct {
		name string
		tls  bool
		conf string
		chk  check
	}{
		{"redis 7.0", false,
			a + " 127.0.0.1:30001@40001 myself,master - 0 0 1 connected 0-5460\n" +
				b + " 127.0.0.1:30002@40002 slave " + a + " 0 1426238317239 1 connected\n" +
				"vars currentEpoch 1 lastVoteEpoch 0\n",
			func(t *testing.T, s *State) {
				me, r := s.Myself(), s.Lookup(b)
				if me.TCPPort != 30001 || me.TLSPort != 0 || me.BusPort != 40001 || me.Hostname != "" {
					t.Fatalf("ports %+v", me)
				}
				if r.ShardID != me.ShardID || !ValidID(me.ShardID) || r.Primary() != me {
					t.Fatal("replica without shard-id must join its primary's shard")
				}
			}},
		{"redis 7.0 tls cluster", true,
			a + " 127.0.0.1:31001@41001,host-a myself,master - 0 0 1 connected 0-16383\n",
			func(t *testing.T, s *State) {
				me := s.Myself()
				if me.TLSPort != 31001 || me.TCPPort != 0 || me.BusPort != 41001 || me.Hostname != "host-a" {
					t.Fatalf("%+v", me)
				}
			}},
		{"valkey tls cluster tcp-port aux", true,
			a + " 127.0.0.1:31001@41001,,tcp-port=30001,shard-id=" + sh1 + " myself,primary - 0 0 1 connected\n" +
				b + " 127.0.0.1:31002@41002,,tcp-port=30002,shard-id=" + sh1 + " replica " + a + " 0 0 1 connected\n",
			func(t *testing.T, s *State) {
				me, r := s.Myself(), s.Lookup(b)
				if me.TLSPort != 31001 || me.TCPPort != 30001 || !me.IsPrimary() || !r.IsReplica() || r.ShardID != sh1 {
					t.Fatalf("%+v / %+v", me, r)
				}
			}},
		{"old file without bus port", false,
			a + " 127.0.0.1:30001 myself,master - 0 0 0 connected 0-100\n",
			func(t *testing.T, s *State) {
				if s.Myself().BusPort != 40001 {
					t.Fatalf("bus port %d", s.Myself().BusPort)
				}
			}},
		{"replica before primary, blank lines, unknown vars, noflags placeholder", false,
			"\n" + b + " 10.0.0.2:6379@16379 slave " + a + " 0 0 0 disconnected\n\n" +
				a + " 10.0.0.1:6379@16379 master - 0 0 7 disconnected 5 7-9\n" +
				c + " :0@0 myself,master - 0 0 0 connected\n" +
				"vars currentEpoch 3 lastVoteEpoch 2 someFutureVar 1\n",
			func(t *testing.T, s *State) {
				r, p := s.Lookup(b), s.Lookup(a)
				if r.Primary() != p || r.ShardID != p.ShardID || ownedSlots(p) != "5 7-9" {
					t.Fatal("replica described before its primary")
				}
				// currentEpoch is raised to the highest config epoch.
				if s.CurrentEpoch != 7 || s.LastVoteEpoch != 2 || s.Myself().ID != c {
					t.Fatalf("epochs %d %d", s.CurrentEpoch, s.LastVoteEpoch)
				}
			}},
		{"primary never described", false,
			a + " 127.0.0.1:30001@40001 myself,slave " + b + " 0 0 0 connected\n",
			func(t *testing.T, s *State) {
				p := s.Lookup(b)
				if p == nil || p.Flags != 0 || s.Myself().Primary() != p {
					t.Fatal("placeholder primary")
				}
			}},
		{"all flags", false,
			a + " 127.0.0.1:30001@40001 myself,master - 0 0 0 connected\n" +
				b + " 127.0.0.1:30002@40002 MASTER,fail?,fail,handshake,noaddr,nofailover - 0 0 0 disconnected\n",
			func(t *testing.T, s *State) {
				want := FlagPrimary | FlagPFail | FlagFail | FlagHandshake | FlagNoAddr | FlagNoFailover
				if f := s.Lookup(b).Flags; f != want {
					t.Fatalf("flags %s", f)
				}
			}},
		{"ipv6 address", false,
			a + " ::1:30001@40001,,tls-port=0,client-ipv6=fe80::1,shard-id=" + sh1 + " myself,master - 0 0 0 connected\n",
			func(t *testing.T, s *State) {
				me := s.Myself()
				if me.IP != "::1" || me.TCPPort != 30001 || me.ClientIPv6 != "fe80::1" {
					t.Fatalf("%+v", me)
				}
			}},
	}
	for _, cs := range cases {
		t.Run(cs.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.TLSCluster = cs.tls
			s, err := ParseNodesConf("nodes.conf", []byte(cs.conf), cfg, t0)
			if err != nil {
				t.Fatal(err)
			}
			checkInvariants(t, s)
			cs.chk(t, s)
			// Whatever was read, what is written reads back the same.
			again, err := ParseNodesConf("nodes.conf", s.EncodeNodesConf(), cfg, t0)
			if err != nil {
				t.Fatalf("re-read: %v\n%s", err, s.EncodeNodesConf())
			}
			if x, y := string(again.EncodeNodesConf()), string(s.EncodeNodesConf()); x != y {
				t.Fatalf("not stable:\n%s\n%s", x, y)
			}
		})
	}
}

func TestConfErrors(t *testing.T) {
	me := id1 + " 127.0.0.1:30001@40001,,tls-port=0,shard-id=" + sh1 + " myself,master - 0 0 1 connected"
	cases := []struct{ name, conf, want string }{
		{"unknown aux", id1 + " 127.0.0.1:30001@40001,,tls-port=0,color=blue myself,master - 0 0 1 connected",
			`line 1: unknown aux field "color"`},
		{"aux without value", id1 + " 127.0.0.1:30001@40001,,tls-port myself,master - 0 0 1 connected",
			`line 1: malformed aux field "tls-port"`},
		{"aux two =", id1 + " 127.0.0.1:30001@40001,,nodename=a=b myself,master - 0 0 1 connected",
			`malformed aux field "nodename=a=b"`},
		{"aux bad char", id1 + " 127.0.0.1:30001@40001,,nodename=a{b} myself,master - 0 0 1 connected",
			`malformed aux field`},
		{"bad shard id", id1 + " 127.0.0.1:30001@40001,,shard-id=xyz myself,master - 0 0 1 connected",
			`bad shard-id "xyz"`},
		{"bad tls port", id1 + " 127.0.0.1:30001@40001,,tls-port=70000 myself,master - 0 0 1 connected",
			`bad tls-port "70000"`},
		{"few fields", me + "\n" + id2 + " 127.0.0.1:30002@40002 master - 0 0", "line 2: expected at least 8 fields, got 6"},
		{"bad id", "xyz 127.0.0.1:30001@40001 myself,master - 0 0 1 connected", `invalid node id "xyz"`},
		{"bad flag", id1 + " 127.0.0.1:30001@40001 myself,leader - 0 0 1 connected", `unknown flag "leader"`},
		{"bad primary", me + "\n" + id2 + " 1.1.1.1:1@2 slave nope 0 0 0 connected", `line 2: primary: invalid node id "nope"`},
		{"bad slot", me + " 16384", `bad slot range "16384"`},
		{"reversed range", me + " 9-2", `bad slot range "9-2"`},
		{"junk slot", me + " x", `bad slot range "x"`},
		{"slot twice", me + " 1-5\n" + id2 + " 1.1.1.1:1@2 master - 0 0 0 connected 5", "line 2: slot 5 already owned by " + id1},
		{"bad migration", me + " [5->x]", `malformed migration entry "[5->x]"`},
		{"migration bad slot", me + " [99999->-" + id2 + "]", `bad slot in`},
		{"no myself", id2 + " 1.1.1.1:1@2 master - 0 0 0 connected", "no node is flagged myself"},
		{"two myself", me + "\n" + id2 + " 1.1.1.1:1@2 myself,master - 0 0 0 connected", "line 2: a second node flagged myself"},
		{"node twice", me + "\n" + me, "line 2: node " + id1 + " already described on line 1"},
		{"vars odd", me + "\nvars currentEpoch", "line 2: vars line needs name value pairs"},
		{"vars bad number", me + "\nvars currentEpoch x lastVoteEpoch 0", `line 2: bad currentEpoch "x"`},
		{"no port", id1 + " 127.0.0.1 myself,master - 0 0 1 connected", `address "127.0.0.1" has no port`},
		{"bad port", id1 + " 127.0.0.1:abc@1 myself,master - 0 0 1 connected", `bad port "abc"`},
		{"bad epoch", id1 + " 127.0.0.1:1@2 myself,master - 0 0 -1 connected", `bad config epoch "-1"`},
		{"bad link", id1 + " 127.0.0.1:1@2 myself,master - 0 0 1 up", `bad link state "up"`},
		{"shard mismatch", me + "\n" + id2 + " 1.1.1.1:1@2,,shard-id=" + sh2 + " slave " + id1 + " 0 0 0 connected",
			"line 2: shard-id " + sh2 + " differs from its primary's " + sh1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseNodesConf("/data/nodes-7000.conf", []byte(c.conf), DefaultConfig(), t0)
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v, want a ConfigError", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, "/data/nodes-7000.conf") || !strings.Contains(msg, c.want) {
				t.Fatalf("error %q, want it to name the file and contain %q", msg, c.want)
			}
		})
	}
}

func TestConfFileLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nodes.conf")
	cf, err := OpenConfigFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer cf.Close()
	// A fresh file is empty: nothing to load.
	if st, found, err := cf.Load(DefaultConfig(), t0); err != nil || found || st != nil {
		t.Fatalf("fresh file: %v %v %v", st, found, err)
	}
	wantLocked := func(what string) {
		t.Helper()
		other, err := OpenConfigFile(path)
		if err == nil {
			other.Close()
			t.Fatalf("%s: second open of a locked nodes.conf succeeded", what)
		}
		want := "Sorry, the cluster configuration file " + path + " is already used by a different Valkey Cluster " +
			"node. Please make sure that different nodes use different cluster configuration files."
		if err.Error() != want || !errors.Is(err, ErrConfigLocked) {
			t.Fatalf("%s: error %q", what, err)
		}
	}
	wantLocked("before save")

	// Someone opens the file before a save replaces it: the inode they hold is no longer nodes.conf.
	stale, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer stale.Close()

	s := renderCluster(t)
	if err := cf.Save(s, true); err != nil {
		t.Fatal(err)
	}
	wantLocked("after save")
	// The old inode is unlocked now; a process that locks it must still be refused by the name check.
	if err := syscall.Flock(int(stale.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatalf("old inode still locked: %v", err)
	}
	wantLocked("after save, with the old inode locked by someone else")

	data, err := os.ReadFile(path)
	if err != nil || string(data) != goldenConf {
		t.Fatalf("saved file: %v\n%s", err, data)
	}
	loaded, found, err := cf.Load(DefaultConfig(), t0)
	if err != nil || !found || loaded.Myself().ID != id1 {
		t.Fatalf("load: %v %v", found, err)
	}
	// Saves leave no temporary files behind.
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Fatalf("directory holds %d entries", len(entries))
	}
	if err := cf.Close(); err != nil {
		t.Fatal(err)
	}
	if err := cf.Save(s, false); err == nil {
		t.Fatal("save after close succeeded")
	}
	again, err := OpenConfigFile(path)
	if err != nil {
		t.Fatalf("open after close: %v", err)
	}
	again.Close()
}

func TestConfFileLoadCorrupt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nodes.conf")
	if err := os.WriteFile(path, []byte("garbage line\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cf, err := OpenConfigFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer cf.Close()
	_, _, err = cf.Load(DefaultConfig(), t0)
	if err == nil || !strings.Contains(err.Error(), path+", line 1") {
		t.Fatalf("error %v", err)
	}
}

func TestConfFileSameFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "nodes.conf")
	os.WriteFile(path, []byte("a"), 0o644)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if same, err := sameFile(f, path); err != nil || !same {
		t.Fatalf("same file: %v %v", same, err)
	}
	os.WriteFile(path+".new", []byte("b"), 0o644)
	os.Rename(path+".new", path)
	if same, err := sameFile(f, path); err != nil || same {
		t.Fatalf("replaced file reported same: %v %v", same, err)
	}
	os.Remove(path)
	if same, err := sameFile(f, path); err != nil || same {
		t.Fatalf("removed file reported same: %v %v", same, err)
	}
}
