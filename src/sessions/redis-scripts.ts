/**
 * Lua run by the Redis store. Each touches one key only, so it runs unchanged on Redis Cluster.
 * Sent with EVAL (Redis caches the compiled script), which spares a NOSCRIPT fallback path.
 */

/**
 * Adds (ARGV[4] = "add") or re-scores an already indexed (ARGV[4] = "touch") session in a
 * user's index, a sorted set scored by expiry. Expired members are pruned first and the set's
 * own TTL follows its longest-lived member, so the index holds live sessions only.
 * KEYS[1] index; ARGV: id, expiresAt, now, mode.
 */
export const INDEX_SESSION = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
if ARGV[4] == 'touch' then
  redis.call('ZADD', KEYS[1], 'XX', ARGV[2], ARGV[1])
else
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
end
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if last[2] then
  local ttl = math.ceil(tonumber(last[2]) - tonumber(ARGV[3]))
  if ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) end
end
return 1
`;

/** Empties a user's index and returns the session ids it held. KEYS[1] index. */
export const TAKE_USER_SESSIONS = `
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
redis.call('DEL', KEYS[1])
return ids
`;

/** Deletes the lock only if it is still ours (after our TTL, another holder may own it). */
export const RELEASE_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/**
 * Two-bucket sliding-window counter in a hash of bucket → count (see sliding-window.ts).
 * KEYS[1] hash; ARGV: current bucket, previous bucket, TTL ms. Returns {current, previous}.
 */
export const HIT_COUNTER = `
local current = redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
local previous = tonumber(redis.call('HGET', KEYS[1], ARGV[2]) or '0')
for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
  if field ~= ARGV[1] and field ~= ARGV[2] then redis.call('HDEL', KEYS[1], field) end
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {current, previous}
`;
