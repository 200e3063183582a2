package clusterbus

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// A node record is what one node says about itself on the bus: everything Valkey's PING header carries
// (ids, address, ports, role, epochs, offset, claimed slots) plus the list of nodes it currently sees
// failing, which stands in for the PFAIL/FAIL flags of Valkey's gossip sections. Records are authored
// by the node they describe and relayed unchanged by the others; Version orders the records of one
// author, so that a relayed copy never overrides a newer one.
type nodeRecord struct {
	Version      uint64
	ID, ShardID  string
	PrimaryID    string    // "" for a primary (or a replica whose primary is unknown to its author)
	Flags        NodeFlags // only FlagPrimary, FlagReplica and FlagNoFailover travel
	CurrentEpoch uint64
	ConfigEpoch  uint64 // the epoch the slots are claimed under: a replica sends its primary's
	ReplOffset   int64
	IP           string
	TCPPort      int
	TLSPort      int
	BusPort      int
	Hostname     string
	// HumanNodename, ClientIPv4 and ClientIPv6 are the cluster-announce-* values of the author.
	HumanNodename, ClientIPv4, ClientIPv6 string
	// Slots are the slots the author claims (a replica: its primary's, as Valkey's header does).
	Slots SlotBitmap
	// Failing lists the ids of the nodes the author sees PFAIL or FAIL: each is a failure report when
	// the author is a primary.
	Failing []string
}

// recordFlags are the flags a record carries; the others are local opinions.
const recordFlags = FlagPrimary | FlagReplica | FlagNoFailover

const recordFormat = 1

// maxRecordStr bounds each string field (they are length-prefixed with one byte).
const maxRecordStr = 255

var errShortRecord = errors.New("truncated node record")

// encode appends the record's wire form to b. Strings longer than 255 bytes are refused by the
// caller (Open validates the announced values), so truncation here only guards the format.
func (r *nodeRecord) encode(b []byte) []byte {
	b = append(b, recordFormat)
	b = binary.BigEndian.AppendUint64(b, r.Version)
	b = appendID(b, r.ID)
	b = appendID(b, r.ShardID)
	if r.PrimaryID != "" {
		b = append(b, 1)
		b = appendID(b, r.PrimaryID)
	} else {
		b = append(b, 0)
	}
	b = binary.BigEndian.AppendUint16(b, uint16(r.Flags&recordFlags))
	b = binary.BigEndian.AppendUint64(b, r.CurrentEpoch)
	b = binary.BigEndian.AppendUint64(b, r.ConfigEpoch)
	b = binary.BigEndian.AppendUint64(b, uint64(r.ReplOffset))
	for _, p := range [...]int{r.TCPPort, r.TLSPort, r.BusPort} {
		b = binary.BigEndian.AppendUint16(b, uint16(p))
	}
	for _, s := range [...]string{r.IP, r.Hostname, r.HumanNodename, r.ClientIPv4, r.ClientIPv6} {
		if len(s) > maxRecordStr {
			s = s[:maxRecordStr]
		}
		b = append(b, byte(len(s)))
		b = append(b, s...)
	}
	ranges := r.Slots.Ranges()
	b = binary.BigEndian.AppendUint16(b, uint16(len(ranges)))
	for _, rg := range ranges {
		b = binary.BigEndian.AppendUint16(b, uint16(rg.Start))
		b = binary.BigEndian.AppendUint16(b, uint16(rg.End))
	}
	b = binary.BigEndian.AppendUint16(b, uint16(len(r.Failing)))
	for _, id := range r.Failing {
		b = appendID(b, id)
	}
	return b
}

// appendID appends a 40-character id (callers only pass valid ids).
func appendID(b []byte, id string) []byte {
	var buf [IDLen]byte
	copy(buf[:], id)
	return append(b, buf[:]...)
}

// recordReader consumes a record's fields, remembering the first error.
type recordReader struct {
	b   []byte
	err error
}

func (rd *recordReader) take(n int) []byte {
	if rd.err != nil {
		return nil
	}
	if len(rd.b) < n {
		rd.err = errShortRecord
		return nil
	}
	p := rd.b[:n]
	rd.b = rd.b[n:]
	return p
}

func (rd *recordReader) u8() byte {
	if p := rd.take(1); p != nil {
		return p[0]
	}
	return 0
}

func (rd *recordReader) u16() int {
	if p := rd.take(2); p != nil {
		return int(binary.BigEndian.Uint16(p))
	}
	return 0
}

func (rd *recordReader) u64() uint64 {
	if p := rd.take(8); p != nil {
		return binary.BigEndian.Uint64(p)
	}
	return 0
}

func (rd *recordReader) id(what string) string {
	p := rd.take(IDLen)
	if p == nil {
		return ""
	}
	s := string(p)
	if !ValidID(s) && rd.err == nil {
		rd.err = fmt.Errorf("invalid %s %q in node record", what, s)
	}
	return s
}

func (rd *recordReader) str() string { return string(rd.take(int(rd.u8()))) }

// decodeRecord parses one record; the whole of b must be the record.
func decodeRecord(b []byte) (*nodeRecord, error) {
	rd := &recordReader{b: b}
	if f := rd.u8(); rd.err == nil && f != recordFormat {
		return nil, fmt.Errorf("node record format %d not supported", f)
	}
	r := &nodeRecord{Version: rd.u64()}
	r.ID = rd.id("node id")
	r.ShardID = rd.id("shard id")
	if rd.u8() != 0 {
		r.PrimaryID = rd.id("primary id")
	}
	r.Flags = NodeFlags(rd.u16()) & recordFlags
	r.CurrentEpoch = rd.u64()
	r.ConfigEpoch = rd.u64()
	r.ReplOffset = int64(rd.u64())
	r.TCPPort, r.TLSPort, r.BusPort = rd.u16(), rd.u16(), rd.u16()
	r.IP = rd.str()
	r.Hostname = rd.str()
	r.HumanNodename = rd.str()
	r.ClientIPv4 = rd.str()
	r.ClientIPv6 = rd.str()
	nr := rd.u16()
	for range nr {
		start, end := rd.u16(), rd.u16()
		if rd.err != nil {
			break
		}
		if start > end || end >= NumSlots {
			return nil, fmt.Errorf("invalid slot range %d-%d in node record", start, end)
		}
		for j := start; j <= end; j++ {
			r.Slots.Set(j)
		}
	}
	nf := rd.u16()
	for range nf {
		id := rd.id("failing node id")
		if rd.err != nil {
			break
		}
		r.Failing = append(r.Failing, id)
	}
	if rd.err != nil {
		return nil, fmt.Errorf("clusterbus: decode node record: %w", rd.err)
	}
	if len(rd.b) != 0 {
		return nil, fmt.Errorf("clusterbus: decode node record: %d trailing bytes", len(rd.b))
	}
	if r.Flags&(FlagPrimary|FlagReplica) == FlagPrimary|FlagReplica {
		return nil, errors.New("clusterbus: decode node record: both primary and replica")
	}
	return r, nil
}

// recordOf describes n as its author would (used for myself). failing lists the nodes n sees failing.
func recordOf(n *Node, currentEpoch uint64, failing []string) *nodeRecord {
	r := &nodeRecord{
		ID: n.ID, ShardID: n.ShardID, PrimaryID: n.PrimaryID(), Flags: n.Flags & recordFlags,
		CurrentEpoch: currentEpoch, ConfigEpoch: n.Epoch(), ReplOffset: n.ReplOffset,
		IP: n.IP, TCPPort: n.TCPPort, TLSPort: n.TLSPort, BusPort: n.BusPort,
		Hostname: n.Hostname, HumanNodename: n.HumanNodename, ClientIPv4: n.ClientIPv4, ClientIPv6: n.ClientIPv6,
		Failing: failing,
	}
	if p := n.Primary(); n.IsReplica() && p != nil {
		r.Slots = p.Slots()
	} else {
		r.Slots = n.Slots()
	}
	return r
}

// sameContent reports whether two records say the same, version and offset aside: the offset moves
// with every write and is not worth a broadcast of its own.
func (r *nodeRecord) sameContent(o *nodeRecord) bool {
	return o != nil && r.ID == o.ID && r.ShardID == o.ShardID && r.PrimaryID == o.PrimaryID && r.Flags == o.Flags &&
		r.CurrentEpoch == o.CurrentEpoch && r.ConfigEpoch == o.ConfigEpoch && r.IP == o.IP &&
		r.TCPPort == o.TCPPort && r.TLSPort == o.TLSPort && r.BusPort == o.BusPort && r.Hostname == o.Hostname &&
		r.HumanNodename == o.HumanNodename && r.ClientIPv4 == o.ClientIPv4 && r.ClientIPv6 == o.ClientIPv6 &&
		r.Slots == o.Slots && slices.Equal(r.Failing, o.Failing)
}
