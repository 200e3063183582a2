package config

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/valkey-node/valkey-node/server/glob"
	"github.com/valkey-node/valkey-node/server/textargs"
)

// Resetter is implemented by repeatable values: a configuration source that mentions the directive
// replaces the default instead of adding to it.
type Resetter interface{ Reset() }

func resetValue(d *Directive) {
	if rs, ok := d.Value.(Resetter); ok {
		rs.Reset()
	}
}

// Registry is the table of directives of one node.
type Registry struct {
	list   []*Directive
	byName map[string]*Directive
	// File is the absolute path of the configuration file the node was started with ("" if none).
	File string
	// Version is shown in start-up error banners.
	Version string
}

// NewRegistry returns an empty table.
func NewRegistry() *Registry { return &Registry{byName: map[string]*Directive{}} }

// Add declares a directive. It panics on a duplicate name: that is a programming error.
func (r *Registry) Add(ds ...*Directive) {
	for _, d := range ds {
		for _, n := range append([]string{d.Name}, d.Aliases...) {
			if _, dup := r.byName[n]; dup {
				panic("config: duplicate directive " + n)
			}
			r.byName[n] = d
		}
		r.list = append(r.list, d)
	}
}

// Lookup finds a directive by name or alias (case-insensitive).
func (r *Registry) Lookup(name string) *Directive { return r.byName[strings.ToLower(name)] }

// All returns the directives in declaration order.
func (r *Registry) All() []*Directive { return r.list }

// SetDefaults stores every directive's default value.
func (r *Registry) SetDefaults() error {
	for _, d := range r.list {
		resetValue(d)
		if err := d.Value.Set(defaultArgs(d)); err != nil {
			return fmt.Errorf("default of %s: %w", d.Name, err)
		}
	}
	return nil
}

func defaultArgs(d *Directive) []string {
	if d.Has(Multi) {
		return splitWords(d.Default)
	}
	return []string{d.Default}
}

// splitWords splits a multi-word value given as one string (CONFIG SET, defaults).
func splitWords(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	return strings.Fields(s)
}

// LoadError is a bad line in a configuration file or command line, reported like Valkey's fatal config
// file error.
type LoadError struct {
	File string
	Line int // 0 for a command-line option
	Text string
	Err  string
}

func (e *LoadError) Error() string {
	var b strings.Builder
	b.WriteString("\n*** FATAL CONFIG FILE ERROR (valkey-node) ***\n")
	if e.Line > 0 {
		fmt.Fprintf(&b, "Reading the configuration file %s, at line %d\n", e.File, e.Line)
	} else {
		b.WriteString("Reading the command line options\n")
	}
	fmt.Fprintf(&b, ">>> '%s'\n%s", e.Text, e.Err)
	return b.String()
}

// Short is the error in one line, naming the directive and where it came from.
func (e *LoadError) Short() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: '%s': %s", e.File, e.Line, e.Text, e.Err)
	}
	return fmt.Sprintf("command line: '%s': %s", e.Text, e.Err)
}

// Option is one directive given on the command line: --name args...
type Option struct {
	Name string
	Args []string
}

// loader applies lines from files and the command line, resetting repeatable values on first use.
type loader struct {
	r     *Registry
	reset map[*Directive]bool
	depth int
}

// Load reads the configuration file path (if not "") with its includes, then the command-line options,
// later ones overriding earlier ones. "-" reads the file from standard input.
func (r *Registry) Load(path string, opts []Option) error {
	l := &loader{r: r, reset: map[*Directive]bool{}}
	if path != "" {
		if path != "-" {
			abs, err := filepath.Abs(path)
			if err != nil {
				return fmt.Errorf("can't resolve config file path %s: %w", path, err)
			}
			r.File = abs
			path = abs
		}
		if err := l.file(path); err != nil {
			return err
		}
	}
	for _, o := range opts {
		text := "--" + o.Name
		for _, a := range o.Args {
			text += " " + textargs.Quote(a)
		}
		if err := l.apply(o.Name, o.Args); err != nil {
			return &LoadError{Text: text, Err: err.Error()}
		}
	}
	return nil
}

func (l *loader) file(path string) error {
	if l.depth > 16 {
		return fmt.Errorf("too many nested includes at %s", path)
	}
	var f *os.File
	if path == "-" {
		f = os.Stdin
	} else {
		st, err := os.Stat(path)
		if err == nil && st.IsDir() {
			return fmt.Errorf("Fatal error, can't open config file '%s': it is a directory", path)
		}
		f, err = os.Open(path)
		if err != nil {
			return fmt.Errorf("Fatal error, can't open config file '%s': %w", path, err)
		}
		defer f.Close()
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		words, err := textargs.SplitString(line)
		if err != nil {
			return &LoadError{File: path, Line: n, Text: line, Err: "Unbalanced quotes in configuration line"}
		}
		if len(words) == 0 {
			continue
		}
		name := strings.ToLower(words[0])
		if name == "include" {
			if len(words) != 2 {
				return &LoadError{File: path, Line: n, Text: line, Err: "Bad directive or wrong number of arguments"}
			}
			inc := words[1]
			if !filepath.IsAbs(inc) && path != "-" {
				// relative includes are resolved against the including file's directory... Valkey resolves
				// against the working directory; do the same so existing configs keep their meaning.
				inc = filepath.Clean(inc)
			}
			l.depth++
			if err := l.file(inc); err != nil {
				return err
			}
			l.depth--
			continue
		}
		if err := l.apply(name, words[1:]); err != nil {
			return &LoadError{File: path, Line: n, Text: line, Err: err.Error()}
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading config file %s: %w", path, err)
	}
	return nil
}

var errBadDirective = errors.New("Bad directive or wrong number of arguments")

func (l *loader) apply(name string, args []string) error {
	d := l.r.Lookup(name)
	if d == nil {
		return errBadDirective
	}
	if !d.Has(Multi) && len(args) != 1 {
		return errBadDirective
	}
	if rs, ok := d.Value.(Resetter); ok && !l.reset[d] {
		rs.Reset()
		l.reset[d] = true
	}
	if err := d.Value.Set(args); err != nil {
		return err
	}
	if d.Check != nil {
		return d.Check()
	}
	return nil
}

// SetError is a refused CONFIG SET; its text is the whole error reply.
type SetError struct{ Msg string }

func (e *SetError) Error() string { return e.Msg }

func setFailed(name, reason string) error {
	return &SetError{fmt.Sprintf("ERR CONFIG SET failed (possibly related to argument '%s') - %s", name, reason)}
}

// Set implements CONFIG SET name value [name value ...]: every name is checked, every value stored, then
// each distinct apply function runs once. If anything fails, every value is restored and the applies run
// again with the old values, so the change is all or nothing. onFail, if set, is told which directive
// failed (for the log).
func (r *Registry) Set(pairs [][2]string, onFail func(name string, err error)) error {
	seen := map[*Directive]bool{}
	ds := make([]*Directive, len(pairs))
	for i, p := range pairs {
		d := r.Lookup(p[0])
		if d == nil {
			return &SetError{fmt.Sprintf("ERR Unknown option or number of arguments for CONFIG SET - '%s'", p[0])}
		}
		if d.Has(Immutable) {
			return setFailed(p[0], "can't set immutable config")
		}
		if seen[d] {
			return setFailed(p[0], "duplicate parameter")
		}
		seen[d] = true
		ds[i] = d
	}
	old := make([]string, len(pairs))
	changed := make([]bool, len(pairs))
	restore := func() {
		for i, d := range ds {
			if changed[i] {
				resetValue(d)
				_ = d.Value.Set(argsFor(d, old[i]))
			}
		}
	}
	for i, d := range ds {
		old[i] = d.Value.Get()
		resetValue(d) // CONFIG SET replaces a repeatable value, it does not add to it
		if err := d.Value.Set(argsFor(d, pairs[i][1])); err != nil {
			restore()
			return setFailed(pairs[i][0], err.Error())
		}
		changed[i] = true
	}
	for i, d := range ds {
		if d.Check != nil {
			if err := d.Check(); err != nil {
				restore()
				return setFailed(pairs[i][0], err.Error())
			}
		}
	}
	var applies []*Apply
	applyOwner := map[*Apply]string{}
	for i, d := range ds {
		if d.Apply == nil {
			continue
		}
		// a value set to what it already was needs no apply, unless reading it again matters
		if !d.Has(Volatile) && old[i] == d.Value.Get() {
			continue
		}
		if _, dup := applyOwner[d.Apply]; !dup {
			applyOwner[d.Apply] = pairs[i][0]
			applies = append(applies, d.Apply)
		}
	}
	for _, a := range applies {
		if err := a.Fn(); err != nil {
			if onFail != nil {
				onFail(applyOwner[a], err)
			}
			restore()
			for _, b := range applies {
				_ = b.Fn()
			}
			return setFailed(applyOwner[a], applyMessage(err))
		}
	}
	return nil
}

// ApplyError lets an apply function choose the text the client sees (the details go to the log).
type ApplyError struct {
	Msg string // shown to the client
	Err error  // logged
}

func (e *ApplyError) Error() string { return e.Msg + ": " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *ApplyError) Unwrap() error { return e.Err }

func applyMessage(err error) string {
	var ae *ApplyError
	if errors.As(err, &ae) {
		return ae.Msg
	}
	return err.Error()
}

func argsFor(d *Directive, v string) []string {
	if d.Has(Multi) {
		return splitWords(v)
	}
	return []string{v}
}

// Get implements CONFIG GET: every directive whose name matches one of the patterns, in name order.
// Aliases answer only when asked for by their exact name.
func (r *Registry) Get(patterns []string) [][2]string {
	seen := map[string]bool{}
	var out [][2]string
	for _, p := range patterns {
		lp := strings.ToLower(p)
		if glob.IsPlain([]byte(lp)) {
			if d := r.byName[lp]; d != nil && !seen[lp] {
				seen[lp] = true
				out = append(out, [2]string{lp, d.Value.Get()})
			}
			continue
		}
		for _, d := range r.list {
			if d.Has(Hidden) || seen[d.Name] || !glob.MatchString(lp, d.Name, true) {
				continue
			}
			seen[d.Name] = true
			out = append(out, [2]string{d.Name, d.Value.Get()})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}
