package replication

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"
)

// linkMaxArgs bounds the argument count of one command from the primary (Valkey's INT_MAX).
const linkMaxArgs = 1<<31 - 1

// linkMaxBulk bounds one argument: a primary imposes no proto-max-bulk-len on its stream, this only
// rejects lengths that cannot be real.
const linkMaxBulk = 1 << 40

// errLinkDesync is a stream that is not the RESP a primary sends: the link is dropped and resynced.
var errLinkDesync = errors.New("protocol error in the stream from PRIMARY")

// stream applies the replication stream until the connection fails or stays silent for repl-timeout.
// Every complete command in the buffer goes to the host in one Apply; a REPLCONF GETACK ends its batch so
// the ACK that answers it covers it and everything before it. An ACK is also sent every ackEvery.
func (l *Link) stream(c *linkConn) error {
	l.readOff.Store(l.host.Offset() + int64(c.buffered()))
	c.counting = true

	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(l.ackEvery)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
				// A write that fails means a dead connection, which the reader notices as well.
				_ = c.sendAck(l.replTimeout())
			}
		}
	}()
	defer func() {
		close(quit)
		wg.Wait()
	}()

	var p linkParser
	for {
		if err := l.applyBuffered(c, &p); err != nil {
			return err
		}
		if err := c.fill(l.replTimeout()); err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return fmt.Errorf("PRIMARY timeout: no data nor PING received...: %w", err)
			}
			return err
		}
	}
}

// applyBuffered applies every complete command buffered. Empty lines and empty multibulks are skipped
// but not consumed on their own: like Valkey, which moves the applied offset only when it processes a
// command, their bytes count with (and are passed on with) the next command.
func (l *Link) applyBuffered(c *linkConn, p *linkParser) error {
	for {
		data := c.buf[c.r:c.w]
		p.reset()
		pos, last, getack := 0, 0, false
		for !getack {
			args, end, err := p.next(data, pos)
			if err != nil {
				// What came before the garbage was sent by the primary as it was: apply it.
				if len(p.cmds) > 0 {
					l.host.Apply(p.cmds, data[:last])
					c.r += last
				}
				return err
			}
			if end < 0 {
				break
			}
			pos = end
			if args == nil {
				continue
			}
			p.cmds = append(p.cmds, args)
			last = end
			getack = isLinkGetAck(args)
		}
		if len(p.cmds) == 0 {
			return nil
		}
		l.host.Apply(p.cmds, data[:last])
		c.r += last
		p.consumed(last)
		if !getack {
			return nil
		}
		if err := c.sendAck(l.replTimeout()); err != nil {
			return fmt.Errorf("answering REPLCONF GETACK: %w", err)
		}
	}
}

func isLinkGetAck(args [][]byte) bool {
	return len(args) >= 2 && bytes.EqualFold(args[0], []byte("REPLCONF")) && bytes.EqualFold(args[1], []byte("GETACK"))
}

// linkParser splits the stream into commands. The arguments it returns are slices of the data it is
// given. A command that is not complete yet is remembered (its argument offsets so far), so a large
// command arriving over many reads is not parsed again from its start each time.
type linkParser struct {
	cmds [][][]byte
	args [][]byte // arena the commands' argv are cut from

	part struct {
		active bool
		start  int   // where the command starts, relative to the unconsumed data
		n      int   // its argument count
		pos    int   // where parsing stopped
		offs   []int // start,end of each complete argument
	}
}

func (p *linkParser) reset() {
	clear(p.cmds)
	p.cmds = p.cmds[:0]
	clear(p.args)
	p.args = p.args[:0]
}

// consumed tells the parser that the first k bytes of the data are gone.
func (p *linkParser) consumed(k int) {
	if !p.part.active {
		return
	}
	p.part.start -= k
	p.part.pos -= k
	for i := range p.part.offs {
		p.part.offs[i] -= k
	}
}

// next parses the command at data[pos:]. It returns end < 0 if the command is not complete, args nil for
// an empty line or an empty multibulk, and an error for anything a primary does not send.
func (p *linkParser) next(data []byte, pos int) (args [][]byte, end int, err error) {
	if pos >= len(data) {
		return nil, -1, nil
	}
	if data[pos] != '*' {
		// Inline: the only one a primary sends is the empty line that keeps a connection alive.
		i := bytes.IndexByte(data[pos:], '\n')
		if i < 0 {
			if len(data)-pos > linkMaxLine {
				return nil, 0, fmt.Errorf("%w: unterminated inline line", errLinkDesync)
			}
			return nil, -1, nil
		}
		line := bytes.TrimSuffix(data[pos:pos+i], []byte{'\r'})
		if len(line) > 0 {
			return nil, 0, fmt.Errorf("%w: inline command %q (Master using the inline protocol. Desync?)", errLinkDesync, linkTrunc(line))
		}
		return nil, pos + i + 1, nil
	}

	pt := &p.part
	if !pt.active || pt.start != pos {
		n, hdrEnd, ok, err := linkHeader(data, pos, '*')
		if err != nil || !ok {
			return nil, -1, err
		}
		if n <= 0 {
			return nil, hdrEnd, nil
		}
		if n > linkMaxArgs {
			return nil, 0, fmt.Errorf("%w: invalid multibulk length", errLinkDesync)
		}
		pt.active, pt.start, pt.n, pt.pos, pt.offs = true, pos, int(n), hdrEnd, pt.offs[:0]
	}
	for len(pt.offs) < 2*pt.n {
		size, hdrEnd, ok, err := linkHeader(data, pt.pos, '$')
		if err != nil {
			pt.active = false
			return nil, 0, err
		}
		if !ok {
			return nil, -1, nil
		}
		if size < 0 || size > linkMaxBulk {
			pt.active = false
			return nil, 0, fmt.Errorf("%w: invalid bulk length", errLinkDesync)
		}
		if int64(len(data)-hdrEnd) < size+2 {
			return nil, -1, nil
		}
		argEnd := hdrEnd + int(size)
		if data[argEnd] != '\r' || data[argEnd+1] != '\n' {
			pt.active = false
			return nil, 0, fmt.Errorf("%w: bulk not followed by CRLF", errLinkDesync)
		}
		pt.offs = append(pt.offs, hdrEnd, argEnd)
		pt.pos = argEnd + 2
	}
	pt.active = false
	first := len(p.args)
	for i := 0; i < len(pt.offs); i += 2 {
		p.args = append(p.args, data[pt.offs[i]:pt.offs[i+1]])
	}
	return p.args[first:len(p.args):len(p.args)], pt.pos, nil
}

// linkHeader parses a "<kind><integer>\r\n" line at data[pos:]; ok is false if it is not complete.
func linkHeader(data []byte, pos int, kind byte) (n int64, end int, ok bool, err error) {
	if pos >= len(data) {
		return 0, 0, false, nil
	}
	if data[pos] != kind {
		return 0, 0, false, fmt.Errorf("%w: expected '%c', got %q", errLinkDesync, kind, linkTrunc(data[pos:]))
	}
	i := bytes.IndexByte(data[pos:], '\r')
	if i < 0 || pos+i+1 >= len(data) {
		if len(data)-pos > linkMaxLine {
			return 0, 0, false, fmt.Errorf("%w: header line too long", errLinkDesync)
		}
		return 0, 0, false, nil
	}
	if data[pos+i+1] != '\n' {
		return 0, 0, false, fmt.Errorf("%w: header not ended by CRLF", errLinkDesync)
	}
	n, perr := strconv.ParseInt(string(data[pos+1:pos+i]), 10, 64)
	if perr != nil {
		return 0, 0, false, fmt.Errorf("%w: invalid length %q", errLinkDesync, linkTrunc(data[pos+1:pos+i]))
	}
	return n, pos + i + 2, true, nil
}

// linkTrunc shortens bytes quoted in an error.
func linkTrunc(b []byte) []byte {
	if len(b) > 32 {
		return b[:32]
	}
	return b
}
