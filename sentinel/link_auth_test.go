package sentinel

import "testing"

// TestAuthTowardsSentinels: sentinel-user/sentinel-pass when set, else the sentinel's own requirepass
// (sentinels of one deployment share it), else nothing; primaries and replicas use auth-user/auth-pass.
func TestAuthTowardsSentinels(t *testing.T) {
	s := New()
	m := &Instance{Flags: FlagMaster, AuthUser: "mon", AuthPass: "mpw"}
	rep := &Instance{Flags: FlagSlave, Master: m}
	peer := &Instance{Flags: FlagSentinel, Master: m}
	check := func(in *Instance, wantUser, wantPass string, wantOK bool) {
		t.Helper()
		u, p, ok := s.authFor(in)
		if u != wantUser || p != wantPass || ok != wantOK {
			t.Fatalf("authFor = %q %q %v, want %q %q %v", u, p, ok, wantUser, wantPass, wantOK)
		}
	}
	check(peer, "", "", false)
	s.requirePass = "shared"
	check(peer, "", "shared", true)
	s.sentinelUser, s.sentinelPass = "sen", "spw"
	check(peer, "sen", "spw", true)
	check(m, "mon", "mpw", true)
	check(rep, "mon", "mpw", true)
}
