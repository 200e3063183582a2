package replication

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/valkey-node/valkey-node/server/resp"
)

// handshake performs steps 1–6 of the replica's handshake (spec §3.1): PING alone, then AUTH and the
// REPLCONFs pipelined in one write, their replies read in order, each read within the fixed step timeout.
func (l *Link) handshake(c *linkConn) error {
	step := l.stepTimeout
	if err := c.write(step, resp.AppendCommand(nil, "PING")); err != nil {
		return fmt.Errorf("sending PING to PRIMARY: %w", err)
	}
	reply, err := c.readReply(step)
	if err != nil {
		return fmt.Errorf("reading the PING reply of PRIMARY: %w", err)
	}
	// A primary that requires authentication refuses PING, which still proves it is there.
	if strings.HasPrefix(reply, "-") && !strings.HasPrefix(reply, "-NOAUTH") &&
		!strings.HasPrefix(reply, "-NOPERM") && !strings.HasPrefix(reply, "-ERR operation not permitted") {
		return fmt.Errorf("Error reply to PING from primary: '%s'", reply)
	}
	l.log.Info().Msg("Primary replied to PING, replication can continue...")

	// Each pipelined command with what to do with an error reply: AUTH is fatal, the REPLCONFs are
	// not (an older primary may not know an option).
	type step6 struct {
		what  string
		fatal bool
	}
	var (
		out   []byte
		steps []step6
	)
	if l.cfg.MasterAuth != "" {
		if l.cfg.MasterUser != "" {
			out = resp.AppendCommand(out, "AUTH", l.cfg.MasterUser, l.cfg.MasterAuth)
		} else {
			out = resp.AppendCommand(out, "AUTH", l.cfg.MasterAuth)
		}
		steps = append(steps, step6{"AUTH", true})
	}
	out = resp.AppendCommand(out, "REPLCONF", "listening-port", strconv.Itoa(l.cfg.ListeningPort))
	steps = append(steps, step6{"REPLCONF listening-port", false})
	if l.cfg.AnnounceIP != "" {
		out = resp.AppendCommand(out, "REPLCONF", "ip-address", l.cfg.AnnounceIP)
		steps = append(steps, step6{"REPLCONF ip-address", false})
	}
	out = resp.AppendCommand(out, "REPLCONF", "capa", "eof", "capa", "psync2")
	steps = append(steps, step6{"REPLCONF capa", false})
	if l.cfg.Version != "" {
		out = resp.AppendCommand(out, "REPLCONF", "version", l.cfg.Version)
		steps = append(steps, step6{"REPLCONF version", false})
	}
	if err := c.write(step, out); err != nil {
		return fmt.Errorf("sending the handshake to PRIMARY: %w", err)
	}
	for _, s := range steps {
		reply, err := c.readReply(step)
		if err != nil {
			return fmt.Errorf("reading the %s reply of PRIMARY: %w", s.what, err)
		}
		if !strings.HasPrefix(reply, "-") {
			continue
		}
		if s.fatal {
			return fmt.Errorf("Unable to AUTH to PRIMARY: %s", reply)
		}
		l.log.Info().Msgf("(Non critical) Primary does not understand %s: %s", s.what, reply)
	}
	return nil
}

// psyncOutcome is what the primary answered to PSYNC.
type psyncOutcome int

const (
	psyncFull        psyncOutcome = iota // +FULLRESYNC: an RDB follows
	psyncContinue                        // +CONTINUE: the stream follows
	psyncTryLater                        // -NOMASTERLINK / -LOADING
	psyncUnsupported                     // anything else: fall back to SYNC
)

// errPSYNCLater is a primary that cannot serve a PSYNC now but should later.
var errPSYNCLater = errors.New("primary is currently unable to PSYNC")

// resync sends PSYNC (or SYNC when the primary refuses PSYNC) and completes the resynchronisation: a
// full one loads the RDB through the host, a partial one tells the host the primary's id.
func (l *Link) resync(c *linkConn) error {
	replid, offset := l.host.PSYNCArgs()
	if replid == "" {
		replid, offset = "?", -1
	}
	if replid == "?" {
		l.log.Info().Msg("Partial resynchronization not possible (no cached master)")
	} else {
		l.log.Info().Msgf("Trying a partial resynchronization (request %s:%d).", replid, offset)
	}
	args := []string{"PSYNC", replid, strconv.FormatInt(offset, 10)}
	failover := l.cfg.Failover && !l.failoverSent
	if failover {
		args = append(args, "FAILOVER")
		l.failoverSent = true
	}
	if err := c.write(l.stepTimeout, resp.AppendCommand(nil, args...)); err != nil {
		if failover && l.cfg.FailoverFailed != nil {
			l.cfg.FailoverFailed("sending PSYNC FAILOVER: " + err.Error())
		}
		return fmt.Errorf("sending PSYNC to PRIMARY: %w", err)
	}
	reply, err := c.readReply(l.stepTimeout)
	if err != nil {
		if failover && l.cfg.FailoverFailed != nil {
			l.cfg.FailoverFailed("reading the PSYNC FAILOVER reply: " + err.Error())
		}
		return fmt.Errorf("reading the PSYNC reply of PRIMARY: %w", err)
	}
	outcome, newID, newOff := parsePSYNCReply(reply)
	if failover && outcome != psyncContinue && outcome != psyncFull {
		if l.cfg.FailoverFailed != nil {
			l.cfg.FailoverFailed(reply)
		}
		return fmt.Errorf("the failover target refused PSYNC FAILOVER: %s", reply)
	}
	switch outcome {
	case psyncContinue:
		if newID == replid {
			newID = ""
		}
		l.log.Info().Msg("Successful partial resynchronization with primary.")
		if newID != "" {
			l.log.Info().Msgf("Primary replication ID changed to %s", newID)
		}
		l.host.Continue(newID)
		l.log.Info().Msg("PRIMARY <-> REPLICA sync: Primary accepted a Partial Resynchronization.")
		return nil
	case psyncTryLater:
		return fmt.Errorf("%w: %s", errPSYNCLater, reply)
	case psyncUnsupported:
		if strings.HasPrefix(reply, "-ERR") {
			l.log.Info().Msgf("Primary does not support PSYNC or is in error state (reply: %s)", reply)
		} else {
			l.log.Warn().Msgf("Unexpected reply to PSYNC from primary: %s", reply)
		}
		l.log.Info().Msg("Retrying with SYNC...")
		if err := c.write(l.stepTimeout, resp.AppendCommand(nil, "SYNC")); err != nil {
			return fmt.Errorf("sending SYNC to PRIMARY: %w", err)
		}
		// SYNC predates replication ids: the host makes one up for the data set it loads.
		return l.fullSync(c, "", -1)
	}
	if newID == "" {
		l.log.Warn().Msgf("Primary replied with wrong +FULLRESYNC syntax: %s", reply)
	} else {
		l.log.Info().Msgf("Full resync from primary: %s:%d", newID, newOff)
	}
	return l.fullSync(c, newID, newOff)
}

// parsePSYNCReply classifies a PSYNC reply line. For +FULLRESYNC it returns the primary's id and
// offset ("" and -1 when malformed); for +CONTINUE the id that follows it, if any.
func parsePSYNCReply(reply string) (outcome psyncOutcome, replid string, offset int64) {
	switch {
	case strings.HasPrefix(reply, "+FULLRESYNC"):
		f := strings.Fields(reply)
		if len(f) == 3 && len(f[1]) == 40 {
			if off, err := strconv.ParseInt(f[2], 10, 64); err == nil && off >= 0 {
				return psyncFull, f[1], off
			}
		}
		return psyncFull, "", -1
	case strings.HasPrefix(reply, "+CONTINUE"):
		f := strings.Fields(reply)
		if len(f) >= 2 && len(f[1]) == 40 {
			return psyncContinue, f[1], -1
		}
		return psyncContinue, "", -1
	case strings.HasPrefix(reply, "-NOMASTERLINK"), strings.HasPrefix(reply, "-LOADING"):
		return psyncTryLater, "", -1
	}
	return psyncUnsupported, "", -1
}
