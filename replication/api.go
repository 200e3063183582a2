// Package replication is Valkey's primary–replica protocol (PSYNC2) for valkey-node: the primary side
// (replication ids and offsets, the backlog, replica feeds, full and partial resynchronisation, acks for
// WAIT) and the replica side (the link to a primary: handshake, RDB transfer, stream apply, acks,
// reconnection). It knows nothing of the keyspace or of RESP commands beyond the framing: the node plugs in
// through the small interfaces below, and gives connections (plain or TLS per tls-replication) through
// dial functions, so a certificate rotation applies to the next link.
//
// Locking: the node serialises command execution with one lock. Methods documented "lock held" are called
// by the node with that lock held and must not block on the network; the package does its I/O on its own
// goroutines. Host methods are called by the package WITHOUT the lock; the node takes it inside.
package replication

import (
	"context"
	"io"
	"net"
	"time"
)

// ---- primary side --------------------------------------------------------------------------------------

// PrimaryConfig is what the primary side needs from the directives. SetConfig applies changes at runtime.
type PrimaryConfig struct {
	BacklogSize         int64         // repl-backlog-size (bytes)
	BacklogTTL          time.Duration // repl-backlog-ttl: free the backlog after this long without replicas (0: never)
	DisklessSync        bool          // repl-diskless-sync
	DisklessDelay       time.Duration // repl-diskless-sync-delay: wait for more replicas before a diskless sync
	DisklessMaxReplicas int           // repl-diskless-sync-max-replicas (0: no limit): start at once when this many wait
	PingPeriod          time.Duration // repl-ping-replica-period
	Timeout             time.Duration // repl-timeout: drop a replica silent for this long
	// OutputLimit is client-output-buffer-limit replica <hard> <soft> <soft seconds>: a replica whose
	// pending output passes Hard, or stays above Soft for SoftSeconds, is disconnected (0 = no limit).
	OutputHard, OutputSoft int64
	OutputSoftFor          time.Duration
	// Dir is where a disk-based full sync writes its RDB (the dir directive), DBFilename its name.
	Dir, DBFilename string
}

// SnapshotFunc starts a point-in-time snapshot of the data set: called with the node's lock held, at the
// instant the snapshot must reflect (the stream from the current offset on follows it). write encodes the
// RDB (version 10) to w and may be called once, on another goroutine, without the lock; release must be
// called when done with it (after write, or instead of it). ok is false when the node cannot take a
// snapshot now (another one is in progress): the primary then retries later (from its own goroutine via
// Host.WithLock). When ok, the node must also make the next command it feeds carry a SELECT: the replicas
// synced from this snapshot start the stream in database 0 (Valkey resets its replication db here).
type SnapshotFunc func() (write func(ctx context.Context, w io.Writer) error, release func(), ok bool)

// PrimaryHost is what the primary side calls back into the node.
type PrimaryHost interface {
	// WithLock runs fn with the node's lock held (for snapshots started from the package's goroutines).
	WithLock(fn func())
	// Snapshot: see SnapshotFunc. Lock held (the caller holds it, or it is called inside WithLock).
	Snapshot() (write func(ctx context.Context, w io.Writer) error, release func(), ok bool)
	// ReplicaGone is told when a replica's link ends (for the node's client table). Lock NOT held.
	ReplicaGone(id uint64)
}

// ReplicaConn is a replica's connection as the primary sees it. The node's connection goroutine keeps
// reading from it (REPLCONF ACK arrives as commands); from Sync on, only the package writes to it.
type ReplicaConn struct {
	ID   uint64   // the node's client id
	Conn net.Conn // written only by the package from Sync on; closed by Close
	// Addr is the peer address; IP (REPLCONF ip-address, else the peer's) and ListeningPort (REPLCONF
	// listening-port) are what INFO and ROLE report.
	Addr          string
	IP            string
	ListeningPort int
	CapaEOF       bool // REPLCONF capa eof: may receive a diskless ($EOF:) transfer
	CapaPSYNC2    bool // REPLCONF capa psync2: understands +CONTINUE <replid>
}

// ReplicaState is a replica's state as INFO reports it.
type ReplicaState string

const (
	StateWaitBgsave ReplicaState = "wait_bgsave"
	StateSendBulk   ReplicaState = "send_bulk"
	StateOnline     ReplicaState = "online"
)

// ReplicaInfo is one line of INFO replication / ROLE on a primary.
type ReplicaInfo struct {
	ID          uint64
	IP          string
	Port        int
	State       ReplicaState
	AckOffset   int64
	LagSeconds  int64 // seconds since the last ack (0 unless online)
	OutputBytes int64 // pending output, for CLIENT LIST / INFO
}

// PrimaryStatus is the primary block of INFO replication.
type PrimaryStatus struct {
	ReplID, ReplID2    string
	Offset             int64 // master_repl_offset
	SecondOffset       int64 // second_repl_offset (-1 if none)
	BacklogActive      bool
	BacklogSize        int64
	BacklogFirstOffset int64 // repl_backlog_first_byte_offset
	BacklogHistlen     int64
}

// Primary is the primary side: implemented in primary*.go. Every method is "lock held" unless noted.
//
//	NewPrimary(cfg PrimaryConfig, host PrimaryHost, log zerolog.Logger) *Primary
//	(p) SetConfig(cfg PrimaryConfig)
//	(p) Feed(data []byte)                  append stream bytes (already RESP, SELECT included) to the backlog and
//	                                       to every replica; creates the backlog on first use
//	(p) Sync(rc *ReplicaConn, psync bool, replid string, offset int64) (full bool, errReply string)
//	                                       PSYNC (psync=true) or SYNC: decide partial/full per spec §3.2 and start
//	                                       it (the +CONTINUE/+FULLRESYNC line and all later bytes are written
//	                                       by the package); errReply is an error text to send instead
//	(p) Ack(id uint64, offset int64)       REPLCONF ACK from replica id (also makes a diskless-synced replica online)
//	(p) Remove(id uint64)                  the replica's connection closed (node saw EOF)
//	(p) Replicas() []ReplicaInfo
//	(p) Status() PrimaryStatus
//	(p) Offset() int64                     master_repl_offset
//	(p) GoodReplicas(maxLag time.Duration) int   replicas online with lag <= maxLag (min-replicas-to-write)
//	(p) AckedAtLeast(offset int64) int     replicas whose ack offset >= offset (WAIT)
//	(p) RequestAcks()                      queue REPLCONF GETACK * into the stream (WAIT), at most once per call
//	(p) ShiftReplID()                      promotion: replid2=replid, second_offset=offset+1, new random replid
//	(p) ChangeReplID()                     a new random replid and no replid2 (fresh data set, e.g. after a full sync as replica)
//	(p) SetIDs(replid string, offset int64) adopt a primary's id and offset (after a full sync as a replica)
//	(p) ContinueWith(newReplID string)     +CONTINUE with another id: replid2=old, second_offset=offset+1, replid=new
//	(p) DisconnectReplicas()               drop every replica (they reconnect and PSYNC)
//	(p) Cron(now time.Time)                ~10 Hz: PINGs every PingPeriod (only with replicas), timeouts,
//	                                       output soft limits, backlog TTL, delayed diskless sync start
//	(p) Close()                            stop everything (node shutdown); lock NOT held

// ---- replica side --------------------------------------------------------------------------------------

// LinkConfig is what the link to a primary needs.
type LinkConfig struct {
	Host string
	Port int
	// Dial connects to addr ("host:port"), plain or TLS per tls-replication, with certificates taken from
	// the shared manager at each call.
	Dial func(ctx context.Context, addr string) (net.Conn, error)
	// MasterUser/MasterAuth are masteruser/masterauth ("" = none).
	MasterUser, MasterAuth string
	// ListeningPort is sent as REPLCONF listening-port (the TLS port when tls-replication is on, or
	// replica-announce-port); AnnounceIP, if set, as REPLCONF ip-address.
	ListeningPort int
	AnnounceIP    string
	Timeout       time.Duration // repl-timeout
	// DisklessLoad is repl-diskless-load: "disabled" writes the transfer to a temporary file in Dir then
	// loads it; "on-empty-db" and "swapdb" load straight from the socket.
	DisklessLoad string
	Dir          string
	Version      string // sent as REPLCONF version
	// Failover makes the first PSYNC "PSYNC <replid> <offset> FAILOVER" (the FAILOVER command: the target
	// replica promotes itself and continues us). If the target refuses, the link stops retrying and
	// calls FailoverFailed on the host instead of falling back to SYNC.
	Failover bool
	// FailoverFailed, if set, is told that a Failover PSYNC was refused or could not be sent.
	FailoverFailed func(reason string)
}

// LinkState is the replica-side state ROLE reports.
type LinkState string

const (
	LinkNone       LinkState = "none"
	LinkConnect    LinkState = "connect"
	LinkConnecting LinkState = "connecting"
	LinkHandshake  LinkState = "handshake"
	LinkSync       LinkState = "sync"
	LinkConnected  LinkState = "connected"
)

// ReplicaHost is what the link calls back into the node. Lock NOT held on any call.
type ReplicaHost interface {
	// PSYNCArgs is the cached primary to resume from: replid and offset+1, or "?" and -1 for none.
	PSYNCArgs() (replid string, offset int64)
	// FullSync loads a complete RDB for replid at offset: the node empties its data set, loads r (which
	// ends exactly at the end of the RDB), adopts replid/offset as its own replication ids, and drops
	// its own sub-replicas. An error aborts the sync (the link retries).
	FullSync(r io.Reader, replid string, offset int64) error
	// Continue is a successful partial resync; newReplID is the primary's id ("" if unchanged).
	Continue(newReplID string)
	// Apply executes commands of the stream, in order. raw is the exact bytes of those commands (the node
	// feeds them to its own backlog and sub-replicas and adds len(raw) to its offset). Commands are
	// already split: cmds[i] is one command's argv, valid until Apply returns.
	Apply(cmds [][][]byte, raw []byte)
	// Offset is the node's replication offset, sent in REPLCONF ACK.
	Offset() int64
	// LinkUp / LinkDown report the link state for INFO (master_link_status, down since, MASTERDOWN).
	LinkUp()
	LinkDown()
}

// FsyncedOffsetHost is implemented by a ReplicaHost that keeps an append-only file: FsyncedOffset is the
// replication offset up to which that file is fsynced (ok false when it has none).
type FsyncedOffsetHost interface {
	FsyncedOffset() (int64, bool)
}

// LinkStatus is what INFO replication and ROLE report for the link.
type LinkStatus struct {
	State          LinkState
	Up             bool
	LastIO         time.Time // master_last_io_seconds_ago
	DownSince      time.Time // zero if never up
	SyncInProgress bool
	SyncTotalBytes int64 // 0 in EOF mode
	SyncReadBytes  int64
	SyncLastIO     time.Time
	ReadReplOffset int64 // slave_read_repl_offset: bytes read from the stream (applied or not)
}

// Link is the replica side: implemented in link*.go.
//
//	NewLink(cfg LinkConfig, host ReplicaHost, log zerolog.Logger) *Link
//	(l) Start()              connect, handshake, sync, stream; reconnects with backoff until Stop
//	(l) Stop()               close the connection and stop the goroutines; returns when they are gone
//	(l) Status() LinkStatus  safe from any goroutine
//	(l) SetTimeout(d)        repl-timeout at runtime
