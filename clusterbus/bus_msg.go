package clusterbus

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/hashicorp/memberlist"
)

// Bus messages travel as memberlist user messages (broadcast piggybacked on gossip, or sent to one
// node over a stream) and as push/pull user state. Every one starts with an envelope:
//
//	type u8 | sender id (40) | payload
//
// The sender is the node that sent this copy, which for a relayed record is not its author: a node
// only accepts news from senders it knows (or from a node it is meeting), as Valkey only processes
// gossip from known nodes, so that a node that CLUSTER RESET or FORGOT others is not dragged back.
type msgType uint8

const (
	msgRecord      msgType = iota + 1 // one node record, broadcast and relayed (Valkey: PING gossip)
	msgState                          // every record the sender holds (push/pull; Valkey: PING/PONG)
	msgMeet                           // CLUSTER MEET: nonce, then the sender's state
	msgMeetReply                      // the met node's answer: the nonce echoed, then its state
	msgFail                           // FAIL id: the node is FAIL, agreed by a majority
	msgUpdate                         // a record to apply whatever its version (Valkey: UPDATE)
	msgAuthRequest                    // failover vote request: the candidate's record
	msgAuthAck                        // failover vote: the epoch voted for
	msgMFStart                        // manual failover: a replica asks its primary to pause (MFSTART)
	msgMFOffset                       // manual failover: the paused primary's offset (PING flagged PAUSED)
	msgMFAuthReq                      // a manual failover's vote request (FORCEACK): the candidate's record
	msgForget                         // CLUSTER FORGET: id, then the ban's remaining ms (Valkey: forgotten-node extension)
)

// msgLast is the highest message type.
const msgLast = msgForget

const envelopeLen = 1 + IDLen

// valkeyMsgType maps a message to the CLUSTER INFO counter it is accounted under.
func (t msgType) valkeyMsgType() int {
	switch t {
	case msgRecord:
		return MsgPing
	case msgMeet:
		return MsgMeet
	case msgFail:
		return MsgFail
	case msgUpdate:
		return MsgUpdate
	case msgAuthRequest, msgMFAuthReq:
		return MsgFailoverAuthRequest
	case msgMFStart:
		return MsgMFStart
	case msgMFOffset, msgForget:
		return MsgPing
	case msgAuthAck:
		return MsgFailoverAuthAck
	}
	return MsgPong // state exchanges and meet replies answer something
}

func envelope(t msgType, sender string, payloadCap int) []byte {
	b := make([]byte, 0, envelopeLen+payloadCap)
	b = append(b, byte(t))
	return appendID(b, sender)
}

// parseEnvelope splits a message into its type, sender and payload.
func parseEnvelope(b []byte) (msgType, string, []byte, error) {
	if len(b) < envelopeLen {
		return 0, "", nil, errors.New("clusterbus: bus message too short")
	}
	t := msgType(b[0])
	if t < msgRecord || t > msgLast {
		return 0, "", nil, fmt.Errorf("clusterbus: unknown bus message type %d", b[0])
	}
	sender := string(b[1:envelopeLen])
	if !ValidID(sender) {
		return 0, "", nil, fmt.Errorf("clusterbus: bus message with invalid sender id %q", sender)
	}
	return t, sender, b[envelopeLen:], nil
}

// encodeState builds a msgState, msgMeet or msgMeetReply: nonce u64 | count u32 | (len u32 | record)*.
// The sender's own record comes first.
func encodeState(t msgType, sender string, nonce uint64, records [][]byte) []byte {
	size := 12
	for _, r := range records {
		size += 4 + len(r)
	}
	b := envelope(t, sender, size)
	b = binary.BigEndian.AppendUint64(b, nonce)
	b = binary.BigEndian.AppendUint32(b, uint32(len(records)))
	for _, r := range records {
		b = binary.BigEndian.AppendUint32(b, uint32(len(r)))
		b = append(b, r...)
	}
	return b
}

// decodedRecord is a record with its wire form, kept to relay it unchanged.
type decodedRecord struct {
	rec *nodeRecord
	raw []byte
}

// decodeState parses the payload of a state message.
func decodeState(p []byte) (nonce uint64, recs []decodedRecord, err error) {
	if len(p) < 12 {
		return 0, nil, errors.New("clusterbus: state message too short")
	}
	nonce = binary.BigEndian.Uint64(p)
	n := binary.BigEndian.Uint32(p[8:])
	p = p[12:]
	for i := uint32(0); i < n; i++ {
		if len(p) < 4 {
			return 0, nil, errShortRecord
		}
		l := binary.BigEndian.Uint32(p)
		if uint64(len(p)-4) < uint64(l) {
			return 0, nil, errShortRecord
		}
		raw := p[4 : 4+l]
		r, err := decodeRecord(raw)
		if err != nil {
			return 0, nil, err
		}
		recs = append(recs, decodedRecord{r, raw})
		p = p[4+l:]
	}
	if len(p) != 0 {
		return 0, nil, fmt.Errorf("clusterbus: state message has %d trailing bytes", len(p))
	}
	return nonce, recs, nil
}

// recordMsg wraps one record (msgRecord, msgUpdate, msgAuthRequest).
func recordMsg(t msgType, sender string, raw []byte) []byte {
	return append(envelope(t, sender, len(raw)), raw...)
}

// failMsg says that node id is FAIL.
func failMsg(sender, id string) []byte { return appendID(envelope(msgFail, sender, IDLen), id) }

// authAckMsg grants a vote in epoch.
func authAckMsg(sender string, epoch uint64) []byte {
	return binary.BigEndian.AppendUint64(envelope(msgAuthAck, sender, 8), epoch)
}

// busBroadcast is a message in the memberlist broadcast queue. Its name makes a newer message about
// the same subject (a node's record, a node's FAIL) replace an older one still queued.
type busBroadcast struct {
	name string
	msg  []byte
}

var _ memberlist.NamedBroadcast = (*busBroadcast)(nil)

// Invalidates is not consulted for named broadcasts (the queue compares names).
func (b *busBroadcast) Invalidates(memberlist.Broadcast) bool { return false }
func (b *busBroadcast) Name() string                          { return b.name }
func (b *busBroadcast) Message() []byte                       { return b.msg }
func (b *busBroadcast) Finished()                             {}
