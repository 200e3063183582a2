package server

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/valkey-node/valkey-node/server/resp"
)

// feedMonitors sends a command to every MONITOR client, in Valkey's format:
// +1339518083.107412 [0 127.0.0.1:60866] "keys" "*"
func (s *Server) feedMonitors(c *Client, cmd *Command, args [][]byte) {
	now := time.Now()
	var b strings.Builder
	fmt.Fprintf(&b, "%d.%06d [%d ", now.Unix(), now.Nanosecond()/1000, c.db)
	if c.kind == kindUnix {
		fmt.Fprintf(&b, "unix:%s] ", s.cfg.UnixSocket)
	} else {
		fmt.Fprintf(&b, "%s] ", c.addr)
	}
	red := s.redactedArgs(cmd, args)
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		if red[i] {
			b.WriteString(`"(redacted)"`)
			continue
		}
		b.WriteString(quoteRepr(a))
	}
	line := b.String()
	for m := range s.monitors {
		m.push(func(w *resp.Writer) { w.Simple(line) })
	}
}

// quoteRepr renders bytes like Valkey's sdscatrepr: double quoted, escapes for quotes, backslashes and
// control characters, \xHH for other non-printable bytes.
func quoteRepr(a []byte) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, c := range a {
		switch c {
		case '\\', '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\a':
			b.WriteString(`\a`)
		case '\b':
			b.WriteString(`\b`)
		default:
			if c < 0x20 || c >= 0x7f {
				b.WriteString(`\x`)
				b.WriteString(strconv.FormatInt(int64(c)>>4, 16))
				b.WriteString(strconv.FormatInt(int64(c)&15, 16))
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

func monitorCommand(c *Client, args [][]byte) {
	if c.flags.monitor {
		return // already monitoring: Valkey ignores it without a reply
	}
	c.flags.monitor = true
	c.srv.monitors[c] = struct{}{}
	c.W().OK()
}

func init() {
	register(spec{name: "monitor", arity: 1, flags: "admin noscript loading stale", group: "server",
		summary: "Listens for all requests received by the server in real-time.", since: "1.0.0", handler: monitorCommand})
}
