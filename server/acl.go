package server

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/valkey-node/valkey-node/server/config"
	"github.com/valkey-node/valkey-node/tlsmat"
)

// aclState holds the users and the security log. Guarded by the execution lock.
type aclState struct {
	s     *Server
	users map[string]*User
	log   aclLog
	// pending are the user directives of the configuration, validated when read and applied by
	// loadConfigured once the whole configuration is known (as Valkey loads them last).
	pending []pendingUser
}

type pendingUser struct {
	name  string
	rules []string
}

func newACLState(s *Server) *aclState {
	a := &aclState{s: s, users: map[string]*User{}}
	a.users["default"] = a.makeDefaultUser()
	return a
}

// makeDefaultUser builds the default user as Valkey does: +@all ~* &* on nopass.
func (a *aclState) makeDefaultUser() *User {
	u := &User{Name: "default", root: newSelector(false)}
	for _, op := range []string{"+@all", "~*", "&*", "on", "nopass"} {
		if err := a.applyRule(u, op); err != nil {
			panic(err)
		}
	}
	return u
}

func (a *aclState) defaultUser() *User { return a.users["default"] }

// pubsubAllDefault is acl-pubsub-default: whether new users may use every channel.
func (a *aclState) pubsubAllDefault() bool { return a.s.cfg.ACLPubsubDefault == "allchannels" }

// defaultNoPass is the protected-mode condition (and AUTH's one-argument check): the default user is
// flagged nopass. Like Valkey, it does not look at whether the user is enabled.
func (a *aclState) defaultNoPass() bool { return a.defaultUser().NoPass }

// onConnect authenticates a new (or RESET) client as the default user when that needs no password.
func (a *aclState) onConnect(c *Client) {
	d := a.defaultUser()
	c.user = d
	c.authed = d.Enabled && d.NoPass
}

// authenticate checks a user name and password; it returns the user, or nil after logging the failure
// (cmdName is the command as the client typed it: the ACL LOG object).
func (a *aclState) authenticate(c *Client, cmdName, name string, pass []byte) *User {
	u := a.users[name]
	if u == nil || !u.Enabled || !u.checkPassword(pass) {
		a.addLog(c, aclDeniedAuth, cmdName, name, strings.ToLower(cmdName))
		return nil
	}
	return u
}

// authByCertificate applies tls-auth-clients-user to a client that just completed a TLS handshake with
// a verified certificate: the first identity naming an enabled user authenticates the connection as
// that user, without a password. No match leaves the default user and is counted and logged.
func (a *aclState) authByCertificate(c *Client) {
	mode := a.s.cfg.TLS.AuthClientsUser
	if c.tls == nil || strings.EqualFold(mode, "off") || len(c.tls.VerifiedChains) == 0 || len(c.tls.VerifiedChains[0]) == 0 {
		return
	}
	names := tlsmat.Identity(c.tls.VerifiedChains[0][0], mode)
	for _, n := range names {
		if u := a.users[n]; u != nil && u.Enabled {
			c.user, c.authed = u, true
			return
		}
	}
	who := ""
	if len(names) > 0 {
		who = names[0]
	}
	a.s.stats.aclDeniedTLSCert++
	a.record(c, "tls-cert", who, who, "")
	a.s.log.Debug().Str("addr", c.addr).Str("identity", who).
		Msg("TLS client certificate does not name an enabled ACL user; staying as the default user")
}

// setUser applies ACL SETUSER rules atomically, creating the user if needed. It returns the error text.
func (a *aclState) setUser(name string, rules []string) string {
	base := a.users[name]
	staged, msg := a.stageRules(name, base, rules)
	if msg != "" {
		return msg
	}
	if base == nil {
		a.users[name] = staged
	} else {
		base.copyFrom(staged)
		a.dropRevokedSubscribers(base)
	}
	a.warnFirstArgs(staged)
	return ""
}

func (a *aclState) warnFirstArgs(u *User) {
	for _, sel := range append([]*selector{u.root}, u.selectors...) {
		for id, args := range sel.firstArgs {
			for _, arg := range args {
				a.s.log.Warn().Msgf("Deprecation warning: Allowing a first arg of an otherwise blocked command is a misuse of ACL and may get disabled in the future (offender: +%s|%s)",
					commandList[id].FullName(), arg)
			}
		}
	}
}

// deleteUser removes a user and disconnects every client authenticated as it. The client running the
// command is closed once its reply is written.
func (a *aclState) deleteUser(name string) bool {
	u := a.users[name]
	if u == nil {
		return false
	}
	delete(a.users, name)
	for _, c := range a.s.clients {
		if c.user != u {
			continue
		}
		// defensive: whatever the client still runs before the close takes effect runs unauthenticated
		c.user, c.authed = a.defaultUser(), false
		if c == a.s.cur {
			c.closeASAP = true
		} else {
			c.kill()
		}
	}
	return true
}

// sortedNames lists the user names in byte order (ACL USERS, ACL LIST).
func (a *aclState) sortedNames() []string {
	names := make([]string, 0, len(a.users))
	for n := range a.users {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// loadConfigured creates the users of the user directives, after the rest of the configuration (so
// requirepass and acl-pubsub-default are known): a "user default" line resets the default user first.
func (a *aclState) loadConfigured() error {
	for _, p := range a.pending {
		u := a.users[p.name]
		if u == nil {
			u = a.newUser(p.name)
		} else if err := a.applyRule(u, "reset"); err != nil {
			return err
		}
		merged, _, _ := mergeSelectorArgs(p.rules)
		for _, op := range merged {
			if err := a.applyRule(u, op); err != nil {
				return fmt.Errorf("Error loading ACL rule '%s' for the user named '%s': %w", op, p.name, err)
			}
		}
		a.users[p.name] = u
		if !u.Enabled {
			a.s.log.Info().Msgf("The user '%s' is disabled (there is no 'on' modifier in the user description). Make sure this is not a configuration error.", p.name)
		}
	}
	a.pending = nil
	return nil
}

// userDirective is the value of the repeatable "user <name> [rules...]" directive. Each occurrence is
// validated on a scratch user when read, so errors name the file and line. CONFIG REWRITE writes one
// line per current user, as Valkey does.
type userDirective struct{ a *aclState }

func (v userDirective) Set(args []string) error {
	if args == nil {
		return nil // SetDefaults: there are no default user lines
	}
	if len(args) == 0 {
		return errors.New("Bad directive or wrong number of arguments")
	}
	// --user "alice on >pw ~* +@all": the rules given as one word, as the other multi-word directives
	// accept (a user name cannot contain a space, so this is not ambiguous)
	if len(args) == 1 && strings.ContainsAny(args[0], " \t") {
		args = strings.Fields(args[0])
	}
	name := args[0]
	if hasSpaceOrNul(name) {
		return errors.New("Usernames can't contain spaces or null characters")
	}
	for _, p := range v.a.pending {
		if p.name == name {
			return fmt.Errorf("Error in user declaration '%s': %s", name, errRuleDuplicateUser)
		}
	}
	merged, bad, ok := mergeSelectorArgs(args[1:])
	if !ok {
		return fmt.Errorf("Error in user declaration '%s': Unmatched parenthesis in acl selector starting at '%s'.", name, args[1+bad])
	}
	scratch := v.a.newUser(name)
	for _, op := range merged {
		if err := v.a.applyRule(scratch, op); err != nil {
			return fmt.Errorf("Error in user declaration '%s': %s", op, err)
		}
	}
	v.a.pending = append(v.a.pending, pendingUser{name: name, rules: append([]string(nil), args[1:]...)})
	return nil
}

// Get names the users (CONFIG GET user, which Valkey does not have, shows no secrets).
func (v userDirective) Get() string { return strings.Join(v.a.sortedNames(), " ") }

// Reset drops the user lines read so far: a configuration source that has user lines replaces them.
func (v userDirective) Reset() { v.a.pending = nil }

// ConfigLines is what CONFIG REWRITE writes: every user, in ACL LIST form.
func (v userDirective) ConfigLines() []string {
	var out []string
	for _, n := range v.a.sortedNames() {
		out = append(out, n+" "+v.a.users[n].describe())
	}
	return out
}

// registerSecurityDirectives declares requirepass, user, acllog-max-len and acl-pubsub-default.
func (s *Server) registerSecurityDirectives() {
	a := s.acl
	s.reg.Add(
		&config.Directive{Name: "requirepass", Default: "", Flags: config.Sensitive,
			Value: config.Func{
				SetFn: func(args []string) error {
					if len(args) != 1 {
						return errWrongArgs
					}
					s.cfg.RequirePass = args[0]
					// as Valkey: the default user's password list becomes just this password
					d := a.defaultUser()
					if err := a.applyRule(d, "resetpass"); err != nil {
						return err
					}
					if args[0] == "" {
						return a.applyRule(d, "nopass")
					}
					return a.applyRule(d, ">"+args[0])
				},
				GetFn: func() string { return s.cfg.RequirePass },
			}},
		&config.Directive{Name: "user", Default: "", Value: userDirective{a},
			Flags: config.Multi | config.Repeatable | config.Immutable | config.Hidden | config.Sensitive},
		&config.Directive{Name: "acllog-max-len", Default: "128",
			Value: config.Int{P: &s.cfg.ACLLogMaxLen, Min: 0, Max: math.MaxInt64}},
		&config.Directive{Name: "acl-pubsub-default", Default: "resetchannels",
			Value: config.Enum{P: &s.cfg.ACLPubsubDefault, Options: []string{"allchannels", "resetchannels"}}},
	)
}

// dropRevokedSubscribers disconnects clients of u subscribed to a channel or pattern that u may no longer
// use, as Valkey does after ACL SETUSER: a subscription is a standing permission, so it cannot outlive it.
func (a *aclState) dropRevokedSubscribers(u *User) {
	for _, c := range a.s.clients {
		if c.user != u || !c.flags.subscribed {
			continue
		}
		if subscriptionsAllowed(u, c.subs.channels, false) && subscriptionsAllowed(u, c.subs.shard, false) &&
			subscriptionsAllowed(u, c.subs.patterns, true) {
			continue
		}
		a.s.log.Debug().Str("addr", c.addr).Str("user", u.Name).
			Msg("Closing a subscriber whose user lost permission for one of its channels")
		if c == a.s.cur {
			c.closeASAP = true
		} else {
			c.kill()
		}
	}
}

func subscriptionsAllowed(u *User, names map[string]struct{}, patterns bool) bool {
	for n := range names {
		if !u.channelAllowed([]byte(n), patterns) {
			return false
		}
	}
	return true
}
