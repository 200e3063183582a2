package replication

import "fmt"

// backlog is the replication offset and the circular buffer of the newest stream bytes (Valkey's
// repl_backlog). The offset counts every byte ever fed under the current history (master_repl_offset is
// the offset of the last byte); the buffer keeps the last size bytes of it so that a replica that lost its
// link can continue from where it stopped instead of taking a full snapshot.
//
// The buffer grows lazily up to size: a node with a 10 MB backlog that only ever sees a few writes keeps a
// few bytes. Until it has grown to size the data sits in order at buf[0:len(buf)]; once full it wraps at
// head. Not safe for concurrent use: the Primary guards it with its mutex.
type backlog struct {
	size    int64 // repl-backlog-size: the most bytes kept
	offset  int64 // master_repl_offset: offset of the last byte fed (0 before any)
	active  bool  // a buffer exists (repl_backlog_active); offset advances either way
	buf     []byte
	head    int   // index where the next byte goes, once len(buf) == size
	histlen int64 // bytes held (repl_backlog_histlen)
}

// minBacklogSize guards against a zero or negative size reaching the ring arithmetic; the directive's
// own minimum (16 KB in Valkey) is enforced by the node's config layer.
const minBacklogSize = 1

func newBacklog(size int64) *backlog {
	return &backlog{size: max(size, minBacklogSize)}
}

// activate creates an empty buffer starting right after the current offset (Valkey sets
// repl_backlog->offset = master_repl_offset+1 on creation). No-op if one exists.
func (b *backlog) activate() {
	if b.active {
		return
	}
	b.active = true
	b.buf = b.buf[:0]
	b.head = 0
	b.histlen = 0
}

// free drops the buffer (repl-backlog-ttl). The offset keeps counting, so a later buffer starts at the
// right place and a replica asking for a byte that was never kept is refused by the range check.
func (b *backlog) free() {
	b.active = false
	b.buf = nil
	b.head = 0
	b.histlen = 0
}

// reset adopts offset as the new history's end (after a full sync as a replica) and empties the buffer:
// the bytes held belong to the previous history and must not be served under the new id.
func (b *backlog) reset(offset int64) {
	b.offset = offset
	b.buf = b.buf[:0]
	b.head = 0
	b.histlen = 0
}

// firstOffset is repl_backlog_first_byte_offset: the offset of the oldest byte held, or offset+1 when the
// buffer is empty.
func (b *backlog) firstOffset() int64 { return b.offset - b.histlen + 1 }

// contains reports whether a replica asking to continue at off (the first byte it lacks) can be served
// from the buffer: firstOffset <= off <= offset+1 (off == offset+1 means "nothing missing").
func (b *backlog) contains(off int64) bool {
	return b.active && off >= b.firstOffset() && off <= b.offset+1
}

// feed advances the offset by len(p) and, when active, keeps p's bytes (only the last size of them if p
// alone is larger than the buffer).
func (b *backlog) feed(p []byte) {
	b.offset += int64(len(p))
	if !b.active || len(p) == 0 {
		return
	}
	size := int(b.size)
	if len(p) >= size {
		p = p[len(p)-size:]
		b.grow(size)
		b.buf = b.buf[:size]
		copy(b.buf, p)
		b.head = 0
		b.histlen = b.size
		return
	}
	for len(p) > 0 {
		if len(b.buf) < size {
			// Still growing: append in order, no wrap yet.
			n := min(len(p), size-len(b.buf))
			b.grow(len(b.buf) + n)
			b.buf = append(b.buf, p[:n]...)
			p = p[n:]
			b.histlen += int64(n)
			b.head = len(b.buf) % size
			continue
		}
		n := copy(b.buf[b.head:], p)
		p = p[n:]
		b.head = (b.head + n) % size
		b.histlen = min(b.histlen+int64(n), b.size)
	}
}

// grow makes room for n bytes in buf without letting append overshoot size by its doubling.
func (b *backlog) grow(n int) {
	if n <= cap(b.buf) {
		return
	}
	c := min(max(n, 2*cap(b.buf), 4096), int(b.size))
	c = max(c, n)
	nb := make([]byte, len(b.buf), c)
	copy(nb, b.buf)
	b.buf = nb
}

// appendFrom appends to dst the bytes from offset off to the end of the stream. off must satisfy
// contains(off).
func (b *backlog) appendFrom(dst []byte, off int64) ([]byte, error) {
	if !b.contains(off) {
		return dst, fmt.Errorf("backlog: offset %d outside [%d, %d]", off, b.firstOffset(), b.offset+1)
	}
	n := int(b.offset + 1 - off)
	if n == 0 {
		return dst, nil
	}
	// histlen == len(buf) always (the ring only grows while not full), so the oldest byte is at head
	// modulo the ring (0 while still growing).
	start := (b.head - int(b.histlen) + len(b.buf)) % len(b.buf)
	idx := (start + int(off-b.firstOffset())) % len(b.buf)
	first := min(n, len(b.buf)-idx)
	dst = append(dst, b.buf[idx:idx+first]...)
	return append(dst, b.buf[:n-first]...), nil
}

// resize changes the size at runtime, keeping the newest bytes that fit.
func (b *backlog) resize(size int64) {
	size = max(size, minBacklogSize)
	if size == b.size {
		return
	}
	if !b.active || b.histlen == 0 {
		b.size = size
		b.buf = nil
		b.head = 0
		return
	}
	keep := min(b.histlen, size)
	data, _ := b.appendFrom(make([]byte, 0, keep), b.offset-keep+1)
	b.size = size
	b.buf = data
	b.histlen = keep
	b.head = int(keep % size)
}
