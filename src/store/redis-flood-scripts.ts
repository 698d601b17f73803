/**
 * The flood store's steps, each one Lua script so that replicas noting incidents at once
 * agree on one window, one flood per channel, and each incident counted once.
 */

/**
 * Notes an incident as new in its channel, the first time only, and counts the window.
 * KEYS: 1 the incident's flood, 2 window (sorted set), 3 window entries, 4 the channel's flood
 * ARGV: 1 incident id, 2 now ms, 3 window ms, 4 entry JSON
 * Returns { flood that counts the incident or '', incidents in the window, the channel's flood or '' }.
 */
export const NOTE_SCRIPT = `
local current = redis.call('GET', KEYS[4]) or ''
local member = redis.call('GET', KEYS[1])
if member then return {member, 0, current} end
local cutoff = tonumber(ARGV[2]) - tonumber(ARGV[3])
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', cutoff)) do redis.call('HDEL', KEYS[3], id) end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', cutoff)
redis.call('ZADD', KEYS[2], 'NX', ARGV[2], ARGV[1])
redis.call('HSETNX', KEYS[3], ARGV[1], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
redis.call('PEXPIRE', KEYS[3], ARGV[3])
return {'', redis.call('ZCARD', KEYS[2]), current}
`;

/**
 * Counts an incident in the channel's flood; with ARGV 1 = '1', starts the flood when none
 * lasts, counting the window's incidents first. Everything of a flood lives as long as a
 * resolved incident does, and every join notes the flood for the reconciler's sweep.
 * A counted incident's window entry is dropped (a flood counts it already), and the members
 * set with its entries keeps the ARGV 8 most severe only: the rest are counted, not listed.
 * KEYS: 1 the channel's flood, 2 window, 3 window entries, 4 flood id sequence, 5 changed floods
 * ARGV: 1 begin, 2 now ms, 3 retention ms, 4 flood key prefix, 5 channel, 6 incident id, 7 entry JSON, 8 members kept
 * Returns the flood's id, or false when none lasts and none may begin.
 */
export const JOIN_SCRIPT = `
local prefix, now, retention = ARGV[4], tonumber(ARGV[2]), ARGV[3]
local fid = redis.call('GET', KEYS[1])
local kept = tonumber(ARGV[8])
local function add(id, json, at)
  redis.call('HDEL', KEYS[3], id)
  if not redis.call('SET', prefix .. 'incident:' .. id, fid, 'NX', 'PX', retention) then return end
  local entry = cjson.decode(json)
  local base = prefix .. fid
  redis.call('ZADD', base .. ':members', (100 - entry.rank) * 1e13 + at, id)
  redis.call('HSET', base .. ':entries', id, json)
  if redis.call('ZCARD', base .. ':members') > kept then
    redis.call('HDEL', base .. ':entries', redis.call('ZPOPMAX', base .. ':members')[1])
  end
  redis.call('HINCRBY', base .. ':counts', cjson.encode({entry.alertname, entry.severity}), 1)
  if entry.critical then redis.call('SADD', base .. ':criticals', id) end
  redis.call('HINCRBY', base, 'total', 1)
end
if not fid then
  if ARGV[1] ~= '1' then return false end
  fid = tostring(redis.call('INCR', KEYS[4]))
  redis.call('HSET', prefix .. fid, 'channel', ARGV[5], 'startedAt', now, 'total', 0)
  local window = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
  for i = 1, #window, 2 do
    local json = redis.call('HGET', KEYS[3], window[i])
    if json then add(window[i], json, tonumber(window[i + 1])) end
  end
end
add(ARGV[6], ARGV[7], now)
redis.call('SET', KEYS[1], fid, 'PX', retention)
for _, suffix in ipairs({'', ':members', ':entries', ':counts', ':criticals', ':message'}) do
  redis.call('PEXPIRE', prefix .. fid .. suffix, retention)
end
redis.call('ZADD', KEYS[5], now, fid)
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', '(' .. (now - tonumber(retention)))
return fid
`;

/** KEYS: 1 the channel's flood; ARGV: 1 the flood that ends. Another flood that began meanwhile stays. */
export const END_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
`;

/**
 * The most counted kinds of a flood, picked in Redis so that a roll-up of ten thousand kinds
 * carries its few lines only: by count, then by field (alertname, then severity).
 * KEYS: 1 the flood's counts; ARGV: 1 kinds listed (-1 for all)
 * Returns { kinds in all, field, count, field, count... }.
 */
export const TOP_COUNTS_SCRIPT = `
local all = redis.call('HGETALL', KEYS[1])
local limit = tonumber(ARGV[1])
local function before(a, b) return a[2] > b[2] or (a[2] == b[2] and a[1] < b[1]) end
local top = {}
if limit < 0 or limit >= #all / 2 then
  for i = 1, #all, 2 do top[#top + 1] = {all[i], tonumber(all[i + 1])} end
  table.sort(top, before)
elseif limit > 0 then
  -- One pass keeping the few best in order: most kinds are compared with the last kept only.
  for i = 1, #all, 2 do
    local item = {all[i], tonumber(all[i + 1])}
    if #top < limit or before(item, top[#top]) then
      local at = #top + 1
      while at > 1 and before(item, top[at - 1]) do at = at - 1 end
      table.insert(top, at, item)
      if #top > limit then table.remove(top) end
    end
  end
end
local out = {#all / 2}
for _, item in ipairs(top) do
  out[#out + 1] = item[1]
  out[#out + 1] = item[2]
end
return out
`;

/**
 * What an incident of a flood waits on, in one command: asked on every first post and every
 * retry of one while ten thousand incidents join, a transaction's five writes would be most
 * of the flood's traffic.
 * KEYS: 1 the flood, 2 its critical incidents, 3 its roll-up message
 * Returns { startedAt or false, critical incidents waiting, roll-up message fields... }.
 */
export const STANDING_SCRIPT = `
return {redis.call('HGET', KEYS[1], 'startedAt'), redis.call('SCARD', KEYS[2]), redis.call('HGETALL', KEYS[3])}
`;
