package replication

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/valkey-node/valkey-node/server/resp"
)

const (
	// linkBufSize is the read buffer of the link: large, so that a busy stream is applied in big batches
	// (one host call and one lock acquisition per read rather than per command).
	linkBufSize = 256 * 1024
	// linkMaxLine bounds a reply or header line, as Valkey bounds inline requests (PROTO_INLINE_MAX_SIZE).
	linkMaxLine = 64 * 1024
)

// linkConn is the link's connection with its one read buffer. Every phase (handshake replies, the RDB,
// the stream) reads through it, so bytes that arrive in the same read as the end of one phase are
// kept for the next. Only the link's goroutine reads; writes from several goroutines take wmu.
type linkConn struct {
	l    *Link
	conn net.Conn
	buf  []byte
	r, w int // unread bytes are buf[r:w]
	// counting makes every byte read count in slave_read_repl_offset (the stream phase).
	counting bool

	wmu sync.Mutex
}

func newLinkConn(l *Link, conn net.Conn) *linkConn {
	return &linkConn{l: l, conn: conn, buf: make([]byte, linkBufSize)}
}

func (c *linkConn) buffered() int { return c.w - c.r }

// fill reads once more from the connection, waiting at most timeout. It moves the unread bytes to the
// front of the buffer first, so slices of the buffer handed out before are invalid after it.
func (c *linkConn) fill(timeout time.Duration) error {
	if c.r == c.w {
		c.r, c.w = 0, 0
		if len(c.buf) > 4*linkBufSize {
			// A huge command grew the buffer; do not keep it for the rest of the link's life.
			c.buf = make([]byte, linkBufSize)
		}
	}
	if c.w == len(c.buf) {
		if c.r > 0 {
			c.w = copy(c.buf, c.buf[c.r:c.w])
			c.r = 0
		} else {
			nb := make([]byte, 2*len(c.buf))
			c.w = copy(nb, c.buf[c.r:c.w])
			c.r = 0
			c.buf = nb
		}
	}
	if err := c.conn.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return fmt.Errorf("setting the read deadline: %w", err)
	}
	for {
		n, err := c.conn.Read(c.buf[c.w:])
		if n > 0 {
			c.w += n
			now := time.Now().UnixNano()
			c.l.lastIO.Store(now)
			if c.counting {
				c.l.readOff.Add(int64(n))
			}
			return nil
		}
		if err != nil {
			return linkReadError(err)
		}
	}
}

// linkReadError gives read errors the meaning the logs need.
func linkReadError(err error) error {
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return fmt.Errorf("timeout reading from PRIMARY: %w", err)
	case errors.Is(err, io.EOF):
		return fmt.Errorf("connection closed by PRIMARY: %w", io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("reading from PRIMARY: %w", err)
}

// Read hands out buffered bytes, reading the connection (with repl-timeout) when none are left.
func (c *linkConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if c.r == c.w {
		if err := c.fill(c.l.replTimeout()); err != nil {
			return 0, err
		}
	}
	n := copy(p, c.buf[c.r:c.w])
	c.r += n
	return n, nil
}

// readLine returns the next line without its "\r\n" (or "\n"), reading with timeout per read.
func (c *linkConn) readLine(timeout time.Duration) (string, error) {
	for {
		if i := bytes.IndexByte(c.buf[c.r:c.w], '\n'); i >= 0 {
			line := c.buf[c.r : c.r+i]
			c.r += i + 1
			line = bytes.TrimSuffix(line, []byte{'\r'})
			return string(line), nil
		}
		if c.buffered() > linkMaxLine {
			return "", errors.New("protocol error: line from PRIMARY too long")
		}
		if err := c.fill(timeout); err != nil {
			return "", err
		}
	}
}

// readReply reads one reply line of the handshake, skipping the empty lines a primary may send to keep
// the connection alive before it answers.
func (c *linkConn) readReply(timeout time.Duration) (string, error) {
	for {
		line, err := c.readLine(timeout)
		if err != nil || line != "" {
			return line, err
		}
	}
}

// write sends b as one write, failing if it does not complete within timeout.
func (c *linkConn) write(timeout time.Duration, b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.conn.SetWriteDeadline(time.Now().Add(timeout)); err != nil {
		return fmt.Errorf("setting the write deadline: %w", err)
	}
	if _, err := c.conn.Write(b); err != nil {
		return fmt.Errorf("writing to PRIMARY: %w", err)
	}
	return nil
}

// sendAck sends REPLCONF ACK with the node's offset as it is now.
// A host with an append-only file (FsyncedOffsetHost) also reports, as FACK, the offset up to which its
// AOF is on disk, which the primary's WAITAOF counts.
func (c *linkConn) sendAck(timeout time.Duration) error {
	off := c.l.host.Offset()
	args := []string{"REPLCONF", "ACK", strconv.FormatInt(off, 10)}
	if fh, ok := c.l.host.(FsyncedOffsetHost); ok {
		if fack, ok := fh.FsyncedOffset(); ok {
			args = append(args, "FACK", strconv.FormatInt(fack, 10))
		}
	}
	return c.write(timeout, resp.AppendCommand(nil, args...))
}
