// Package logging builds the zerolog logger of a node with Valkey's levels and output formats.
//
// Valkey has four levels; zerolog's are mapped so that the usual calls read naturally:
//
//	debug   → zerolog Trace   (log.Trace())
//	verbose → zerolog Debug   (log.Debug())
//	notice  → zerolog Info    (log.Info())
//	warning → zerolog Warn    (log.Warn(), and Error above it)
//
// and the level field is written with Valkey's names. The threshold lives in an atomic so that
// CONFIG SET loglevel takes effect at once without rebuilding loggers held by other packages.
package logging

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
)

func init() {
	zerolog.LevelFieldMarshalFunc = func(l zerolog.Level) string { return LevelName(l) }
	zerolog.TimeFieldFormat = time.RFC3339Nano
}

// LevelName is Valkey's name for a zerolog level.
func LevelName(l zerolog.Level) string {
	switch {
	case l <= zerolog.TraceLevel:
		return "debug"
	case l == zerolog.DebugLevel:
		return "verbose"
	case l == zerolog.InfoLevel:
		return "notice"
	default:
		return "warning"
	}
}

// ParseLevel maps a loglevel directive value to a zerolog level; "nothing" disables logging.
func ParseLevel(s string) (zerolog.Level, error) {
	switch strings.ToLower(s) {
	case "debug":
		return zerolog.TraceLevel, nil
	case "verbose":
		return zerolog.DebugLevel, nil
	case "notice":
		return zerolog.InfoLevel, nil
	case "warning":
		return zerolog.WarnLevel, nil
	case "nothing":
		return zerolog.Disabled, nil
	}
	return 0, fmt.Errorf("invalid log level %q", s)
}

// Sink is the destination of a node's log: a level filter, a format and a file or stdout.
type Sink struct {
	level  atomic.Int32
	format string
	mu     sync.Mutex
	out    io.Writer
	closer io.Closer
	// Role returns Valkey's role letter for legacy lines (M primary, S replica, X sentinel).
	Role func() byte
	pid  int
}

// Open creates a sink. file "" means stdout; format is legacy, logfmt or json.
func Open(file, format string, level zerolog.Level) (*Sink, error) {
	s := &Sink{format: format, out: os.Stdout, pid: os.Getpid()}
	switch format {
	case "legacy", "logfmt", "json":
	default:
		return nil, fmt.Errorf("invalid log-format %q (use legacy, logfmt or json)", format)
	}
	if file != "" {
		f, err := os.OpenFile(file, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, fmt.Errorf("can't open the log file: %w", err)
		}
		s.out, s.closer = f, f
	}
	s.level.Store(int32(level))
	return s, nil
}

// ToWriter makes a sink that writes to w (tests).
func ToWriter(w io.Writer, format string, level zerolog.Level) *Sink {
	s := &Sink{format: format, out: w, pid: os.Getpid()}
	s.level.Store(int32(level))
	return s
}

// Logger returns a logger writing to the sink.
func (s *Sink) Logger() zerolog.Logger {
	return zerolog.New(s).Level(zerolog.TraceLevel).With().Timestamp().Logger()
}

// SetLevel changes the threshold.
func (s *Sink) SetLevel(l zerolog.Level) { s.level.Store(int32(l)) }

// Close closes the log file, if any.
func (s *Sink) Close() error {
	if s.closer != nil {
		return s.closer.Close()
	}
	return nil
}

// Write implements io.Writer for events without a level.
func (s *Sink) Write(p []byte) (int, error) { return s.WriteLevel(zerolog.NoLevel, p) }

// WriteLevel implements zerolog.LevelWriter: it drops events below the threshold and formats the rest.
func (s *Sink) WriteLevel(l zerolog.Level, p []byte) (int, error) {
	th := zerolog.Level(s.level.Load())
	if th == zerolog.Disabled || (l != zerolog.NoLevel && l < th) {
		return len(p), nil
	}
	line := p
	if s.format != "json" {
		line = s.render(l, p)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.out.Write(line); err != nil {
		return 0, err
	}
	return len(p), nil
}

var legacyMark = map[string]byte{"debug": '.', "verbose": '-', "notice": '*', "warning": '#'}

// render turns one JSON event into a legacy or logfmt line.
func (s *Sink) render(l zerolog.Level, p []byte) []byte {
	var ev map[string]any
	dec := json.NewDecoder(bytes.NewReader(p))
	dec.UseNumber()
	if err := dec.Decode(&ev); err != nil {
		return p
	}
	msg, _ := ev[zerolog.MessageFieldName].(string)
	lvl, _ := ev[zerolog.LevelFieldName].(string)
	ts, _ := ev[zerolog.TimestampFieldName].(string)
	delete(ev, zerolog.MessageFieldName)
	delete(ev, zerolog.LevelFieldName)
	delete(ev, zerolog.TimestampFieldName)
	keys := make([]string, 0, len(ev))
	for k := range ev {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b bytes.Buffer
	if s.format == "legacy" {
		t, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			t = time.Now()
		}
		role := byte('M')
		if s.Role != nil {
			role = s.Role()
		}
		mark, ok := legacyMark[lvl]
		if !ok {
			mark = '*'
		}
		fmt.Fprintf(&b, "%d:%c %s %c %s", s.pid, role, t.Format("02 Jan 2006 15:04:05.000"), mark, msg)
		for _, k := range keys {
			fmt.Fprintf(&b, " %s=%s", k, logfmtValue(ev[k]))
		}
	} else {
		fmt.Fprintf(&b, "time=%s level=%s msg=%s", ts, lvl, logfmtValue(msg))
		for _, k := range keys {
			fmt.Fprintf(&b, " %s=%s", k, logfmtValue(ev[k]))
		}
	}
	b.WriteByte('\n')
	return b.Bytes()
}

func logfmtValue(v any) string {
	s := fmt.Sprint(v)
	if s == "" || strings.ContainsAny(s, " \"=\t\n") {
		return fmt.Sprintf("%q", s)
	}
	return s
}
