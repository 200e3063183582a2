package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strings"
)

// aclPerm is the access a key pattern grants, or the access a key reference needs.
type aclPerm uint8

const (
	permRead aclPerm = 1 << iota
	permWrite
	permRW = permRead | permWrite
)

// keyPattern is one ~pattern, %R~pattern or %W~pattern rule.
type keyPattern struct {
	pattern string
	perm    aclPerm
}

// String renders the pattern the way ACL LIST and ACL GETUSER show it.
func (p keyPattern) String() string {
	switch p.perm {
	case permRead:
		return "%R~" + p.pattern
	case permWrite:
		return "%W~" + p.pattern
	}
	return "~" + p.pattern
}

// selector is one set of command, key and channel permissions. Every user has a root selector (the
// rules written outside parentheses); further selectors come from "(...)" rules. A command is allowed
// when any one selector allows all of it.
type selector struct {
	allKeys     bool
	allChannels bool
	// allCommands is the fast path of +@all: it is cleared as soon as any command bit is removed.
	allCommands bool
	// future records +@all/allcommands (Valkey's reserved "future commands" bit): the description then
	// starts from +@all instead of -@all.
	future bool
	// allowed has one bit per Command.ID.
	allowed []uint64
	// firstArgs holds the deprecated +cmd|arg rules of commands without subcommands, by Command.ID.
	firstArgs map[int][]string
	keys      []keyPattern
	channels  []string
	// rules are the command and category rules in the order given ("+get", "-@write"), rewritten so
	// that replaying them after +@all or -@all reproduces the bitmap; they make the description.
	rules []string
}

func newSelector(allChannels bool) *selector {
	return &selector{allChannels: allChannels, allowed: make([]uint64, (len(commandList)+63)/64)}
}

func (sel *selector) clone() *selector {
	n := *sel
	n.allowed = append([]uint64(nil), sel.allowed...)
	n.keys = append([]keyPattern(nil), sel.keys...)
	n.channels = append([]string(nil), sel.channels...)
	n.rules = append([]string(nil), sel.rules...)
	n.firstArgs = nil
	for id, args := range sel.firstArgs {
		if n.firstArgs == nil {
			n.firstArgs = map[int][]string{}
		}
		n.firstArgs[id] = append([]string(nil), args...)
	}
	return &n
}

func (sel *selector) bit(id int) bool { return sel.allowed[id/64]&(1<<(id%64)) != 0 }

func (sel *selector) setBit(id int, on bool) {
	if on {
		sel.allowed[id/64] |= 1 << (id % 64)
	} else {
		sel.allowed[id/64] &^= 1 << (id % 64)
		sel.allCommands = false
	}
}

// changePerm allows or denies a command; a container command takes its subcommands along.
func (sel *selector) changePerm(cmd *Command, allow bool) {
	sel.setBit(cmd.ID, allow)
	delete(sel.firstArgs, cmd.ID)
	for _, sub := range cmd.Subs {
		sel.setBit(sub.ID, allow)
	}
}

// updateRules appends a command or category rule, first dropping earlier rules it supersedes: the same
// name, and the subcommand rules of a command given whole.
func (sel *selector) updateRules(rule string, allow bool) {
	rule = strings.ToLower(rule)
	kept := sel.rules[:0:0]
	for _, r := range sel.rules {
		body := r[1:]
		if body == rule || strings.HasPrefix(body, rule+"|") {
			continue
		}
		kept = append(kept, r)
	}
	sign := "-"
	if allow {
		sign = "+"
	}
	sel.rules = append(kept, sign+rule)
}

func (sel *selector) setAllCommands(allow bool) {
	fill := uint64(0)
	if allow {
		fill = ^uint64(0)
	}
	for i := range sel.allowed {
		sel.allowed[i] = fill
	}
	sel.allCommands, sel.future = allow, allow
	sel.rules = nil
	sel.firstArgs = nil
}

// aclLookupCommand finds a command or "container|subcommand" by name, case-insensitively.
func aclLookupCommand(name string) *Command {
	name = strings.ToLower(name)
	parent, sub, hasSub := strings.Cut(name, "|")
	cmd := commandTable[parent]
	if cmd == nil || !hasSub {
		return cmd
	}
	if cmd.Subs == nil {
		return nil
	}
	return cmd.Subs[sub]
}

// apply applies one selector rule (keys, channels, commands).
func (sel *selector) apply(op string) error {
	lop := strings.ToLower(op)
	switch {
	case lop == "allkeys" || lop == "~*":
		sel.allKeys, sel.keys = true, nil
	case lop == "resetkeys":
		sel.allKeys, sel.keys = false, nil
	case lop == "allchannels" || lop == "&*":
		sel.allChannels, sel.channels = true, nil
	case lop == "resetchannels":
		sel.allChannels, sel.channels = false, nil
	case lop == "allcommands" || lop == "+@all":
		sel.setAllCommands(true)
	case lop == "nocommands" || lop == "-@all":
		sel.setAllCommands(false)
	case op[0] == '~' || op[0] == '%':
		return sel.addKeyPattern(op)
	case op[0] == '&':
		if sel.allChannels {
			return errRuleChannelAfterAll
		}
		pat := op[1:]
		if hasSpaceOrNul(pat) {
			return errRuleSyntax
		}
		for _, ch := range sel.channels {
			if ch == pat {
				return nil
			}
		}
		sel.channels = append(sel.channels, pat)
	case (op[0] == '+' || op[0] == '-') && len(op) > 1 && op[1] == '@':
		cat, ok := aclCategoryByName(op[2:])
		if !ok {
			return errRuleUnknown
		}
		allow := op[0] == '+'
		sel.updateRules(op[1:], allow)
		for _, cmd := range commandTable {
			if commandCategories(cmd)&cat != 0 {
				sel.changePerm(cmd, allow)
			}
			for _, sub := range cmd.Subs {
				if commandCategories(sub)&cat != 0 {
					sel.changePerm(sub, allow)
				}
			}
		}
	case op[0] == '+':
		return sel.allowCommand(op[1:])
	case op[0] == '-':
		cmd := aclLookupCommand(op[1:])
		if cmd == nil {
			return errRuleUnknown
		}
		sel.changePerm(cmd, false)
		sel.updateRules(cmd.FullName(), false)
	default:
		return errRuleSyntax
	}
	return nil
}

// allowCommand is +cmd, +container|sub, or the deprecated +cmd|first-arg.
func (sel *selector) allowCommand(name string) error {
	i := strings.LastIndexByte(name, '|')
	if i < 0 {
		cmd := aclLookupCommand(name)
		if cmd == nil {
			return errRuleUnknown
		}
		sel.changePerm(cmd, true)
		sel.updateRules(cmd.FullName(), true)
		return nil
	}
	cmd := aclLookupCommand(name[:i])
	if cmd == nil {
		return errRuleUnknown
	}
	if cmd.Parent != nil {
		return errRuleFirstArgOfSub
	}
	arg := name[i+1:]
	if arg == "" {
		return errRuleSyntax
	}
	if cmd.Subs != nil {
		sub := aclLookupCommand(name)
		if sub == nil {
			return errRuleUnknown
		}
		sel.changePerm(sub, true)
	} else {
		if sel.firstArgs == nil {
			sel.firstArgs = map[int][]string{}
		}
		dup := false
		for _, a := range sel.firstArgs[cmd.ID] {
			dup = dup || strings.EqualFold(a, arg)
		}
		if !dup {
			sel.firstArgs[cmd.ID] = append(sel.firstArgs[cmd.ID], arg)
		}
	}
	sel.updateRules(name, true)
	return nil
}

// addKeyPattern handles ~pattern and %R~ / %W~ / %RW~ patterns.
func (sel *selector) addKeyPattern(op string) error {
	if sel.allKeys {
		return errRuleKeyAfterAll
	}
	perm := permRW
	pat := op[1:]
	if op[0] == '%' {
		perm = 0
		rest := op[1:]
		for {
			if rest == "" {
				return errRuleSyntax
			}
			ch := rest[0]
			if (ch == 'R' || ch == 'r') && perm&permRead == 0 {
				perm |= permRead
			} else if (ch == 'W' || ch == 'w') && perm&permWrite == 0 {
				perm |= permWrite
			} else if ch == '~' {
				rest = rest[1:]
				break
			} else {
				return errRuleSyntax
			}
			rest = rest[1:]
		}
		if perm == 0 {
			return errRuleSyntax
		}
		pat = rest
	}
	if hasSpaceOrNul(pat) {
		return errRuleSyntax
	}
	for i := range sel.keys {
		if sel.keys[i].pattern == pat {
			sel.keys[i].perm |= perm
			return nil
		}
	}
	sel.keys = append(sel.keys, keyPattern{pattern: pat, perm: perm})
	return nil
}

// describeCommands is the command part of a selector's description: +@all or -@all, then the rules.
func (sel *selector) describeCommands() string {
	base := "-@all"
	if sel.future {
		base = "+@all"
	}
	if len(sel.rules) == 0 {
		return base
	}
	return base + " " + strings.Join(sel.rules, " ")
}

func (sel *selector) describeKeys() string {
	if sel.allKeys {
		return "~*"
	}
	parts := make([]string, len(sel.keys))
	for i, k := range sel.keys {
		parts[i] = k.String()
	}
	return strings.Join(parts, " ")
}

func (sel *selector) describeChannels() string {
	if sel.allChannels {
		return "&*"
	}
	parts := make([]string, len(sel.channels))
	for i, ch := range sel.channels {
		parts[i] = "&" + ch
	}
	return strings.Join(parts, " ")
}

// describe renders the selector in rule form: keys, channels (resetchannels first when not all), commands.
func (sel *selector) describe() string {
	var parts []string
	if k := sel.describeKeys(); k != "" {
		parts = append(parts, k)
	}
	if !sel.allChannels {
		parts = append(parts, "resetchannels")
	}
	if ch := sel.describeChannels(); ch != "" {
		parts = append(parts, ch)
	}
	parts = append(parts, sel.describeCommands())
	return strings.Join(parts, " ")
}

// User is an ACL user. The pointer stays the same for the life of the user (ACL SETUSER stages changes
// on a copy and then copies them in), so clients keep referring to it.
type User struct {
	Name    string
	Enabled bool
	NoPass  bool
	// skipSanitize is the skip-sanitize-payload flag (RESTORE payload checks).
	skipSanitize bool
	// passwords are lower-case hex SHA-256 digests, as Valkey stores and shows them.
	passwords []string
	root      *selector
	selectors []*selector
}

func (u *User) clone() *User {
	n := *u
	n.passwords = append([]string(nil), u.passwords...)
	n.root = u.root.clone()
	n.selectors = make([]*selector, len(u.selectors))
	for i, s := range u.selectors {
		n.selectors[i] = s.clone()
	}
	return &n
}

// copyFrom replaces u's rules with src's, keeping u's name and identity.
func (u *User) copyFrom(src *User) {
	name := u.Name
	*u = *src.clone()
	u.Name = name
}

// checkPassword compares in constant time against every password of the user.
func (u *User) checkPassword(pass []byte) bool {
	if u.NoPass {
		return true
	}
	h := hashPassword(pass)
	ok := false
	for _, p := range u.passwords {
		if subtle.ConstantTimeCompare([]byte(h), []byte(p)) == 1 {
			ok = true
		}
	}
	return ok
}

// flagNames lists the user's flags in Valkey's order (ACL GETUSER flags, ACL LIST).
func (u *User) flagNames() []string {
	f := make([]string, 0, 3)
	if u.Enabled {
		f = append(f, "on")
	} else {
		f = append(f, "off")
	}
	if u.NoPass {
		f = append(f, "nopass")
	}
	if u.skipSanitize {
		f = append(f, "skip-sanitize-payload")
	} else {
		f = append(f, "sanitize-payload")
	}
	return f
}

// describe renders the user's rules as ACL LIST and CONFIG REWRITE write them (without "user <name>").
func (u *User) describe() string {
	parts := u.flagNames()
	for _, p := range u.passwords {
		parts = append(parts, "#"+p)
	}
	parts = append(parts, u.root.describe())
	for _, s := range u.selectors {
		parts = append(parts, "("+s.describe()+")")
	}
	return strings.Join(parts, " ")
}

func hashPassword(pass []byte) string {
	h := sha256.Sum256(pass)
	return hex.EncodeToString(h[:])
}

// validHash reports whether s is a password hash as #hash and !hash take it: 64 lower-case hex digits.
func validHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func hasSpaceOrNul(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '\v', '\f', '\r', 0:
			return true
		}
	}
	return false
}

// ruleError is why an ACL rule was refused; the texts are Valkey's.
type ruleError int

const (
	errRuleSyntax ruleError = iota + 1
	errRuleUnknown
	errRuleKeyAfterAll
	errRuleChannelAfterAll
	errRuleNoSuchPassword
	errRuleBadHash
	errRuleDuplicateUser
	errRuleFirstArgOfSub
)

func (e ruleError) Error() string {
	switch e {
	case errRuleSyntax:
		return "Syntax error"
	case errRuleUnknown:
		return "Unknown command or category name in ACL"
	case errRuleKeyAfterAll:
		return "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns"
	case errRuleChannelAfterAll:
		return "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels"
	case errRuleNoSuchPassword:
		return "The password you are trying to remove from the user does not exist"
	case errRuleBadHash:
		return "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"
	case errRuleDuplicateUser:
		return "Duplicate user found. A user can only be defined once in config files"
	case errRuleFirstArgOfSub:
		return "Allowing first-arg of a subcommand is not supported"
	}
	return "Wrong format"
}

// newUser makes a user as Valkey creates one: off, no passwords, no commands, no keys, channels per
// acl-pubsub-default. It is not registered.
func (a *aclState) newUser(name string) *User {
	return &User{Name: name, root: newSelector(a.pubsubAllDefault())}
}

// applyRule applies one rule (a user flag, a password, a selector, or a root-selector rule) to u.
func (a *aclState) applyRule(u *User, op string) error {
	if op == "" {
		return nil
	}
	lop := strings.ToLower(op)
	switch {
	case lop == "on":
		u.Enabled = true
	case lop == "off":
		u.Enabled = false
	case lop == "skip-sanitize-payload":
		u.skipSanitize = true
	case lop == "sanitize-payload":
		u.skipSanitize = false
	case lop == "nopass":
		u.NoPass, u.passwords = true, nil
	case lop == "resetpass":
		u.NoPass, u.passwords = false, nil
	case op[0] == '>' || op[0] == '#':
		var h string
		if op[0] == '>' {
			h = hashPassword([]byte(op[1:]))
		} else if h = op[1:]; !validHash(h) {
			return errRuleBadHash
		}
		found := false
		for _, p := range u.passwords {
			found = found || p == h
		}
		if !found {
			u.passwords = append(u.passwords, h)
		}
		u.NoPass = false
	case op[0] == '<' || op[0] == '!':
		var h string
		if op[0] == '<' {
			h = hashPassword([]byte(op[1:]))
		} else if h = op[1:]; !validHash(h) {
			return errRuleBadHash
		}
		for i, p := range u.passwords {
			if p == h {
				u.passwords = append(u.passwords[:i:i], u.passwords[i+1:]...)
				return nil
			}
		}
		return errRuleNoSuchPassword
	case op[0] == '(' && op[len(op)-1] == ')':
		sel := newSelector(a.pubsubAllDefault())
		for _, sop := range strings.Fields(op[1 : len(op)-1]) {
			if err := sel.apply(sop); err != nil {
				return err
			}
		}
		u.selectors = append(u.selectors, sel)
	case lop == "clearselectors":
		u.selectors = nil
	case lop == "reset":
		u.NoPass, u.passwords = false, nil
		u.root.allKeys, u.root.keys = false, nil
		u.root.allChannels, u.root.channels = a.pubsubAllDefault(), nil
		u.Enabled = false
		u.skipSanitize = false
		u.selectors = nil
		u.root.setAllCommands(false)
	default:
		return u.root.apply(op)
	}
	return nil
}

// mergeSelectorArgs joins rules that spread a "(...)" selector over several words, as ACL SETUSER and
// the user directive allow. It returns the index of the unclosed "(" word on failure.
func mergeSelectorArgs(args []string) ([]string, int, bool) {
	out := make([]string, 0, len(args))
	open := -1
	var cur strings.Builder
	for i, op := range args {
		if open < 0 && strings.HasPrefix(op, "(") && !strings.HasSuffix(op, ")") {
			open = i
			cur.Reset()
			cur.WriteString(op)
			continue
		}
		if open >= 0 {
			cur.WriteByte(' ')
			cur.WriteString(op)
			if strings.HasSuffix(op, ")") {
				out = append(out, cur.String())
				open = -1
			}
			continue
		}
		out = append(out, op)
	}
	if open >= 0 {
		return nil, open, false
	}
	return out, 0, true
}

// stageRules applies rules to a copy of base (or to a new user when base is nil) and returns the copy,
// or the Valkey error text for the first bad rule. Nothing is changed on error: SETUSER is atomic.
func (a *aclState) stageRules(name string, base *User, rules []string) (*User, string) {
	merged, bad, ok := mergeSelectorArgs(rules)
	if !ok {
		return nil, "Unmatched parenthesis in acl selector starting at '" + rules[bad] + "'."
	}
	var u *User
	if base != nil {
		u = base.clone()
	} else {
		u = a.newUser(name)
	}
	for _, op := range merged {
		if err := a.applyRule(u, op); err != nil {
			return nil, "Error in ACL SETUSER modifier '" + op + "': " + err.Error()
		}
	}
	return u, ""
}
