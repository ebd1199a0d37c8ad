"""Lua scripts: every state change in the sandbox is one atomic script run in Redis.

Atomicity is what makes the sandbox safe with several server processes: two concurrent submits
with one idempotency key cannot both create a transfer, and two schedulers cannot both settle
one. Scripts build key names from the prefix (ARGV[1]), so they need a single Redis node, not a
cluster.

Keys, all under the prefix ``p``:
``p:idem`` hash key→transfer id; ``p:tr:<id>`` hash, one transfer (short fields only, so Redis
keeps it in its compact listpack encoding: ~1.4 KB a transfer with its event, not ~2.7 KB);
``p:due:settle`` / ``p:due:return`` zsets of transfer ids by due time (ms);
``p:seq`` event counter; ``p:events`` zset of event JSON by sequence;
``p:cb:due`` zset of callback deliveries (``<seq>`` or ``<seq>:dup``) by due time (ms), with
``p:cb:attempts`` / ``p:cb:first`` hashes; ``p:faults`` hash; ``p:first_error`` set;
``p:accepted_total``, ``p:submits_total`` counters; ``p:accepted_by_key``, ``p:submits_by_key``.
"""

# Shared by the submit and scheduler scripts: the public view of one transfer.
_SNAPSHOT = """
local function snapshot(tr)
  local v = redis.call('HMGET', tr, 'id', 'idempotency_key', 'status', 'amount_minor',
    'currency', 'reference', 'created', 'updated', 'failure_code', 'raw_code', 'failure_message')
  return {id = v[1], idempotency_key = v[2], status = v[3], amount_minor = tonumber(v[4]),
    currency = v[5], reference = v[6], created = tonumber(v[7]), updated = tonumber(v[8]),
    failure_code = v[9], raw_code = v[10], failure_message = v[11]}
end
"""

# ARGV: prefix, key, fingerprint, new id, now ms, amount, currency, reference, plan outcome,
# plan failure code, plan raw code, plan message, default settle ms, settle factor, return ms,
# flags (h hang first, e error first, r reject, d duplicate callbacks, c conflict first: the
# first submit is stored but answered 409, p paid later: a failed transfer is paid after all).
# Returns {verdict, json?}; verdict: error | reject | reused | created | replay, "hang_" prefixed
# when the response must hang.
SUBMIT = (
    _SNAPSHOT
    + """
local p, key, fp, new_id = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local now_ms = tonumber(ARGV[5])
local flags = ARGV[16]
local faults = p .. 'faults'

redis.call('HINCRBY', p .. 'submits_by_key', key, 1)
redis.call('INCR', p .. 'submits_total')

local f = redis.call('HMGET', faults, 'submit_errors', 'submit_timeouts', 'settle_after_ms')
if tonumber(f[1] or '0') > 0 then
  redis.call('HINCRBY', faults, 'submit_errors', -1)
  return {'error'}
end

local function hang_or(verdict)
  if tonumber(f[2] or '0') > 0 then
    redis.call('HINCRBY', faults, 'submit_timeouts', -1)
    return 'hang_' .. verdict
  end
  return verdict
end

local existing = redis.call('HGET', p .. 'idem', key)
if existing then
  local tr = p .. 'tr:' .. existing
  if redis.call('HGET', tr, 'fp') ~= fp then
    return {'reused'}
  end
  return {hang_or('replay'), cjson.encode(snapshot(tr))}
end
if string.find(flags, 'r', 1, true) then
  return {'reject'}
end
if string.find(flags, 'e', 1, true) and redis.call('SADD', p .. 'first_error', key) == 1 then
  return {'error'}
end

local now_s = math.floor(now_ms / 1000)
local tr = p .. 'tr:' .. new_id
redis.call('HSET', p .. 'idem', key, new_id)
redis.call('HSET', tr, 'id', new_id, 'idempotency_key', key, 'status', 'processing',
  'amount_minor', ARGV[6], 'currency', ARGV[7], 'reference', ARGV[8], 'created', now_s,
  'updated', now_s, 'failure_code', '', 'raw_code', '', 'failure_message', '', 'fp', fp,
  'plan_outcome', ARGV[9], 'plan_failure_code', ARGV[10], 'plan_raw_code', ARGV[11],
  'plan_message', ARGV[12], 'return_ms', ARGV[15], 'flags', flags)
local json = cjson.encode(snapshot(tr))
redis.call('INCR', p .. 'accepted_total')
redis.call('HINCRBY', p .. 'accepted_by_key', key, 1)
local settle_ms = tonumber(f[3] or ARGV[13]) * tonumber(ARGV[14])
redis.call('ZADD', p .. 'due:settle', now_ms + settle_ms, new_id)

if string.find(flags, 'h', 1, true) then
  return {'hang_created', json}
end
if string.find(flags, 'c', 1, true) then
  return {'conflict', json}
end
return {hang_or('created'), json}
"""
)

# ARGV: prefix, now ms, upto (score or '+inf'), limit, with returns '1'/'0', callbacks '1'/'0'.
# Moves due transfers on (processing→paid|failed, paid→returned, failed→paid when planned),
# appends one event per move and queues its callback. Returns {claimed, moved}.
RUN_DUE = (
    _SNAPSHOT
    + """
local p, upto = ARGV[1], ARGV[3]
local now_ms, limit = tonumber(ARGV[2]), tonumber(ARGV[4])
local with_returns, callbacks = ARGV[5] == '1', ARGV[6] == '1'
local now_s = math.floor(now_ms / 1000)
local dup_all = redis.call('HGET', p .. 'faults', 'duplicate_callbacks') == '1'
local claimed, moved = 0, 0
-- Event ids are unique for the life of this store, across restarts and resets of others:
-- the epoch is taken from the server clock when the store emits its first event.
local epoch = redis.call('GET', p .. 'epoch')
if not epoch then
  local t = redis.call('TIME')
  epoch = t[1] .. string.format('%06d', tonumber(t[2]))
  redis.call('SET', p .. 'epoch', epoch)
end

local function move(tr, fields, event_type, flags)
  redis.call('HSET', tr, 'updated', now_s, unpack(fields))
  local snap = snapshot(tr)
  local seq = redis.call('INCR', p .. 'seq')
  redis.call('ZADD', p .. 'events', seq, cjson.encode({id = 'ev_' .. epoch .. '_' .. seq,
    sequence = seq, type = event_type, created = now_s, transfer = snap}))
  if callbacks then
    redis.call('ZADD', p .. 'cb:due', now_ms, seq)
    if dup_all or string.find(flags, 'd', 1, true) then
      redis.call('ZADD', p .. 'cb:due', now_ms, seq .. ':dup')
    end
  end
  moved = moved + 1
end

local ids = redis.call('ZRANGEBYSCORE', p .. 'due:settle', '-inf', upto, 'LIMIT', 0, limit)
for _, id in ipairs(ids) do
  claimed = claimed + 1
  redis.call('ZREM', p .. 'due:settle', id)
  local tr = p .. 'tr:' .. id
  local t = redis.call('HMGET', tr, 'status', 'plan_outcome', 'plan_failure_code',
    'plan_raw_code', 'plan_message', 'return_ms', 'flags')
  if t[1] == 'processing' then
    if t[2] == 'failed' then
      move(tr, {'status', 'failed', 'failure_code', t[3], 'raw_code', t[4],
        'failure_message', t[5]}, 'transfer.failed', t[7])
      if string.find(t[7], 'p', 1, true) then
        redis.call('ZADD', p .. 'due:return', now_ms + tonumber(t[6]), id)
      end
    else
      move(tr, {'status', 'paid'}, 'transfer.paid', t[7])
      if t[2] == 'returned' then
        redis.call('ZADD', p .. 'due:return', now_ms + tonumber(t[6]), id)
      end
    end
  end
end

if with_returns and claimed < limit then
  ids = redis.call('ZRANGEBYSCORE', p .. 'due:return', '-inf', upto, 'LIMIT', 0, limit - claimed)
  for _, id in ipairs(ids) do
    claimed = claimed + 1
    redis.call('ZREM', p .. 'due:return', id)
    local tr = p .. 'tr:' .. id
    local t = redis.call('HMGET', tr, 'status', 'plan_failure_code', 'plan_raw_code',
      'plan_message', 'flags')
    if t[1] == 'paid' then
      move(tr, {'status', 'returned', 'failure_code', t[2], 'raw_code', t[3],
        'failure_message', t[4]}, 'transfer.returned', t[5])
    elseif t[1] == 'failed' and string.find(t[5], 'p', 1, true) then
      move(tr, {'status', 'paid', 'failure_code', '', 'raw_code', '', 'failure_message', ''},
        'transfer.paid', t[5])
    end
  end
end
return {claimed, moved}
"""
)

# ARGV: prefix, now ms, limit, lease ms. Claims due callback deliveries by pushing their due
# time past the lease (a crashed sender's claims come due again); at most one delivery per
# event per batch. Returns {member, event, ...}.
CLAIM_CALLBACKS = """
local p = ARGV[1]
local now_ms, limit, lease_ms = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local due = redis.call('ZRANGEBYSCORE', p .. 'cb:due', '-inf', now_ms, 'LIMIT', 0, limit)
local out, seen = {}, {}
for _, member in ipairs(due) do
  local seq = string.match(member, '^(%d+)')
  local event = redis.call('ZRANGEBYSCORE', p .. 'events', seq, seq)
  if seen[seq] then
    -- a duplicate delivery goes out in a later POST, as a provider's redelivery would
  elseif event[1] then
    seen[seq] = true
    redis.call('ZADD', p .. 'cb:due', now_ms + lease_ms, member)
    out[#out + 1] = member
    out[#out + 1] = event[1]
  else
    redis.call('ZREM', p .. 'cb:due', member)
  end
end
return out
"""

# ARGV: prefix, now ms, base delay ms, max delay ms, max age ms, member... Reschedules failed
# deliveries with exponential backoff; returns the members given up on (older than max age).
FAIL_CALLBACKS = """
local p = ARGV[1]
local now_ms, base_ms = tonumber(ARGV[2]), tonumber(ARGV[3])
local cap_ms, max_age_ms = tonumber(ARGV[4]), tonumber(ARGV[5])
local dropped = {}
for i = 6, #ARGV do
  local member = ARGV[i]
  if redis.call('ZSCORE', p .. 'cb:due', member) then
    local attempts = redis.call('HINCRBY', p .. 'cb:attempts', member, 1)
    redis.call('HSETNX', p .. 'cb:first', member, now_ms)
    local first = tonumber(redis.call('HGET', p .. 'cb:first', member))
    if now_ms - first >= max_age_ms then
      redis.call('ZREM', p .. 'cb:due', member)
      redis.call('HDEL', p .. 'cb:attempts', member)
      redis.call('HDEL', p .. 'cb:first', member)
      dropped[#dropped + 1] = member
    else
      local delay = math.min(base_ms * 2 ^ (attempts - 1), cap_ms)
      redis.call('ZADD', p .. 'cb:due', now_ms + delay, member)
    end
  end
end
return dropped
"""

# ARGV: prefix, 'id' or 'key', the transfer id or idempotency key. Returns the transfer's JSON,
# or nil when there is no such transfer.
READ_TRANSFER = (
    _SNAPSHOT
    + """
local p, by, value = ARGV[1], ARGV[2], ARGV[3]
local id = value
if by == 'key' then
  id = redis.call('HGET', p .. 'idem', value)
  if not id then
    return nil
  end
end
local tr = p .. 'tr:' .. id
if redis.call('EXISTS', tr) == 0 then
  return nil
end
return cjson.encode(snapshot(tr))
"""
)
