/**
 * Lua scripts of the Redis presence store; each runs atomically, so nodes updating one user at once serialize.
 * Layout: hash <prefix>presence:u:<user> (connection -> "<expiresAt>|<state>") and sorted set
 * <prefix>presence:online (user -> latest expiresAt among their entries), sorted set <prefix>presence:leaving
 * (user -> when expire may hand them out, after their last entry was removed). Times come from the caller's
 * clock.
 * A field expired for over a TTL is deleted when its user is next written; keys carry a generous PEXPIRE
 * only as garbage collection (correctness comes from the stored expiry times).
 */

/** Shared part: reads the user's entries into live (unexpired) states, dropping long-expired fields. */
const READ = `
local now = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local live = {}
local flat = redis.call('HGETALL', KEYS[1])
for i = 1, #flat, 2 do
  local v = flat[i + 1]
  local sep = string.find(v, '|', 1, true)
  local exp = tonumber(string.sub(v, 1, sep - 1))
  if exp > now then
    live[flat[i]] = { exp, string.sub(v, sep + 1) }
  elseif exp + ttl < now then
    redis.call('HDEL', KEYS[1], flat[i])
  end
end
local function states(t)
  local out = {}
  for _, e in pairs(t) do out[#out + 1] = e[2] end
  return table.concat(out, ',')
end
local function latest(t)
  local m = 0
  for _, e in pairs(t) do if e[1] > m then m = e[1] end end
  return m
end
`;

/**
 * KEYS: user hash, online zset, leaving zset. ARGV: connection, now, ttl, gcMs, user, state. Returns {before, after}
 * states.
 */
export const SET_SCRIPT = `${READ}
redis.call('ZREM', KEYS[3], ARGV[5])
local before = states(live)
live[ARGV[1]] = { now + ttl, ARGV[6] }
redis.call('HSET', KEYS[1], ARGV[1], string.format('%d|%s', now + ttl, ARGV[6]))
redis.call('ZADD', KEYS[2], latest(live), ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return { before, states(live) }
`;

/**
 * KEYS: user hash, online zset, leaving zset. ARGV: connection, now, ttl, gcMs, user, leavingMs. Returns {before,
 * after} states. A user left with no live entry goes to the leaving set, for expire to hand out leavingMs later.
 */
export const REMOVE_SCRIPT = `${READ}
local before = states(live)
live[ARGV[1]] = nil
redis.call('HDEL', KEYS[1], ARGV[1])
local m = latest(live)
if m == 0 then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[5])
  redis.call('ZADD', KEYS[3], now + tonumber(ARGV[6]), ARGV[5])
else
  redis.call('ZADD', KEYS[2], m, ARGV[5])
end
return { before, states(live) }
`;

/**
 * KEYS: online zset, then one user hash per entry. ARGV: now, ttl, gcMs, then user and connection per entry.
 * Extends the entries that still exist; returns the positions (0-based) of those that no longer did. Users whose
 * entries expired stay in the online set until EXPIRE_SCRIPT takes them out (and a node announces them offline).
 */
export const REFRESH_SCRIPT = `
local now = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
local exp = string.format('%d', now + ttl)
local missing = {}
for i = 2, #KEYS do
  local conn = ARGV[2 * i + 1]
  local v = redis.call('HGET', KEYS[i], conn)
  if v then
    local sep = string.find(v, '|', 1, true)
    redis.call('HSET', KEYS[i], conn, exp .. '|' .. string.sub(v, sep + 1))
    redis.call('ZADD', KEYS[1], 'GT', exp, ARGV[2 * i])
    redis.call('PEXPIRE', KEYS[i], ARGV[3])
  else
    missing[#missing + 1] = i - 2
  end
end
return missing
`;

/**
 * KEYS: online zset, leaving zset. ARGV: now, user hash prefix, limit, ttl. Users whose latest expiry has passed
 * have no live entry: takes them out (zset member and hash); then users in the leaving set past their time. Returns
 * up to limit pairs: user, last seen (their last refresh; -1 for leavers, whose last_seen was written on leaving).
 * The hashes are named from ARGV (one Redis, not Redis Cluster, which Parley does not use).
 */
export const EXPIRE_SCRIPT = `
local limit = tonumber(ARGV[3])
local ttl = tonumber(ARGV[4])
local out = {}
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, limit)
for i = 1, #expired, 2 do
  local u = expired[i]
  redis.call('ZREM', KEYS[1], u)
  redis.call('DEL', ARGV[2] .. u)
  out[#out + 1] = u
  out[#out + 1] = string.format('%d', tonumber(expired[i + 1]) - ttl)
end
local room = limit - #out / 2
if room > 0 then
  local left = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, room)
  for _, u in ipairs(left) do
    redis.call('ZREM', KEYS[2], u)
    out[#out + 1] = u
    out[#out + 1] = '-1'
  end
end
return out
`;

/**
 * KEYS: user hash, announced hash (<prefix>presence:announced, user -> status). ARGV: now, user, status. Returns the
 * status announced before ('offline' when none) and records the new one; for 'offline', returns nil and changes
 * nothing while the user has an unexpired entry.
 */
export const SWAP_ANNOUNCED_SCRIPT = `
local now = tonumber(ARGV[1])
if ARGV[3] == 'offline' then
  local flat = redis.call('HGETALL', KEYS[1])
  for i = 1, #flat, 2 do
    local v = flat[i + 1]
    local sep = string.find(v, '|', 1, true)
    if tonumber(string.sub(v, 1, sep - 1)) > now then return false end
  end
end
local before = redis.call('HGET', KEYS[2], ARGV[2])
if not before then before = 'offline' end
if ARGV[3] == 'offline' then
  redis.call('HDEL', KEYS[2], ARGV[2])
else
  redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
end
return before
`;
