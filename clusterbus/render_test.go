package clusterbus

import (
	"reflect"
	"strings"
	"testing"

	"github.com/valkey-node/valkey-node/server/resp"
)

const (
	id1 = "0000000000000000000000000000000000000001"
	id2 = "0000000000000000000000000000000000000002"
	id3 = "0000000000000000000000000000000000000003"
	id4 = "0000000000000000000000000000000000000004"
	id5 = "0000000000000000000000000000000000000005"
	id6 = "0000000000000000000000000000000000000006"
	sh1 = "5000000000000000000000000000000000000001"
	sh2 = "5000000000000000000000000000000000000002"
)

// renderCluster: three primaries, two replicas, one node in handshake, a migration and an import.
//
//	id1 myself, primary 0-5460, epoch 1, migrating 100 to id2, importing 6000 from id2
//	id2 primary 5461-10922, epoch 2, hostname host-2, human nodename "second", client-ipv4 10.0.0.2
//	id3 primary 10923-16383, epoch 3, PFAIL, link down
//	id4 replica of id1, offset 100
//	id5 replica of id2, FAIL, nofailover
//	id6 handshake
func renderCluster(t testing.TB) *State {
	s := testState(t)
	me := s.Myself()
	me.ConfigEpoch = 1
	assign(t, s, me, "0-5460")
	p2 := addPrimary(t, s, 2, 2, "5461-10922")
	p2.Hostname, p2.HumanNodename, p2.ClientIPv4 = "host-2", "second", "10.0.0.2"
	p2.PongReceived = t0 + 500
	p3 := addPrimary(t, s, 3, 3, "10923-16383")
	p3.LinkConnected = false
	p3.PingSent = t0 + 100
	s.MarkPFail(p3)
	r4 := addReplica(t, s, 4, me)
	r4.PongReceived = t0 + 400
	r5 := addReplica(t, s, 5, p2)
	r5.Flags |= FlagNoFailover
	s.MarkFailed(r5, t0)
	h := NewNode(nid(6), sid(6), FlagHandshake)
	h.IP, h.TCPPort, h.BusPort = "127.0.0.1", 30006, 40006
	if err := s.AddNode(h); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetSlot(args("100 migrating "+id2), false, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetSlot(args("6000 importing "+id2), false, nil); err != nil {
		t.Fatal(err)
	}
	s.CurrentEpoch = 5
	s.UpdateState(t0)
	s.UpdateState(t0 + writableDelay)
	return s
}

func TestRenderNodes(t *testing.T) {
	s := renderCluster(t)
	want := id1 + " 127.0.0.1:30001@40001 myself,master - 0 0 1 connected 0-5460 [100->-" + id2 + "] [6000-<-" + id2 + "]\n" +
		id2 + " 10.0.0.2:30002@40002,host-2 master - 0 1700000000500 2 connected 5461-10922\n" +
		id3 + " 127.0.0.1:30003@40003 master,fail? - 1700000000100 0 3 disconnected 10923-16383\n" +
		id4 + " 127.0.0.1:30004@40004 slave " + id1 + " 0 1700000000400 1 connected\n" +
		id5 + " 127.0.0.1:30005@40005 slave,fail,nofailover " + id2 + " 0 0 2 connected\n" +
		id6 + " 127.0.0.1:30006@40006 handshake - 0 0 0 disconnected\n"
	if got := s.NodesText(View{}); got != want {
		t.Fatalf("NODES plain:\n%s\nwant:\n%s", got, want)
	}
	// A TLS client sees TLS ports; an IPv6 client the plain IP (no client-ipv6 announced).
	got := s.NodesText(View{TLS: true, IPv6: true})
	if !strings.HasPrefix(got, id1+" 127.0.0.1:31001@40001 myself,master") ||
		!strings.Contains(got, id2+" 127.0.0.1:31002@40002,host-2 master") ||
		!strings.Contains(got, id6+" 127.0.0.1:0@40006 handshake") {
		t.Fatalf("NODES tls/ipv6:\n%s", got)
	}
	// valkey-cli parses 8 space-separated fields, then slots.
	for _, line := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
		if f := strings.Fields(line); len(f) < 8 || (f[7] != "connected" && f[7] != "disconnected") {
			t.Fatalf("line does not have 8 leading fields: %q", line)
		}
	}
}

func TestRenderNodesFlags(t *testing.T) {
	for _, c := range []struct {
		f    NodeFlags
		want string
	}{
		{0, "noflags"},
		{FlagMeet | FlagMigrateTo, "noflags"},
		{FlagMyself | FlagReplica | FlagPFail, "myself,slave,fail?"},
		{FlagNoFailover | FlagNoAddr | FlagHandshake | FlagFail | FlagPrimary, "master,fail,handshake,noaddr,nofailover"},
	} {
		if got := c.f.String(); got != c.want {
			t.Errorf("flags %d: %q, want %q", c.f, got, c.want)
		}
	}
}

func TestRenderReplicas(t *testing.T) {
	s := renderCluster(t)
	got, err := s.Replicas(id1, View{TLS: true})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{id4 + " 127.0.0.1:31004@40004 slave " + id1 + " 0 1700000000400 1 connected"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("REPLICAS: %q", got)
	}
	if got, _ := s.Replicas(id3, View{}); len(got) != 0 {
		t.Fatalf("primary without replicas: %q", got)
	}
	_, err = s.Replicas(id4, View{})
	wantErr(t, "replicas of replica", err, "ERR The specified node is not a master")
	_, err = s.Replicas(nid(77), View{})
	wantErr(t, "replicas of unknown", err, "ERR Unknown node "+nid(77))
	if s.MyID() != id1 || s.MyShardID() != sh1 {
		t.Fatal("MYID/MYSHARDID")
	}
}

func TestRenderInfo(t *testing.T) {
	s := renderCluster(t)
	stats := &MessageStats{LinksBufferLimitExceeded: 2}
	stats.Sent[MsgPing], stats.Sent[MsgMeet] = 10, 1
	stats.Received[MsgPong], stats.Received[MsgPublishShard] = 9, 4
	want := "cluster_state:ok\r\n" +
		"cluster_slots_assigned:16384\r\n" +
		"cluster_slots_ok:10923\r\n" +
		"cluster_slots_pfail:5461\r\n" +
		"cluster_slots_fail:0\r\n" +
		"cluster_known_nodes:6\r\n" +
		"cluster_size:3\r\n" +
		"cluster_current_epoch:5\r\n" +
		"cluster_my_epoch:1\r\n" +
		"cluster_stats_messages_ping_sent:10\r\n" +
		"cluster_stats_messages_meet_sent:1\r\n" +
		"cluster_stats_messages_sent:11\r\n" +
		"cluster_stats_messages_pong_received:9\r\n" +
		"cluster_stats_messages_publishshard_received:4\r\n" +
		"cluster_stats_messages_received:13\r\n" +
		"total_cluster_links_buffer_limit_exceeded:2\r\n"
	if got := s.InfoText(stats); got != want {
		t.Fatalf("INFO:\n%s\nwant:\n%s", got, want)
	}
	// A replica reports its primary's epoch as its own.
	s.FlushSlots(false)
	s.Replicate(id2, false)
	if got := s.InfoText(nil); !strings.Contains(got, "cluster_my_epoch:2\r\n") ||
		!strings.Contains(got, "cluster_stats_messages_sent:0\r\n") {
		t.Fatalf("replica INFO:\n%s", got)
	}
}

func TestRenderSlots(t *testing.T) {
	s := renderCluster(t)
	v := View{MyReplOffset: 55}
	got := s.SlotsReply(v)
	want := Array{
		Array{Int(0), Int(5460),
			Array{Bulk("127.0.0.1"), Int(30001), Bulk(id1), Map{}},
			Array{Bulk("127.0.0.1"), Int(30004), Bulk(id4), Map{}}},
		Array{Int(5461), Int(10922), // replica id5 is FAIL: left out
			Array{Bulk("10.0.0.2"), Int(30002), Bulk(id2), Map{{"hostname", Bulk("host-2")}}}},
		Array{Int(10923), Int(16383),
			Array{Bulk("127.0.0.1"), Int(30003), Bulk(id3), Map{}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("SLOTS:\n%#v\nwant\n%#v", got, want)
	}
	// Hostname endpoints over TLS: hostname or "?", the IP in the map.
	got = s.SlotsReply(View{TLS: true, Endpoint: EndpointHostname})
	wantFirst := Array{Bulk("?"), Int(31001), Bulk(id1), Map{{"ip", Bulk("127.0.0.1")}}}
	wantSecond := Array{Bulk("host-2"), Int(31002), Bulk(id2), Map{{"ip", Bulk("10.0.0.2")}}}
	if !reflect.DeepEqual(got[0].(Array)[2], wantFirst) || !reflect.DeepEqual(got[1].(Array)[2], wantSecond) {
		t.Fatalf("SLOTS hostname: %#v / %#v", got[0].(Array)[2], got[1].(Array)[2])
	}
	got = s.SlotsReply(View{Endpoint: EndpointUnknown})
	if e := got[1].(Array)[2]; !reflect.DeepEqual(e, Array{Null{}, Int(30002), Bulk(id2),
		Map{{"ip", Bulk("10.0.0.2")}, {"hostname", Bulk("host-2")}}}) {
		t.Fatalf("SLOTS unknown-endpoint: %#v", e)
	}
	// A replica that has loaded nothing (offset 0) is left out; non-contiguous ranges are split.
	s.Lookup(id4).ReplOffset = 0
	s.DelSlots(args("3"))
	got = s.SlotsReply(View{})
	if len(got) != 4 || len(got[0].(Array)) != 3 || !reflect.DeepEqual(got[1].(Array)[:2], Array{Int(4), Int(5460)}) {
		t.Fatalf("SLOTS after changes: %#v", got)
	}
}

func TestRenderShards(t *testing.T) {
	s := renderCluster(t)
	got := s.ShardsReply(View{MyReplOffset: 77})
	node := func(id string, port, tls int, ip, endpoint, host, role string, off int64, health string) Map {
		m := Map{{"id", Bulk(id)}, {"port", Int(port)}, {"tls-port", Int(tls)}, {"ip", Bulk(ip)}, {"endpoint", Bulk(endpoint)}}
		if host != "" {
			m = append(m, MapEntry{"hostname", Bulk(host)})
		}
		return append(m, MapEntry{"role", Bulk(role)}, MapEntry{"replication-offset", Int(off)}, MapEntry{"health", Bulk(health)})
	}
	want := Array{
		Map{{"slots", Array{Int(0), Int(5460)}}, {"nodes", Array{
			node(id1, 30001, 31001, "127.0.0.1", "127.0.0.1", "", "master", 77, "online"),
			node(id4, 30004, 31004, "127.0.0.1", "127.0.0.1", "", "replica", 100, "online"),
		}}},
		Map{{"slots", Array{Int(5461), Int(10922)}}, {"nodes", Array{
			node(id2, 30002, 31002, "10.0.0.2", "10.0.0.2", "host-2", "master", 0, "online"),
			node(id5, 30005, 31005, "127.0.0.1", "127.0.0.1", "", "replica", 100, "fail"),
		}}},
		Map{{"slots", Array{Int(10923), Int(16383)}}, {"nodes", Array{
			node(id3, 30003, 31003, "127.0.0.1", "127.0.0.1", "", "master", 0, "online"),
		}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("SHARDS:\n%#v\nwant\n%#v", got, want)
	}
	// Ports of 0 are left out; a replica with offset 0 is loading; a shard without slots comes last.
	s.Lookup(id4).ReplOffset = 0
	s.Lookup(id4).TLSPort = 0
	s.AddNode(func() *Node { n := NewNode(nid(9), sid(0), FlagPrimary); n.TCPPort = 1; return n }())
	got = s.ShardsReply(View{Endpoint: EndpointHostname})
	r4 := got[0].(Map)[1].Value.(Array)[1].(Map)
	if !reflect.DeepEqual(r4, Map{{"id", Bulk(id4)}, {"port", Int(30004)}, {"ip", Bulk("127.0.0.1")},
		{"endpoint", Bulk("?")}, {"role", Bulk("replica")}, {"replication-offset", Int(0)}, {"health", Bulk("loading")}}) {
		t.Fatalf("replica entry: %#v", r4)
	}
	if len(got) != 4 || !reflect.DeepEqual(got[3].(Map)[0].Value, Array{}) {
		t.Fatalf("slot-less shard: %#v", got[3])
	}
}

func TestRenderWriteReply(t *testing.T) {
	r := Array{Int(1), Bulk("ab"), Null{}, Map{{"k", Int(-2)}}, Map{}}
	w := &resp.Writer{Proto: 2}
	WriteReply(w, r)
	if got, want := string(w.Buf), "*5\r\n:1\r\n$2\r\nab\r\n$-1\r\n*2\r\n$1\r\nk\r\n:-2\r\n*0\r\n"; got != want {
		t.Fatalf("RESP2 %q, want %q", got, want)
	}
	w = &resp.Writer{Proto: 3}
	WriteReply(w, r)
	if got, want := string(w.Buf), "*5\r\n:1\r\n$2\r\nab\r\n_\r\n%1\r\n$1\r\nk\r\n:-2\r\n%0\r\n"; got != want {
		t.Fatalf("RESP3 %q, want %q", got, want)
	}
}

func TestRenderEndpoint(t *testing.T) {
	n := &Node{IP: "10.1.1.1", ClientIPv4: "1.2.3.4", ClientIPv6: "::9", Hostname: "h", TCPPort: 7000, TLSPort: 7001}
	for _, c := range []struct {
		v    View
		want string
		port int
	}{
		{View{}, "1.2.3.4", 7000},
		{View{IPv6: true, TLS: true}, "::9", 7001},
		{View{Endpoint: EndpointHostname}, "h", 7000},
		{View{Endpoint: EndpointUnknown}, "?", 7000},
	} {
		if got := PreferredEndpoint(n, c.v); got != c.want || ClientPort(n, c.v) != c.port {
			t.Errorf("%+v: %q %d", c.v, got, ClientPort(n, c.v))
		}
	}
	n.Hostname = ""
	if PreferredEndpoint(n, View{Endpoint: EndpointHostname}) != "?" {
		t.Error("no hostname must give ?")
	}
}
