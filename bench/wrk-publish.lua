-- wrk script: small JSON publishes spread over a few topics.
--   wrk -t2 -c32 -d20s --latency -s bench/wrk-publish.lua http://127.0.0.1:8080
-- Each request POSTs {"sender":"wrk","messageType":"bench","content":{"n":N}} to
-- /api/v1/topics/wrk-<i>/messages, i cycling over TOPICS (default 8; env WRK_TOPICS), with the
-- API key in env TROUPE_KEY (e.g. TROUPE_KEY=$(cat cluster-run/admin-token)).
local topics = tonumber(os.getenv("WRK_TOPICS") or "8")
local key = os.getenv("TROUPE_KEY")
local n = 0

request = function()
  n = n + 1
  local path = "/api/v1/topics/wrk-" .. (n % topics) .. "/messages"
  local body = '{"sender":"wrk","messageType":"bench","content":{"n":' .. n .. '}}'
  local headers = { ["Content-Type"] = "application/json" }
  if key then
    headers["Authorization"] = "Bearer " .. key
  end
  return wrk.format("POST", path, headers, body)
end
