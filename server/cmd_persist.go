package server

// SAVE, BGSAVE and the persistence part of SHUTDOWN.

func saveCommand(c *Client, args [][]byte) {
	s := c.srv
	if s.persist.owner == ownerRDB {
		c.Err("ERR Background save already in progress")
		return
	}
	if s.snap.active {
		c.Err("ERR Background save already in progress")
		return
	}
	if err := s.rdbSaveSync(); err != nil {
		c.Err("ERR " + err.Error())
		return
	}
	c.W().OK()
}

// BGSAVE [SCHEDULE]
func bgsaveCommand(c *Client, args [][]byte) {
	s := c.srv
	schedule := false
	if len(args) > 1 {
		if len(args) != 2 || !eqFold(args[1], "schedule") {
			c.Err(errSyntax)
			return
		}
		schedule = true
	}
	if s.persist.owner == ownerRDB {
		c.Err("ERR Background save already in progress")
		return
	}
	if s.persist.owner == ownerAOF && schedule {
		s.persist.scheduled = true
		c.W().Simple("Background saving scheduled")
		return
	}
	if err := s.startBgsave("BGSAVE command"); err != nil {
		c.Err(err.Error())
		return
	}
	c.W().Simple("Background saving started")
}

func init() {
	register(
		spec{name: "save", arity: 1, flags: "admin noscript no_multi dangerous", group: "server",
			summary: "Synchronously saves the database(s) to disk.", since: "1.0.0",
			complexity: "O(N) where N is the total number of keys in all databases", handler: saveCommand},
		spec{name: "bgsave", arity: -1, flags: "admin noscript dangerous", group: "server",
			summary: "Asynchronously saves the database(s) to disk.", since: "1.0.0",
			complexity: "O(1)", handler: bgsaveCommand},
	)
}
