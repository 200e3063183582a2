package clusterbus

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Manual failover, CLUSTER FAILOVER [FORCE|TAKEOVER], sent to a replica:
//
//   - default: the replica asks its primary (msgMFStart, Valkey's MFSTART) to pause its clients' writes
//     and to tell it its replication offset (msgMFOffset, Valkey's PING flagged PAUSED, re-sent every
//     cron tick until the failover ends). Once the replica has processed the stream up to that offset,
//     nothing acknowledged by the primary can be lost: it holds the election at once, and its vote
//     requests are flagged manual (msgMFAuthReq, Valkey's FORCEACK), so that the primaries
//     vote although its primary is healthy. The old primary learns from the winner's slot claim that it
//     lost its slots, turns into the winner's replica (the slot-claim rules) and lifts the pause.
//   - FORCE: the same election, at once, without asking the primary (which may be down).
//   - TAKEOVER: no election at all: the replica takes a new config epoch on its own (BumpEpoch) and
//     claims its primary's slots with it.
//
// Either side gives up after the manual failover timeout (Valkey: 5 s); the primary lifts its pause
// then, and its host's pause ends by itself at twice that in any case.

// FailoverMode is the option of CLUSTER FAILOVER.
type FailoverMode uint8

const (
	// FailoverDefault pauses the primary and fails over once the replica has its whole stream.
	FailoverDefault FailoverMode = iota
	// FailoverForce skips the handshake with the primary: the election starts at once.
	FailoverForce
	// FailoverTakeover skips the election too: the replica claims the slots under an epoch of its own.
	FailoverTakeover
)

// WritePauser may be implemented by a Host. A primary asked for a manual failover by one of its
// replicas pauses its clients' writes (and whatever else would grow its replication stream) for at
// most d, so that the replica can catch up with a stream that no longer moves; UnpauseWrites lifts the
// pause when the failover is over, won or not. Without it the primary only reports its offset.
type WritePauser interface {
	PauseWritesFor(d time.Duration)
	UnpauseWrites()
}

const (
	// manualFailoverTimeout (ms) bounds a manual failover on both sides (Valkey's CLUSTER_MF_TIMEOUT).
	manualFailoverTimeout = 5000
	// manualPauseMult × the timeout is how long the primary's host pauses writes: a safety net should
	// the bus never lift the pause (Valkey's CLUSTER_MF_PAUSE_MULT).
	manualPauseMult = 2
)

// manualFailover is a manual failover in progress, seen from the replica that runs it (primary set) or
// from the primary that paused for it (replica set). The zero value is "none".
type manualFailover struct {
	end     int64  // ms deadline; 0: no manual failover in progress
	primary string // replica side: the primary being failed over
	replica string // primary side: the replica this node paused for
	// offset is, on the replica side, the paused primary's offset as it reported it and, on the
	// primary side, the offset it reported; -1 until known.
	offset   int64
	canStart bool // replica side: the election may start (offset reached, or FORCE)
	paused   bool // primary side: the host paused writes, UnpauseWrites is owed
}

// ParseFailover parses the arguments of CLUSTER FAILOVER (after the subcommand).
func ParseFailover(args [][]byte) (FailoverMode, error) {
	if len(args) == 0 {
		return FailoverDefault, nil
	}
	if len(args) == 1 {
		switch strings.ToLower(string(args[0])) {
		case "force":
			return FailoverForce, nil
		case "takeover":
			return FailoverTakeover, nil
		}
	}
	return 0, ReplyError("ERR syntax error")
}

// checkManualFailover tells whether myself may start a manual failover (force: FORCE or TAKEOVER, which
// do not need the primary to answer).
func (s *State) checkManualFailover(force bool) error {
	me := s.myself
	switch {
	case me.IsPrimary():
		return ReplyError("ERR You should send CLUSTER FAILOVER to a replica")
	case me.primary == nil:
		return ReplyError("ERR I'm a replica but my master is unknown to me")
	case !force && (me.primary.Failed() || !me.primary.LinkConnected):
		return ReplyError("ERR Master is down or failed, please use CLUSTER FAILOVER FORCE")
	}
	return nil
}

// ManualFailover is CLUSTER FAILOVER on this node, which must be a replica. TAKEOVER is done when it
// returns (the host is promoted right after); the other modes are only started, as in Valkey: the
// caller replies OK and CLUSTER NODES shows later whether the failover happened.
func (c *Cluster) ManualFailover(mode FailoverMode) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClusterClosed
	}
	st := c.st
	if err := st.checkManualFailover(mode != FailoverDefault); err != nil {
		c.mu.Unlock()
		return err
	}
	now := nowMS()
	var fx effects
	me := st.Myself()
	p := me.Primary()
	c.resetManualLocked()
	c.fo.reset() // an automatic attempt in progress gives way to this one, held at once
	mf := manualFailover{end: now + c.manualTimeoutLocked(), primary: p.ID, offset: -1}
	switch mode {
	case FailoverTakeover:
		c.log.Info().Msg("Taking over the primary (CLUSTER FAILOVER TAKEOVER): no election.")
		if st.BumpEpoch() {
			c.log.Info().Uint64("epoch", me.ConfigEpoch).
				Msg("New configEpoch set to " + strconv.FormatUint(me.ConfigEpoch, 10))
		}
		c.promoteLocked(me.ConfigEpoch, &fx)
	case FailoverForce:
		mf.canStart = true
		c.fo.mf = mf
		c.log.Info().Str("primary", p.ID).Msg("Forced failover user request accepted.")
		c.poke()
	default:
		c.fo.mf = mf
		c.log.Info().Str("primary", p.ID).Msg("Manual failover user request accepted.")
		fx.sends = append(fx.sends, outMsg{p.IP, p.BusPort, envelope(msgMFStart, me.ID, 0)})
	}
	saveErr := c.finishLocked(&fx, now)
	c.mu.Unlock()
	c.dispatch(&fx)
	if saveErr != nil {
		return fmt.Errorf("clusterbus: save cluster config: %w", saveErr)
	}
	return nil
}

// manualTimeoutLocked is the manual failover timeout in ms.
func (c *Cluster) manualTimeoutLocked() int64 {
	if c.fo.mfTimeout > 0 {
		return c.fo.mfTimeout
	}
	return manualFailoverTimeout
}

// resetManualLocked forgets the manual failover in progress, lifting the primary's pause if this node
// paused for one (queued for the host, after whatever the current section queues).
func (c *Cluster) resetManualLocked() {
	if c.fo.mf.paused {
		if p, ok := c.host.(WritePauser); ok {
			c.hostW.push(p.UnpauseWrites)
		}
	}
	c.fo.mf = manualFailover{}
}

// mfOffsetMsg tells the replica of a manual failover the paused primary's replication offset.
func mfOffsetMsg(sender string, offset int64) []byte {
	return binary.BigEndian.AppendUint64(envelope(msgMFOffset, sender, 8), uint64(offset))
}

// processManualLocked handles the messages of manual failovers.
func (c *Cluster) processManualLocked(t msgType, sender string, p []byte, now int64, fx *effects) error {
	switch t {
	case msgMFStart:
		if len(p) != 0 {
			return fmt.Errorf("clusterbus: MFSTART message with %d bytes of payload", len(p))
		}
		c.handleMFStartLocked(sender, now)
	case msgMFOffset:
		if len(p) != 8 {
			return fmt.Errorf("clusterbus: manual failover offset message of %d bytes", len(p))
		}
		c.handleMFOffsetLocked(sender, int64(binary.BigEndian.Uint64(p)))
	case msgMFAuthReq:
		r, err := decodeRecord(p)
		if err != nil {
			return err
		}
		c.voteLocked(r, p, now, true, fx)
	}
	return nil
}

// handleMFStartLocked is the primary's side: one of its replicas asks for a manual failover. The host
// pauses writes, then reports the offset the stream stopped at; both happen on the host worker, off
// the lock, and manualPaused picks up from there.
func (c *Cluster) handleMFStartLocked(sender string, now int64) {
	st := c.st
	me := st.Myself()
	n := st.Lookup(sender)
	if n == nil || !me.IsPrimary() || n.Primary() != me {
		c.log.Debug().Str("node", sender).Msg("Cluster bus: MFSTART from a node that is not my replica ignored")
		return
	}
	c.resetManualLocked()
	c.fo.mfSeq++
	seq := c.fo.mfSeq
	timeout := c.manualTimeoutLocked()
	c.fo.mf = manualFailover{end: now + timeout, replica: sender, offset: -1}
	c.log.Info().Str("node", sender).Msg("Manual failover requested by replica " + sender + ".")
	pause := time.Duration(timeout*manualPauseMult) * time.Millisecond
	c.hostW.push(func() {
		p, ok := c.host.(WritePauser)
		if ok {
			p.PauseWritesFor(pause)
		}
		c.manualPaused(seq, c.host.ReplOffset(), ok)
	})
}

// manualPaused runs on the host worker once the host paused writes (paused) at offset: the replica is
// told the offset. When the failover ended meanwhile, or another one replaced it, the pause is lifted
// at once, here on the host worker, so that it cannot undo a newer failover's pause queued after it.
func (c *Cluster) manualPaused(seq uint64, offset int64, paused bool) {
	c.mu.Lock()
	mf := &c.fo.mf
	if c.closed || c.fo.mfSeq != seq || mf.replica == "" {
		c.mu.Unlock()
		if paused {
			c.host.(WritePauser).UnpauseWrites()
		}
		return
	}
	mf.offset, mf.paused = offset, paused
	c.log.Info().Int64("offset", offset).Str("node", mf.replica).
		Msg("Manual failover: writes paused, replication offset " + strconv.FormatInt(offset, 10) + " sent to " + mf.replica)
	var fx effects
	c.sendManualOffsetLocked(&fx)
	c.mu.Unlock()
	c.dispatch(&fx)
}

// sendManualOffsetLocked queues the paused primary's offset for the replica of the manual failover.
func (c *Cluster) sendManualOffsetLocked(fx *effects) {
	mf := &c.fo.mf
	if n := c.st.Lookup(mf.replica); n != nil && mf.offset >= 0 {
		fx.sends = append(fx.sends, outMsg{n.IP, n.BusPort, mfOffsetMsg(c.st.Myself().ID, mf.offset)})
	}
}

// handleMFOffsetLocked is the replica's side: its paused primary reports its offset (the first report
// counts; the others are re-sends).
func (c *Cluster) handleMFOffsetLocked(sender string, offset int64) {
	mf := &c.fo.mf
	me := c.st.Myself()
	if mf.end == 0 || mf.primary != sender || me.PrimaryID() != sender || mf.offset >= 0 {
		return
	}
	mf.offset = offset
	c.log.Info().Int64("offset", offset).
		Msg("Received replication offset for paused primary manual failover: " + strconv.FormatInt(offset, 10))
	c.poke() // the cron compares it with this node's offset
}

// manualCronLocked moves a manual failover along, every cron tick: timeouts on both sides, the end of
// the primary's pause once it is no longer a primary (it lost its slots to the winner), the re-sent
// offset, and on the replica the moment its own offset reaches the paused primary's.
func (c *Cluster) manualCronLocked(now int64, fx *effects) {
	mf := &c.fo.mf
	if mf.end == 0 {
		return
	}
	me := c.st.Myself()
	if now > mf.end {
		c.log.Warn().Msg("Manual failover timed out.")
		c.resetManualLocked()
		return
	}
	if mf.replica != "" { // primary side
		if !me.IsPrimary() {
			c.log.Info().Msg("Manual failover over: I'm no longer a primary, writes resume.")
			c.resetManualLocked()
			return
		}
		c.sendManualOffsetLocked(fx) // in case the replica missed it
		return
	}
	if !me.IsReplica() || me.PrimaryID() != mf.primary {
		c.log.Info().Msg("Manual failover aborted: my primary changed.")
		c.resetManualLocked()
		return
	}
	// The primary may still grow its stream a little after pausing its clients (replication pings):
	// being past the reported offset is as good as being at it.
	if !mf.canStart && mf.offset >= 0 && me.ReplOffset >= mf.offset {
		mf.canStart = true
		c.log.Info().Int64("offset", me.ReplOffset).
			Msg("All primary replication stream processed, manual failover can start.")
	}
}
