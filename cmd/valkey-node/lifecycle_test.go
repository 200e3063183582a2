package main

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSignalShutdown: SIGTERM and SIGINT stop the node gracefully: exit code 0, the shutdown logged, the
// pid file written while it runs and removed afterwards, open client connections closed.
func TestSignalShutdown(t *testing.T) {
	t.Parallel()
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			pidfile := filepath.Join(t.TempDir(), "valkey-node.pid")
			n := startNode(t, nodeSpec{plain: true, args: []string{"--pidfile", pidfile}})
			data, err := os.ReadFile(pidfile)
			if err != nil {
				t.Fatalf("pid file: %v", err)
			}
			if got, want := strings.TrimSpace(string(data)), strconv.Itoa(n.cmd.Process.Pid); got != want {
				t.Errorf("pid file holds %q, want %q", got, want)
			}
			// a connected, idle client must not keep the node from exiting
			c, err := net.Dial("tcp", n.addr())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := c.Write([]byte("PING\r\n")); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 7)
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			if _, err := c.Read(buf); err != nil || string(buf) != "+PONG\r\n" {
				t.Fatalf("PING: %q %v", buf, err)
			}

			n.signal(sig)
			n.stopped = true
			if code := n.exitCode(); code != 0 {
				t.Errorf("exit code %d after %v, want 0\n%s", code, sig, n.out)
			}
			log := n.out.String()
			for _, want := range []string{"Received signal, scheduling shutdown...", "ready to exit, bye bye"} {
				if !strings.Contains(log, want) {
					t.Errorf("log lacks %q:\n%s", want, log)
				}
			}
			if _, err := os.Stat(pidfile); !os.IsNotExist(err) {
				t.Errorf("pid file still there after shutdown (stat: %v)", err)
			}
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			if _, err := c.Read(buf); err == nil {
				t.Errorf("client connection still open after shutdown")
			}
			n.checkNoRace()
		})
	}
}

// TestShutdownCommand: SHUTDOWN from a client ends the process with exit code 0.
func TestShutdownCommand(t *testing.T) {
	t.Parallel()
	n := startNode(t, nodeSpec{plain: true})
	c, err := net.Dial("tcp", n.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("SHUTDOWN NOSAVE\r\n")); err != nil {
		t.Fatal(err)
	}
	n.stopped = true
	if code := n.exitCode(); code != 0 {
		t.Errorf("exit code %d after SHUTDOWN, want 0\n%s", code, n.out)
	}
	if !strings.Contains(n.out.String(), "ready to exit") {
		t.Errorf("log lacks the exit line:\n%s", n.out)
	}
	n.checkNoRace()
}

var (
	legacyLine = regexp.MustCompile(`^(\d+):M \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2}\.\d{3} ([.\-*#]) (.+)$`)
	logfmtLine = regexp.MustCompile(`^time=\S+ level=(debug|verbose|notice|warning) msg=("(?:[^"\\]|\\.)*"|\S+)( [a-z_]+=("(?:[^"\\]|\\.)*"|\S*))*$`)
)

// TestLogFormats: with logfile set, each log-format writes one line per event in its format, starting
// with a banner that gives the version, the ports, whether TLS is on and the pid; nothing goes to stdout.
func TestLogFormats(t *testing.T) {
	t.Parallel()
	for _, format := range []string{"legacy", "logfmt", "json"} {
		for _, withTLS := range []bool{false, true} {
			name := format + "/tls-off"
			if withTLS {
				name = format + "/tls-on"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				logfile := filepath.Join(t.TempDir(), "node.log")
				n := startNode(t, nodeSpec{plain: true, tls: withTLS,
					args: []string{"--logfile", logfile, "--log-format", format}})
				if code := n.terminate(); code != 0 {
					t.Fatalf("exit %d\n%s", code, n.out)
				}
				if out := n.out.String(); out != "" {
					t.Errorf("with a logfile nothing should reach stdout/stderr, got:\n%s", out)
				}
				data, err := os.ReadFile(logfile)
				if err != nil {
					t.Fatal(err)
				}
				lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
				if len(lines) < 3 {
					t.Fatalf("want at least banner, signal and exit lines, got:\n%s", data)
				}
				pid := strconv.Itoa(n.cmd.Process.Pid)
				tlsState, tlsPort := "off", "0"
				if withTLS {
					tlsState, tlsPort = "on", strconv.Itoa(n.tlsPort)
				}
				want := map[string]string{"pid": pid, "port": strconv.Itoa(n.port), "tls_port": tlsPort, "tls": tlsState}
				banner := -1
				for i, l := range lines {
					fields, msg, ok := parseLogLine(format, l)
					if !ok {
						t.Errorf("line %d is not %s: %q", i+1, format, l)
						continue
					}
					if strings.Contains(msg, "ready to accept connections") && banner < 0 {
						banner = i
						for k, v := range want {
							if fields[k] != v {
								t.Errorf("banner field %s = %q, want %q: %q", k, fields[k], v, l)
							}
						}
						if !regexp.MustCompile(`^\d+\.\d+\.\d+`).MatchString(fields["version"]) {
							t.Errorf("banner has no version: %q", l)
						}
					}
				}
				if banner < 0 {
					t.Errorf("no startup banner in:\n%s", data)
				}
			})
		}
	}
}

// parseLogLine checks one line of the given format and returns its fields and message.
func parseLogLine(format, line string) (map[string]string, string, bool) {
	fields := map[string]string{}
	var rest, msg string
	switch format {
	case "json":
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			return nil, "", false
		}
		for k, v := range ev {
			switch x := v.(type) {
			case string:
				fields[k] = x
			case float64:
				fields[k] = strconv.FormatFloat(x, 'f', -1, 64)
			default:
				b, _ := json.Marshal(x)
				fields[k] = string(b)
			}
		}
		switch fields["level"] {
		case "debug", "verbose", "notice", "warning":
		default:
			return nil, "", false
		}
		if fields["time"] == "" {
			return nil, "", false
		}
		return fields, fields["message"], true
	case "legacy":
		m := legacyLine.FindStringSubmatch(line)
		if m == nil {
			return nil, "", false
		}
		fields["pid"] = m[1]
		rest = m[3]
		// the message runs up to the first " key=" pair
		if i := regexp.MustCompile(` [a-z_]+=`).FindStringIndex(rest); i != nil {
			msg, rest = rest[:i[0]], rest[i[0]+1:]
		} else {
			msg, rest = rest, ""
		}
	case "logfmt":
		if !logfmtLine.MatchString(line) {
			return nil, "", false
		}
		rest = line
	}
	for _, kv := range regexp.MustCompile(`([a-z_]+)=("(?:[^"\\]|\\.)*"|\S*)`).FindAllStringSubmatch(rest, -1) {
		v := kv[2]
		if uq, err := strconv.Unquote(v); err == nil {
			v = uq
		}
		if _, dup := fields[kv[1]]; !dup {
			fields[kv[1]] = v
		}
	}
	if format == "logfmt" {
		msg = fields["msg"]
	}
	return fields, msg, true
}

// TestLogLevel: loglevel filters events: warning hides the notice banner but keeps the shutdown
// warning, nothing writes no line at all, verbose adds client-level events that notice hides.
func TestLogLevel(t *testing.T) {
	t.Parallel()
	t.Run("warning", func(t *testing.T) {
		t.Parallel()
		n := startNode(t, nodeSpec{plain: true, args: []string{"--loglevel", "warning"}})
		n.terminate()
		log := n.out.String()
		if strings.Contains(log, "ready to accept connections") {
			t.Errorf("loglevel warning printed the notice banner:\n%s", log)
		}
		if !strings.Contains(log, "Received signal") {
			t.Errorf("loglevel warning hid the shutdown warning:\n%s", log)
		}
		for _, l := range strings.Split(strings.TrimSpace(log), "\n") {
			if m := legacyLine.FindStringSubmatch(l); m == nil || m[2] != "#" {
				t.Errorf("line below warning level: %q", l)
			}
		}
	})
	t.Run("nothing", func(t *testing.T) {
		t.Parallel()
		n := startNode(t, nodeSpec{plain: true, args: []string{"--loglevel", "nothing"}})
		n.terminate()
		if log := n.out.String(); log != "" {
			t.Errorf("loglevel nothing wrote:\n%s", log)
		}
	})
	// a client whose connection fails (here: a TLS client on the TLS port that resets the connection
	// during the handshake) is a verbose event
	for _, level := range []string{"notice", "verbose"} {
		t.Run(level, func(t *testing.T) {
			t.Parallel()
			n := startNode(t, nodeSpec{plain: true, tls: true, args: []string{"--loglevel", level}})
			c, err := net.Dial("tcp", n.tlsAddr())
			if err != nil {
				t.Fatal(err)
			}
			c.Write([]byte("PING\r\n")) // plain text on the TLS port: the handshake fails
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			c.Read(make([]byte, 64))
			c.Close()
			if level == "verbose" {
				waitUntil(t, "a verbose log line", func() bool { return hasMark(n.out.String(), "-") })
			}
			n.terminate()
			if level == "notice" && hasMark(n.out.String(), "-") {
				t.Errorf("loglevel notice printed verbose lines:\n%s", n.out)
			}
			if !hasMark(n.out.String(), "*") {
				t.Errorf("loglevel %s hid notice lines:\n%s", level, n.out)
			}
		})
	}
}

// hasMark reports whether a legacy log has a line with the level mark (. debug, - verbose, * notice).
func hasMark(log, mark string) bool {
	for _, l := range strings.Split(log, "\n") {
		if m := legacyLine.FindStringSubmatch(l); m != nil && m[2] == mark {
			return true
		}
	}
	return false
}
