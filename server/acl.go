package server

import (
	"crypto/sha256"
	"crypto/subtle"

	"github.com/valkey-node/valkey-node/server/config"
)

// User is an ACL user.
type User struct {
	Name    string
	Enabled bool
	NoPass  bool
	// passwords are stored as SHA-256 digests, as Valkey does.
	passwords [][32]byte
}

// checkPassword compares in constant time against every password of the user.
func (u *User) checkPassword(pass []byte) bool {
	if u.NoPass {
		return true
	}
	h := sha256.Sum256(pass)
	ok := false
	for _, p := range u.passwords {
		if subtle.ConstantTimeCompare(h[:], p[:]) == 1 {
			ok = true
		}
	}
	return ok
}

// aclState holds the users.
type aclState struct {
	s     *Server
	users map[string]*User
}

func newACLState(s *Server) *aclState {
	a := &aclState{s: s, users: map[string]*User{}}
	a.users["default"] = &User{Name: "default", Enabled: true, NoPass: true}
	return a
}

func (a *aclState) defaultUser() *User { return a.users["default"] }

// defaultNoPass is the protected-mode condition: the default user can be used without a password.
func (a *aclState) defaultNoPass() bool {
	d := a.defaultUser()
	return d.Enabled && d.NoPass
}

// onConnect authenticates a new client as the default user when that needs no password.
func (a *aclState) onConnect(c *Client) {
	d := a.defaultUser()
	c.user = d
	c.authed = d.Enabled && d.NoPass
}

// authenticate checks a user name and password; it returns the user or nil.
func (a *aclState) authenticate(name string, pass []byte) *User {
	u := a.users[name]
	if u == nil || !u.Enabled || !u.checkPassword(pass) {
		a.s.stats.aclDeniedAuth++
		return nil
	}
	return u
}

// check returns the NOPERM error text if the client's user may not run cmd with args, or "".
func (a *aclState) check(c *Client, cmd *Command, args [][]byte) string {
	return ""
}

// registerSecurityDirectives declares requirepass (the default user's password).
func (s *Server) registerSecurityDirectives() {
	s.reg.Add(&config.Directive{Name: "requirepass", Default: "", Flags: config.Sensitive,
		Value: config.Func{
			SetFn: func(args []string) error {
				if len(args) != 1 {
					return errWrongArgs
				}
				s.cfg.RequirePass = args[0]
				d := s.acl.defaultUser()
				if args[0] == "" {
					d.NoPass, d.passwords = true, nil
				} else {
					d.NoPass, d.passwords = false, [][32]byte{sha256.Sum256([]byte(args[0]))}
				}
				return nil
			},
			GetFn: func() string { return s.cfg.RequirePass },
		}})
}
