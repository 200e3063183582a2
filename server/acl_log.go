package server

import "time"

// aclLogGroupingMs is how close in time two similar refusals must be to share one ACL LOG entry.
const aclLogGroupingMs = 60000

// aclLogScan bounds how many recent entries are searched for one to group a refusal with.
const aclLogScan = 10

// aclLogEntry is one ACL LOG entry: similar refusals within a minute are counted in one entry.
type aclLogEntry struct {
	count    int64
	reason   string // command, key, channel, auth, tls-cert
	context  string // toplevel, multi
	object   string
	username string
	cinfo    string
	id       int64
	created  int64 // ms
	updated  int64 // ms
}

// aclLog is the security log, newest entry first.
type aclLog struct {
	entries []*aclLogEntry
	nextID  int64
}

func aclReasonName(res int) string {
	switch res {
	case aclDeniedCmd:
		return "command"
	case aclDeniedKey:
		return "key"
	case aclDeniedChannel:
		return "channel"
	case aclDeniedAuth:
		return "auth"
	}
	return "unknown"
}

// addLog counts a refusal in INFO stats and records it in ACL LOG. cmdName is the command being run
// (for the client-info field).
func (a *aclState) addLog(c *Client, res int, object, username, cmdName string) {
	st := &a.s.stats
	switch res {
	case aclDeniedCmd:
		st.aclDeniedCmd++
	case aclDeniedKey:
		st.aclDeniedKey++
	case aclDeniedChannel:
		st.aclDeniedChannel++
	case aclDeniedAuth:
		st.aclDeniedAuth++
	}
	a.record(c, aclReasonName(res), object, username, cmdName)
}

// record adds an entry, or bumps a recent similar one. c is the client concerned; cmdName the command
// it is running ("" when none, as for a TLS handshake).
func (a *aclState) record(c *Client, reason, object, username, cmdName string) {
	now := time.Now().UnixMilli()
	ctx := "toplevel"
	if c.multi != nil || c.inExec {
		ctx = "multi"
	}
	// the running client already holds its reply buffer: clientInfoLine must know it is "self"
	var self *Client
	if a.s.cur == c {
		self = c
	}
	cinfo := a.s.clientInfoLine(c, self, cmdName)
	l := &a.log
	for i := 0; i < len(l.entries) && i < aclLogScan; i++ {
		e := l.entries[i]
		delta := now - e.updated
		if delta < 0 {
			delta = -delta
		}
		if e.reason != reason || e.context != ctx || delta > aclLogGroupingMs || e.object != object || e.username != username {
			continue
		}
		e.count++
		e.updated = now
		e.cinfo = cinfo
		copy(l.entries[1:i+1], l.entries[:i])
		l.entries[0] = e
		return
	}
	e := &aclLogEntry{count: 1, reason: reason, context: ctx, object: object, username: username,
		cinfo: cinfo, id: l.nextID, created: now, updated: now}
	l.nextID++
	l.entries = append(l.entries, nil)
	copy(l.entries[1:], l.entries)
	l.entries[0] = e
	if maxLen := a.s.cfg.ACLLogMaxLen; int64(len(l.entries)) > maxLen {
		for i := maxLen; i < int64(len(l.entries)); i++ {
			l.entries[i] = nil
		}
		l.entries = l.entries[:maxLen]
	}
}

func (l *aclLog) reset() {
	l.entries = nil
}

// writeLog replies to ACL LOG [count].
func (a *aclState) writeLog(c *Client, count int) {
	entries := a.log.entries
	if count < len(entries) {
		entries = entries[:count]
	}
	now := time.Now().UnixMilli()
	w := c.W()
	w.Array(len(entries))
	for _, e := range entries {
		w.Map(10)
		w.BulkString("count")
		w.Int(e.count)
		w.BulkString("reason")
		w.BulkString(e.reason)
		w.BulkString("context")
		w.BulkString(e.context)
		w.BulkString("object")
		w.BulkString(e.object)
		w.BulkString("username")
		w.BulkString(e.username)
		w.BulkString("age-seconds")
		w.Double(float64(now-e.updated) / 1000)
		w.BulkString("client-info")
		w.BulkString(e.cinfo)
		w.BulkString("entry-id")
		w.Int(e.id)
		w.BulkString("timestamp-created")
		w.Int(e.created)
		w.BulkString("timestamp-last-updated")
		w.Int(e.updated)
	}
}
