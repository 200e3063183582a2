package clusterbus

import (
	"slices"
	"strings"

	"github.com/valkey-node/valkey-node/server/resp"
)

// Structured replies (CLUSTER SLOTS, CLUSTER SHARDS) are built as a small tree of Reply values that
// WriteReply encodes for the connection's protocol. Five node kinds cover them:
//
//	Bulk  - a bulk string
//	Int   - an integer
//	Null  - a null (RESP2 $-1, RESP3 _)
//	Array - an array of replies
//	Map   - an ordered map of bulk-string keys to replies (RESP3 %, RESP2 a flat array key, value, ...)
//
// The tree is plain data, so tests compare it with a literal and the server needs no knowledge of its
// shape.

// Reply is one node of a reply tree: Bulk, Int, Null, Array or Map.
type Reply interface{ write(w *resp.Writer) }

// Bulk is a bulk string reply.
type Bulk string

// Int is an integer reply.
type Int int64

// Null is a null reply.
type Null struct{}

// Array is an array reply.
type Array []Reply

// Map is a map reply; its entries keep their order.
type Map []MapEntry

// MapEntry is one key and value of a Map.
type MapEntry struct {
	Key   string
	Value Reply
}

func (r Bulk) write(w *resp.Writer) { w.BulkString(string(r)) }
func (r Int) write(w *resp.Writer)  { w.Int(int64(r)) }
func (Null) write(w *resp.Writer)   { w.Null() }

func (r Array) write(w *resp.Writer) {
	w.Array(len(r))
	for _, e := range r {
		e.write(w)
	}
}

func (r Map) write(w *resp.Writer) {
	w.Map(len(r))
	for _, e := range r {
		w.BulkString(e.Key)
		e.Value.write(w)
	}
}

// WriteReply appends r to w in w's protocol.
func WriteReply(w *resp.Writer, r Reply) { r.write(w) }

// nodeEntry is a node as CLUSTER SLOTS lists it: [endpoint, port, id, {other endpoints}]. The map holds
// what the preferred endpoint does not show: the IP unless the endpoint is the IP, the hostname (when
// set) unless the endpoint is the hostname.
func nodeEntry(n *Node, v View) Array {
	var endpoint Reply
	switch v.Endpoint {
	case EndpointIP:
		endpoint = Bulk(ClientIP(n, v))
	case EndpointHostname:
		endpoint = Bulk(PreferredEndpoint(n, v))
	default:
		endpoint = Null{}
	}
	extra := Map{}
	if v.Endpoint != EndpointIP {
		extra = append(extra, MapEntry{"ip", Bulk(ClientIP(n, v))})
	}
	if v.Endpoint != EndpointHostname && n.Hostname != "" {
		extra = append(extra, MapEntry{"hostname", Bulk(n.Hostname)})
	}
	return Array{endpoint, Int(ClientPort(n, v)), Bulk(n.ID), extra}
}

// replOffset is n's replication offset as replies show it (myself's live one).
func (s *State) replOffset(n *Node, v View) int64 {
	if n == s.myself {
		return v.MyReplOffset
	}
	return n.ReplOffset
}

// SlotsReply is CLUSTER SLOTS for v: one entry [start, end, primary, replica...] per run of consecutive
// slots with the same owner, in slot order. Replicas that are FAIL or have not loaded anything yet
// (offset 0) are left out.
func (s *State) SlotsReply(v View) Array {
	out := Array{}
	for i := 0; i < NumSlots; {
		owner := s.slots[i]
		j := i
		for j+1 < NumSlots && s.slots[j+1] == owner {
			j++
		}
		if owner != nil {
			entry := Array{Int(i), Int(j), nodeEntry(owner, v)}
			for _, r := range s.ReplicasOf(owner) {
				if r.Failed() || s.replOffset(r, v) == 0 {
					continue
				}
				entry = append(entry, nodeEntry(r, v))
			}
			out = append(out, entry)
		}
		i = j + 1
	}
	return out
}

// shardNodeEntry is a node as CLUSTER SHARDS lists it.
func (s *State) shardNodeEntry(n *Node, v View) Map {
	m := Map{{"id", Bulk(n.ID)}}
	if n.TCPPort != 0 {
		m = append(m, MapEntry{"port", Int(n.TCPPort)})
	}
	if n.TLSPort != 0 {
		m = append(m, MapEntry{"tls-port", Int(n.TLSPort)})
	}
	m = append(m, MapEntry{"ip", Bulk(ClientIP(n, v))}, MapEntry{"endpoint", Bulk(PreferredEndpoint(n, v))})
	if n.Hostname != "" {
		m = append(m, MapEntry{"hostname", Bulk(n.Hostname)})
	}
	role := "master"
	if n.IsReplica() {
		role = "replica"
	}
	off := s.replOffset(n, v)
	health := "online"
	switch {
	case n.Failed():
		health = "fail"
	case n.IsReplica() && off == 0:
		health = "loading"
	}
	return append(m, MapEntry{"role", Bulk(role)}, MapEntry{"replication-offset", Int(off)},
		MapEntry{"health", Bulk(health)})
}

// ShardsReply is CLUSTER SHARDS for v: one map {slots, nodes} per shard id. slots are the shard primary's
// ranges as a flat list start, end, start, end...; nodes list primaries first, then replicas, each by
// id. Valkey's order of shards is its hash table's; here shards serving slots come first, by their
// lowest slot, then the others by shard id. Nodes in handshake are not part of any shard yet.
func (s *State) ShardsReply(v View) Array {
	shards := map[string][]*Node{}
	for _, n := range s.Nodes() {
		if !n.InHandshake() {
			shards[n.ShardID] = append(shards[n.ShardID], n)
		}
	}
	type shard struct {
		id    string
		nodes []*Node
		first int // lowest slot of the primary, NumSlots when none
	}
	list := make([]shard, 0, len(shards))
	for id, nodes := range shards {
		// Primaries first; Nodes() already sorted each group by id.
		slices.SortStableFunc(nodes, func(a, b *Node) int {
			return btoi(a.IsReplica()) - btoi(b.IsReplica())
		})
		sh := shard{id: id, nodes: nodes, first: NumSlots}
		if p := shardPrimary(nodes); p != nil {
			if r := p.slots.Ranges(); len(r) > 0 {
				sh.first = r[0].Start
			}
		}
		list = append(list, sh)
	}
	slices.SortFunc(list, func(a, b shard) int {
		if a.first != b.first {
			return a.first - b.first
		}
		return strings.Compare(a.id, b.id)
	})
	out := make(Array, 0, len(list))
	for _, sh := range list {
		slots := Array{}
		if p := shardPrimary(sh.nodes); p != nil {
			for _, r := range p.slots.Ranges() {
				slots = append(slots, Int(r.Start), Int(r.End))
			}
		}
		nodes := make(Array, len(sh.nodes))
		for i, n := range sh.nodes {
			nodes[i] = s.shardNodeEntry(n, v)
		}
		out = append(out, Map{{"slots", slots}, {"nodes", nodes}})
	}
	return out
}

// shardPrimary is the node whose slots a shard reports: the primary of its first node.
func shardPrimary(nodes []*Node) *Node {
	if len(nodes) == 0 {
		return nil
	}
	if p := nodes[0].primary; p != nil && nodes[0].IsReplica() {
		return p
	}
	return nodes[0]
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
