package server

import (
	"fmt"
	"strings"

	"github.com/valkey-node/valkey-node/server/glob"
)

// Results of a permission check, ordered as Valkey ranks them when several selectors refuse a command
// for different reasons (the highest is reported).
const (
	aclOK = iota
	aclDeniedCmd
	aclDeniedKey
	aclDeniedAuth
	aclDeniedChannel
)

// check returns the NOPERM error text if the client's user may not run cmd with args, or "". Called by
// Server.admit for every command, with the lock held. A denial is counted and logged (ACL LOG).
func (a *aclState) check(c *Client, cmd *Command, args [][]byte) string {
	u := c.user
	if u == nil {
		return "" // internal clients run anything
	}
	if r := u.root; r.allCommands && r.allKeys && r.allChannels {
		return "" // the default user's common case
	}
	res, pos := u.checkCommand(cmd, args)
	if res == aclOK {
		return ""
	}
	object := cmd.FullName()
	if res == aclDeniedKey || res == aclDeniedChannel {
		object = string(args[pos])
	}
	a.addLog(c, res, object, u.Name, cmd.FullName())
	return "NOPERM " + aclDenialMessage(res, u, cmd, "", false)
}

// aclDenialMessage is the text of a refusal; verbose (ACL DRYRUN) names the key or channel.
func aclDenialMessage(res int, u *User, cmd *Command, what string, verbose bool) string {
	switch res {
	case aclDeniedCmd:
		return fmt.Sprintf("User %s has no permissions to run the '%s' command", u.Name, cmd.FullName())
	case aclDeniedKey:
		if verbose {
			return fmt.Sprintf("User %s has no permissions to access the '%s' key", u.Name, what)
		}
		return "No permissions to access a key"
	case aclDeniedChannel:
		if verbose {
			return fmt.Sprintf("User %s has no permissions to access the '%s' channel", u.Name, what)
		}
		return "No permissions to access a channel"
	}
	return ""
}

// checkCommand checks every selector of u; the command is allowed when one selector allows all of it.
// Otherwise it returns the most relevant refusal and the argument position it concerns.
func (u *User) checkCommand(cmd *Command, args [][]byte) (int, int) {
	refs := keyRefCache{cmd: cmd, args: args}
	relevant, lastPos := aclDeniedCmd, 0
	consider := func(sel *selector) bool {
		res, pos := sel.checkCommand(cmd, args, &refs)
		if res == aclOK {
			return true
		}
		if res > relevant || (res == relevant && pos > lastPos) {
			relevant, lastPos = res, pos
		}
		return false
	}
	if consider(u.root) {
		return aclOK, 0
	}
	for _, sel := range u.selectors {
		if consider(sel) {
			return aclOK, 0
		}
	}
	return relevant, lastPos
}

// checkCommand checks one selector: the command itself, then its keys, then its channels.
func (sel *selector) checkCommand(cmd *Command, args [][]byte, refs *keyRefCache) (int, int) {
	// commands that run before authentication (AUTH, HELLO, QUIT, RESET) are always allowed
	if !sel.allCommands && cmd.Flags&flagNoAuth == 0 && !sel.bit(cmd.ID) && !sel.firstArgAllowed(cmd, args) {
		return aclDeniedCmd, 0
	}
	if !sel.allKeys {
		for _, r := range refs.get() {
			if !sel.keyAllowed(args[r.pos], r.need) {
				return aclDeniedKey, r.pos
			}
		}
	}
	if !sel.allChannels && cmd.Parent == nil {
		if sp, ok := aclChannelSpecs[cmd.Name]; ok {
			for _, pos := range sp.positions(args) {
				if !sel.channelAllowed(args[pos], sp.pattern) {
					return aclDeniedChannel, pos
				}
			}
		}
	}
	return aclOK, 0
}

// firstArgAllowed is the deprecated +cmd|first-arg form.
func (sel *selector) firstArgAllowed(cmd *Command, args [][]byte) bool {
	allowed := sel.firstArgs[cmd.ID]
	if len(allowed) == 0 || len(args) < 2 {
		return false
	}
	for _, a := range allowed {
		if len(a) == len(args[1]) && eqFoldString(args[1], a) {
			return true
		}
	}
	return false
}

func eqFoldString(b []byte, s string) bool {
	for i := 0; i < len(b); i++ {
		x, y := b[i], s[i]
		if x >= 'A' && x <= 'Z' {
			x += 32
		}
		if y >= 'A' && y <= 'Z' {
			y += 32
		}
		if x != y {
			return false
		}
	}
	return true
}

// keyAllowed reports whether a pattern granting at least the needed access matches the key.
func (sel *selector) keyAllowed(key []byte, need aclPerm) bool {
	for _, p := range sel.keys {
		if p.perm&need != need {
			continue
		}
		if glob.Match([]byte(p.pattern), key, false) {
			return true
		}
	}
	return false
}

// channelAllowed checks a channel against the selector's channel patterns. A channel name is matched
// against the patterns; a pattern (PSUBSCRIBE) must equal one of them literally.
func (sel *selector) channelAllowed(ch []byte, isPattern bool) bool {
	if sel.allChannels {
		return true
	}
	for _, p := range sel.channels {
		if isPattern {
			if p == string(ch) {
				return true
			}
		} else if glob.Match([]byte(p), ch, false) {
			return true
		}
	}
	return false
}

// channelAllowed reports whether u may use a channel (pattern: a PSUBSCRIBE pattern). Pub/sub code uses
// it to re-check existing subscriptions after the user's rules change.
func (u *User) channelAllowed(ch []byte, isPattern bool) bool {
	if u.root.channelAllowed(ch, isPattern) {
		return true
	}
	for _, sel := range u.selectors {
		if sel.channelAllowed(ch, isPattern) {
			return true
		}
	}
	return false
}

// aclChannelSpec says where a pub/sub command names channels that need permission. Unsubscribing needs
// none. Listed by (top-level) name so the pub/sub commands are checked as soon as they are registered.
type aclChannelSpec struct {
	first, last int // last < 0 counts from the end
	pattern     bool
}

var aclChannelSpecs = map[string]aclChannelSpec{
	"publish":    {first: 1, last: 1},
	"spublish":   {first: 1, last: 1},
	"subscribe":  {first: 1, last: -1},
	"ssubscribe": {first: 1, last: -1},
	"psubscribe": {first: 1, last: -1, pattern: true},
}

func (sp aclChannelSpec) positions(args [][]byte) []int {
	last := sp.last
	if last < 0 {
		last += len(args)
	}
	var out []int
	for i := sp.first; i <= last && i < len(args); i++ {
		out = append(out, i)
	}
	return out
}

// aclKeyRef is one key argument and the access the command needs to it.
type aclKeyRef struct {
	pos  int
	need aclPerm
}

// keyRefCache computes the key references of a command once for all selectors.
type keyRefCache struct {
	cmd  *Command
	args [][]byte
	done bool
	refs []aclKeyRef
}

func (k *keyRefCache) get() []aclKeyRef {
	if !k.done {
		k.done = true
		k.refs = aclKeyRefs(k.cmd, k.args)
	}
	return k.refs
}

// aclKeyPositions lists the argument positions of a command's keys: its KeysFn for movable keys, else
// first/last/step (a negative last counts from the end).
func aclKeyPositions(cmd *Command, args [][]byte) []int {
	if cmd.KeysFn != nil {
		return cmd.KeysFn(args)
	}
	if cmd.FirstKey <= 0 {
		return nil
	}
	last := cmd.LastKey
	if last < 0 {
		last += len(args)
	}
	step := cmd.Step
	if step <= 0 {
		step = 1
	}
	var out []int
	for i := cmd.FirstKey; i <= last && i < len(args); i += step {
		out = append(out, i)
	}
	return out
}

// aclKeyRefs pairs each key with the access it needs, from the command's key specs (the metadata COMMAND
// INFO shows): "access" needs read permission; "insert", "update" and "delete" need write permission; a
// spec with neither (EXISTS, TYPE) needs only a matching pattern. Keys no spec names fall back to the
// command flags. Commands whose specs have variable flags decide from their arguments (aclVariableKeys).
func aclKeyRefs(cmd *Command, args [][]byte) []aclKeyRef {
	pos := aclKeyPositions(cmd, args)
	if len(pos) == 0 {
		return nil
	}
	def := aclPerm(0)
	if cmd.Flags&flagReadonly != 0 {
		def |= permRead
	}
	if cmd.Flags&flagWrite != 0 {
		def |= permWrite
	}
	specs := introFor(cmd).specs
	specKeys := make([][]int, len(specs))
	for i := range specs {
		specKeys[i] = specs[i].keys(args)
	}
	var variable func([][]byte) aclPerm
	if cmd.Parent == nil {
		variable = aclVariableKeys[cmd.Name]
	}
	refs := make([]aclKeyRef, len(pos))
	for i, p := range pos {
		need, found := def, false
		for j := 0; j < len(specs) && !found; j++ {
			for _, sp := range specKeys[j] {
				if sp == p {
					need, found = specPerm(specs[j].flags), true
					break
				}
			}
		}
		if variable != nil {
			need = variable(args)
		}
		refs[i] = aclKeyRef{pos: p, need: need}
	}
	return refs
}

// specPerm turns key-spec flags into the permission they need.
func specPerm(flags []string) aclPerm {
	var p aclPerm
	for _, f := range flags {
		switch strings.ToLower(f) {
		case "access":
			p |= permRead
		case "insert", "update", "delete":
			p |= permWrite
		}
	}
	return p
}

// aclVariableKeys decides the access of commands whose key specs say variable_flags, as Valkey's key
// extraction does from the arguments.
var aclVariableKeys = map[string]func(args [][]byte) aclPerm{
	// SET needs read access only when GET returns the old value
	"set": func(args [][]byte) aclPerm {
		for _, a := range args[3:] {
			if eqFold(a, "get") {
				return permRW
			}
		}
		return permWrite
	},
	// BITFIELD made only of GET operations reads
	"bitfield": func(args [][]byte) aclPerm {
		for i := 2; i < len(args); {
			switch {
			case eqFold(args[i], "get"):
				i += 3
			case eqFold(args[i], "overflow"):
				i += 2
			default:
				return permRW
			}
		}
		return permRead
	},
}

// dryRun implements ACL DRYRUN's check: "" when allowed, else the verbose refusal.
func (u *User) dryRun(cmd *Command, args [][]byte) string {
	res, pos := u.checkCommand(cmd, args)
	if res == aclOK {
		return ""
	}
	return aclDenialMessage(res, u, cmd, string(args[pos]), true)
}
