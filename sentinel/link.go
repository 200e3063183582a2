package sentinel

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// link is the connections to one monitored instance: a command connection and, for primaries and
// replicas, a pub/sub connection subscribed to the hello channel (spec §5.3). Its fields are guarded by
// s.mu; a nil connection is one that is down (the timer reconnects it).
type link struct {
	cmd, pubsub *rconn
	needPubsub  bool
	// lastReconnect limits reconnection attempts to one per ping-period.
	lastReconnect time.Time
	// pubsubActivity is the last time anything arrived on the pub/sub connection: our own hellos come
	// back on it, so silence means a dead connection even if the socket looks fine.
	pubsubActivity time.Time
}

// disconnected reports whether either connection of the link is down.
func (l *link) disconnected() bool { return l.cmd == nil || (l.needPubsub && l.pubsub == nil) }

// refcount is link-refcount in SENTINEL replies: every instance record has its own link here.
func (l *link) refcount() int { return 1 }

// helloChannel is where sentinels announce themselves and their primaries' configuration.
const helloChannel = "__sentinel__:hello"

// maxPendingCommands stops the periodic commands when an instance stops answering (Valkey's
// SENTINEL_MAX_PENDING_COMMANDS).
const maxPendingCommands = 100

var errLinkDown = errors.New("sentinel: link is down")

// ensureLinkLocked gives an instance its link on first use, with the liveness clocks a new link starts
// with: an instance never reached counts as unanswered from now on, so it is flagged down after
// down-after-milliseconds.
func (s *Sentinel) ensureLinkLocked(in *Instance, now time.Time) *link {
	if in.link == nil {
		in.link = &link{needPubsub: !in.IsSentinel()}
		if in.LastAvailTime.IsZero() {
			in.PingPending = now
			in.LastAvailTime = now
			in.LastPongTime = now
		}
	}
	return in.link
}

// closeLinksLocked drops an instance's connections and its link (the instance is being removed or
// reset).
func (s *Sentinel) closeLinksLocked(in *Instance) {
	if in.link == nil {
		return
	}
	s.closeConnsLocked(in)
	in.link = nil
}

// closeConnsLocked closes both connections but keeps the link, so the timer reconnects.
func (s *Sentinel) closeConnsLocked(in *Instance) {
	l := in.link
	if l == nil {
		return
	}
	if l.cmd != nil {
		l.cmd.close()
		l.cmd = nil
		in.PendingCommands = 0
	}
	if l.pubsub != nil {
		l.pubsub.close()
		l.pubsub = nil
	}
}

// ownerName names an instance in link logs.
func ownerName(in *Instance) string {
	return fmt.Sprintf("%s %s %s", in.kindName(), in.Name, in.Addr)
}

// reconnectLocked opens the link's missing connections, at most once per ping-period (spec §5.3:
// reconnect at most once per second). The connections are initiated here and commands queue on them
// at once; the link counts as connected from then on, as Valkey's does.
func (s *Sentinel) reconnectLocked(in *Instance, now time.Time) {
	l := s.ensureLinkLocked(in, now)
	if !l.disconnected() || in.Addr.Port == 0 {
		return
	}
	if now.Sub(l.lastReconnect) < s.timing.PingPeriod {
		return
	}
	l.lastReconnect = now
	if l.cmd == nil {
		c := newRConn(s, ownerName(in)+" cmd", in.Addr.Host, in.Addr.Port, s.tlsLinks, now)
		c.onClose = func(err error) { s.connClosedLocked(in, l, c, "cmd", err) }
		l.cmd = c
		in.PendingCommands = 0
		c.start()
		s.sendAuthLocked(in, c)
		s.sendLocked(in, nil, "CLIENT", "SETNAME", s.clientName("cmd"))
		s.sendPingLocked(in, now) // a fresh link is tested at once
	}
	if l.needPubsub && l.pubsub == nil {
		c := newRConn(s, ownerName(in)+" pubsub", in.Addr.Host, in.Addr.Port, s.tlsLinks, now)
		c.onClose = func(err error) { s.connClosedLocked(in, l, c, "pubsub", err) }
		c.onActivity = func() {
			if l.pubsub == c {
				l.pubsubActivity = time.Now()
			}
		}
		c.onPush = func(r *reply) { s.receiveHelloLocked(in, r) }
		l.pubsub = c
		l.pubsubActivity = now
		c.start()
		if user, pass, ok := s.authFor(in); ok {
			c.send(nil, authArgs(s.mapCommand(in, "AUTH"), user, pass)...)
		}
		c.send(nil, s.mapCommand(in, "CLIENT"), "SETNAME", s.clientName("pubsub"))
		c.send(nil, s.mapCommand(in, "SUBSCRIBE"), helloChannel)
	}
}

// connClosedLocked records that one of a link's connections ended (the peer closed it, it failed, or a
// dial or TLS handshake failed).
func (s *Sentinel) connClosedLocked(in *Instance, l *link, c *rconn, kind string, err error) {
	switch {
	case kind == "cmd" && l.cmd == c:
		l.cmd = nil
		in.PendingCommands = 0
		if in.PingPending.IsZero() {
			// unanswered since its last valid reply: the PING a reconnection sends must not restart
			// that clock, or an instance that went down with no PING in flight would flap
			// between +sdown and -sdown at every reconnection attempt
			in.PingPending = in.LastAvailTime
		}
	case kind == "pubsub" && l.pubsub == c:
		l.pubsub = nil
	default:
		return // a connection the engine already replaced or closed on purpose
	}
	if err != nil && !errors.Is(err, errConnClosed) {
		s.eventLocked(zerolog.TraceLevel, "-"+kind+"-link-reconnection", in, "#%s", err.Error())
	}
}

// clientName is CLIENT SETNAME's argument: sentinel-<myid[:8]>-cmd|pubsub.
func (s *Sentinel) clientName(kind string) string {
	id := s.myID
	if len(id) > 8 {
		id = id[:8]
	}
	return "sentinel-" + id + "-" + kind
}

// authFor returns the credentials of an instance: auth-user/auth-pass of the primary for primaries and
// replicas, sentinel-user/sentinel-pass for other sentinels — or, without sentinel-pass, this sentinel's
// own requirepass, as Valkey does: sentinels of one deployment usually share a password.
func (s *Sentinel) authFor(in *Instance) (user, pass string, ok bool) {
	switch {
	case in.IsMaster():
		return in.AuthUser, in.AuthPass, in.AuthPass != ""
	case in.IsSlave() && in.Master != nil:
		return in.Master.AuthUser, in.Master.AuthPass, in.Master.AuthPass != ""
	case in.IsSentinel() && s.sentinelPass != "":
		return s.sentinelUser, s.sentinelPass, true
	case in.IsSentinel():
		return "", s.requirePass, s.requirePass != ""
	}
	return "", "", false
}

func authArgs(cmd, user, pass string) []string {
	if user != "" {
		return []string{cmd, user, pass}
	}
	return []string{cmd, pass}
}

func (s *Sentinel) sendAuthLocked(in *Instance, c *rconn) {
	if user, pass, ok := s.authFor(in); ok {
		s.sendOnLocked(in, c, nil, authArgs(s.mapCommand(in, "AUTH"), user, pass)...)
	}
}

// mapCommand applies the primary's rename-command table to a command sent to the primary or one of
// its replicas (other sentinels get the real names).
func (s *Sentinel) mapCommand(in *Instance, name string) string {
	m := in
	if in.IsSentinel() {
		return name
	}
	if !in.IsMaster() && in.Master != nil {
		m = in.Master
	}
	if len(m.RenamedCommands) == 0 {
		return name
	}
	for _, k := range []string{name, strings.ToLower(name), strings.ToUpper(name)} {
		if v, ok := m.RenamedCommands[k]; ok {
			return v
		}
	}
	for k, v := range m.RenamedCommands {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return name
}

// sendLocked queues a command on the instance's command connection, renaming it per rename-command.
// cb (may be nil) runs with s.mu held when the reply arrives, or with nil if the connection is lost.
func (s *Sentinel) sendLocked(in *Instance, cb replyFunc, args ...string) error {
	if in.link == nil || in.link.cmd == nil {
		return errLinkDown
	}
	args[0] = s.mapCommand(in, args[0])
	return s.sendOnLocked(in, in.link.cmd, cb, args...)
}

// sendOnLocked queues a command as is on a given command connection and keeps link-pending-commands.
func (s *Sentinel) sendOnLocked(in *Instance, c *rconn, cb replyFunc, args ...string) error {
	l := in.link
	wrapped := func(r *reply) {
		if l != nil && l.cmd == c && in.link == l && in.PendingCommands > 0 {
			in.PendingCommands--
		}
		if cb != nil {
			cb(r)
		}
	}
	if err := c.send(wrapped, args...); err != nil {
		return err
	}
	in.PendingCommands++
	return nil
}
