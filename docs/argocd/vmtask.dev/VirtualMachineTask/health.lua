-- Argo CD health of a vmtask VirtualMachineTask: Healthy once it Succeeded, Degraded once it
-- Failed for good, Progressing while it waits, runs or backs off before a retry.
local hs = {}
if obj.status == nil or obj.status.phase == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the vmtask operator"
  return hs
end
if obj.metadata.generation ~= nil and obj.status.observedGeneration ~= obj.metadata.generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the vmtask operator to observe generation " .. obj.metadata.generation
  return hs
end
local phase = obj.status.phase
local message = phase
if obj.status.reason ~= nil then
  message = message .. " (" .. obj.status.reason .. ")"
end
if obj.status.message ~= nil then
  message = message .. ": " .. obj.status.message
end
hs.message = message
if phase == "Succeeded" then
  hs.status = "Healthy"
elseif phase == "Failed" then
  hs.status = "Degraded"
else
  hs.status = "Progressing"
end
return hs
