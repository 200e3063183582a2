package clusterbus

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"strings"
)

// IDLen is the length of a node id and of a shard id: 40 lowercase hex digits.
const IDLen = 40

// NodeFlags are a node's flags, with the bit values of Valkey's bus header, so the bus can send and
// receive them as they are.
type NodeFlags uint16

const (
	FlagPrimary    NodeFlags = 1 << iota // a primary ("master")
	FlagReplica                          // a replica ("slave")
	FlagPFail                            // not reachable from here for node-timeout ("fail?")
	FlagFail                             // FAIL agreed by a majority of primaries ("fail")
	FlagMyself                           // this node
	FlagHandshake                        // met, first PONG not received yet
	FlagNoAddr                           // address unknown
	FlagMeet                             // send a MEET rather than a PING (bus only)
	FlagMigrateTo                        // primary eligible for replica migration (bus only)
	FlagNoFailover                       // replica that never fails over (cluster-replica-no-failover)
)

// nodeFlagNames is the order and spelling of CLUSTER NODES' flags field; other flags are not shown.
var nodeFlagNames = [...]struct {
	flag NodeFlags
	name string
}{
	{FlagMyself, "myself"},
	{FlagPrimary, "master"},
	{FlagReplica, "slave"},
	{FlagPFail, "fail?"},
	{FlagFail, "fail"},
	{FlagHandshake, "handshake"},
	{FlagNoAddr, "noaddr"},
	{FlagNoFailover, "nofailover"},
}

// appendFlags appends the flags field of CLUSTER NODES and nodes.conf: a comma list, or "noflags".
func (f NodeFlags) appendTo(b []byte) []byte {
	n := len(b)
	for _, e := range nodeFlagNames {
		if f&e.flag == 0 {
			continue
		}
		if len(b) > n {
			b = append(b, ',')
		}
		b = append(b, e.name...)
	}
	if len(b) == n {
		b = append(b, "noflags"...)
	}
	return b
}

// String is the flags as CLUSTER NODES shows them.
func (f NodeFlags) String() string { return string(f.appendTo(nil)) }

// Node is what this node knows of one cluster node (itself included). The plain fields are data the bus
// fills in from messages; role, slots, primary and failure reports change only through State's methods,
// which keep the cluster-wide tables (slot owners, replicas) consistent with them.
type Node struct {
	ID       string // 40 hex digits
	IP       string // as announced or seen; "" until known
	TCPPort  int    // plaintext client port (0: none)
	TLSPort  int    // TLS client port (0: none)
	BusPort  int    // cluster bus port ("cport")
	Hostname string // cluster-announce-hostname ("" when unset)
	// HumanNodename is cluster-announce-human-nodename, saved in nodes.conf as nodename=.
	HumanNodename string
	// ClientIPv4 / ClientIPv6 are cluster-announce-client-ipv4/-ipv6: the address shown to clients
	// connected over IPv4 / IPv6 instead of IP.
	ClientIPv4, ClientIPv6 string
	ShardID                string // 40 hex digits; a replica shares its primary's
	Flags                  NodeFlags
	PingSent               int64  // ms timestamp of the PING in flight, 0 when none
	PongReceived           int64  // ms timestamp of the last PONG
	FailTime               int64  // ms timestamp at which FAIL was set
	ConfigEpoch            uint64 // the epoch of this node's slot claims
	LinkConnected          bool   // an outgoing bus link to the node is up
	ReplOffset             int64  // replication offset last announced

	primary     *Node            // the primary of a replica; nil for primaries or when unknown
	slots       SlotBitmap       // slots this node owns, in this node's view of the cluster
	numSlots    int              // slots.Count(), kept up to date
	failReports map[string]int64 // reporter (a primary) id -> ms of its latest report that this node fails
}

// NewNode returns a node with the given id and flags, in a shard of its own.
func NewNode(id, shardID string, flags NodeFlags) *Node {
	return &Node{ID: id, ShardID: shardID, Flags: flags}
}

// IsMyself reports whether n is this node.
func (n *Node) IsMyself() bool { return n.Flags&FlagMyself != 0 }

// IsPrimary reports whether n is a primary.
func (n *Node) IsPrimary() bool { return n.Flags&FlagPrimary != 0 }

// IsReplica reports whether n is a replica.
func (n *Node) IsReplica() bool { return n.Flags&FlagReplica != 0 }

// Failed reports whether n is flagged FAIL.
func (n *Node) Failed() bool { return n.Flags&FlagFail != 0 }

// TimedOut reports whether n is flagged PFAIL.
func (n *Node) TimedOut() bool { return n.Flags&FlagPFail != 0 }

// InHandshake reports whether n is still in the handshake.
func (n *Node) InHandshake() bool { return n.Flags&FlagHandshake != 0 }

// IsVotingPrimary reports whether n is a primary that serves at least one slot: only those count for the
// cluster size, for failure agreement and in failover elections.
func (n *Node) IsVotingPrimary() bool { return n.IsPrimary() && n.numSlots > 0 }

// Primary is the primary of a replica (nil for a primary, or a replica whose primary is unknown).
func (n *Node) Primary() *Node { return n.primary }

// PrimaryID is the id of the primary of a replica, "" when there is none.
func (n *Node) PrimaryID() string {
	if n.primary == nil {
		return ""
	}
	return n.primary.ID
}

// Epoch is the config epoch the node's slots are held under: a replica's is its primary's.
func (n *Node) Epoch() uint64 {
	if n.IsReplica() && n.primary != nil {
		return n.primary.ConfigEpoch
	}
	return n.ConfigEpoch
}

// HasSlot reports whether n owns slot.
func (n *Node) HasSlot(slot int) bool { return n.slots.Has(slot) }

// NumSlots is the number of slots n owns.
func (n *Node) NumSlots() int { return n.numSlots }

// Slots is a copy of the set of slots n owns (the bitmap its PING would carry).
func (n *Node) Slots() SlotBitmap { return n.slots }

// SlotRanges lists the slots n owns as ascending ranges.
func (n *Node) SlotRanges() []SlotRange { return n.slots.Ranges() }

// FailureReporters lists, sorted, the ids of the primaries whose failure reports about n are stored
// (expired ones included until the next count cleans them up).
func (n *Node) FailureReporters() []string {
	ids := make([]string, 0, len(n.failReports))
	for id := range n.failReports {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func (n *Node) String() string {
	return fmt.Sprintf("%.40s (%s:%d@%d %s)", n.ID, n.IP, n.TCPPort, n.BusPort, n.Flags)
}

// ValidID reports whether s is a well-formed node or shard id: 40 characters of [0-9a-z], Valkey's test
// (names are lowercase hex in practice).
func ValidID(s string) bool {
	if len(s) != IDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'z') {
			return false
		}
	}
	return true
}

// RandomID returns a new node or shard id: 40 random lowercase hex digits read from r (crypto/rand's
// Reader when r is nil).
func RandomID(r io.Reader) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	var b [IDLen / 2]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("clusterbus: random node id: %w", err)
	}
	return strings.ToLower(hex.EncodeToString(b[:])), nil
}
