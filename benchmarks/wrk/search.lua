-- wrk script: POST /v1/search with queries drawn in turn from a file (one per line).
-- usage: wrk -t1 -c8 -d30s --latency -s search.lua URL -- KEY QUERIES_FILE USER_ID
local queries = {}
local key, user
local n = 0

function init(args)
  key = args[1]
  user = args[3]
  for line in io.lines(args[2]) do
    if #line > 0 then
      queries[#queries + 1] = line
    end
  end
  -- each wrk thread starts at its own offset so threads do not send in lockstep
  n = math.random(#queries)
end

local function quote(s)
  return '"' .. s:gsub('\\', '\\\\'):gsub('"', '\\"') .. '"'
end

function request()
  n = n % #queries + 1
  local body = '{"query": ' .. quote(queries[n]) .. ', "user_id": ' .. quote(user) .. ', "limit": 10}'
  return wrk.format("POST", "/v1/search", {
    ["Authorization"] = "Bearer " .. key,
    ["Content-Type"] = "application/json",
  }, body)
end

function response(status, headers, body)
  if status ~= 200 then
    wrk.thread:stop()
  end
end
