package server

import (
	"strings"
	"testing"
)

// ACL SETUSER that revokes a channel disconnects the user's clients subscribed to it; others stay.
func TestACLRevokedChannelDropsSubscriber(t *testing.T) {
	n := startNode(t)
	admin := n.raw()
	mustDo(t, admin, "OK", "ACL", "SETUSER", "sub", "on", "nopass", "+@all", "~*", "&news", "&sports")
	a, b := n.raw(), n.raw()
	mustDo(t, a, "OK", "AUTH", "sub", "x")
	mustDo(t, b, "OK", "AUTH", "sub", "x")
	mustDo(t, a, `["subscribe" "news" :1]`, "SUBSCRIBE", "news")
	mustDo(t, b, `["subscribe" "sports" :1]`, "SUBSCRIBE", "sports")
	mustDo(t, admin, "OK", "ACL", "SETUSER", "sub", "resetchannels", "&sports")
	if !a.closed() {
		t.Fatal("subscriber of a revoked channel kept its connection")
	}
	mustDo(t, admin, ":1", "PUBLISH", "sports", "goal")
	if got := b.reply(); got != `["message" "sports" "goal"]` {
		t.Fatalf("allowed subscriber got %s", got)
	}
}

// SORT is filed under the list, set and sorted-set categories (and @dangerous), not @keyspace.
func TestACLSortCategories(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	mustDo(t, r, "OK", "ACL", "SETUSER", "lister", "on", "nopass", "~*", "+@list", "-@dangerous", "+sort")
	mustDo(t, r, ":3", "RPUSH", "l", "3", "1", "2")
	u := n.raw()
	mustDo(t, u, "OK", "AUTH", "lister", "x")
	mustDo(t, u, `["1" "2" "3"]`, "SORT", "l")
	got := r.do("COMMAND", "INFO", "sort")
	for _, cat := range []string{"@list", "@set", "@sortedset", "@dangerous"} {
		if !strings.Contains(got, cat) {
			t.Fatalf("COMMAND INFO sort lacks %s: %s", cat, got)
		}
	}
	if strings.Contains(got, "@keyspace") {
		t.Fatalf("COMMAND INFO sort still lists @keyspace: %s", got)
	}
}
