-- Argo CD health of a vmtask VMImage: Healthy once validated (Ready), Degraded when it Failed,
-- Progressing while its fetch pod validates it.
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
hs.message = phase
if obj.status.message ~= nil then
  hs.message = phase .. ": " .. obj.status.message
end
if phase == "Ready" then
  hs.status = "Healthy"
elseif phase == "Failed" then
  hs.status = "Degraded"
else
  hs.status = "Progressing"
end
return hs
