-- Sluice routing for FreeSWITCH 1.10 (mod_lua, mod_curl), as an example to adapt. Not run in CI (no FreeSWITCH
-- package on the CI machines): written from the documentation of mod_curl's `curl` API and mod_lua. See README.md.
--
-- Dialplan: <action application="lua" data="sluice_route.lua"/> with sluice_skill_group and sluice_priority set.

local SLUICE_URL = "http://10.0.0.5:8080"     -- a control instance of Sluice, or the balancer in front of several
local SLUICE_KEY = "change-me-router-key"     -- an API key of role `router` of the tenant
local TENANT = "acme"
-- The CTI nodes named in the tenant's policy (ctiNodes) as dial strings, and each one's backup.
local NODES = { ["cti-primary"] = "sofia/gateway/cti-primary/", ["cti-backup"] = "sofia/gateway/cti-backup/" }
local BACKUP = { ["cti-primary"] = "cti-backup", ["cti-backup"] = "cti-primary" }
local TARGETS = {                               -- where the other targets go (extensions of your dialplan)
  smart_ivr = "smart-ivr", chat = "chat-offer", callback = "callback-offer", keypad_ivr = "keypad-ivr",
}
local NODE_REPLY_S = 2                          -- a node's deadline to send its first reply (originate timeout)

local api = freeswitch.API()
local json = freeswitch.JSON()

local function encode(s)
  return (tostring(s):gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

-- mod_curl: `curl <url> [json] [connect-timeout <s>] [timeout <s>] [append_headers <h>] post <data>`; with `json`
-- it answers {"status_code": …, "body": …}. The deadline is 1 s: past it, the local fallback.
local function post(path, data)
  local out = api:execute("curl", SLUICE_URL .. path .. " json connect-timeout 1 timeout 1 append_headers 'Authorization: Bearer " ..
    SLUICE_KEY .. "' post " .. data)
  local ok, r = pcall(function() return json:decode(out) end)
  if not ok or type(r) ~= "table" then return nil, nil end
  return tonumber(r.status_code), r.body
end

local function outcome(did, kind)
  -- Posted from a thread of its own (luarun), so the call never waits for Sluice.
  api:execute("luarun", "sluice_outcome.lua " .. did .. " " .. kind)
end

local function bridge_node(node, did)
  local dial = NODES[node]
  if dial == nil then return false end
  local vars = ""
  if did ~= nil then
    -- The node's first 18x (api_on_ring / api_on_pre_answer) or its answer: `connected`, with the time since we sent
    -- the INVITE (mod_commands' `uptime ms`, read here and in the hook). A repeat is answered 204 by Sluice.
    local t0 = api:execute("uptime", "ms")
    local hook = "luarun sluice_outcome.lua " .. did .. " connected " .. t0
    vars = "{originate_timeout=" .. NODE_REPLY_S .. ",api_on_ring='" .. hook .. "',api_on_pre_answer='" .. hook ..
      "',api_on_answer='" .. hook .. "'}"
  end
  session:execute("bridge", vars .. dial .. session:getVariable("destination_number"))
  local cause = session:getVariable("originate_disposition") or ""
  if did ~= nil then
    if cause == "ORIGINATOR_CANCEL" then outcome(did, "abandoned")
    elseif cause == "NO_ANSWER" or cause == "ALLOTTED_TIMEOUT" or cause == "RECOVERY_ON_TIMER_EXPIRE" then outcome(did, "timeout")
    elseif cause ~= "SUCCESS" and cause ~= "USER_BUSY" and cause ~= "CALL_REJECTED" then outcome(did, "failed") end
  end
  -- Done unless the node failed or did not answer in time.
  return cause == "SUCCESS" or cause == "USER_BUSY" or cause == "CALL_REJECTED" or cause == "ORIGINATOR_CANCEL"
end

local function agent_chain(node, did)
  if bridge_node(node, did) then return end
  if BACKUP[node] and bridge_node(BACKUP[node], nil) then return end
  session:execute("transfer", TARGETS.keypad_ivr .. " XML default")
end

local skill = session:getVariable("sluice_skill_group") or session:getVariable("destination_number")
local prio = session:getVariable("sluice_priority") or "normal"
local code, body = post("/v1/route", "tenant=" .. encode(TENANT) .. "&callId=" .. encode(session:get_uuid()) ..
  "&skillGroup=" .. encode(skill) .. "&priority=" .. encode(prio))
local answer = nil
if code == 200 and body then
  local ok, r = pcall(function() return json:decode(body) end)
  if ok and type(r) == "table" and r.decisionId and r.target then answer = r end
end
if answer == nil then
  if code ~= nil and code >= 400 and code < 500 then
    freeswitch.consoleLog("ERR", "Sluice refused the route lookup (" .. code .. "): " .. tostring(body) .. "\n")
  else
    freeswitch.consoleLog("WARNING", "Sluice unavailable: local fallback\n")
  end
  agent_chain("cti-primary", nil)
  return
end

local did, target = answer.decisionId, answer.target
session:setVariable("sluice_decision_id", did)
if target == "agent" then
  if NODES[answer.ctiNode] == nil then
    freeswitch.consoleLog("ERR", "Sluice named CTI node " .. tostring(answer.ctiNode) .. ": add it to NODES\n")
    outcome(did, "not-attempted")
    agent_chain("cti-primary", nil)
  else
    agent_chain(answer.ctiNode, did)
  end
elseif target == "reject" then
  outcome(did, "not-attempted")
  session:execute("playback", "ivr/ivr-all_circuits_busy.wav")
  session:hangup("NORMAL_CIRCUIT_CONGESTION")
elseif TARGETS[target] ~= nil then
  outcome(did, "connected")   -- a local application: it takes the call at once
  session:execute("transfer", TARGETS[target] .. " XML default")
else
  outcome(did, "not-attempted")
  agent_chain("cti-primary", nil)
end
