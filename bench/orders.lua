-- wrk script for bench/orders.sh: each thread alternates between creating an order (attributed
-- through a click, so it pays two levels of commission) and paying an order it created earlier.
local token = os.getenv("TUIKE_TOKEN")
local product = os.getenv("TUIKE_PRODUCT")
local visitors = {}
for visitor in string.gmatch(os.getenv("TUIKE_VISITORS"), "[^,]+") do table.insert(visitors, visitor) end
local pending = {}
local counter = 0
local headers = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }

function setup(thread)
  thread:set("seed", math.random(1, 1000000000))
end

request = function()
  local id = table.remove(pending)
  if id then
    return wrk.format("POST", "/api/v1/orders/" .. id .. "/paid", headers, '{"payment_id":"bench-' .. id .. '"}')
  end
  counter = counter + 1
  local visitor = visitors[(counter % #visitors) + 1]
  local body = '{"buyer_id":"bench-' .. tostring(seed) .. '-' .. counter .. '","items":[{"product_id":"' .. product ..
    '","quantity":1}],"visitor_id":"' .. visitor .. '"}'
  return wrk.format("POST", "/api/v1/orders", headers, body)
end

response = function(status, headers, body)
  if status == 201 then
    local id = string.match(body, '"id":"(ord_[^"]+)"')
    if id then table.insert(pending, id) end
  end
end
