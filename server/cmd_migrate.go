package server

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/valkey-node/valkey-node/server/rdb"

	"github.com/valkey-node/valkey-node/server/resp"
)

// MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE] [AUTH password | AUTH2 user password]
// [KEYS key ...]: each key is DUMPed, RESTOREd on the target (RESTORE-ASKING in cluster mode, so an
// importing slot accepts it) and deleted here unless COPY. As in Valkey the command runs to completion
// while holding the node (it is an administrative transfer with a timeout); the connection is TLS iff
// tls-cluster, with the shared certificate manager's client material.
func migrateCommand(c *Client, args [][]byte) {
	s := c.srv
	host := string(args[1])
	port, err := strconv.Atoi(string(args[2]))
	if err != nil || port <= 0 || port > 65535 {
		c.Err(errNotInt)
		return
	}
	dbID, ok1 := parseInt64(args[4])
	timeoutMs, ok2 := parseInt64(args[5])
	if !ok1 || !ok2 {
		c.Err(errNotInt)
		return
	}
	if timeoutMs <= 0 {
		timeoutMs = 1000
	}
	var copyKeys, replace bool
	var authArgs []string
	keys := [][]byte{args[3]}
	for i := 6; i < len(args); i++ {
		switch {
		case eqFold(args[i], "copy"):
			copyKeys = true
		case eqFold(args[i], "replace"):
			replace = true
		case eqFold(args[i], "auth") && i+1 < len(args):
			authArgs = []string{"AUTH", string(args[i+1])}
			i++
		case eqFold(args[i], "auth2") && i+2 < len(args):
			authArgs = []string{"AUTH", string(args[i+1]), string(args[i+2])}
			i += 2
		case eqFold(args[i], "keys"):
			if len(args[3]) != 0 {
				c.Err("ERR When using MIGRATE KEYS option, the key argument must be set to the empty string")
				return
			}
			keys = args[i+1:]
			i = len(args)
		default:
			c.Err(errSyntax)
			return
		}
	}
	type item struct {
		key     []byte
		ttl     int64
		payload []byte
	}
	var items []item
	db := c.dbx()
	for _, k := range keys {
		o := s.lookupRead(c, k)
		if o == nil {
			continue
		}
		p := rdb.DumpPayload(o, s.rdbOptions())
		if p == nil {
			c.Err("ERR MIGRATE is not supported for this value type")
			return
		}
		ttl := int64(0)
		if when := db.Expire(k); when >= 0 {
			ttl = max(when-nowMs(), 1)
		}
		items = append(items, item{key: k, ttl: ttl, payload: p})
	}
	if len(items) == 0 {
		c.W().Simple("NOKEY")
		return
	}
	timeout := time.Duration(timeoutMs) * time.Millisecond
	conn, err := s.dialMigrate(net.JoinHostPort(host, strconv.Itoa(port)), timeout)
	if err != nil {
		c.Err("IOERR error or timeout connecting to the client")
		return
	}
	defer conn.Close()
	restoreCmd := "RESTORE"
	if s.cl != nil {
		restoreCmd = "RESTORE-ASKING"
	}
	var out []byte
	sent := 0
	if authArgs != nil {
		out = appendStrCommand(out, authArgs...)
		sent++
	}
	if s.cl == nil || dbID != 0 {
		out = appendStrCommand(out, "SELECT", strconv.FormatInt(dbID, 10))
		sent++
	}
	for _, it := range items {
		argv := [][]byte{[]byte(restoreCmd), it.key, strconv.AppendInt(nil, it.ttl, 10), it.payload}
		if replace {
			argv = append(argv, []byte("REPLACE"))
		}
		out = resp.AppendCommand(out, argv...)
	}
	conn.SetDeadline(time.Now().Add(timeout))
	if _, err := conn.Write(out); err != nil {
		c.Err("IOERR error or timeout writing to target instance")
		return
	}
	br := bufio.NewReader(conn)
	for i := 0; i < sent; i++ {
		line, err := readReplyLine(br)
		if err != nil {
			c.Err("IOERR error or timeout reading to target instance")
			return
		}
		if strings.HasPrefix(line, "-") {
			c.Err("ERR Target instance replied with error: " + line[1:])
			return
		}
	}
	var firstErr string
	for _, it := range items {
		line, err := readReplyLine(br)
		if err != nil {
			c.Err("IOERR error or timeout reading to target instance")
			return
		}
		if strings.HasPrefix(line, "-") {
			if firstErr == "" {
				firstErr = line[1:]
			}
			continue
		}
		if !copyKeys {
			s.memDeleteKey(c.db, it.key, false)
			s.keyModified(db, it.key)
			s.notifyKeyspace(notifyGeneric, "del", it.key, c.db)
			s.alsoPropagate(c.db, bDEL, it.key)
		}
	}
	c.preventPropagation()
	if firstErr != "" {
		c.Err("ERR Target instance replied with error: " + firstErr)
		return
	}
	c.W().OK()
}

// dialMigrate connects to a MIGRATE target: TLS iff tls-cluster (in cluster mode) or the node serves
// only TLS, with the manager's client material.
func (s *Server) dialMigrate(addr string, timeout time.Duration) (net.Conn, error) {
	d := &net.Dialer{Timeout: timeout}
	if !s.cfg.TLS.Cluster {
		return d.Dial("tcp", addr)
	}
	cfg, err := s.tls.ClientConfig("")
	if err != nil {
		return nil, err
	}
	return tls.DialWithDialer(d, "tcp", addr, cfg)
}

func appendStrCommand(b []byte, argv ...string) []byte {
	bs := make([][]byte, len(argv))
	for i, a := range argv {
		bs[i] = []byte(a)
	}
	return resp.AppendCommand(b, bs...)
}

// readReplyLine reads one simple reply line (+OK, -ERR …, :n) of a RESTORE/AUTH/SELECT.
func readReplyLine(br *bufio.Reader) (string, error) {
	l, err := br.ReadString('\n')
	if err != nil {
		return "", err
	}
	l = strings.TrimRight(l, "\r\n")
	if l == "" {
		return "", fmt.Errorf("empty reply")
	}
	return l, nil
}

func migrateKeys(args [][]byte) []int {
	if len(args[3]) != 0 {
		return []int{3}
	}
	for i := 6; i < len(args); i++ {
		if eqFold(args[i], "keys") {
			out := make([]int, 0, len(args)-i-1)
			for j := i + 1; j < len(args); j++ {
				out = append(out, j)
			}
			return out
		}
	}
	return nil
}

func init() {
	register(
		spec{name: "migrate", arity: -6, flags: "write dangerous", group: "generic", keys: migrateKeys,
			summary: "Atomically transfers a key from one Redis instance to another.", since: "2.6.0",
			complexity: "This command actually executes a DUMP+DEL in the source instance, and a RESTORE in the target instance. See the pages of these commands for time complexity. Also an O(N) data transfer between the two instances is performed.",
			handler:    migrateCommand},
		spec{name: "restore-asking", arity: -4, flags: "write denyoom asking dangerous", first: 1, last: 1, step: 1, group: "server",
			summary: "An internal command for migrating keys in a cluster.", since: "3.0.0",
			complexity: "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).",
			handler:    restoreCommand},
	)
}
