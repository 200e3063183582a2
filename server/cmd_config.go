package server

import (
	"errors"

	"github.com/valkey-node/valkey-node/server/config"
)

// CONFIG GET, SET, REWRITE, RESETSTAT and HELP. The semantics (patterns, all-or-nothing SET, REWRITE that
// keeps the file's comments) live in the config package; these handlers translate to and from RESP.

func configGetCommand(c *Client, args [][]byte) {
	patterns := make([]string, len(args)-2)
	for i, a := range args[2:] {
		patterns[i] = string(a)
	}
	pairs := c.srv.reg.Get(patterns)
	w := c.W()
	w.Map(len(pairs))
	for _, p := range pairs {
		w.BulkString(p[0])
		w.BulkString(p[1])
	}
}

// configSetCommand implements CONFIG SET name value [name value ...], applied all or nothing.
func configSetCommand(c *Client, args [][]byte) {
	s := c.srv
	if (len(args)-2)%2 != 0 {
		c.Err(errSyntax)
		return
	}
	pairs := make([][2]string, 0, (len(args)-2)/2)
	for i := 2; i+1 < len(args); i += 2 {
		pairs = append(pairs, [2]string{string(args[i]), string(args[i+1])})
	}
	err := s.reg.Set(pairs, func(name string, err error) {
		s.log.Warn().Err(err).Msgf("Failed applying new configuration. Possibly related to new %s setting. Restoring previous settings.", name)
	})
	if err != nil {
		var se *config.SetError
		if errors.As(err, &se) {
			c.Err(se.Msg)
		} else {
			c.Err("ERR " + err.Error())
		}
		return
	}
	c.W().OK()
}

func configRewriteCommand(c *Client, args [][]byte) {
	s := c.srv
	if s.reg.File == "" {
		c.Err("ERR The server is running without a config file")
		return
	}
	if err := s.reg.Rewrite(); err != nil {
		s.log.Warn().Err(err).Msg("CONFIG REWRITE failed")
		c.Err("ERR Rewriting config file: " + err.Error())
		return
	}
	s.log.Info().Msg("CONFIG REWRITE executed with success.")
	c.W().OK()
}

func configResetStatCommand(c *Client, args [][]byte) {
	c.srv.resetStats()
	c.W().OK()
}

func init() {
	const flags = "admin noscript loading stale"
	register(spec{name: "config", arity: -2, group: "server", summary: "A container for server configuration commands.",
		since: "2.0.0", complexity: "Depends on subcommand.",
		subs: []spec{
			{name: "get", arity: -3, flags: flags, summary: "Returns the effective values of configuration parameters.", since: "2.0.0",
				complexity: "O(N) when N is the number of configuration parameters provided", handler: configGetCommand},
			{name: "set", arity: -4, flags: flags, summary: "Sets configuration parameters in-flight.", since: "2.0.0",
				complexity: "O(N) when N is the number of configuration parameters provided", handler: configSetCommand},
			{name: "rewrite", arity: 2, flags: flags, summary: "Persists the effective configuration to file.", since: "2.8.0",
				complexity: "O(1)", handler: configRewriteCommand},
			{name: "resetstat", arity: 2, flags: flags, summary: "Resets the server's statistics.", since: "2.0.0",
				complexity: "O(1)", handler: configResetStatCommand},
			{name: "help", arity: 2, flags: "loading stale", summary: "Returns helpful text about the different subcommands.", since: "5.0.0",
				complexity: "O(1)", handler: func(c *Client, args [][]byte) {
					helpReply(c, "CONFIG", []string{
						"GET <pattern>",
						"    Return parameters matching the glob-like <pattern> and their values.",
						"SET <directive> <value>",
						"    Set the configuration <directive> to <value>.",
						"RESETSTAT",
						"    Reset statistics reported by the INFO command.",
						"REWRITE",
						"    Rewrite the configuration file.",
					})
				}},
		}})
}
