package clusterbus

import (
	"strconv"
	"strings"
)

// EndpointType is cluster-preferred-endpoint-type: what clients are told to connect to.
type EndpointType uint8

const (
	EndpointIP       EndpointType = iota // "ip" (default)
	EndpointHostname                     // "hostname": the announced hostname, "?" when a node has none
	EndpointUnknown                      // "unknown-endpoint": "?" (null in CLUSTER SLOTS)
)

// View is who is asking: replies to clients depend on the requesting connection.
type View struct {
	// TLS: the connection is TLS, so nodes are shown with their TLS port, else with their plain port.
	// Calls without a connection (scripts run by the node itself) pass tls-cluster.
	TLS bool
	// IPv6: the connection is IPv6, so a node's announced client-ipv6 (else client-ipv4) replaces its IP.
	IPv6 bool
	// Endpoint is cluster-preferred-endpoint-type.
	Endpoint EndpointType
	// MyReplOffset is myself's live replication offset (a node's own stored ReplOffset lags behind).
	MyReplOffset int64
}

// ClientPort is the port v's client should use for n.
func ClientPort(n *Node, v View) int {
	if v.TLS {
		return n.TLSPort
	}
	return n.TCPPort
}

// ClientIP is the address v's client should use for n: the announced client address for its IP family
// when there is one, else the node's IP.
func ClientIP(n *Node, v View) string {
	if v.IPv6 && n.ClientIPv6 != "" {
		return n.ClientIPv6
	}
	if !v.IPv6 && n.ClientIPv4 != "" {
		return n.ClientIPv4
	}
	return n.IP
}

// PreferredEndpoint is the endpoint of n that MOVED/ASK, CLUSTER SHARDS and friends give v's client.
func PreferredEndpoint(n *Node, v View) string {
	switch v.Endpoint {
	case EndpointIP:
		return ClientIP(n, v)
	case EndpointHostname:
		if n.Hostname != "" {
			return n.Hostname
		}
	}
	return "?"
}

// appendNodeLine appends one node's line of CLUSTER NODES (conf false, without the trailing newline)
// or of nodes.conf (conf true). The two differ in the address field: clients see the port of their
// connection's kind, the announced client address and the hostname only when set; nodes.conf always
// has the plain port, the node's own IP, the hostname slot (maybe empty) and the aux fields.
func (s *State) appendNodeLine(b []byte, n *Node, v View, conf bool) []byte {
	b = append(b, n.ID...)
	b = append(b, ' ')
	if conf {
		b = append(b, n.IP...)
		b = append(b, ':')
		b = strconv.AppendInt(b, int64(n.TCPPort), 10)
	} else {
		b = append(b, ClientIP(n, v)...)
		b = append(b, ':')
		b = strconv.AppendInt(b, int64(ClientPort(n, v)), 10)
	}
	b = append(b, '@')
	b = strconv.AppendInt(b, int64(n.BusPort), 10)
	if conf || n.Hostname != "" {
		b = append(b, ',')
		b = append(b, n.Hostname...)
	}
	if conf {
		// Valkey writes its aux fields last-defined first: client-ipv6, client-ipv4, tls-port,
		// nodename, shard-id (tcp-port is the address field's port here).
		if n.ClientIPv6 != "" {
			b = append(b, ",client-ipv6="...)
			b = append(b, n.ClientIPv6...)
		}
		if n.ClientIPv4 != "" {
			b = append(b, ",client-ipv4="...)
			b = append(b, n.ClientIPv4...)
		}
		b = append(b, ",tls-port="...)
		b = strconv.AppendInt(b, int64(n.TLSPort), 10)
		if n.HumanNodename != "" {
			b = append(b, ",nodename="...)
			b = append(b, n.HumanNodename...)
		}
		b = append(b, ",shard-id="...)
		b = append(b, n.ShardID...)
	}
	b = append(b, ' ')
	b = n.Flags.appendTo(b)
	b = append(b, ' ')
	if n.primary != nil {
		b = append(b, n.primary.ID...)
	} else {
		b = append(b, '-')
	}
	b = append(b, ' ')
	b = strconv.AppendInt(b, n.PingSent, 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, n.PongReceived, 10)
	b = append(b, ' ')
	b = strconv.AppendUint(b, n.Epoch(), 10)
	if n.LinkConnected || n.IsMyself() {
		b = append(b, " connected"...)
	} else {
		b = append(b, " disconnected"...)
	}
	for _, r := range n.slots.Ranges() {
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(r.Start), 10)
		if r.End != r.Start {
			b = append(b, '-')
			b = strconv.AppendInt(b, int64(r.End), 10)
		}
	}
	if n == s.myself {
		for j := range NumSlots {
			if to := s.migrating[j]; to != nil {
				b = append(b, " ["...)
				b = strconv.AppendInt(b, int64(j), 10)
				b = append(b, "->-"...)
				b = append(b, to.ID...)
				b = append(b, ']')
			} else if from := s.importing[j]; from != nil {
				b = append(b, " ["...)
				b = strconv.AppendInt(b, int64(j), 10)
				b = append(b, "-<-"...)
				b = append(b, from.ID...)
				b = append(b, ']')
			}
		}
	}
	return b
}

// NodeLine is one node's CLUSTER NODES line for v, without a trailing newline.
func (s *State) NodeLine(n *Node, v View) string { return string(s.appendNodeLine(nil, n, v, false)) }

// NodesText is the CLUSTER NODES reply for v: one line per known node (nodes in handshake included),
// each ending in "\n", sorted by node id. Valkey sends it as a bulk string, RESP3 verbatim "txt".
func (s *State) NodesText(v View) string {
	var b []byte
	for _, n := range s.Nodes() {
		b = s.appendNodeLine(b, n, v, false)
		b = append(b, '\n')
	}
	return string(b)
}

// Replicas is CLUSTER REPLICAS id (and SLAVES): the NODES lines, without newlines, of the replicas of the
// primary id, sorted by id; to be sent as an array of bulk strings.
func (s *State) Replicas(id string, v View) ([]string, error) {
	n := s.nodes[id]
	if n == nil {
		return nil, replyErrorf("ERR Unknown node %s", id)
	}
	if n.IsReplica() {
		return nil, ReplyError("ERR The specified node is not a master")
	}
	reps := s.ReplicasOf(n)
	out := make([]string, len(reps))
	for i, r := range reps {
		out[i] = s.NodeLine(r, v)
	}
	return out, nil
}

// MyID is CLUSTER MYID.
func (s *State) MyID() string { return s.myself.ID }

// MyShardID is CLUSTER MYSHARDID.
func (s *State) MyShardID() string { return s.myself.ShardID }

// Bus message types, in the order of Valkey's type numbers (and of CLUSTER INFO's counters).
const (
	MsgPing = iota
	MsgPong
	MsgMeet
	MsgFail
	MsgPublish
	MsgFailoverAuthRequest
	MsgFailoverAuthAck
	MsgUpdate
	MsgMFStart
	MsgModule
	MsgPublishShard
	NumMsgTypes
)

// msgTypeNames are the names CLUSTER INFO gives the message types.
var msgTypeNames = [NumMsgTypes]string{
	"ping", "pong", "meet", "fail", "publish", "auth-req", "auth-ack", "update", "mfstart", "module",
	"publishshard",
}

// MessageStats are the bus counters CLUSTER INFO reports; the bus keeps them.
type MessageStats struct {
	Sent, Received [NumMsgTypes]uint64 // messages per type
	// LinksBufferLimitExceeded counts links closed for passing cluster-link-sendbuf-limit.
	LinksBufferLimitExceeded uint64
}

// InfoText is the CLUSTER INFO reply: "field:value\r\n" lines. Counters of message types never sent or
// received are left out, as Valkey does. stats may be nil (no bus yet). cluster_state and cluster_size
// are as of the last UpdateState, as in Valkey (which recomputes them before each event loop sleep).
func (s *State) InfoText(stats *MessageStats) string {
	if stats == nil {
		stats = &MessageStats{}
	}
	assigned, ok, pfail, fail := 0, 0, 0, 0
	for _, n := range s.slots {
		if n == nil {
			continue
		}
		assigned++
		switch {
		case n.Failed():
			fail++
		case n.TimedOut():
			pfail++
		default:
			ok++
		}
	}
	var sb strings.Builder
	line := func(k string, v uint64) {
		sb.WriteString(k)
		sb.WriteByte(':')
		sb.WriteString(strconv.FormatUint(v, 10))
		sb.WriteString("\r\n")
	}
	sb.WriteString("cluster_state:" + s.StateString() + "\r\n")
	line("cluster_slots_assigned", uint64(assigned))
	line("cluster_slots_ok", uint64(ok))
	line("cluster_slots_pfail", uint64(pfail))
	line("cluster_slots_fail", uint64(fail))
	line("cluster_known_nodes", uint64(len(s.nodes)))
	line("cluster_size", uint64(s.size))
	line("cluster_current_epoch", s.CurrentEpoch)
	line("cluster_my_epoch", s.myself.Epoch())
	var total uint64
	for t, c := range stats.Sent {
		if c != 0 {
			line("cluster_stats_messages_"+msgTypeNames[t]+"_sent", c)
			total += c
		}
	}
	line("cluster_stats_messages_sent", total)
	total = 0
	for t, c := range stats.Received {
		if c != 0 {
			line("cluster_stats_messages_"+msgTypeNames[t]+"_received", c)
			total += c
		}
	}
	line("cluster_stats_messages_received", total)
	line("total_cluster_links_buffer_limit_exceeded", stats.LinksBufferLimitExceeded)
	return sb.String()
}
