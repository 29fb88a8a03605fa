-- wrk: every request from one of a million clients (X-Client), for per-client rate limits.
request = function()
  return wrk.format(nil, nil, { ["X-Client"] = tostring(math.random(1, 1000000)) })
end
