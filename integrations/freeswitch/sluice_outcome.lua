-- POST /v1/route/{decisionId}/outcome from a thread of its own (`luarun sluice_outcome.lua <id> <kind> [<t0 ms>]`),
-- form-encoded. With t0 (mod_commands' `uptime ms` when the INVITE was sent) it adds latencyMs. See README.md.
local SLUICE_URL = "http://10.0.0.5:8080"
local SLUICE_KEY = "change-me-router-key"

local did, kind, t0 = argv[1], argv[2], tonumber(argv[3])
if did == nil or kind == nil then return end
local api = freeswitch.API()
local data = "outcome=" .. kind
if t0 ~= nil then
  local now = tonumber(api:execute("uptime", "ms"))
  if now ~= nil and now >= t0 then data = data .. "&latencyMs=" .. (now - t0) end
end
-- Decision ids are [A-Za-z0-9._:-]: safe in a path as they are.
api:execute("curl", SLUICE_URL .. "/v1/route/" .. did .. "/outcome connect-timeout 1 timeout 1 append_headers 'Authorization: Bearer " ..
  SLUICE_KEY .. "' post " .. data)
