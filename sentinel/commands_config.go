package sentinel

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/valkey-node/valkey-node/server"
	"github.com/valkey-node/valkey-node/server/glob"
)

// configParams are SENTINEL CONFIG's parameters, in the order CONFIG GET lists them.
var configParams = []string{"resolve-hostnames", "announce-hostnames", "announce-ip", "announce-port",
	"sentinel-user", "sentinel-pass", "loglevel"}

// logLevels are the loglevel values SENTINEL CONFIG SET takes.
var logLevels = map[string]bool{"debug": true, "verbose": true, "notice": true, "warning": true, "nothing": true}

func (s *Sentinel) cmdConfig(c *server.Client, args [][]byte) {
	switch op := strings.ToLower(string(args[2])); {
	case op == "set" && len(args) >= 5:
		s.configSet(c, args[3:])
	case op == "get":
		s.configGet(c, args[3:])
	default:
		c.Err("ERR Only SENTINEL CONFIG GET <param> [<param> <param> ...]/ SET <param> <value> [<param> <value> ...] are supported.")
	}
}

// configGet replies a map of the parameters matching any of the patterns (each listed once).
func (s *Sentinel) configGet(c *server.Client, patterns [][]byte) {
	loglevel := ""
	if kv := c.Server().Registry().Get([]string{"loglevel"}); len(kv) == 1 {
		loglevel = kv[0][1]
	}
	s.mu.Lock()
	values := map[string]string{
		"resolve-hostnames":  yesNoString(s.resolveHostnames),
		"announce-hostnames": yesNoString(s.announceHostnames),
		"announce-ip":        s.announceIP,
		"announce-port":      strconv.Itoa(s.announcePort),
		"sentinel-user":      s.sentinelUser,
		"sentinel-pass":      s.sentinelPass,
		"loglevel":           loglevel,
	}
	s.mu.Unlock()
	var names []string
	seen := map[string]bool{}
	for _, p := range patterns {
		for _, name := range configParams {
			if !seen[name] && glob.MatchString(string(p), name, true) {
				seen[name] = true
				names = append(names, name)
			}
		}
	}
	w := c.W()
	w.Map(len(names))
	for _, name := range names {
		w.BulkString(name)
		w.BulkString(values[name])
	}
}

// configSet checks every parameter and value first, then applies them all, saves the configuration and
// replies OK. New sentinel credentials close the links to the other sentinels so they reconnect with them.
func (s *Sentinel) configSet(c *server.Client, a [][]byte) {
	type change struct{ name, value string }
	var changes []change
	seen := map[string]bool{}
	for i := 0; i < len(a); i += 2 {
		name := strings.ToLower(string(a[i]))
		known := false
		for _, p := range configParams {
			known = known || p == name
		}
		if !known {
			c.Err(fmt.Sprintf("ERR Invalid argument '%s' to SENTINEL CONFIG SET", a[i]))
			return
		}
		if seen[name] {
			c.Err(fmt.Sprintf("ERR Duplicate argument '%s' to SENTINEL CONFIG SET", a[i]))
			return
		}
		seen[name] = true
		if i+1 >= len(a) {
			c.Err(fmt.Sprintf("ERR Missing argument '%s' value", a[i]))
			return
		}
		v := string(a[i+1])
		bad := false
		switch name {
		case "resolve-hostnames", "announce-hostnames":
			_, ok := yesNo(v)
			bad = !ok
		case "announce-port":
			n, err := strconv.Atoi(v)
			bad = err != nil || n < 0 || n > 65535
		case "loglevel":
			bad = !logLevels[strings.ToLower(v)]
		}
		if bad {
			c.Err(fmt.Sprintf("ERR Invalid value '%s' to SENTINEL CONFIG SET '%s'", v, a[i]))
			return
		}
		changes = append(changes, change{name, v})
	}
	for _, ch := range changes {
		if ch.name != "loglevel" {
			continue
		}
		if err := c.Server().Registry().Set([][2]string{{"loglevel", strings.ToLower(ch.value)}}, nil); err != nil {
			c.Err(err.Error())
			return
		}
	}
	s.mu.Lock()
	dropSentinelLinks := false
	for _, ch := range changes {
		switch ch.name {
		case "resolve-hostnames":
			s.resolveHostnames, _ = yesNo(ch.value)
		case "announce-hostnames":
			s.announceHostnames, _ = yesNo(ch.value)
		case "announce-ip":
			s.announceIP = ch.value
		case "announce-port":
			s.announcePort, _ = strconv.Atoi(ch.value)
			s.announcePortChangedLocked()
		case "sentinel-user":
			s.sentinelUser = ch.value
			dropSentinelLinks = true
		case "sentinel-pass":
			s.sentinelPass = ch.value
			dropSentinelLinks = true
		}
	}
	if dropSentinelLinks {
		for _, m := range s.masters {
			for _, se := range m.Sentinels {
				s.closeLinksLocked(se)
			}
		}
	}
	s.mu.Unlock()
	s.flushAndReply(c)
}

// announcePortChangedLocked makes hello messages announce the new announce-port, or the listener's port
// again for 0. The listener's port is read on another goroutine: it needs the server's lock, which the
// running command holds.
func (s *Sentinel) announcePortChangedLocked() {
	if s.announcePort != 0 {
		s.myPort = s.announcePort
		return
	}
	if !s.started {
		return // Start reads it
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		p := s.srv.ListenPort()
		s.mu.Lock()
		if s.announcePort == 0 {
			s.myPort = p
		}
		s.mu.Unlock()
	}()
}
