package server

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
)

func aclSetUserCommand(c *Client, args [][]byte) {
	name := string(args[2])
	if hasSpaceOrNul(name) {
		c.Err("ERR Usernames can't contain spaces or null characters")
		return
	}
	rules := make([]string, len(args)-3)
	for i, a := range args[3:] {
		rules[i] = string(a)
	}
	if msg := c.srv.acl.setUser(name, rules); msg != "" {
		c.Err("ERR " + msg)
		return
	}
	c.W().OK()
}

func aclDelUserCommand(c *Client, args [][]byte) {
	a := c.srv.acl
	for _, n := range args[2:] {
		if string(n) == "default" {
			c.Err("ERR The 'default' user cannot be removed")
			return
		}
	}
	deleted := 0
	for _, n := range args[2:] {
		if a.deleteUser(string(n)) {
			deleted++
		}
	}
	c.W().Int(int64(deleted))
}

func aclGetUserCommand(c *Client, args [][]byte) {
	u := c.srv.acl.users[string(args[2])]
	w := c.W()
	if u == nil {
		w.Null()
		return
	}
	w.Map(6)
	w.BulkString("flags")
	flags := u.flagNames()
	w.Set(len(flags))
	for _, f := range flags {
		w.BulkString(f)
	}
	w.BulkString("passwords")
	w.StringArray(u.passwords)
	writeSelectorFields(c, u.root)
	w.BulkString("selectors")
	w.Array(len(u.selectors))
	for _, sel := range u.selectors {
		w.Map(3)
		writeSelectorFields(c, sel)
	}
}

func writeSelectorFields(c *Client, sel *selector) {
	w := c.W()
	w.BulkString("commands")
	w.BulkString(sel.describeCommands())
	w.BulkString("keys")
	w.BulkString(sel.describeKeys())
	w.BulkString("channels")
	w.BulkString(sel.describeChannels())
}

func aclListCommand(c *Client, args [][]byte) {
	a := c.srv.acl
	names := a.sortedNames()
	w := c.W()
	w.Array(len(names))
	for _, n := range names {
		w.BulkString("user " + n + " " + a.users[n].describe())
	}
}

func aclUsersCommand(c *Client, args [][]byte) { c.W().StringArray(c.srv.acl.sortedNames()) }

func aclWhoamiCommand(c *Client, args [][]byte) {
	if c.user == nil {
		c.W().Null()
		return
	}
	c.W().BulkString(c.user.Name)
}

func aclCatCommand(c *Client, args [][]byte) {
	if len(args) == 2 {
		c.W().StringArray(aclCategoryNames)
		return
	}
	if len(args) > 3 {
		c.Err("ERR wrong number of arguments for 'acl|cat' command")
		return
	}
	cat, ok := aclCategoryByName(string(args[2]))
	if !ok {
		c.Err(fmt.Sprintf("ERR Unknown category '%s'", trunc(args[2], 128)))
		return
	}
	var names []string
	for _, cmd := range sortedCommands() {
		if commandCategories(cmd)&cat != 0 {
			names = append(names, cmd.FullName())
		}
		subs := make([]*Command, 0, len(cmd.Subs))
		for _, sub := range cmd.Subs {
			subs = append(subs, sub)
		}
		sort.Slice(subs, func(i, j int) bool { return subs[i].Name < subs[j].Name })
		for _, sub := range subs {
			if commandCategories(sub)&cat != 0 {
				names = append(names, sub.FullName())
			}
		}
	}
	c.W().StringArray(names)
}

const genpassMaxBits = 4096

func aclGenPassCommand(c *Client, args [][]byte) {
	if len(args) > 3 {
		c.Err("ERR wrong number of arguments for 'acl|genpass' command")
		return
	}
	bits := int64(256)
	if len(args) == 3 {
		n, ok := parseInt64(args[2])
		if !ok {
			c.Err(errNotInt)
			return
		}
		bits = n
	}
	if bits <= 0 || bits > genpassMaxBits {
		c.Err(fmt.Sprintf("ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to %d", genpassMaxBits))
		return
	}
	chars := (bits + 3) / 4
	buf := make([]byte, (chars+1)/2)
	if _, err := rand.Read(buf); err != nil {
		c.Err("ERR failed to read random bytes: " + err.Error())
		return
	}
	c.W().BulkString(hex.EncodeToString(buf)[:chars])
}

func aclLogCommand(c *Client, args [][]byte) {
	if len(args) > 3 {
		c.Err("ERR wrong number of arguments for 'acl|log' command")
		return
	}
	a := c.srv.acl
	count := 10
	if len(args) == 3 {
		if eqFold(args[2], "reset") {
			a.log.reset()
			c.W().OK()
			return
		}
		n, ok := parseInt64(args[2])
		if !ok {
			c.Err(errNotInt)
			return
		}
		if n < 0 {
			n = 0
		}
		if n < int64(len(a.log.entries)) {
			count = int(n)
		} else {
			count = len(a.log.entries)
		}
	}
	a.writeLog(c, count)
}

func aclDryRunCommand(c *Client, args [][]byte) {
	u := c.srv.acl.users[string(args[2])]
	if u == nil {
		c.Err(fmt.Sprintf("ERR User '%s' not found", trunc(args[2], 128)))
		return
	}
	cargs := args[3:]
	cmd, _ := lookupCommand(cargs)
	if cmd == nil {
		c.Err(fmt.Sprintf("ERR Command '%s' not found", trunc(cargs[0], 128)))
		return
	}
	if (cmd.Arity > 0 && len(cargs) != cmd.Arity) || (cmd.Arity < 0 && len(cargs) < -cmd.Arity) {
		c.Err(fmt.Sprintf("ERR wrong number of arguments for '%s' command", cmd.FullName()))
		return
	}
	if msg := u.dryRun(cmd, cargs); msg != "" {
		c.W().BulkString(msg)
		return
	}
	c.W().OK()
}

// aclNoFileCommand is ACL LOAD and ACL SAVE: valkey-node has no aclfile directive, so users live in the
// configuration file (user lines, written by CONFIG REWRITE), as in Valkey without an ACL file.
func aclNoFileCommand(c *Client, args [][]byte) {
	c.Err("ERR This Valkey instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Valkey configuration file set) in order to store users in the Valkey configuration.")
}

var aclHelp = []string{
	"ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"CAT [<category>]",
	"    List all commands that belong to <category>, or all command categories",
	"    when no category is specified.",
	"DELUSER <username> [<username> ...]",
	"    Delete a list of users.",
	"DRYRUN <username> <command> [<arg> ...]",
	"    Returns whether the user can execute the given command without executing the command.",
	"GETUSER <username>",
	"    Get the user's details.",
	"GENPASS [<bits>]",
	"    Generate a secure 256-bit user password. The optional `bits` argument can",
	"    be used to specify a different size.",
	"LIST",
	"    Show users details in config file format.",
	"LOAD",
	"    Reload users from the ACL file.",
	"LOG [<count> | RESET]",
	"    Show the ACL log entries.",
	"SAVE",
	"    Save the current config to the ACL file.",
	"SETUSER <username> <attribute> [<attribute> ...]",
	"    Create or modify a user with the specified attributes.",
	"USERS",
	"    List all the registered usernames.",
	"WHOAMI",
	"    Return the current connection username.",
	"HELP",
	"    Print this help.",
}

func aclHelpCommand(c *Client, args [][]byte) {
	w := c.W()
	w.Array(len(aclHelp))
	for _, l := range aclHelp {
		w.Simple(l)
	}
}

func aclContainerCommand(c *Client, args [][]byte) {
	c.Err(fmt.Sprintf("ERR unknown subcommand or wrong number of arguments for '%s'. Try ACL HELP.", strings.ToLower(string(args[0]))))
}

func init() {
	const adm = "admin noscript loading stale"
	register(spec{name: "acl", arity: -2, group: "server", summary: "A container for Access List Control commands.",
		since: "6.0.0", complexity: "Depends on subcommand.", handler: aclContainerCommand,
		subs: []spec{
			{name: "cat", arity: -2, flags: "noscript loading stale", summary: "Lists the ACL categories, or the commands inside a category.", since: "6.0.0", complexity: "O(1) since the categories and commands are a fixed set.", handler: aclCatCommand},
			{name: "deluser", arity: -3, flags: adm, summary: "Deletes ACL users, and terminates their connections.", since: "6.0.0", complexity: "O(1) amortized time considering the typical user.", handler: aclDelUserCommand},
			{name: "dryrun", arity: -4, flags: adm, summary: "Simulates the execution of a command by a user, without executing the command.", since: "7.0.0", complexity: "O(1).", handler: aclDryRunCommand},
			{name: "genpass", arity: -2, flags: "noscript loading stale", summary: "Generates a pseudorandom, secure password that can be used to identify ACL users.", since: "6.0.0", complexity: "O(1)", handler: aclGenPassCommand},
			{name: "getuser", arity: 3, flags: adm, summary: "Lists the ACL rules of a user.", since: "6.0.0", complexity: "O(N). Where N is the number of password, command and pattern rules that the user has.", handler: aclGetUserCommand},
			{name: "help", arity: 2, flags: "loading stale", summary: "Returns helpful text about the different subcommands.", since: "6.0.0", complexity: "O(1)", handler: aclHelpCommand},
			{name: "list", arity: 2, flags: adm, summary: "Dumps the effective rules in ACL file format.", since: "6.0.0", complexity: "O(N). Where N is the number of configured users.", handler: aclListCommand},
			{name: "load", arity: 2, flags: adm, summary: "Reloads the rules from the configured ACL file.", since: "6.0.0", complexity: "O(N). Where N is the number of configured users.", handler: aclNoFileCommand},
			{name: "log", arity: -2, flags: adm, summary: "Lists recent security events generated due to ACL rules.", since: "6.0.0", complexity: "O(N) with N being the number of entries shown.", handler: aclLogCommand},
			{name: "save", arity: 2, flags: adm, summary: "Saves the effective ACL rules in the configured ACL file.", since: "6.0.0", complexity: "O(N). Where N is the number of configured users.", handler: aclNoFileCommand},
			{name: "setuser", arity: -3, flags: adm, summary: "Creates and modifies an ACL user and its rules.", since: "6.0.0", complexity: "O(N). Where N is the number of rules provided.", handler: aclSetUserCommand},
			{name: "users", arity: 2, flags: adm, summary: "Lists all ACL users.", since: "6.0.0", complexity: "O(N). Where N is the number of configured users.", handler: aclUsersCommand},
			{name: "whoami", arity: 2, flags: "noscript loading stale", summary: "Returns the authenticated username of the current connection.", since: "6.0.0", complexity: "O(1)", handler: aclWhoamiCommand},
		}})
}
