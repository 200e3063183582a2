package server

import (
	"strconv"
	"strings"
)

// The command builders of diffGen, one family each. Each takes the family's keys (see diffGen.key), so
// that the families meet on shared keys, and mixes valid arguments with invalid ones.

// typeProbe reads a key as every type, so that the WRONGTYPE errors of the readers are compared often.
func (g *diffGen) typeProbe(inMulti bool) []string {
	k := g.key()
	switch g.n(9) {
	case 0:
		return []string{g.kw("type"), k}
	case 1:
		if inMulti {
			return nil
		}
		return []string{g.kw("object"), g.kw("encoding"), k}
	case 2:
		return []string{g.kw("get"), k}
	case 3:
		return []string{g.kw("lrange"), k, "0", "-1"}
	case 4:
		return []string{g.kw("hgetall"), k}
	case 5:
		return []string{g.kw("smembers"), k}
	case 6:
		return []string{g.kw("zrange"), k, "0", "-1", g.kw("withscores")}
	case 7:
		return []string{g.kw("strlen"), k}
	}
	return []string{g.kw("pfcount"), k}
}

func (g *diffGen) stringCmd() []string {
	k := g.strKey()
	switch g.n(22) {
	case 0, 1, 2:
		c := []string{g.kw("set"), k, g.value()}
		for i := g.n(3); i > 0; i-- {
			switch g.n(9) {
			case 0:
				c = append(c, g.kw("nx"))
			case 1:
				c = append(c, g.kw("xx"))
			case 2:
				c = append(c, g.kw("get"))
			case 3:
				c = append(c, g.kw("ex"), g.pick(diffRelSeconds...))
			case 4:
				c = append(c, g.kw("px"), g.pick(diffRelMillis...))
			case 5:
				c = append(c, g.kw("exat"), g.pick(diffAbsSeconds...))
			case 6:
				c = append(c, g.kw("pxat"), g.pick(diffAbsMillis...))
			case 7:
				c = append(c, g.kw("keepttl"))
			default:
				c = append(c, g.pick("EX", "BOGUS"))
			}
		}
		return c
	case 3:
		return []string{g.kw("get"), k}
	case 4:
		return []string{g.kw("getdel"), k}
	case 5:
		c := []string{g.kw("getex"), k}
		switch g.n(7) {
		case 0:
			c = append(c, g.kw("ex"), g.pick(diffRelSeconds...))
		case 1:
			c = append(c, g.kw("pxat"), g.pick(diffAbsMillis...))
		case 2:
			c = append(c, g.kw("exat"), g.pick(diffAbsSeconds...))
		case 3:
			c = append(c, g.kw("persist"))
		case 4:
			c = append(c, g.kw("persist"), g.kw("ex"), "100")
		case 5:
			c = append(c, g.kw("px"), g.pick(diffRelMillis...))
		}
		return c
	case 6:
		return []string{g.pick("GETRANGE", "getrange", "SUBSTR"), k, g.index(), g.index()}
	case 7:
		return []string{g.kw("getset"), k, g.value()}
	case 8:
		return []string{g.kw("setnx"), k, g.value()}
	case 9:
		return []string{g.kw("setex"), k, g.pick(diffRelSeconds...), g.value()}
	case 10:
		return []string{g.kw("psetex"), k, g.pick(diffRelMillis...), g.value()}
	case 11, 12:
		c := []string{g.pick("MSET", "MSETNX")}
		for i := 1 + g.n(3); i > 0; i-- {
			c = append(c, g.strKey(), g.value())
		}
		if g.chance(10) {
			c = c[:len(c)-1] // odd number of arguments
		}
		return c
	case 13:
		return append([]string{g.kw("mget")}, g.keys(g.anyKey, 4)...)
	case 14, 15:
		return []string{g.kw("append"), k, g.value()}
	case 16:
		off := strconv.Itoa(g.n(60))
		switch g.n(10) {
		case 0:
			off = "-1"
		case 1:
			off = "536870912" // beyond proto-max-bulk-len
		case 2:
			off = "x"
		}
		return []string{g.kw("setrange"), k, off, g.pick("xy", "", "\x00", "hello")}
	case 17:
		return []string{g.kw("strlen"), k}
	case 18, 19:
		c := []string{g.kw("lcs"), g.strKey(), g.strKey()}
		for i := g.n(3); i > 0; i-- {
			switch g.n(5) {
			case 0:
				c = append(c, g.kw("len"))
			case 1:
				c = append(c, g.kw("idx"))
			case 2:
				c = append(c, g.kw("minmatchlen"), g.pick("0", "1", "2", "x", "-1"))
			case 3:
				c = append(c, g.kw("withmatchlen"))
			default:
				c = append(c, "BOGUS")
			}
		}
		return c
	}
	return []string{g.kw("set"), k, g.pick("hello world", "abcdef", "ACEbdf", "12", "ab\x00cd")}
}

func (g *diffGen) counterCmd() []string {
	k := g.strKey()
	switch g.n(7) {
	case 0:
		return []string{g.kw("incr"), k}
	case 1:
		return []string{g.kw("decr"), k}
	case 2:
		return []string{g.kw("incrby"), k, g.integer()}
	case 3:
		return []string{g.kw("decrby"), k, g.integer()}
	case 4, 5:
		return []string{g.kw("incrbyfloat"), k, g.float()}
	}
	return []string{g.kw("set"), k, g.pick("10", "-3", "9223372036854775806", "-9223372036854775807", "1.5", "1e308", "0")}
}

func (g *diffGen) where() string { return g.kw(g.pick("left", "right")) }

func (g *diffGen) listCmd(inMulti bool) []string {
	k := g.listKey()
	switch g.n(24) {
	case 0, 1, 2:
		return append([]string{g.pick("LPUSH", "RPUSH", "rpush")}, append([]string{k}, g.elems(5)...)...)
	case 3:
		return append([]string{g.pick("LPUSHX", "RPUSHX")}, append([]string{k}, g.elems(2)...)...)
	case 4, 5:
		c := []string{g.pick("LPOP", "RPOP"), k}
		if g.chance(2) {
			c = append(c, g.pick("0", "1", "2", "5", "-1", "x"))
		}
		return c
	case 6:
		return []string{g.kw("llen"), k}
	case 7, 8:
		return []string{g.kw("lrange"), k, g.index(), g.index()}
	case 9:
		return []string{g.kw("lindex"), k, g.index()}
	case 10:
		return []string{g.kw("lset"), k, g.index(), g.elem()}
	case 11:
		return []string{g.kw("linsert"), k, g.pick("BEFORE", "after", "middle"), g.elem(), g.elem()}
	case 12:
		return []string{g.kw("lrem"), k, strconv.Itoa(g.n(7) - 3), g.elem()}
	case 13:
		return []string{g.kw("ltrim"), k, g.index(), g.index()}
	case 14:
		c := []string{g.kw("lpos"), k, g.elem()}
		for i := g.n(3); i > 0; i-- {
			switch g.n(3) {
			case 0:
				c = append(c, g.kw("rank"), g.pick("1", "2", "-1", "0", "x"))
			case 1:
				c = append(c, g.kw("count"), g.pick("0", "1", "3", "-1"))
			default:
				c = append(c, g.kw("maxlen"), g.pick("0", "2", "-1"))
			}
		}
		return c
	case 15:
		return []string{g.kw("lmove"), k, g.listKey(), g.where(), g.where()}
	case 16:
		return []string{g.kw("rpoplpush"), k, g.listKey()}
	case 17, 18:
		ks := g.keys(g.listKey, 2)
		numkeys := strconv.Itoa(len(ks))
		if g.chance(8) {
			numkeys = g.pick("0", "5", "x", "-1")
		}
		c := append(append([]string{g.kw("lmpop"), numkeys}, ks...), g.where())
		if g.chance(2) {
			c = append(c, g.kw("count"), g.pick("1", "2", "10", "0", "x"))
		}
		return c
	case 19:
		// the blocking forms wait 10ms when nothing is there: the same nil on both sides
		if inMulti {
			return append(append([]string{g.pick("BLPOP", "BRPOP")}, g.keys(g.listKey, 2)...), "0")
		}
		switch g.n(4) {
		case 0:
			return append(append([]string{g.pick("BLPOP", "BRPOP")}, g.keys(g.listKey, 2)...), g.pick("0.01", "-1", "x"))
		case 1:
			return []string{g.kw("blmove"), k, g.listKey(), g.where(), g.where(), "0.01"}
		case 2:
			return []string{g.kw("brpoplpush"), k, g.listKey(), "0.01"}
		}
		return []string{g.kw("blmpop"), "0.01", "1", k, g.where(), g.kw("count"), "2"}
	}
	return []string{g.kw("lrange"), k, "0", "-1"}
}

func (g *diffGen) hashCmd() []string {
	k := g.hashKey()
	switch g.n(18) {
	case 0, 1, 2, 3:
		c := []string{g.pick("HSET", "hset", "HMSET"), k}
		for i := 1 + g.n(3); i > 0; i-- {
			c = append(c, g.field(), g.value())
		}
		if g.chance(12) {
			c = c[:len(c)-1]
		}
		return c
	case 4:
		return []string{g.kw("hsetnx"), k, g.field(), g.value()}
	case 5, 6:
		return []string{g.kw("hget"), k, g.field()}
	case 7:
		return []string{g.kw("hmget"), k, g.field(), g.field()}
	case 8:
		return []string{g.kw("hdel"), k, g.field(), g.field()}
	case 9:
		return []string{g.pick("HLEN", "HEXISTS", "HSTRLEN"), k, g.field()}
	case 10:
		return []string{g.kw("hgetall"), k}
	case 11:
		return []string{g.pick("HKEYS", "HVALS"), k}
	case 12:
		return []string{g.kw("hincrby"), k, g.field(), g.integer()}
	case 13, 14:
		return []string{g.kw("hincrbyfloat"), k, g.field(), g.float()}
	case 15:
		c := []string{g.kw("hrandfield"), k, g.pick("100000", "0", "x", "-9223372036854775808")}
		if g.chance(2) {
			c = append(c, g.kw("withvalues"))
		}
		return c
	case 16:
		c := []string{g.kw("hscan"), k, "0", g.kw("count"), "1000"}
		if g.chance(2) {
			c = append(c, g.kw("match"), g.pattern())
		}
		return c
	}
	return []string{g.kw("hlen"), k}
}

func (g *diffGen) setCmd() []string {
	k := g.setKey()
	switch g.n(18) {
	case 0, 1, 2, 3:
		return append([]string{g.kw("sadd"), k}, g.elems(5)...)
	case 4:
		return append([]string{g.kw("srem"), k}, g.elems(3)...)
	case 5:
		return []string{g.pick("SCARD", "SISMEMBER"), k, g.elem()}
	case 6:
		return append([]string{g.kw("smismember"), k}, g.elems(3)...)
	case 7:
		return []string{g.kw("smembers"), k}
	case 8:
		// counts above any set's size here pop or draw everything: no randomness left
		return []string{g.pick("SPOP", "SRANDMEMBER"), k, g.pick("100000", "0", "x", "-0")}
	case 9:
		return []string{g.kw("smove"), k, g.setKey(), g.elem()}
	case 10, 11:
		return append([]string{g.pick("SINTER", "SUNION", "SDIFF")}, g.keys(g.setKey, 3)...)
	case 12:
		c := []string{g.kw("sintercard"), g.pick("1", "2", "2", "0", "x"), g.setKey(), g.setKey()}
		if g.chance(2) {
			c = append(c, g.kw("limit"), g.pick("0", "1", "3", "-1"))
		}
		return c
	case 13, 14:
		return append([]string{g.pick("SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"), g.setKey()}, g.keys(g.setKey, 3)...)
	case 15:
		c := []string{g.kw("sscan"), k, "0", g.kw("count"), "1000"}
		if g.chance(2) {
			c = append(c, g.kw("match"), g.pattern())
		}
		return c
	}
	// many integers at once: intsets grow towards set-max-intset-entries (lowered in the RESP3 run, so
	// that they convert there)
	c := []string{g.kw("sadd"), k}
	base := g.n(200)
	for i := 0; i < 30; i++ {
		c = append(c, strconv.Itoa(base+i))
	}
	return c
}

func (g *diffGen) zsetCmd(inMulti bool) []string {
	k := g.zKey()
	switch g.n(26) {
	case 0, 1, 2, 3:
		c := []string{g.kw("zadd"), k}
		for i := g.n(3); i > 0; i-- {
			c = append(c, g.kw(g.pick("nx", "xx", "gt", "lt", "ch", "incr")))
		}
		// one time in three all scores are 0, the only case where lexicographic ranges are specified
		zero := g.chance(3)
		for i := 1 + g.n(3); i > 0; i-- {
			if zero {
				c = append(c, "0", g.member())
			} else {
				c = append(c, g.score(), g.member())
			}
		}
		return c
	case 4:
		return []string{g.kw("zincrby"), k, g.score(), g.member()}
	case 5:
		return []string{g.kw("zscore"), k, g.member()}
	case 6:
		return []string{g.kw("zmscore"), k, g.member(), g.member()}
	case 7:
		return []string{g.pick("ZRANK", "ZREVRANK"), k, g.member()}
	case 8:
		return append([]string{g.kw("zrem"), k}, g.member(), g.member())
	case 9:
		return []string{g.pick("ZCARD", "zcard"), k}
	case 10:
		return []string{g.kw("zcount"), k, g.scoreBound(), g.scoreBound()}
	case 11:
		if inMulti {
			return nil // see diffRun.unspecified: lexicographic ranges need the scores checked first
		}
		return []string{g.kw("zlexcount"), k, g.lexBound(), g.lexBound()}
	case 12, 13:
		c := []string{g.kw("zrange"), k}
		switch g.n(3) {
		case 0:
			c = append(c, g.index(), g.index())
		case 1:
			c = append(c, g.scoreBound(), g.scoreBound(), g.kw("byscore"))
		default:
			if inMulti {
				return nil
			}
			c = append(c, g.lexBound(), g.lexBound(), g.kw("bylex"))
		}
		if g.chance(3) {
			c = append(c, g.kw("rev"))
		}
		if g.chance(3) {
			c = append(c, g.kw("limit"), g.pick("0", "1", "-1"), g.pick("1", "2", "-1", "x"))
		}
		if g.chance(2) {
			c = append(c, g.kw("withscores"))
		}
		return c
	case 14:
		return []string{g.pick("ZRANGEBYSCORE", "ZREVRANGEBYSCORE"), k, g.scoreBound(), g.scoreBound(), g.kw("withscores")}
	case 15:
		if inMulti {
			return nil
		}
		return []string{g.pick("ZRANGEBYLEX", "ZREVRANGEBYLEX"), k, g.lexBound(), g.lexBound()}
	case 16:
		name := g.pick("ZREMRANGEBYSCORE", "ZREMRANGEBYRANK", "ZREMRANGEBYLEX")
		if inMulti && name == "ZREMRANGEBYLEX" {
			return nil
		}
		return []string{name, k, g.pick("0", "1", "-1", "(1", "[a", "-inf"), g.pick("1", "2", "+inf", "[c", "-1")}
	case 17, 18:
		c := []string{g.pick("ZPOPMIN", "ZPOPMAX"), k}
		if g.chance(2) {
			c = append(c, g.pick("1", "2", "0", "-1", "x"))
		}
		return c
	case 19:
		ks := g.keys(g.zKey, 2)
		c := append(append([]string{g.kw("zmpop"), strconv.Itoa(len(ks))}, ks...), g.kw(g.pick("min", "max")))
		if g.chance(2) {
			c = append(c, g.kw("count"), g.pick("1", "3", "0"))
		}
		return c
	case 20, 21:
		name := g.pick("ZUNION", "ZINTER", "ZDIFF", "ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE")
		ks := g.keys(g.zKey, 2)
		if g.chance(6) {
			ks = append(ks, g.setKey()) // a plain set joins the algebra with scores of 1
		}
		c := []string{name}
		if strings.HasSuffix(name, "STORE") {
			c = append(c, g.zKey())
		}
		c = append(c, strconv.Itoa(len(ks)))
		c = append(c, ks...)
		if name != "ZDIFF" && name != "ZDIFFSTORE" && g.chance(2) {
			c = append(c, g.kw("weights"))
			for range ks {
				c = append(c, g.pick("1", "2", "-1", "0.5", "x"))
			}
		}
		if name != "ZDIFF" && name != "ZDIFFSTORE" && g.chance(3) {
			c = append(c, g.kw("aggregate"), g.pick("SUM", "min", "MAX", "avg"))
		}
		if !strings.HasSuffix(name, "STORE") && g.chance(2) {
			c = append(c, g.kw("withscores"))
		}
		return c
	case 22:
		return []string{g.kw("zintercard"), "2", g.zKey(), g.zKey(), g.kw("limit"), g.pick("0", "1", "x")}
	case 23:
		return []string{g.kw("zrangestore"), g.zKey(), k, g.index(), g.index()}
	case 24:
		c := []string{g.kw("zrandmember"), k, g.pick("100000", "0", "x")}
		if g.chance(2) {
			c = append(c, g.kw("withscores"))
		}
		return c
	}
	if inMulti {
		return []string{g.pick("BZPOPMIN", "BZPOPMAX"), k, "0"}
	}
	return []string{g.pick("BZPOPMIN", "BZPOPMAX"), k, g.zKey(), g.pick("0.01", "-1")}
}

func (g *diffGen) bitmapCmd() []string {
	k := g.bitKey()
	switch g.n(10) {
	case 0, 1:
		off := strconv.Itoa(g.n(100))
		if g.chance(10) {
			off = g.pick("-1", "4294967296", "x")
		}
		return []string{g.kw("setbit"), k, off, g.pick("0", "1", "1", "2")}
	case 2:
		return []string{g.kw("getbit"), k, strconv.Itoa(g.n(120))}
	case 3:
		c := []string{g.kw("bitcount"), k}
		if g.chance(2) {
			c = append(c, strconv.Itoa(g.n(20)-8), strconv.Itoa(g.n(20)-8))
			if g.chance(2) {
				c = append(c, g.kw(g.pick("bit", "byte")))
			}
		}
		return c
	case 4:
		c := []string{g.kw("bitpos"), k, g.pick("0", "1")}
		if g.chance(2) {
			c = append(c, strconv.Itoa(g.n(20)-8))
			if g.chance(2) {
				c = append(c, strconv.Itoa(g.n(20)-8), g.kw(g.pick("bit", "byte")))
			}
		}
		return c
	case 5:
		op := g.pick("AND", "or", "XOR", "not")
		c := []string{g.kw("bitop"), op, g.bitKey()}
		return append(c, g.keys(g.bitKey, 3)...)
	case 6, 7:
		c := []string{g.pick("BITFIELD", "bitfield", "BITFIELD_RO"), k}
		for i := 1 + g.n(3); i > 0; i-- {
			typ := g.pick("u8", "i8", "u1", "i16", "u63", "i64", "u64", "x8")
			off := g.pick("0", "3", "#1", "#2", "100", "-1")
			switch g.n(4) {
			case 0:
				c = append(c, g.kw("get"), typ, off)
			case 1:
				c = append(c, g.kw("set"), typ, off, g.integer())
			case 2:
				c = append(c, g.kw("incrby"), typ, off, g.integer())
			default:
				c = append(c, g.kw("overflow"), g.pick("WRAP", "sat", "FAIL", "bogus"))
			}
		}
		return c
	}
	return []string{g.kw("get"), k}
}

func (g *diffGen) hllCmd() []string {
	switch g.n(6) {
	case 0, 1:
		c := []string{g.kw("pfadd"), g.hllKey()}
		for i := g.n(6); i > 0; i-- {
			c = append(c, "e"+strconv.Itoa(g.n(40)))
		}
		return c
	case 2:
		return append([]string{g.kw("pfcount")}, g.keys(g.hllKey, 2)...)
	case 3:
		return append([]string{g.kw("pfmerge"), g.hllKey()}, g.keys(g.hllKey, 2)...)
	}
	// the sparse and dense bytes, and the cached cardinality PFCOUNT writes back, are compared exactly
	return []string{g.kw("get"), g.hllKey()}
}

func (g *diffGen) keyCmd(inMulti bool) []string {
	k := g.key()
	switch g.n(16) {
	case 0, 1:
		return append([]string{g.pick("DEL", "UNLINK")}, g.keys(g.anyKey, 2)...)
	case 2:
		return append([]string{g.kw("exists")}, g.keys(g.anyKey, 3)...)
	case 3:
		return append([]string{g.kw("touch")}, g.keys(g.anyKey, 2)...)
	case 4:
		return []string{g.kw("type"), k}
	case 5:
		return []string{g.pick("RENAME", "RENAMENX"), k, g.key()}
	case 6, 7:
		c := []string{g.kw("copy"), k, g.key()}
		if g.chance(2) {
			c = append(c, g.kw("replace"))
		}
		if g.chance(5) {
			c = append(c, g.kw("db"), g.pick("1", "0", "x", "99"))
		}
		return c
	case 8:
		return []string{g.kw("move"), k, g.pick("1", "1", "0", "x")}
	case 9:
		return []string{g.kw("keys"), g.pattern()}
	case 10:
		c := []string{g.kw("scan"), "0", g.kw("count"), "1000"}
		if g.chance(2) {
			c = append(c, g.kw("match"), g.pattern())
		}
		if g.chance(2) {
			// no unknown type name: Valkey 8 refuses it (valkey-io/valkey#501) where 7.0 scans for nothing
			c = append(c, g.kw("type"), g.pick("string", "list", "hash", "set", "zset"))
		}
		return c
	case 12:
		if inMulti {
			return nil
		}
		return []string{g.kw("object"), g.kw("encoding"), k}
	case 11:
		return []string{g.pick("FOO", "getx"), k} // unknown commands
	}
	return []string{g.kw("exists"), k}
}

func (g *diffGen) expireCmd() []string {
	k := g.key()
	opt := func(c []string) []string {
		if g.chance(3) {
			c = append(c, g.kw(g.pick("nx", "xx", "gt", "lt", "bogus")))
		}
		return c
	}
	switch g.n(10) {
	case 0, 1:
		// relative: NX and XX only, GT/LT against relative expiries race with the clock
		c := []string{g.pick("EXPIRE", "expire"), k, g.pick(diffRelSeconds...)}
		if g.chance(3) {
			c = append(c, g.kw(g.pick("nx", "xx")))
		}
		return c
	case 2:
		c := []string{g.kw("pexpire"), k, g.pick(diffRelMillis...)}
		if g.chance(3) {
			c = append(c, g.kw(g.pick("nx", "xx")))
		}
		return c
	case 3, 4:
		return opt([]string{g.kw("expireat"), k, g.pick(diffAbsSeconds...)})
	case 5:
		return opt([]string{g.kw("pexpireat"), k, g.pick(diffAbsMillis...)})
	case 6:
		return []string{g.kw("persist"), k}
	}
	return []string{g.pick("TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"), k}
}

func (g *diffGen) sortCmd(inMulti bool) []string {
	k := g.key(2, 3, 5, 6) // lists, sets and sorted sets
	name := g.pick("SORT", "sort", "SORT_RO")
	c := []string{name, k}
	store := name != "SORT_RO" && g.chance(3)
	// ALPHA compares C strings unless it stores, which the runner checks outside MULTI (see
	// diffRun.unspecified)
	alpha := g.chance(3) && (store || !inMulti)
	switch g.n(4) {
	case 0:
		if !alpha {
			c = append(c, g.kw("by"), g.pick("k*", "k*->f1"))
		}
	case 1:
		// nosort keeps a list's or sorted set's order. A set has none: SORT sorts it anyway when it
		// stores the result, and otherwise the runner leaves the command out when the key holds a set
		// (which it cannot know inside MULTI, so there only with STORE).
		if !inMulti || store {
			c = append(c, g.kw("by"), "nosort")
		}
	}
	if g.chance(3) {
		c = append(c, g.kw("limit"), g.pick("0", "1", "-1"), g.pick("2", "5", "-1", "x"))
	}
	for i := g.n(3); i > 0; i-- {
		c = append(c, g.kw("get"), g.pick("#", "k*", "k*->f1", "nostar"))
	}
	if g.chance(2) {
		c = append(c, g.kw(g.pick("asc", "desc")))
	}
	if alpha {
		c = append(c, g.kw("alpha"))
	}
	if store {
		c = append(c, g.kw("store"), g.key())
	}
	return c
}
