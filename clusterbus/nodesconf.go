package clusterbus

import (
	"fmt"
	"strconv"
	"strings"
)

// nodes.conf is Valkey's cluster configuration file: one line per known node (the NODES line with the
// nodes.conf address field, see appendNodeLine) and a "vars currentEpoch <n> lastVoteEpoch <n>" line.
// Nodes in handshake are not saved.

// EncodeNodesConf renders the state as nodes.conf, nodes sorted by id.
func (s *State) EncodeNodesConf() []byte {
	s.encodes++
	var b []byte
	for _, n := range s.Nodes() {
		if n.InHandshake() {
			continue
		}
		b = s.appendNodeLine(b, n, View{}, true)
		b = append(b, '\n')
	}
	b = append(b, "vars currentEpoch "...)
	b = strconv.AppendUint(b, s.CurrentEpoch, 10)
	b = append(b, " lastVoteEpoch "...)
	b = strconv.AppendUint(b, s.LastVoteEpoch, 10)
	return append(b, '\n')
}

// ConfigError is a nodes.conf that cannot be loaded: it names the file, the line and what is wrong.
type ConfigError struct {
	File   string
	Line   int    // 1-based; 0 for a problem with the file as a whole
	Text   string // the offending line
	Reason string
}

func (e *ConfigError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("corrupted cluster config file %s: %s", e.File, e.Reason)
	}
	return fmt.Sprintf("corrupted cluster config file %s, line %d: %s: %q", e.File, e.Line, e.Reason, e.Text)
}

// confLoader carries the parse of one nodes.conf.
type confLoader struct {
	file string
	cfg  Config
	now  int64
	st   *State
	// lineOf records the line that described each node (placeholders made by a reference have none).
	lineOf map[*Node]int
	// hasShard records nodes whose line carried a shard-id aux field.
	hasShard map[*Node]bool
	texts    []string
}

// ParseNodesConf loads a nodes.conf. file names it in errors; cfg.TLSCluster decides which port an
// address field without port aux fields (Redis 7.0 and older) gives; now (ms) stands for the ping and
// pong timestamps and FAIL times, which are only kept as zero or not. It accepts the variants Valkey
// and Redis 7.x write: "master"/"primary", "slave"/"replica", a missing @busport (port+10000), missing
// hostname and aux fields (a replica then joins its primary's shard). An unknown aux field, flag or
// malformed line is an error naming the line.
func ParseNodesConf(file string, data []byte, cfg Config, now int64) (*State, error) {
	l := &confLoader{
		file: file, cfg: cfg, now: now,
		st:       &State{Config: cfg, nodes: make(map[string]*Node), blacklist: make(map[string]int64)},
		lineOf:   make(map[*Node]int),
		hasShard: make(map[*Node]bool),
	}
	l.texts = strings.Split(string(data), "\n")
	for i, text := range l.texts {
		text = strings.TrimSuffix(text, "\r")
		fields := strings.Fields(text)
		if len(fields) == 0 {
			continue
		}
		if err := l.line(i+1, fields); err != nil {
			return nil, &ConfigError{File: file, Line: i + 1, Text: text, Reason: err.Error()}
		}
	}
	return l.finish()
}

// node finds or creates (as a placeholder without flags) the node id.
func (l *confLoader) node(id string) (*Node, error) {
	if !ValidID(id) {
		return nil, fmt.Errorf("invalid node id %q", id)
	}
	if n := l.st.nodes[id]; n != nil {
		return n, nil
	}
	shard, err := RandomID(nil)
	if err != nil {
		return nil, err
	}
	n := NewNode(id, shard, 0)
	l.st.nodes[id] = n
	return n, nil
}

func (l *confLoader) line(no int, f []string) error {
	if strings.EqualFold(f[0], "vars") {
		return l.vars(f)
	}
	if len(f) < 8 {
		return fmt.Errorf("expected at least 8 fields, got %d", len(f))
	}
	n, err := l.node(f[0])
	if err != nil {
		return err
	}
	if prev, dup := l.lineOf[n]; dup {
		return fmt.Errorf("node %s already described on line %d", n.ID, prev)
	}
	l.lineOf[n] = no
	if err := l.address(n, f[1]); err != nil {
		return err
	}
	if err := l.flags(n, f[2]); err != nil {
		return err
	}
	if f[3] != "-" {
		p, err := l.node(f[3])
		if err != nil {
			return fmt.Errorf("primary: %w", err)
		}
		if p == n {
			return fmt.Errorf("node %s is its own primary", n.ID)
		}
		n.primary = p
	}
	for i, dst := range []*int64{&n.PingSent, &n.PongReceived} {
		v, err := strconv.ParseInt(f[4+i], 10, 64)
		if err != nil {
			return fmt.Errorf("bad %s %q", [...]string{"ping_sent", "pong_recv"}[i], f[4+i])
		}
		// Only "some" or "none" survives a restart: the old timestamps mean nothing now.
		if v != 0 {
			*dst = l.now
		}
	}
	epoch, err := strconv.ParseUint(f[6], 10, 64)
	if err != nil {
		return fmt.Errorf("bad config epoch %q", f[6])
	}
	// A replica's epoch is its primary's; its own starts at 0.
	if !(n.IsReplica() && n.primary != nil) {
		n.ConfigEpoch = epoch
	}
	if f[7] != "connected" && f[7] != "disconnected" {
		return fmt.Errorf("bad link state %q", f[7])
	}
	for _, arg := range f[8:] {
		if arg[0] == '[' {
			err = l.migration(arg)
		} else {
			err = l.addSlots(n, arg)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// vars reads "vars name value ..."; unknown names are skipped, as Valkey does.
func (l *confLoader) vars(f []string) error {
	if len(f)%2 != 1 {
		return fmt.Errorf("vars line needs name value pairs")
	}
	for i := 1; i < len(f); i += 2 {
		var dst *uint64
		switch {
		case strings.EqualFold(f[i], "currentEpoch"):
			dst = &l.st.CurrentEpoch
		case strings.EqualFold(f[i], "lastVoteEpoch"):
			dst = &l.st.LastVoteEpoch
		default:
			continue
		}
		v, err := strconv.ParseUint(f[i+1], 10, 64)
		if err != nil {
			return fmt.Errorf("bad %s %q", f[i], f[i+1])
		}
		*dst = v
	}
	return nil
}

// validAuxString: aux keys and values may not hold these characters (nor ',' and '=', which split them).
func validAuxString(s string) bool { return !strings.ContainsAny(s, "!#$%&()*+;<>?@[]^{|}~ ") }

// address reads ip:port[@cport][,hostname[,key=value...]].
func (l *confLoader) address(n *Node, field string) error {
	parts := strings.Split(field, ",")
	n.Hostname = ""
	if len(parts) > 1 {
		n.Hostname = parts[1]
	}
	var tcpAux, tlsAux bool
	for _, aux := range parts[min(2, len(parts)):] {
		kv := strings.Split(aux, "=")
		if len(kv) != 2 || !validAuxString(kv[0]) || !validAuxString(kv[1]) {
			return fmt.Errorf("malformed aux field %q", aux)
		}
		key, val := kv[0], kv[1]
		switch key {
		case "shard-id":
			if !ValidID(val) {
				return fmt.Errorf("bad shard-id %q", val)
			}
			n.ShardID = val
			l.hasShard[n] = true
		case "nodename":
			n.HumanNodename = val
		case "tcp-port", "tls-port":
			p, ok := parseInt64([]byte(val))
			if !ok || p < 0 || p > 65535 {
				return fmt.Errorf("bad %s %q", key, val)
			}
			if key == "tcp-port" {
				n.TCPPort, tcpAux = int(p), true
			} else {
				n.TLSPort, tlsAux = int(p), true
			}
		case "client-ipv4":
			n.ClientIPv4 = val
		case "client-ipv6":
			n.ClientIPv6 = val
		default:
			return fmt.Errorf("unknown aux field %q", key)
		}
	}
	addr := parts[0]
	colon := strings.LastIndexByte(addr, ':')
	if colon < 0 {
		return fmt.Errorf("address %q has no port", addr)
	}
	n.IP = addr[:colon]
	portStr, busStr, hasBus := strings.Cut(addr[colon+1:], "@")
	port, err := parsePort(portStr)
	if err != nil {
		return err
	}
	// Without port aux fields (older files) the address port is the client port of this cluster's
	// kind; with one, it is the other kind.
	switch {
	case !tcpAux && !tlsAux && l.cfg.TLSCluster:
		n.TLSPort = port
	case !tcpAux:
		n.TCPPort = port
	case !tlsAux:
		n.TLSPort = port
	}
	if hasBus {
		if n.BusPort, err = parsePort(busStr); err != nil {
			return err
		}
	} else {
		base := n.TCPPort
		if l.cfg.TLSCluster {
			base = n.TLSPort
		}
		n.BusPort = base + 10000
	}
	return nil
}

func parsePort(s string) (int, error) {
	p, ok := parseInt64([]byte(s))
	if !ok || p < 0 || p > 65535 {
		return 0, fmt.Errorf("bad port %q", s)
	}
	return int(p), nil
}

// flags reads the comma list of flags.
func (l *confLoader) flags(n *Node, field string) error {
	for _, f := range strings.Split(field, ",") {
		switch strings.ToLower(f) {
		case "myself":
			if l.st.myself != nil {
				return fmt.Errorf("a second node flagged myself (%s is)", l.st.myself.ID)
			}
			l.st.myself = n
			n.Flags |= FlagMyself
		case "master", "primary":
			n.Flags |= FlagPrimary
		case "slave", "replica":
			n.Flags |= FlagReplica
		case "fail?":
			n.Flags |= FlagPFail
		case "fail":
			n.Flags |= FlagFail
			n.FailTime = l.now
		case "handshake":
			n.Flags |= FlagHandshake
		case "noaddr":
			n.Flags |= FlagNoAddr
		case "nofailover":
			n.Flags |= FlagNoFailover
		case "noflags":
		default:
			return fmt.Errorf("unknown flag %q", f)
		}
	}
	return nil
}

// migration reads a [slot->-id] (migrating to) or [slot-<-id] (importing from) entry.
func (l *confLoader) migration(arg string) error {
	body, ok := strings.CutSuffix(arg[1:], "]")
	if !ok {
		return fmt.Errorf("malformed migration entry %q", arg)
	}
	table := &l.st.migrating
	slotStr, id, ok := strings.Cut(body, "->-")
	if !ok {
		table = &l.st.importing
		if slotStr, id, ok = strings.Cut(body, "-<-"); !ok {
			return fmt.Errorf("malformed migration entry %q", arg)
		}
	}
	slot, err := ParseSlot([]byte(slotStr))
	if err != nil {
		return fmt.Errorf("bad slot in %q", arg)
	}
	other, err := l.node(id)
	if err != nil {
		return fmt.Errorf("migration entry %q: %w", arg, err)
	}
	table[slot] = other
	return nil
}

// addSlots reads a slot or a start-end range owned by n.
func (l *confLoader) addSlots(n *Node, arg string) error {
	startStr, endStr, isRange := strings.Cut(arg, "-")
	if !isRange {
		endStr = startStr
	}
	start, err1 := ParseSlot([]byte(startStr))
	end, err2 := ParseSlot([]byte(endStr))
	if err1 != nil || err2 != nil || start > end {
		return fmt.Errorf("bad slot range %q", arg)
	}
	for j := start; j <= end; j++ {
		if owner := l.st.slots[j]; owner != nil {
			return fmt.Errorf("slot %d already owned by %s", j, owner.ID)
		}
		l.st.addSlot(n, j)
	}
	return nil
}

// finish checks the whole file: there is a myself, replicas share their primary's shard, epochs are
// consistent.
func (l *confLoader) finish() (*State, error) {
	st := l.st
	if st.myself == nil {
		return nil, &ConfigError{File: l.file, Reason: "no node is flagged myself"}
	}
	for n, no := range l.lineOf {
		p := n.primary
		if p == nil {
			continue
		}
		if p.IsPrimary() {
			p.Flags |= FlagMigrateTo // a primary that has (had) replicas may get a migrated one when orphaned
		}
		switch {
		case !l.hasShard[n]:
			n.ShardID = p.ShardID // written before shard ids existed: follow the primary
		case l.hasShard[p] && p.ShardID != n.ShardID:
			return nil, &ConfigError{File: l.file, Line: no, Text: strings.TrimSuffix(l.texts[no-1], "\r"),
				Reason: fmt.Sprintf("shard-id %s differs from its primary's %s", n.ShardID, p.ShardID)}
		}
	}
	// Guard against hand edits: currentEpoch is never below an epoch in use.
	st.CurrentEpoch = st.maxEpoch()
	return st, nil
}
