package sentinel

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// The engine speaks RESP2 to the instances it monitors (it never sends HELLO 3), but the reader also
// accepts the RESP3 types so that a reply shape it did not expect costs one ignored reply, not a
// dropped link.

// Reply kinds, by their RESP type byte.
const (
	kindStatus = '+'
	kindError  = '-'
	kindInt    = ':'
	kindBulk   = '$'
	kindArray  = '*'
	kindNull   = '_'
	kindPush   = '>'
)

// reply is one decoded RESP reply. Bulk, verbatim, double and big-number values are kept as text in
// str; maps and sets are flattened into elems like RESP2 shows them.
type reply struct {
	kind  byte
	str   string
	num   int64
	elems []*reply
	null  bool // a null bulk string or null array
}

// isError reports an error reply.
func (r *reply) isError() bool { return r != nil && r.kind == kindError }

// text is the string value of a status, error or bulk reply ("" otherwise).
func (r *reply) text() string {
	if r == nil {
		return ""
	}
	switch r.kind {
	case kindStatus, kindError, kindBulk:
		return r.str
	}
	return ""
}

// String renders a reply for logs and test failures.
func (r *reply) String() string {
	if r == nil {
		return "<no reply>"
	}
	switch r.kind {
	case kindInt:
		return strconv.FormatInt(r.num, 10)
	case kindArray, kindPush:
		if r.null {
			return "(nil array)"
		}
		s := "["
		for i, e := range r.elems {
			if i > 0 {
				s += " "
			}
			s += e.String()
		}
		return s + "]"
	case kindNull:
		return "(nil)"
	}
	if r.null {
		return "(nil)"
	}
	return strconv.Quote(r.str)
}

// Limits that keep a misbehaving peer from making the sentinel allocate without bound.
const (
	maxReplyBulk  = 512 << 20 // Valkey's proto-max-bulk-len default
	maxReplyElems = 1 << 24
	maxReplyDepth = 64
)

var errBadReply = errors.New("protocol error in reply")

// readReply decodes one reply from rd.
func readReply(rd *bufio.Reader) (*reply, error) { return readReplyDepth(rd, 0) }

func readReplyDepth(rd *bufio.Reader, depth int) (*reply, error) {
	if depth > maxReplyDepth {
		return nil, fmt.Errorf("%w: nested too deep", errBadReply)
	}
	line, err := readLine(rd)
	if err != nil {
		return nil, err
	}
	if len(line) == 0 {
		return nil, fmt.Errorf("%w: empty line", errBadReply)
	}
	typ, body := line[0], string(line[1:])
	switch typ {
	case '+', '-':
		return &reply{kind: typ, str: body}, nil
	case ':':
		n, err := strconv.ParseInt(body, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%w: bad integer %q", errBadReply, body)
		}
		return &reply{kind: kindInt, num: n}, nil
	case ',', '(': // double, big number: kept as text
		return &reply{kind: kindBulk, str: body}, nil
	case '#':
		n := int64(0)
		if body == "t" {
			n = 1
		}
		return &reply{kind: kindInt, num: n}, nil
	case '_':
		return &reply{kind: kindNull, null: true}, nil
	case '$', '=', '!':
		n, err := strconv.ParseInt(body, 10, 64)
		if err != nil || n < -1 || n > maxReplyBulk {
			return nil, fmt.Errorf("%w: bad bulk length %q", errBadReply, body)
		}
		if n == -1 {
			return &reply{kind: kindBulk, null: true}, nil
		}
		// the buffer grows with the data that arrives, so a length a peer only claims costs nothing
		var b bytes.Buffer
		b.Grow(int(min(n+2, 64<<10)))
		if _, err := io.CopyN(&b, rd, n+2); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		buf := b.Bytes()
		if buf[n] != '\r' || buf[n+1] != '\n' {
			return nil, fmt.Errorf("%w: bulk not terminated by CRLF", errBadReply)
		}
		s := string(buf[:n])
		kind := byte(kindBulk)
		switch typ {
		case '=': // verbatim: "txt:" prefix
			if len(s) >= 4 {
				s = s[4:]
			}
		case '!':
			kind = kindError
		}
		return &reply{kind: kind, str: s}, nil
	case '*', '>', '~', '%', '|':
		n, err := strconv.ParseInt(body, 10, 64)
		if err != nil || n < -1 || n > maxReplyElems {
			return nil, fmt.Errorf("%w: bad aggregate length %q", errBadReply, body)
		}
		kind := byte(kindArray)
		if typ == '>' {
			kind = kindPush
		}
		if n == -1 {
			return &reply{kind: kind, null: true}, nil
		}
		if typ == '%' || typ == '|' {
			n *= 2
		}
		r := &reply{kind: kind, elems: make([]*reply, 0, min(n, 1024))}
		for i := int64(0); i < n; i++ {
			e, err := readReplyDepth(rd, depth+1)
			if err != nil {
				return nil, err
			}
			r.elems = append(r.elems, e)
		}
		if typ == '|' { // an attribute precedes the real reply: skip it
			return readReplyDepth(rd, depth)
		}
		return r, nil
	}
	return nil, fmt.Errorf("%w: unknown type byte %q", errBadReply, typ)
}

// readLine returns one CRLF-terminated line without its terminator.
func readLine(rd *bufio.Reader) ([]byte, error) {
	line, err := rd.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		return nil, fmt.Errorf("%w: line too long", errBadReply)
	}
	if err != nil {
		return nil, err
	}
	if len(line) < 2 || line[len(line)-2] != '\r' {
		return nil, fmt.Errorf("%w: line not terminated by CRLF", errBadReply)
	}
	return line[:len(line)-2], nil
}
