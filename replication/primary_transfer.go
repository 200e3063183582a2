package replication

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"
)

// fanoutDepth is how many snapshot chunks may wait for one replica's writer. The snapshot goes at the
// pace of the slowest replica that still makes progress (as Valkey's diskless transfer does); one that
// makes none for repl-timeout is dropped and the others go on.
const fanoutDepth = 16

// fileChunk is the read size when sending a disk-based snapshot.
const fileChunk = 64 << 10

var errAllReplicasGone = errors.New("every replica of the snapshot is gone")

// primaryFanout is the io.Writer a diskless snapshot is encoded into, once for every target: each
// Write is copied once and handed to each live target's writer goroutine.
type primaryFanout struct {
	ctx     context.Context
	targets []*primaryReplica
	gone    []bool
}

func (f *primaryFanout) Write(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	c := append([]byte(nil), b...) // the snapshot writer may reuse b; the chunk is shared read-only
	alive := 0
	for i, r := range f.targets {
		if f.gone[i] {
			continue
		}
		select {
		case r.chunks <- c:
			alive++
		case <-r.deadCh:
			f.gone[i] = true
		case <-f.ctx.Done():
			return 0, fmt.Errorf("snapshot transfer: %w", f.ctx.Err())
		}
	}
	if alive == 0 {
		return 0, errAllReplicasGone
	}
	return len(b), nil
}

// transferDiskless encodes the snapshot once into the fan-out. The chunk channels are closed at the end,
// after job.err is set, which tells each writer whether to send the closing mark.
func (p *Primary) transferDiskless(job *primarySyncJob, write snapshotWrite, release func()) {
	ctx, cancel := context.WithCancel(p.ctx)
	defer cancel()
	fo := &primaryFanout{ctx: ctx, targets: job.targets, gone: make([]bool, len(job.targets))}
	err := write(ctx, fo)
	release()
	if err != nil {
		job.err = fmt.Errorf("diskless snapshot: %w", err)
		p.log.Warn().Err(err).Msg("Background RDB transfer error")
	} else {
		p.log.Info().Msg("Background RDB transfer terminated with success")
	}
	for _, r := range job.targets {
		close(r.chunks)
	}
}

// sendDiskless writes the header, the "$EOF:<mark>" line, the chunks as the snapshot produces them and
// the mark. The replica is then online, but the stream kept since the snapshot waits for its first
// REPLCONF ACK (it can't read the stream while it loads).
func (p *Primary) sendDiskless(r *primaryReplica, hdr []byte) error {
	job := r.job
	hdr = append(hdr, "$EOF:"...)
	hdr = append(hdr, job.mark...)
	hdr = append(hdr, "\r\n"...)
	if err := p.write(r, hdr); err != nil {
		return err
	}
	for done := false; !done; {
		select {
		case c, ok := <-r.chunks:
			if !ok {
				done = true
				break
			}
			if err := p.write(r, c); err != nil {
				p.log.Warn().Msgf("Disconnecting timedout or failed replica (full sync): %s", r.name)
				return err
			}
		case <-r.deadCh:
			return errReplicaDropped
		}
	}
	if job.err != nil {
		return job.err
	}
	// Online before the mark goes out, so that an ack racing with the end of this function is not lost:
	// the release it triggers only queues the stream, which this goroutine writes after the mark.
	p.mu.Lock()
	r.state = StateOnline
	r.ackTime = time.Now()
	r.awaitAck = true
	p.mu.Unlock()
	if err := p.write(r, []byte(job.mark)); err != nil {
		return err
	}
	p.log.Info().Msgf("Streamed RDB transfer with replica %s succeeded (socket). "+
		"Waiting for REPLCONF ACK from replica to enable streaming", r.name)
	return nil
}

// transferDisk writes the snapshot to a temporary file in Dir, lets the replicas send it, and removes
// it once none of them needs it any more: it exists only for this sync.
func (p *Primary) transferDisk(job *primarySyncJob, write snapshotWrite, release func()) {
	p.mu.Lock()
	dir := p.cfg.Dir
	p.mu.Unlock()
	path, size, err := writeSyncFile(p.ctx, dir, write)
	release()
	if err != nil {
		p.log.Warn().Err(err).Msg("Background saving error")
	} else {
		p.log.Info().Msg("Background saving terminated with success")
	}
	job.path, job.size, job.err = path, size, err
	close(job.ready)
	for _, r := range job.targets {
		select {
		case <-r.fileDone:
		case <-r.exited:
		}
	}
	if path != "" {
		if err := os.Remove(path); err != nil {
			p.log.Warn().Err(err).Str("file", path).Msg("Unable to remove the temporary sync file")
		}
	}
}

func writeSyncFile(ctx context.Context, dir string, write snapshotWrite) (path string, size int64, err error) {
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "temp-sync-*.rdb")
	if err != nil {
		return "", 0, fmt.Errorf("create sync file: %w", err)
	}
	path = f.Name()
	bw := bufio.NewWriterSize(f, fileChunk)
	err = write(ctx, bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		var st os.FileInfo
		if st, err = os.Stat(path); err == nil {
			return path, st.Size(), nil
		}
	}
	_ = os.Remove(path)
	return "", 0, fmt.Errorf("write sync file %s: %w", path, err)
}

// sendDisk writes the header, "\n" every second until the file is ready, then "$<len>\r\n" and exactly
// len bytes (no CRLF after them), then puts the replica online and releases the stream.
func (p *Primary) sendDisk(r *primaryReplica, hdr []byte) error {
	job := r.job
	defer close(r.fileDone)
	if len(hdr) > 0 {
		if err := p.write(r, hdr); err != nil {
			return err
		}
	}
	if err := p.keepalive(r, job.ready); err != nil {
		return err
	}
	if job.err != nil {
		p.log.Warn().Msgf("SYNC failed for replica %s: the snapshot could not be written", r.name)
		return job.err
	}
	f, err := os.Open(job.path)
	if err != nil {
		return fmt.Errorf("open sync file: %w", err)
	}
	defer f.Close()
	p.mu.Lock()
	r.state = StateSendBulk
	p.mu.Unlock()
	if err := p.write(r, []byte("$"+strconv.FormatInt(job.size, 10)+"\r\n")); err != nil {
		return err
	}
	buf := make([]byte, fileChunk)
	for left := job.size; left > 0; {
		n, err := f.Read(buf[:min(int64(len(buf)), left)])
		if n > 0 {
			if werr := p.write(r, buf[:n]); werr != nil {
				p.log.Warn().Msgf("Disconnecting timedout or failed replica (full sync): %s", r.name)
				return werr
			}
			left -= int64(n)
		}
		if err != nil && left > 0 {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return fmt.Errorf("read sync file: %w", err)
		}
	}
	p.mu.Lock()
	r.state = StateOnline
	r.ackTime = time.Now()
	p.releaseLocked(r)
	p.mu.Unlock()
	p.log.Info().Msgf("Synchronization with replica %s succeeded", r.name)
	return nil
}
