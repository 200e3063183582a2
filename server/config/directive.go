// Package config is the mechanism behind valkey.conf: a table of directives, each with a typed value, a
// default, validation, whether it may change at runtime and the function that applies a change. The
// server package declares the directives; this package parses files and command lines, and implements
// CONFIG GET, CONFIG SET (all or nothing) and CONFIG REWRITE.
package config

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Value is the storage of one directive.
type Value interface {
	// Set parses args and stores the value, or returns why they are invalid (stored value unchanged).
	Set(args []string) error
	// Get renders the value as CONFIG GET shows it.
	Get() string
}

// Flag modifies how a directive behaves.
type Flag uint32

// Directive flags.
const (
	// Immutable directives can only be given at start-up.
	Immutable Flag = 1 << iota
	// Sensitive values are redacted in SLOWLOG and MONITOR.
	Sensitive
	// Volatile directives are applied even when set to their current value (file paths: the file may
	// have changed).
	Volatile
	// Multi directives take several words, or may appear several times (bind, save, user).
	Multi
	// Repeatable directives accumulate one value per occurrence in a file (user, rename-command).
	Repeatable
	// Hidden directives are left out of CONFIG GET * (aliases are always hidden).
	Hidden
)

// Apply carries a change into the running server. Directives that share an Apply are applied once per
// CONFIG SET, after all their values are stored.
type Apply struct {
	Name string
	Fn   func() error
}

// Directive is one configuration option.
type Directive struct {
	Name    string
	Aliases []string
	Value   Value
	Default string
	Flags   Flag
	Apply   *Apply
	// Check, if set, validates the whole configuration after this directive changed (cross-directive rules).
	Check func() error
}

// Has reports whether d has flag f.
func (d *Directive) Has(f Flag) bool { return d.Flags&f != 0 }

// ---- value types ------------------------------------------------------------------------------------

// Bool is a yes/no directive.
type Bool struct{ P *bool }

// Set implements Value.
func (v Bool) Set(args []string) error {
	if len(args) != 1 {
		return errWrongArgs
	}
	switch strings.ToLower(args[0]) {
	case "yes":
		*v.P = true
	case "no":
		*v.P = false
	default:
		return errors.New("argument must be 'yes' or 'no'")
	}
	return nil
}

// Get implements Value.
func (v Bool) Get() string {
	if *v.P {
		return "yes"
	}
	return "no"
}

// Int is an integer directive within [Min, Max].
type Int struct {
	P        *int64
	Min, Max int64
}

// Set implements Value.
func (v Int) Set(args []string) error {
	if len(args) != 1 {
		return errWrongArgs
	}
	n, err := strconv.ParseInt(args[0], 10, 64)
	if err != nil {
		return errors.New("argument couldn't be parsed into an integer")
	}
	if n < v.Min || n > v.Max {
		return fmt.Errorf("argument must be between %d and %d inclusive", v.Min, v.Max)
	}
	*v.P = n
	return nil
}

// Get implements Value.
func (v Int) Get() string { return strconv.FormatInt(*v.P, 10) }

// Memory is a byte size that accepts the units of valkey.conf (1k, 1kb, 1m, 1mb, 1g, 1gb; k=1000, kb=1024).
type Memory struct {
	P        *int64
	Min, Max int64
}

// ParseMemory parses a memory amount.
func ParseMemory(s string) (int64, error) {
	ls := strings.ToLower(s)
	mul := int64(1)
	units := []struct {
		suf string
		m   int64
	}{{"gb", 1 << 30}, {"mb", 1 << 20}, {"kb", 1 << 10}, {"g", 1e9}, {"m", 1e6}, {"k", 1e3}, {"b", 1}}
	for _, u := range units {
		if strings.HasSuffix(ls, u.suf) {
			mul = u.m
			ls = strings.TrimSuffix(ls, u.suf)
			break
		}
	}
	n, err := strconv.ParseInt(ls, 10, 64)
	if err != nil {
		return 0, errors.New("argument must be a memory value")
	}
	if n != 0 && (n > math.MaxInt64/mul || n < math.MinInt64/mul) {
		return 0, errors.New("argument must be a memory value")
	}
	return n * mul, nil
}

// Set implements Value.
func (v Memory) Set(args []string) error {
	if len(args) != 1 {
		return errWrongArgs
	}
	n, err := ParseMemory(args[0])
	if err != nil {
		return err
	}
	if n < v.Min || n > v.Max {
		return fmt.Errorf("argument must be between %d and %d inclusive", v.Min, v.Max)
	}
	*v.P = n
	return nil
}

// Get implements Value.
func (v Memory) Get() string { return strconv.FormatInt(*v.P, 10) }

// Enum is one word out of a fixed list (compared case-insensitively, stored as listed).
type Enum struct {
	P       *string
	Options []string
}

// Set implements Value.
func (v Enum) Set(args []string) error {
	if len(args) != 1 {
		return errWrongArgs
	}
	for _, o := range v.Options {
		if strings.EqualFold(o, args[0]) {
			*v.P = o
			return nil
		}
	}
	return fmt.Errorf("argument(s) must be one of the following: %s", strings.Join(v.Options, ", "))
}

// Get implements Value.
func (v Enum) Get() string { return *v.P }

// String is a free string; Validate, if set, refuses bad values.
type String struct {
	P        *string
	Validate func(string) error
}

// Set implements Value.
func (v String) Set(args []string) error {
	if len(args) != 1 {
		return errWrongArgs
	}
	if v.Validate != nil {
		if err := v.Validate(args[0]); err != nil {
			return err
		}
	}
	*v.P = args[0]
	return nil
}

// Get implements Value.
func (v String) Get() string { return *v.P }

// Func is a directive with custom parsing and rendering.
type Func struct {
	SetFn func(args []string) error
	GetFn func() string
}

// Set implements Value.
func (v Func) Set(args []string) error { return v.SetFn(args) }

// Get implements Value.
func (v Func) Get() string { return v.GetFn() }

var errWrongArgs = errors.New("wrong number of arguments")
