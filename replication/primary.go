package replication

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// Primary is the primary side of replication: the replication ids and offset, the backlog, one output
// stream per replica and the full and partial resynchronisations. See api.go for the method set and the
// locking contract.
//
// Internally every field is guarded by mu, a small lock of the package's own: the node's methods take it
// briefly (they already hold the node's lock) and so do the per-replica writer goroutines, which never
// take the node's lock except through Host.WithLock. Lock order is node lock → mu; mu is never held while
// calling into the Host, nor while doing network or file I/O.
type Primary struct {
	host PrimaryHost
	log  zerolog.Logger

	ctx    context.Context // cancelled by Close: stops snapshots and transfers
	cancel context.CancelFunc
	wg     sync.WaitGroup // every goroutine the Primary started

	mu              sync.Mutex
	cfg             PrimaryConfig
	replid, replid2 string
	secondOffset    int64
	bl              *backlog
	freedByTTL      bool              // the TTL freed the backlog: only a replica's sync recreates it
	replicas        []*primaryReplica // in connection order, as INFO lists them
	byID            map[uint64]*primaryReplica
	pending         [2]*primarySyncJob // full syncs still collecting replicas, [disk, diskless]
	lastPing        time.Time
	noReplicasSince time.Time // repl_no_slaves_since, for the backlog TTL
	closed          bool
}

// replIDZero is replid2 when there is no previous id.
const replIDZero = "0000000000000000000000000000000000000000"

// NewPrimary returns the primary side with a fresh random replication id and no previous one. The
// backlog is created by the first Feed or Sync.
func NewPrimary(cfg PrimaryConfig, host PrimaryHost, log zerolog.Logger) *Primary {
	ctx, cancel := context.WithCancel(context.Background())
	return &Primary{
		host:            host,
		log:             log,
		ctx:             ctx,
		cancel:          cancel,
		cfg:             cfg,
		replid:          primaryRandomHex(),
		replid2:         replIDZero,
		secondOffset:    -1,
		bl:              newBacklog(cfg.BacklogSize),
		byID:            make(map[uint64]*primaryReplica),
		noReplicasSince: time.Now(),
	}
}

// primaryRandomHex is 40 random hex characters: a replication id or an $EOF: mark.
func primaryRandomHex() string {
	var b [20]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (it panics on a broken system source)
	return hex.EncodeToString(b[:])
}

// SetConfig applies changed directives at runtime. A new backlog size keeps the newest bytes that fit;
// syncs already collecting replicas keep the mode they started with.
func (p *Primary) SetConfig(cfg PrimaryConfig) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if cfg.BacklogSize != p.cfg.BacklogSize {
		p.bl.resize(cfg.BacklogSize)
	}
	p.cfg = cfg
}

// Offset is master_repl_offset.
func (p *Primary) Offset() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.bl.offset
}

// Status is the primary block of INFO replication.
func (p *Primary) Status() PrimaryStatus {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := PrimaryStatus{
		ReplID:        p.replid,
		ReplID2:       p.replid2,
		Offset:        p.bl.offset,
		SecondOffset:  p.secondOffset,
		BacklogActive: p.bl.active,
		BacklogSize:   p.cfg.BacklogSize,
	}
	if p.bl.active {
		st.BacklogFirstOffset = p.bl.firstOffset()
		st.BacklogHistlen = p.bl.histlen
	}
	return st
}

// ShiftReplID is the promotion step (REPLICAOF NO ONE, failover): the old id becomes replid2, valid up to
// the current offset, so replicas of the old primary can PSYNC here; the backlog is kept.
func (p *Primary) ShiftReplID() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.replid2 = p.replid
	p.secondOffset = p.bl.offset + 1
	p.replid = primaryRandomHex()
	p.log.Info().Msgf("Setting secondary replication ID to %s, valid up to offset: %d. New replication ID is %s",
		p.replid2, p.secondOffset, p.replid)
}

// ChangeReplID starts a new history: a fresh random id and no previous one, so no replica can continue
// from an older data set.
func (p *Primary) ChangeReplID() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.replid = primaryRandomHex()
	p.replid2 = replIDZero
	p.secondOffset = -1
}

// SetIDs adopts replid and offset as this node's history (after a full sync from a primary, or the ids
// saved in an RDB). The previous id is forgotten and the backlog emptied: its bytes belong to the old
// history. The backlog is (re)created so that this node can serve its own replicas, and, once promoted,
// its former siblings.
func (p *Primary) SetIDs(replid string, offset int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.replid = replid
	p.replid2 = replIDZero
	p.secondOffset = -1
	p.bl.reset(offset)
	p.bl.activate()
	p.freedByTTL = false
}

// ContinueWith follows a primary that answered +CONTINUE with a new id: our id becomes replid2 (valid up
// to the current offset) and the new id ours. Sub-replicas are dropped, as Valkey does, so that they PSYNC
// again and learn the new id (they can continue thanks to replid2).
func (p *Primary) ContinueWith(newReplID string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if newReplID == "" || newReplID == p.replid {
		return
	}
	p.replid2 = p.replid
	p.secondOffset = p.bl.offset + 1
	p.replid = newReplID
	p.log.Info().Msgf("Primary replication ID changed to %s", newReplID)
	p.dropAllLocked("replication id changed")
	p.freedByTTL = false
	p.bl.activate()
}

// DisconnectReplicas drops every replica; they reconnect and PSYNC.
func (p *Primary) DisconnectReplicas() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dropAllLocked("disconnecting replicas")
}

func (p *Primary) dropAllLocked(why string) {
	for _, r := range append([]*primaryReplica(nil), p.replicas...) {
		p.log.Debug().Msgf("Dropping replica %s: %s", r.name, why)
		p.dropLocked(r)
	}
}

// Replicas lists the replicas in connection order, for INFO, ROLE and CLIENT LIST.
func (p *Primary) Replicas() []ReplicaInfo {
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]ReplicaInfo, 0, len(p.replicas))
	for _, r := range p.replicas {
		ri := ReplicaInfo{
			ID:          r.rc.ID,
			IP:          r.ip,
			Port:        r.rc.ListeningPort,
			State:       r.state,
			AckOffset:   r.ackOffset,
			OutputBytes: r.pendingLocked(),
		}
		if r.state == StateOnline {
			ri.LagSeconds = int64(now.Sub(r.ackTime) / time.Second)
		}
		out = append(out, ri)
	}
	return out
}

// GoodReplicas counts the online replicas whose last ack is at most maxLag old, in whole seconds as
// Valkey counts them (min-replicas-to-write / min-replicas-max-lag).
func (p *Primary) GoodReplicas(maxLag time.Duration) int {
	now := time.Now()
	limit := int64(maxLag / time.Second)
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, r := range p.replicas {
		if r.state == StateOnline && int64(now.Sub(r.ackTime)/time.Second) <= limit {
			n++
		}
	}
	return n
}

// AckedAtLeast counts the online replicas that acknowledged offset (WAIT).
func (p *Primary) AckedAtLeast(offset int64) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, r := range p.replicas {
		if r.state == StateOnline && r.ackOffset >= offset {
			n++
		}
	}
	return n
}

// Ack records REPLCONF ACK from replica id. The first ack after a diskless transfer means the replica has
// loaded the snapshot: the stream kept since the snapshot is released to it.
func (p *Primary) Ack(id uint64, offset int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.byID[id]
	if r == nil {
		return
	}
	r.ackTime = time.Now()
	if offset > r.ackOffset {
		r.ackOffset = offset
	}
	if r.awaitAck {
		r.awaitAck = false
		p.releaseLocked(r)
		p.log.Info().Msgf("Synchronization with replica %s succeeded", r.name)
	}
}

// Remove forgets replica id after the node saw its connection close.
func (p *Primary) Remove(id uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.byID[id]
	if r == nil {
		return
	}
	r.byNode = true
	p.log.Info().Msgf("Connection with replica %s lost.", r.name)
	p.dropLocked(r)
}

// Close stops everything: every replica's connection is closed, running snapshots are cancelled and the
// temporary sync files removed. It returns when the Primary's goroutines are gone. Lock NOT held.
func (p *Primary) Close() {
	p.mu.Lock()
	p.closed = true
	for _, r := range append([]*primaryReplica(nil), p.replicas...) {
		p.dropLocked(r)
	}
	p.mu.Unlock()
	p.cancel()
	p.wg.Wait()
}

// replicaName is how logs name a replica: its announced (or peer) IP and its listening port, as Valkey's
// replicationGetReplicaName.
func replicaName(rc *ReplicaConn) (ip, name string) {
	ip = rc.IP
	if ip == "" {
		ip = rc.Addr
		if h, _, err := net.SplitHostPort(rc.Addr); err == nil {
			ip = h
		}
	}
	if strings.Contains(ip, ":") {
		return ip, "[" + ip + "]:" + strconv.Itoa(rc.ListeningPort)
	}
	return ip, ip + ":" + strconv.Itoa(rc.ListeningPort)
}
