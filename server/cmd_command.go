package server

import (
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/valkey-node/valkey-node/server/glob"
	"github.com/valkey-node/valkey-node/server/resp"
)

// COMMAND and its subcommands: what clients learn about the command table. go-redis reads COMMAND (name,
// arity, flags, key positions, tips) to route in cluster mode; redis-cli reads COMMAND DOCS for its hints.

// commandMeta is what COMMAND INFO reports beyond the command table, for the commands Valkey has: the key
// specifications ("flags|begin_search|find_keys", several separated by ';') and the tips. The facts are
// Valkey's command metadata; commands missing here (ours only) get key specs derived from first/last/step.
//
// begin_search is "index:N", "keyword:KW,startfrom" or "unknown"; find_keys is "range:lastkey,keystep,limit",
// "keynum:keynumidx,firstkey,keystep" or "unknown".
type commandMeta struct{ keySpecs, tips string }

var commandMetaTable = map[string]commandMeta{
	"append":                        {"RW,insert|index:1|range:0,1,0", ""},
	"bitcount":                      {"RO,access|index:1|range:0,1,0", ""},
	"bitfield":                      {"RW,access,update,variable_flags|index:1|range:0,1,0", ""},
	"bitfield_ro":                   {"RO,access|index:1|range:0,1,0", ""},
	"bitop":                         {"OW,update|index:2|range:0,1,0;RO,access|index:3|range:-1,1,0", ""},
	"bitpos":                        {"RO,access|index:1|range:0,1,0", ""},
	"blmove":                        {"RW,access,delete|index:1|range:0,1,0;RW,insert|index:2|range:0,1,0", ""},
	"blmpop":                        {"RW,access,delete|index:2|keynum:0,1,1", ""},
	"blpop":                         {"RW,access,delete|index:1|range:-2,1,0", ""},
	"brpop":                         {"RW,access,delete|index:1|range:-2,1,0", ""},
	"brpoplpush":                    {"RW,access,delete|index:1|range:0,1,0;RW,insert|index:2|range:0,1,0", ""},
	"bzmpop":                        {"RW,access,delete|index:2|keynum:0,1,1", ""},
	"bzpopmax":                      {"RW,access,delete|index:1|range:-2,1,0", ""},
	"bzpopmin":                      {"RW,access,delete|index:1|range:-2,1,0", ""},
	"client|info":                   {"", "nondeterministic_output"},
	"client|list":                   {"", "nondeterministic_output"},
	"cluster|bumpepoch":             {"", "nondeterministic_output"},
	"cluster|count-failure-reports": {"", "nondeterministic_output"},
	"cluster|getkeysinslot":         {"", "nondeterministic_output"},
	"cluster|info":                  {"", "nondeterministic_output"},
	"cluster|links":                 {"", "nondeterministic_output"},
	"cluster|nodes":                 {"", "nondeterministic_output"},
	"cluster|replicas":              {"", "nondeterministic_output"},
	"cluster|shards":                {"", "nondeterministic_output"},
	"cluster|slaves":                {"", "nondeterministic_output"},
	"cluster|slots":                 {"", "nondeterministic_output"},
	"command":                       {"", "nondeterministic_output_order"},
	"command|docs":                  {"", "nondeterministic_output_order"},
	"command|info":                  {"", "nondeterministic_output_order"},
	"command|list":                  {"", "nondeterministic_output_order"},
	"config|set":                    {"", "request_policy:all_nodes,response_policy:all_succeeded"},
	"copy":                          {"RO,access|index:1|range:0,1,0;OW,update|index:2|range:0,1,0", ""},
	"dbsize":                        {"", "request_policy:all_shards,response_policy:agg_sum"},
	"decr":                          {"RW,access,update|index:1|range:0,1,0", ""},
	"decrby":                        {"RW,access,update|index:1|range:0,1,0", ""},
	"del":                           {"RM,delete|index:1|range:-1,1,0", "request_policy:multi_shard,response_policy:agg_sum"},
	"dump":                          {"RO,access|index:1|range:0,1,0", "nondeterministic_output"},
	"eval":                          {"RW,access,update|index:2|keynum:0,1,1", ""},
	"eval_ro":                       {"RO,access|index:2|keynum:0,1,1", ""},
	"evalsha":                       {"RW,access,update|index:2|keynum:0,1,1", ""},
	"evalsha_ro":                    {"RO,access|index:2|keynum:0,1,1", ""},
	"exists":                        {"RO|index:1|range:-1,1,0", "request_policy:multi_shard,response_policy:agg_sum"},
	"expire":                        {"RW,update|index:1|range:0,1,0", ""},
	"expireat":                      {"RW,update|index:1|range:0,1,0", ""},
	"expiretime":                    {"RO,access|index:1|range:0,1,0", ""},
	"fcall":                         {"RW,access,update|index:2|keynum:0,1,1", ""},
	"fcall_ro":                      {"RO,access|index:2|keynum:0,1,1", ""},
	"flushall":                      {"", "request_policy:all_shards,response_policy:all_succeeded"},
	"flushdb":                       {"", "request_policy:all_shards,response_policy:all_succeeded"},
	"function|delete":               {"", "request_policy:all_shards,response_policy:all_succeeded"},
	"function|flush":                {"", "request_policy:all_shards,response_policy:all_succeeded"},
	"function|kill":                 {"", "request_policy:all_shards,response_policy:one_succeeded"},
	"function|list":                 {"", "nondeterministic_output_order"},
	"function|load":                 {"", "request_policy:all_shards,response_policy:all_succeeded"},
	"function|restore":              {"", "request_policy:all_shards,response_policy:all_succeeded"},
	"function|stats":                {"", "nondeterministic_output,request_policy:all_shards,response_policy:special"},
	"geoadd":                        {"RW,update|index:1|range:0,1,0", ""},
	"geodist":                       {"RO,access|index:1|range:0,1,0", ""},
	"geohash":                       {"RO,access|index:1|range:0,1,0", ""},
	"geopos":                        {"RO,access|index:1|range:0,1,0", ""},
	"georadius":                     {"RO,access|index:1|range:0,1,0;OW,update|keyword:STORE,6|range:0,1,0;OW,update|keyword:STOREDIST,6|range:0,1,0", ""},
	"georadius_ro":                  {"RO,access|index:1|range:0,1,0", ""},
	"georadiusbymember":             {"RO,access|index:1|range:0,1,0;OW,update|keyword:STORE,5|range:0,1,0;OW,update|keyword:STOREDIST,5|range:0,1,0", ""},
	"georadiusbymember_ro":          {"RO,access|index:1|range:0,1,0", ""},
	"geosearch":                     {"RO,access|index:1|range:0,1,0", ""},
	"geosearchstore":                {"OW,update|index:1|range:0,1,0;RO,access|index:2|range:0,1,0", ""},
	"get":                           {"RO,access|index:1|range:0,1,0", ""},
	"getbit":                        {"RO,access|index:1|range:0,1,0", ""},
	"getdel":                        {"RW,access,delete|index:1|range:0,1,0", ""},
	"getex":                         {"RW,access,update|index:1|range:0,1,0", ""},
	"getrange":                      {"RO,access|index:1|range:0,1,0", ""},
	"getset":                        {"RW,access,update|index:1|range:0,1,0", ""},
	"hdel":                          {"RW,delete|index:1|range:0,1,0", ""},
	"hexists":                       {"RO|index:1|range:0,1,0", ""},
	"hget":                          {"RO,access|index:1|range:0,1,0", ""},
	"hgetall":                       {"RO,access|index:1|range:0,1,0", "nondeterministic_output_order"},
	"hincrby":                       {"RW,access,update|index:1|range:0,1,0", ""},
	"hincrbyfloat":                  {"RW,access,update|index:1|range:0,1,0", ""},
	"hkeys":                         {"RO,access|index:1|range:0,1,0", "nondeterministic_output_order"},
	"hlen":                          {"RO|index:1|range:0,1,0", ""},
	"hmget":                         {"RO,access|index:1|range:0,1,0", ""},
	"hmset":                         {"RW,update|index:1|range:0,1,0", ""},
	"hrandfield":                    {"RO,access|index:1|range:0,1,0", "nondeterministic_output"},
	"hscan":                         {"RO,access|index:1|range:0,1,0", "nondeterministic_output"},
	"hset":                          {"RW,update|index:1|range:0,1,0", ""},
	"hsetnx":                        {"RW,insert|index:1|range:0,1,0", ""},
	"hstrlen":                       {"RO|index:1|range:0,1,0", ""},
	"hvals":                         {"RO,access|index:1|range:0,1,0", "nondeterministic_output_order"},
	"incr":                          {"RW,access,update|index:1|range:0,1,0", ""},
	"incrby":                        {"RW,access,update|index:1|range:0,1,0", ""},
	"incrbyfloat":                   {"RW,access,update|index:1|range:0,1,0", ""},
	"info":                          {"", "nondeterministic_output,request_policy:all_shards,response_policy:special"},
	"keys":                          {"", "request_policy:all_shards,nondeterministic_output_order"},
	"lastsave":                      {"", "nondeterministic_output"},
	"latency|doctor":                {"", "nondeterministic_output,request_policy:all_nodes,response_policy:special"},
	"latency|graph":                 {"", "nondeterministic_output,request_policy:all_nodes,response_policy:special"},
	"latency|histogram":             {"", "nondeterministic_output,request_policy:all_nodes,response_policy:special"},
	"latency|history":               {"", "nondeterministic_output,request_policy:all_nodes,response_policy:special"},
	"latency|latest":                {"", "nondeterministic_output,request_policy:all_nodes,response_policy:special"},
	"latency|reset":                 {"", "request_policy:all_nodes,response_policy:all_succeeded"},
	"lcs":                           {"RO,access|index:1|range:1,1,0", ""},
	"lindex":                        {"RO,access|index:1|range:0,1,0", ""},
	"linsert":                       {"RW,insert|index:1|range:0,1,0", ""},
	"llen":                          {"RO|index:1|range:0,1,0", ""},
	"lmove":                         {"RW,access,delete|index:1|range:0,1,0;RW,insert|index:2|range:0,1,0", ""},
	"lmpop":                         {"RW,access,delete|index:1|keynum:0,1,1", ""},
	"lpop":                          {"RW,access,delete|index:1|range:0,1,0", ""},
	"lpos":                          {"RO,access|index:1|range:0,1,0", ""},
	"lpush":                         {"RW,insert|index:1|range:0,1,0", ""},
	"lpushx":                        {"RW,insert|index:1|range:0,1,0", ""},
	"lrange":                        {"RO,access|index:1|range:0,1,0", ""},
	"lrem":                          {"RW,delete|index:1|range:0,1,0", ""},
	"lset":                          {"RW,update|index:1|range:0,1,0", ""},
	"ltrim":                         {"RW,delete|index:1|range:0,1,0", ""},
	"memory|doctor":                 {"", "nondeterministic_output,request_policy:all_shards,response_policy:special"},
	"memory|malloc-stats":           {"", "nondeterministic_output,request_policy:all_shards,response_policy:special"},
	"memory|purge":                  {"", "request_policy:all_shards,response_policy:all_succeeded"},
	"memory|stats":                  {"", "nondeterministic_output,request_policy:all_shards,response_policy:special"},
	"memory|usage":                  {"RO|index:2|range:0,1,0", ""},
	"mget":                          {"RO,access|index:1|range:-1,1,0", "request_policy:multi_shard"},
	"migrate":                       {"RW,access,delete|index:3|range:0,1,0;RW,access,delete,incomplete|keyword:KEYS,-2|range:-1,1,0", "nondeterministic_output"},
	"module|list":                   {"", "nondeterministic_output_order"},
	"move":                          {"RW,access,update|index:1|range:0,1,0", ""},
	"mset":                          {"OW,update|index:1|range:-1,2,0", "request_policy:multi_shard,response_policy:all_succeeded"},
	"msetnx":                        {"OW,insert|index:1|range:-1,2,0", "request_policy:multi_shard,response_policy:agg_min"},
	"object|encoding":               {"RO|index:2|range:0,1,0", "nondeterministic_output"},
	"object|freq":                   {"RO|index:2|range:0,1,0", "nondeterministic_output"},
	"object|idletime":               {"RO|index:2|range:0,1,0", "nondeterministic_output"},
	"object|refcount":               {"RO|index:2|range:0,1,0", "nondeterministic_output"},
	"persist":                       {"RW,update|index:1|range:0,1,0", ""},
	"pexpire":                       {"RW,update|index:1|range:0,1,0", ""},
	"pexpireat":                     {"RW,update|index:1|range:0,1,0", ""},
	"pexpiretime":                   {"RO,access|index:1|range:0,1,0", ""},
	"pfadd":                         {"RW,insert|index:1|range:0,1,0", ""},
	"pfcount":                       {"RW,access|index:1|range:-1,1,0", ""},
	"pfdebug":                       {"RW,access|index:2|range:0,1,0", ""},
	"pfmerge":                       {"RW,access,insert|index:1|range:0,1,0;RO,access|index:2|range:-1,1,0", ""},
	"ping":                          {"", "request_policy:all_shards,response_policy:all_succeeded"},
	"psetex":                        {"OW,update|index:1|range:0,1,0", ""},
	"pttl":                          {"RO,access|index:1|range:0,1,0", "nondeterministic_output"},
	"randomkey":                     {"", "request_policy:all_shards,nondeterministic_output"},
	"rename":                        {"RW,access,delete|index:1|range:0,1,0;OW,update|index:2|range:0,1,0", ""},
	"renamenx":                      {"RW,access,delete|index:1|range:0,1,0;OW,insert|index:2|range:0,1,0", ""},
	"restore":                       {"OW,update|index:1|range:0,1,0", ""},
	"restore-asking":                {"OW,update|index:1|range:0,1,0", ""},
	"rpop":                          {"RW,access,delete|index:1|range:0,1,0", ""},
	"rpoplpush":                     {"RW,access,delete|index:1|range:0,1,0;RW,insert|index:2|range:0,1,0", ""},
	"rpush":                         {"RW,insert|index:1|range:0,1,0", ""},
	"rpushx":                        {"RW,insert|index:1|range:0,1,0", ""},
	"sadd":                          {"RW,insert|index:1|range:0,1,0", ""},
	"scan":                          {"", "nondeterministic_output,request_policy:special"},
	"scard":                         {"RO|index:1|range:0,1,0", ""},
	"script|exists":                 {"", "request_policy:all_shards,response_policy:agg_logical_and"},
	"script|flush":                  {"", "request_policy:all_nodes,response_policy:all_succeeded"},
	"script|kill":                   {"", "request_policy:all_shards,response_policy:one_succeeded"},
	"script|load":                   {"", "request_policy:all_nodes,response_policy:all_succeeded"},
	"sdiff":                         {"RO,access|index:1|range:-1,1,0", "nondeterministic_output_order"},
	"sdiffstore":                    {"OW,update|index:1|range:0,1,0;RO,access|index:2|range:-1,1,0", ""},
	"set":                           {"RW,access,update,variable_flags|index:1|range:0,1,0", ""},
	"setbit":                        {"RW,access,update|index:1|range:0,1,0", ""},
	"setex":                         {"OW,update|index:1|range:0,1,0", ""},
	"setnx":                         {"OW,insert|index:1|range:0,1,0", ""},
	"setrange":                      {"RW,update|index:1|range:0,1,0", ""},
	"sinter":                        {"RO,access|index:1|range:-1,1,0", "nondeterministic_output_order"},
	"sintercard":                    {"RO,access|index:1|keynum:0,1,1", ""},
	"sinterstore":                   {"RW,update|index:1|range:0,1,0;RO,access|index:2|range:-1,1,0", ""},
	"sismember":                     {"RO|index:1|range:0,1,0", ""},
	"slowlog|get":                   {"", "request_policy:all_nodes,nondeterministic_output"},
	"slowlog|len":                   {"", "request_policy:all_nodes,response_policy:agg_sum,nondeterministic_output"},
	"slowlog|reset":                 {"", "request_policy:all_nodes,response_policy:all_succeeded"},
	"smembers":                      {"RO,access|index:1|range:0,1,0", "nondeterministic_output_order"},
	"smismember":                    {"RO,access|index:1|range:0,1,0", ""},
	"smove":                         {"RW,access,delete|index:1|range:0,1,0;RW,insert|index:2|range:0,1,0", ""},
	"sort":                          {"RO,access|index:1|range:0,1,0;RO,access|unknown|unknown;OW,update|unknown|unknown", ""},
	"sort_ro":                       {"RO,access|index:1|range:0,1,0;RO,access|unknown|unknown", ""},
	"spop":                          {"RW,access,delete|index:1|range:0,1,0", "nondeterministic_output"},
	"spublish":                      {"not_key|index:1|range:0,1,0", ""},
	"srandmember":                   {"RO,access|index:1|range:0,1,0", "nondeterministic_output"},
	"srem":                          {"RW,delete|index:1|range:0,1,0", ""},
	"sscan":                         {"RO,access|index:1|range:0,1,0", "nondeterministic_output"},
	"ssubscribe":                    {"not_key|index:1|range:-1,1,0", ""},
	"strlen":                        {"RO|index:1|range:0,1,0", ""},
	"substr":                        {"RO,access|index:1|range:0,1,0", ""},
	"sunion":                        {"RO,access|index:1|range:-1,1,0", "nondeterministic_output_order"},
	"sunionstore":                   {"OW,update|index:1|range:0,1,0;RO,access|index:2|range:-1,1,0", ""},
	"sunsubscribe":                  {"not_key|index:1|range:-1,1,0", ""},
	"time":                          {"", "nondeterministic_output"},
	"touch":                         {"RO|index:1|range:-1,1,0", "request_policy:multi_shard,response_policy:agg_sum"},
	"ttl":                           {"RO,access|index:1|range:0,1,0", "nondeterministic_output"},
	"type":                          {"RO|index:1|range:0,1,0", ""},
	"unlink":                        {"RM,delete|index:1|range:-1,1,0", "request_policy:multi_shard,response_policy:agg_sum"},
	"wait":                          {"", "request_policy:all_shards,response_policy:agg_min"},
	"watch":                         {"RO|index:1|range:-1,1,0", ""},
	"xack":                          {"RW,update|index:1|range:0,1,0", ""},
	"xadd":                          {"RW,update|index:1|range:0,1,0", "nondeterministic_output"},
	"xautoclaim":                    {"RW,delete|index:1|range:0,1,0", "nondeterministic_output"},
	"xclaim":                        {"RW,update|index:1|range:0,1,0", "nondeterministic_output"},
	"xdel":                          {"RW,delete|index:1|range:0,1,0", ""},
	"xgroup|create":                 {"RW,insert|index:2|range:0,1,0", ""},
	"xgroup|createconsumer":         {"RW,insert|index:2|range:0,1,0", ""},
	"xgroup|delconsumer":            {"RW,delete|index:2|range:0,1,0", ""},
	"xgroup|destroy":                {"RW,delete|index:2|range:0,1,0", ""},
	"xgroup|setid":                  {"RW,update|index:2|range:0,1,0", ""},
	"xinfo|consumers":               {"RO,access|index:2|range:0,1,0", "nondeterministic_output"},
	"xinfo|groups":                  {"RO,access|index:2|range:0,1,0", ""},
	"xinfo|stream":                  {"RO,access|index:2|range:0,1,0", ""},
	"xlen":                          {"RO|index:1|range:0,1,0", ""},
	"xpending":                      {"RO,access|index:1|range:0,1,0", "nondeterministic_output"},
	"xrange":                        {"RO,access|index:1|range:0,1,0", ""},
	"xread":                         {"RO,access|keyword:STREAMS,1|range:-1,1,2", ""},
	"xreadgroup":                    {"RO,access|keyword:STREAMS,4|range:-1,1,2", ""},
	"xrevrange":                     {"RO,access|index:1|range:0,1,0", ""},
	"xsetid":                        {"RW,update|index:1|range:0,1,0", ""},
	"xtrim":                         {"RW,delete|index:1|range:0,1,0", "nondeterministic_output"},
	"zadd":                          {"RW,update|index:1|range:0,1,0", ""},
	"zcard":                         {"RO|index:1|range:0,1,0", ""},
	"zcount":                        {"RO,access|index:1|range:0,1,0", ""},
	"zdiff":                         {"RO,access|index:1|keynum:0,1,1", ""},
	"zdiffstore":                    {"OW,update|index:1|range:0,1,0;RO,access|index:2|keynum:0,1,1", ""},
	"zincrby":                       {"RW,access,update|index:1|range:0,1,0", ""},
	"zinter":                        {"RO,access|index:1|keynum:0,1,1", ""},
	"zintercard":                    {"RO,access|index:1|keynum:0,1,1", ""},
	"zinterstore":                   {"OW,update|index:1|range:0,1,0;RO,access|index:2|keynum:0,1,1", ""},
	"zlexcount":                     {"RO,access|index:1|range:0,1,0", ""},
	"zmpop":                         {"RW,access,delete|index:1|keynum:0,1,1", ""},
	"zmscore":                       {"RO,access|index:1|range:0,1,0", ""},
	"zpopmax":                       {"RW,access,delete|index:1|range:0,1,0", ""},
	"zpopmin":                       {"RW,access,delete|index:1|range:0,1,0", ""},
	"zrandmember":                   {"RO,access|index:1|range:0,1,0", "nondeterministic_output"},
	"zrange":                        {"RO,access|index:1|range:0,1,0", ""},
	"zrangebylex":                   {"RO,access|index:1|range:0,1,0", ""},
	"zrangebyscore":                 {"RO,access|index:1|range:0,1,0", ""},
	"zrangestore":                   {"OW,update|index:1|range:0,1,0;RO,access|index:2|range:0,1,0", ""},
	"zrank":                         {"RO,access|index:1|range:0,1,0", ""},
	"zrem":                          {"RW,delete|index:1|range:0,1,0", ""},
	"zremrangebylex":                {"RW,delete|index:1|range:0,1,0", ""},
	"zremrangebyrank":               {"RW,delete|index:1|range:0,1,0", ""},
	"zremrangebyscore":              {"RW,delete|index:1|range:0,1,0", ""},
	"zrevrange":                     {"RO,access|index:1|range:0,1,0", ""},
	"zrevrangebylex":                {"RO,access|index:1|range:0,1,0", ""},
	"zrevrangebyscore":              {"RO,access|index:1|range:0,1,0", ""},
	"zrevrank":                      {"RO,access|index:1|range:0,1,0", ""},
	"zscan":                         {"RO,access|index:1|range:0,1,0", "nondeterministic_output"},
	"zscore":                        {"RO,access|index:1|range:0,1,0", ""},
	"zunion":                        {"RO,access|index:1|keynum:0,1,1", ""},
	"zunionstore":                   {"OW,update|index:1|range:0,1,0;RO,access|index:2|keynum:0,1,1", ""},
}

// keySpec is one key specification of a command (COMMAND INFO element 9).
type keySpec struct {
	flags []string
	// begin_search
	bsType    string // "index", "keyword" or "unknown"
	index     int
	keyword   string
	startFrom int
	// find_keys
	fkType                       string // "range", "keynum" or "unknown"
	lastKey, keyStep, limit      int
	keyNumIdx, firstKey, numStep int
}

// cmdIntro is the parsed metadata of one command.
type cmdIntro struct {
	specs []keySpec
	tips  []string
}

var (
	introOnce sync.Once
	introByID []cmdIntro // indexed by Command.ID
)

// introFor returns the key specs and tips of cmd. The table is parsed once, after every init has registered
// its commands.
func introFor(cmd *Command) *cmdIntro {
	introOnce.Do(func() {
		introByID = make([]cmdIntro, len(commandList))
		for _, c := range commandList {
			if m, ok := commandMetaTable[c.FullName()]; ok {
				introByID[c.ID] = parseCommandMeta(m)
			} else {
				introByID[c.ID] = cmdIntro{specs: derivedKeySpecs(c)}
			}
		}
	})
	if cmd.ID >= len(introByID) {
		return &cmdIntro{specs: derivedKeySpecs(cmd)}
	}
	return &introByID[cmd.ID]
}

func parseCommandMeta(m commandMeta) cmdIntro {
	var ci cmdIntro
	if m.tips != "" {
		ci.tips = strings.Split(m.tips, ",")
	}
	if m.keySpecs == "" {
		return ci
	}
	for _, s := range strings.Split(m.keySpecs, ";") {
		parts := strings.Split(s, "|")
		if len(parts) != 3 {
			panic("bad key spec " + s)
		}
		ks := keySpec{flags: strings.Split(parts[0], ","), bsType: "unknown", fkType: "unknown"}
		if kind, arg, ok := strings.Cut(parts[1], ":"); ok {
			ks.bsType = kind
			switch kind {
			case "index":
				ks.index = atoiMeta(arg)
			case "keyword":
				kw, from, _ := strings.Cut(arg, ",")
				ks.keyword, ks.startFrom = kw, atoiMeta(from)
			}
		}
		if kind, arg, ok := strings.Cut(parts[2], ":"); ok {
			ks.fkType = kind
			n := strings.Split(arg, ",")
			switch kind {
			case "range":
				ks.lastKey, ks.keyStep, ks.limit = atoiMeta(n[0]), atoiMeta(n[1]), atoiMeta(n[2])
			case "keynum":
				ks.keyNumIdx, ks.firstKey, ks.numStep = atoiMeta(n[0]), atoiMeta(n[1]), atoiMeta(n[2])
			}
		}
		ci.specs = append(ci.specs, ks)
	}
	return ci
}

func atoiMeta(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		panic("bad number in command metadata: " + s)
	}
	return n
}

// derivedKeySpecs describes the keys of a command that Valkey's metadata does not cover, from its legacy
// key positions and flags.
func derivedKeySpecs(cmd *Command) []keySpec {
	flags := []string{"RW", "access", "update"}
	if cmd.Flags&flagReadonly != 0 && cmd.Flags&flagWrite == 0 {
		flags = []string{"RO", "access"}
	}
	var out []keySpec
	if cmd.FirstKey > 0 {
		last := cmd.LastKey
		if last >= 0 {
			last -= cmd.FirstKey
		}
		out = append(out, keySpec{flags: flags, bsType: "index", index: cmd.FirstKey,
			fkType: "range", lastKey: last, keyStep: max(cmd.Step, 1)})
	}
	if cmd.KeysFn != nil {
		out = append(out, keySpec{flags: append(flags, "incomplete"), bsType: "unknown", fkType: "unknown"})
	}
	return out
}

// keys applies the spec to a command line and returns the positions it names.
func (ks *keySpec) keys(args [][]byte) []int {
	argc := len(args)
	start := -1
	switch ks.bsType {
	case "index":
		start = ks.index
	case "keyword":
		if ks.startFrom >= 0 {
			for i := ks.startFrom; i < argc; i++ {
				if strings.EqualFold(string(args[i]), ks.keyword) {
					start = i + 1
					break
				}
			}
		} else {
			for i := argc + ks.startFrom; i > 0; i-- {
				if strings.EqualFold(string(args[i]), ks.keyword) {
					start = i + 1
					break
				}
			}
		}
	}
	if start < 0 || start >= argc {
		return nil
	}
	var out []int
	switch ks.fkType {
	case "range":
		last := start + ks.lastKey
		if ks.lastKey < 0 {
			last = argc + ks.lastKey
			if ks.lastKey == -1 && ks.limit > 1 {
				last = start + (argc-1-start)/ks.limit
			}
		}
		for i := start; i <= last && i < argc; i += max(ks.keyStep, 1) {
			out = append(out, i)
		}
	case "keynum":
		if start+ks.keyNumIdx >= argc {
			return nil
		}
		n, ok := parseInt64(args[start+ks.keyNumIdx])
		if !ok || n < 0 {
			return nil
		}
		first := start + ks.firstKey
		for i := int64(0); i < n; i++ {
			p := first + int(i)*max(ks.numStep, 1)
			if p >= argc {
				break
			}
			out = append(out, p)
		}
	}
	return out
}

// infoFlagOrder is the order in which COMMAND INFO lists flags (may_replicate is not shown, as in Valkey).
var infoFlagOrder = []struct {
	f    cmdFlag
	name string
}{
	{flagWrite, "write"}, {flagReadonly, "readonly"}, {flagDenyOOM, "denyoom"}, {flagAdmin, "admin"},
	{flagPubSub, "pubsub"}, {flagNoScript, "noscript"}, {flagBlocking, "blocking"}, {flagLoading, "loading"},
	{flagStale, "stale"}, {flagSkipMonitor, "skip_monitor"}, {flagSkipSlowlog, "skip_slowlog"},
	{flagFast, "fast"}, {flagNoAuth, "no_auth"}, {flagNoMulti, "no_multi"}, {flagMovableKeys, "movablekeys"},
	{flagAllowBusy, "allow_busy"},
}

func commandFlagNames(cmd *Command) []string {
	var out []string
	for _, f := range infoFlagOrder {
		if cmd.Flags&f.f != 0 {
			out = append(out, f.name)
		}
	}
	return out
}

// writeCommandInfo writes one COMMAND INFO entry: name, arity, flags, first, last, step, categories, tips,
// key specs, subcommands.
func writeCommandInfo(w *resp.Writer, cmd *Command) {
	ci := introFor(cmd)
	w.Array(10)
	w.BulkString(cmd.FullName())
	w.Int(int64(cmd.Arity))
	flags := commandFlagNames(cmd)
	w.Set(len(flags))
	for _, f := range flags {
		w.Simple(f)
	}
	w.Int(int64(cmd.FirstKey))
	w.Int(int64(cmd.LastKey))
	w.Int(int64(cmd.Step))
	cats := aclCategoryList(cmd)
	w.Set(len(cats))
	for _, c := range cats {
		w.Simple(c)
	}
	w.Set(len(ci.tips))
	for _, t := range ci.tips {
		w.BulkString(t)
	}
	w.Set(len(ci.specs))
	for i := range ci.specs {
		writeKeySpec(w, &ci.specs[i])
	}
	subs := sortedSubcommands(cmd)
	if len(subs) == 0 {
		w.Set(0)
		return
	}
	w.Array(len(subs))
	for _, sub := range subs {
		writeCommandInfo(w, sub)
	}
}

func writeKeySpec(w *resp.Writer, ks *keySpec) {
	w.Map(3)
	w.BulkString("flags")
	w.Set(len(ks.flags))
	for _, f := range ks.flags {
		w.Simple(f)
	}
	w.BulkString("begin_search")
	w.Map(2)
	w.BulkString("type")
	w.BulkString(ks.bsType)
	w.BulkString("spec")
	switch ks.bsType {
	case "index":
		w.Map(1)
		w.BulkString("index")
		w.Int(int64(ks.index))
	case "keyword":
		w.Map(2)
		w.BulkString("keyword")
		w.BulkString(ks.keyword)
		w.BulkString("startfrom")
		w.Int(int64(ks.startFrom))
	default:
		w.Map(0)
	}
	w.BulkString("find_keys")
	w.Map(2)
	w.BulkString("type")
	w.BulkString(ks.fkType)
	w.BulkString("spec")
	switch ks.fkType {
	case "range":
		w.Map(3)
		w.BulkString("lastkey")
		w.Int(int64(ks.lastKey))
		w.BulkString("keystep")
		w.Int(int64(ks.keyStep))
		w.BulkString("limit")
		w.Int(int64(ks.limit))
	case "keynum":
		w.Map(3)
		w.BulkString("keynumidx")
		w.Int(int64(ks.keyNumIdx))
		w.BulkString("firstkey")
		w.Int(int64(ks.firstKey))
		w.BulkString("keystep")
		w.Int(int64(ks.numStep))
	default:
		w.Map(0)
	}
}

func sortedSubcommands(cmd *Command) []*Command {
	if len(cmd.Subs) == 0 {
		return nil
	}
	out := make([]*Command, 0, len(cmd.Subs))
	for _, s := range cmd.Subs {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// writeCommandDocs writes the documentation map of one command. The argument descriptions are left out:
// they are optional, and redis-cli then shows the summary without argument hints.
func writeCommandDocs(w *resp.Writer, cmd *Command) {
	var fields [][2]string
	for _, f := range [][2]string{{"summary", cmd.Summary}, {"since", cmd.Since}, {"group", cmd.Group}, {"complexity", cmd.Complexity}} {
		if f[1] != "" {
			fields = append(fields, f)
		}
	}
	subs := sortedSubcommands(cmd)
	n := len(fields)
	if len(subs) > 0 {
		n++
	}
	w.Map(n)
	for _, f := range fields {
		w.BulkString(f[0])
		w.BulkString(f[1])
	}
	if len(subs) > 0 {
		w.BulkString("subcommands")
		w.Map(len(subs))
		for _, sub := range subs {
			w.BulkString(sub.FullName())
			writeCommandDocs(w, sub)
		}
	}
}

// lookupCommandName finds "get" or "config|get" (case-insensitive), as COMMAND INFO and DOCS accept them.
func lookupCommandName(name string) *Command {
	name = strings.ToLower(name)
	parent, sub, isSub := strings.Cut(name, "|")
	cmd := commandTable[parent]
	if cmd == nil || !isSub {
		return cmd
	}
	return cmd.Subs[sub]
}

// visibleCommands lists the top-level commands of this node's mode by name.
func (s *Server) visibleCommands() []*Command {
	var out []*Command
	for _, cmd := range sortedCommands() {
		if s.commandAvailable(cmd) {
			out = append(out, cmd)
		}
	}
	return out
}

// lookupVisible is lookupCommandName limited to this node's mode.
func (s *Server) lookupVisible(name string) *Command {
	cmd := lookupCommandName(name)
	if cmd == nil || !s.commandAvailable(cmd) {
		return nil
	}
	return cmd
}

func commandCommand(c *Client, args [][]byte) {
	all := c.srv.visibleCommands()
	w := c.W()
	w.Array(len(all))
	for _, cmd := range all {
		writeCommandInfo(w, cmd)
	}
}

func commandCountCommand(c *Client, args [][]byte) { c.W().Int(int64(len(c.srv.visibleCommands()))) }

func commandInfoCommand(c *Client, args [][]byte) {
	if len(args) == 2 {
		commandCommand(c, args)
		return
	}
	w := c.W()
	w.Array(len(args) - 2)
	for _, a := range args[2:] {
		if cmd := c.srv.lookupVisible(string(a)); cmd != nil {
			writeCommandInfo(w, cmd)
		} else {
			w.Null()
		}
	}
}

func commandDocsCommand(c *Client, args [][]byte) {
	var cmds []*Command
	if len(args) == 2 {
		cmds = c.srv.visibleCommands()
	} else {
		for _, a := range args[2:] {
			if cmd := c.srv.lookupVisible(string(a)); cmd != nil {
				cmds = append(cmds, cmd)
			}
		}
	}
	w := c.W()
	w.Map(len(cmds))
	for _, cmd := range cmds {
		w.BulkString(cmd.FullName())
		writeCommandDocs(w, cmd)
	}
}

// commandListCommand implements COMMAND LIST [FILTERBY MODULE name|ACLCAT category|PATTERN pattern]: the
// names of every command and subcommand.
func commandListCommand(c *Client, args [][]byte) {
	var filter func(cmd *Command) bool
	switch {
	case len(args) == 2:
		filter = func(*Command) bool { return true }
	case len(args) == 5 && eqFold(args[2], "filterby"):
		val := string(args[4])
		switch {
		case eqFold(args[3], "module"):
			filter = func(*Command) bool { return false } // no modules
		case eqFold(args[3], "aclcat"):
			cat := "@" + strings.ToLower(val)
			filter = func(cmd *Command) bool {
				for _, k := range aclCategoryList(cmd) {
					if k == cat {
						return true
					}
				}
				return false
			}
		case eqFold(args[3], "pattern"):
			filter = func(cmd *Command) bool { return glob.MatchString(val, cmd.FullName(), true) }
		}
	}
	if filter == nil {
		c.Err(errSyntax)
		return
	}
	var names []string
	var walk func(cmd *Command)
	walk = func(cmd *Command) {
		if filter(cmd) {
			names = append(names, cmd.FullName())
		}
		for _, sub := range sortedSubcommands(cmd) {
			walk(sub)
		}
	}
	for _, cmd := range c.srv.visibleCommands() {
		walk(cmd)
	}
	c.W().StringArray(names)
}

// keyRef is one key of a command line with the access flags its key spec gives it.
type keyRef struct {
	pos   int
	flags []string
}

// commandKeys returns the keys of a full command line for COMMAND GETKEYS, or the error to reply.
func commandKeys(target [][]byte) ([]keyRef, string) {
	cmd, container := lookupCommand(target)
	if cmd == nil || container != nil {
		return nil, "ERR Invalid command specified"
	}
	if (cmd.Arity > 0 && len(target) != cmd.Arity) || (cmd.Arity < 0 && len(target) < -cmd.Arity) {
		return nil, "ERR Invalid number of arguments specified for command"
	}
	ci := introFor(cmd)
	if cmd.FirstKey == 0 && cmd.KeysFn == nil && len(ci.specs) == 0 {
		return nil, "ERR The command has no key arguments"
	}
	var positions []int
	if cmd.KeysFn != nil {
		positions = cmd.KeysFn(target)
	} else if cmd.FirstKey > 0 {
		last := cmd.LastKey
		if last < 0 {
			last = len(target) + last
		}
		for i := cmd.FirstKey; i <= last && i < len(target); i += max(cmd.Step, 1) {
			positions = append(positions, i)
		}
	}
	// the access flags of each key come from the first key spec that names its position
	specFlags := map[int][]string{}
	for i := range ci.specs {
		for _, p := range ci.specs[i].keys(target) {
			if _, ok := specFlags[p]; !ok {
				specFlags[p] = ci.specs[i].flags
			}
		}
	}
	if cmd.Name == "set" && len(positions) == 1 {
		// SET's key spec has variable flags: it only reads the old value with GET
		specFlags[positions[0]] = []string{"OW", "update"}
		for _, a := range target[3:] {
			if eqFold(a, "get") {
				specFlags[positions[0]] = []string{"RW", "access", "update"}
			}
		}
	}
	fallback := derivedKeySpecs(&Command{Flags: cmd.Flags, FirstKey: 1})[0].flags
	out := make([]keyRef, 0, len(positions))
	for _, p := range positions {
		f, ok := specFlags[p]
		if !ok {
			f = fallback
		}
		out = append(out, keyRef{p, f})
	}
	if len(out) == 0 && cmd.KeysFn == nil {
		return nil, "ERR Invalid arguments specified for command"
	}
	return out, ""
}

func commandGetKeysCommand(c *Client, args [][]byte) {
	target := args[2:]
	keys, msg := commandKeys(target)
	if msg != "" {
		c.Err(msg)
		return
	}
	w := c.W()
	w.Array(len(keys))
	for _, k := range keys {
		w.Bulk(target[k.pos])
	}
}

func commandGetKeysAndFlagsCommand(c *Client, args [][]byte) {
	target := args[2:]
	keys, msg := commandKeys(target)
	if msg != "" {
		c.Err(msg)
		return
	}
	w := c.W()
	w.Array(len(keys))
	for _, k := range keys {
		w.Array(2)
		w.Bulk(target[k.pos])
		w.Set(len(k.flags))
		for _, f := range k.flags {
			w.Simple(f)
		}
	}
}

func init() {
	const flags = "loading stale"
	register(spec{name: "command", arity: -1, flags: flags, group: "server", summary: "Returns detailed information about all commands.",
		since: "2.8.13", complexity: "O(N) where N is the total number of commands", handler: commandCommand,
		subs: []spec{
			{name: "count", arity: 2, flags: flags, summary: "Returns a count of commands.", since: "2.8.13", complexity: "O(1)", handler: commandCountCommand},
			{name: "docs", arity: -2, flags: flags, summary: "Returns documentary information about one, multiple or all commands.", since: "7.0.0",
				complexity: "O(N) where N is the number of commands to look up", handler: commandDocsCommand},
			{name: "getkeys", arity: -3, flags: flags, summary: "Extracts the key names from an arbitrary command.", since: "2.8.13",
				complexity: "O(N) where N is the number of arguments to the command", handler: commandGetKeysCommand},
			{name: "getkeysandflags", arity: -3, flags: flags, summary: "Extracts the key names and access flags for an arbitrary command.", since: "7.0.0",
				complexity: "O(N) where N is the number of arguments to the command", handler: commandGetKeysAndFlagsCommand},
			{name: "info", arity: -2, flags: flags, summary: "Returns information about one, multiple or all commands.", since: "2.8.13",
				complexity: "O(N) where N is the number of commands to look up", handler: commandInfoCommand},
			{name: "list", arity: -2, flags: flags, summary: "Returns a list of command names.", since: "7.0.0",
				complexity: "O(N) where N is the total number of commands", handler: commandListCommand},
			{name: "help", arity: 2, flags: flags, summary: "Returns helpful text about the different subcommands.", since: "5.0.0", complexity: "O(1)",
				handler: func(c *Client, args [][]byte) {
					helpReply(c, "COMMAND", []string{
						"(no subcommand)",
						"    Return details about all commands.",
						"COUNT",
						"    Return the total number of commands in this server.",
						"LIST",
						"    Return a list of all commands in this server.",
						"INFO [<command-name> ...]",
						"    Return details about multiple commands.",
						"    If no command names are given, documentation details for all",
						"    commands are returned.",
						"DOCS [<command-name> ...]",
						"    Return documentation details about multiple commands.",
						"    If no command names are given, documentation details for all",
						"    commands are returned.",
						"GETKEYS <full-command>",
						"    Return the keys from a full command.",
						"GETKEYSANDFLAGS <full-command>",
						"    Return the keys and the access flags from a full command.",
					})
				}},
		}})
}
