package replication

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// linkMarkLen is the length of the EOF mark of a diskless transfer ("$EOF:<40 chars>").
const linkMarkLen = 40

// linkTempSeq numbers the temporary RDB files of disk-based loads within the process.
var linkTempSeq atomic.Uint64

// fullSync receives the RDB that follows +FULLRESYNC (or SYNC), has the host load it, and then
// acknowledges the primary's offset at once: after a diskless transfer the primary streams nothing
// until that first REPLCONF ACK.
func (l *Link) fullSync(c *linkConn, replid string, offset int64) error {
	l.setState(LinkSync)
	l.beginSync()
	defer l.endSync()

	mark, size, err := l.readBulkHeader(c)
	if err != nil {
		return err
	}
	tr := &linkTransfer{l: l}
	if mark != nil {
		tr.src = &linkMarkReader{c: c, mark: mark}
	} else {
		tr.src = &linkExactReader{c: c, left: size}
		l.mu.Lock()
		l.syncTotal = size
		l.mu.Unlock()
	}

	stopKeepalive := l.keepalive(c)
	err = l.load(tr, mark != nil, size, replid, offset)
	stopKeepalive()
	if err != nil {
		return err
	}
	if err := c.sendAck(l.replTimeout()); err != nil {
		return fmt.Errorf("acknowledging the loaded RDB: %w", err)
	}
	l.log.Info().Msg("PRIMARY <-> REPLICA sync: Finished with success")
	return nil
}

func (l *Link) beginSync() {
	l.syncRead.Store(0)
	l.syncLastIO.Store(time.Now().UnixNano())
	l.mu.Lock()
	l.syncing = true
	l.syncTotal = 0
	l.mu.Unlock()
}

func (l *Link) endSync() {
	l.mu.Lock()
	l.syncing = false
	l.syncTotal = 0
	l.mu.Unlock()
}

// readBulkHeader reads the "$<len>" or "$EOF:<mark>" line that starts the RDB. A primary still preparing
// the RDB sends newlines meanwhile; each one resets repl-timeout.
func (l *Link) readBulkHeader(c *linkConn) (mark []byte, size int64, err error) {
	for {
		line, err := c.readLine(l.replTimeout())
		if err != nil {
			return nil, 0, fmt.Errorf("waiting for the RDB from PRIMARY: %w", err)
		}
		if line == "" {
			continue
		}
		switch line[0] {
		case '-':
			return nil, 0, fmt.Errorf("PRIMARY aborted replication with an error: %s", line)
		case '$':
		default:
			return nil, 0, fmt.Errorf("Bad protocol from PRIMARY, the first byte is not '$' (we received '%s'), are you sure the host and port are right?", line)
		}
		if m, ok := strings.CutPrefix(line, "$EOF:"); ok {
			if len(m) != linkMarkLen {
				return nil, 0, fmt.Errorf("Bad protocol from PRIMARY, EOF mark of %d bytes in '%s'", len(m), line)
			}
			return []byte(m), 0, nil
		}
		size, err := strconv.ParseInt(line[1:], 10, 64)
		if err != nil || size < 0 {
			return nil, 0, fmt.Errorf("Bad protocol from PRIMARY, invalid RDB length in '%s'", line)
		}
		return nil, size, nil
	}
}

// load hands the transfer to the host: straight from the socket, or through a temporary file when
// repl-diskless-load is disabled.
func (l *Link) load(tr *linkTransfer, eofMode bool, size int64, replid string, offset int64) error {
	if strings.EqualFold(l.cfg.DisklessLoad, "disabled") {
		return l.loadViaFile(tr, eofMode, size, replid, offset)
	}
	if eofMode {
		l.log.Info().Msg("PRIMARY <-> REPLICA sync: receiving streamed RDB from primary with EOF to parser")
	} else {
		l.log.Info().Msgf("PRIMARY <-> REPLICA sync: receiving %d bytes from primary to parser", size)
	}
	l.log.Info().Msg("PRIMARY <-> REPLICA sync: Loading DB in memory")
	ferr := l.host.FullSync(tr, replid, offset)
	if tr.err != nil {
		// The connection broke: whatever the host made of the partial RDB, the sync failed.
		return fmt.Errorf("receiving the RDB from PRIMARY: %w", tr.err)
	}
	if ferr != nil {
		return fmt.Errorf("Failed trying to load the PRIMARY synchronization DB from socket: %w", ferr)
	}
	if !tr.done {
		// Keep the stream aligned even if the loader stopped short of the RDB's end.
		n, err := io.Copy(io.Discard, tr)
		if err != nil {
			return fmt.Errorf("receiving the RDB from PRIMARY: %w", err)
		}
		if n > 0 {
			l.log.Warn().Msgf("PRIMARY <-> REPLICA sync: the loader left %d bytes of the RDB unread", n)
		}
	}
	return nil
}

// loadViaFile stores the transfer in a temporary file of dir, loads it and removes it.
func (l *Link) loadViaFile(tr *linkTransfer, eofMode bool, size int64, replid string, offset int64) error {
	dir := l.cfg.Dir
	if dir == "" {
		dir = "."
	}
	path := filepath.Join(dir, fmt.Sprintf("temp-%d-%d.rdb", os.Getpid(), linkTempSeq.Add(1)))
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("Opening the temp file needed for PRIMARY <-> REPLICA synchronization: %w", err)
	}
	defer func() {
		_ = f.Close()
		if err := os.Remove(path); err != nil {
			l.log.Warn().Err(err).Msgf("Unable to remove the temp file %s", path)
		}
	}()
	if eofMode {
		l.log.Info().Msg("PRIMARY <-> REPLICA sync: receiving streamed RDB from primary with EOF to disk")
	} else {
		l.log.Info().Msgf("PRIMARY <-> REPLICA sync: receiving %d bytes from primary to disk", size)
	}
	if _, err := io.Copy(f, tr); err != nil {
		if tr.err != nil {
			return fmt.Errorf("receiving the RDB from PRIMARY: %w", tr.err)
		}
		return fmt.Errorf("writing the RDB to %s: %w", path, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("rewinding %s: %w", path, err)
	}
	l.log.Info().Msg("PRIMARY <-> REPLICA sync: Loading DB in memory")
	if err := l.host.FullSync(f, replid, offset); err != nil {
		return fmt.Errorf("Failed trying to load the PRIMARY synchronization DB from disk: %w", err)
	}
	return nil
}

// keepalive writes a newline to the primary every keepaliveEvery until the returned function is called
// (which waits for the goroutine): a primary drops a replica it has not heard from for repl-timeout,
// and loading a big RDB can take longer than that.
func (l *Link) keepalive(c *linkConn) (stop func()) {
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(l.keepaliveEvery)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
				// A failed write shows up on the reading side too; nothing else to do here.
				_ = c.write(l.stepTimeout, []byte{'\n'})
			}
		}
	}()
	return func() {
		close(quit)
		wg.Wait()
	}
}

// linkTransfer is the reader the host loads from: it counts progress for INFO and remembers whether
// the RDB ended (done) or the connection failed (err), whatever the host does with the error.
type linkTransfer struct {
	l    *Link
	src  io.Reader
	err  error
	done bool
}

func (t *linkTransfer) Read(p []byte) (int, error) {
	if t.err != nil {
		return 0, t.err
	}
	n, err := t.src.Read(p)
	if n > 0 {
		t.l.syncRead.Add(int64(n))
		t.l.syncLastIO.Store(time.Now().UnixNano())
	}
	switch {
	case err == io.EOF:
		t.done = true
	case err != nil:
		t.err = err
	}
	return n, err
}

// linkExactReader reads exactly left bytes (a "$<len>" transfer, no trailing CRLF).
type linkExactReader struct {
	c    *linkConn
	left int64
}

func (r *linkExactReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	n, err := r.c.Read(p)
	r.left -= int64(n)
	return n, err
}

// linkMarkReader reads a "$EOF:" transfer: the RDB ends where the 40-byte mark appears. It works on the
// connection's buffer, never handing out the last 39 buffered bytes until more data shows they are not
// the start of the mark, so a mark split across reads is found and the reader ends exactly at the RDB's
// end; the mark is consumed and the bytes after it stay buffered for the stream. Memory stays bounded
// by the buffer whatever the RDB's size.
type linkMarkReader struct {
	c    *linkConn
	mark []byte
	// from is where, relative to the unread bytes, the mark may start: the bytes before it have been
	// searched already.
	from int
	done bool
}

func (m *linkMarkReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	c := m.c
	for {
		if m.done {
			return 0, io.EOF
		}
		avail := c.buf[c.r:c.w]
		if i := bytes.Index(avail[m.from:], m.mark); i >= 0 {
			i += m.from
			if i == 0 {
				c.r += len(m.mark)
				m.done = true
				return 0, io.EOF
			}
			n := copy(p, avail[:i])
			c.r += n
			m.from = i - n
			return n, nil
		}
		m.from = max(0, len(avail)-len(m.mark)+1)
		if safe := m.from; safe > 0 {
			n := copy(p, avail[:safe])
			c.r += n
			m.from -= n
			return n, nil
		}
		if err := c.fill(c.l.replTimeout()); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
	}
}
