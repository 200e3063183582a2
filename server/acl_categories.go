package server

import (
	"strings"
	"sync"
)

// aclCategory is a set of ACL categories, one bit per entry of aclCategoryNames.
type aclCategory uint32

// aclCategoryNames are Valkey's categories in the order ACL CAT lists them.
var aclCategoryNames = []string{
	"keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap", "hyperloglog",
	"geo", "stream", "pubsub", "admin", "fast", "slow", "blocking", "dangerous", "connection",
	"transaction", "scripting",
}

func catBit(name string) aclCategory {
	for i, n := range aclCategoryNames {
		if n == name {
			return 1 << i
		}
	}
	panic("unknown ACL category " + name)
}

var (
	catKeyspace    = catBit("keyspace")
	catRead        = catBit("read")
	catWrite       = catBit("write")
	catPubSub      = catBit("pubsub")
	catAdmin       = catBit("admin")
	catFast        = catBit("fast")
	catSlow        = catBit("slow")
	catBlocking    = catBit("blocking")
	catDangerous   = catBit("dangerous")
	catConnection  = catBit("connection")
	catTransaction = catBit("transaction")
	catScripting   = catBit("scripting")
)

// groupCategories maps a command's COMMAND DOCS group to the category every command of that group is in.
var groupCategories = map[string]aclCategory{
	"generic":      catKeyspace,
	"string":       catBit("string"),
	"connection":   catConnection,
	"list":         catBit("list"),
	"hash":         catBit("hash"),
	"set":          catBit("set"),
	"sorted-set":   catBit("sortedset"),
	"bitmap":       catBit("bitmap"),
	"hyperloglog":  catBit("hyperloglog"),
	"geo":          catBit("geo"),
	"stream":       catBit("stream"),
	"pubsub":       catPubSub,
	"transactions": catTransaction,
	"scripting":    catScripting,
}

// aclCategoryByName finds a category (case-insensitively); "all" is not a category.
func aclCategoryByName(name string) (aclCategory, bool) {
	for i, n := range aclCategoryNames {
		if strings.EqualFold(n, name) {
			return 1 << i, true
		}
	}
	return 0, false
}

var (
	categoriesOnce sync.Once
	categoriesByID []aclCategory
)

// commandCategories returns the categories of a command or subcommand. They are derived once from the
// command table (complete after package init): the group's category, then the flag-derived ones as
// Valkey sets them implicitly. Container commands get only the flag-derived ones, as in Valkey, where
// containers declare no categories of their own.
func commandCategories(cmd *Command) aclCategory {
	categoriesOnce.Do(func() {
		categoriesByID = make([]aclCategory, len(commandList))
		for _, c := range commandList {
			categoriesByID[c.ID] = deriveCategories(c)
		}
	})
	return categoriesByID[cmd.ID]
}

// categoryOverrides replaces the group-derived category of commands that Valkey files under other data
// types: SORT reads and writes lists, sets and sorted sets (and is @dangerous), not @keyspace.
var categoryOverrides = map[string]aclCategory{
	"sort":    catBit("list") | catBit("set") | catBit("sortedset") | catDangerous,
	"sort_ro": catBit("list") | catBit("set") | catBit("sortedset") | catDangerous,
}

func deriveCategories(cmd *Command) aclCategory {
	var c aclCategory
	if o, ok := categoryOverrides[cmd.Name]; ok && cmd.Parent == nil {
		c |= o
	} else if cmd.Subs == nil {
		c |= groupCategories[cmd.Group]
	}
	f := cmd.Flags
	if f&flagWrite != 0 {
		c |= catWrite
	}
	// scripting commands are left out of @read even when read-only
	if f&flagReadonly != 0 && c&catScripting == 0 {
		c |= catRead
	}
	if f&flagAdmin != 0 {
		c |= catAdmin | catDangerous
	}
	if f&flagDangerous != 0 {
		c |= catDangerous
	}
	if f&flagPubSub != 0 {
		c |= catPubSub
	}
	if f&flagFast != 0 {
		c |= catFast
	}
	if f&flagBlocking != 0 {
		c |= catBlocking
	}
	if c&catFast == 0 {
		c |= catSlow
	}
	return c
}

// aclCategoryList returns a command's categories as COMMAND INFO shows them ("@read", "@fast", ...).
func aclCategoryList(cmd *Command) []string {
	cats := commandCategories(cmd)
	var out []string
	for i, n := range aclCategoryNames {
		if cats&(1<<i) != 0 {
			out = append(out, "@"+n)
		}
	}
	return out
}
