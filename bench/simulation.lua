-- POST /api/v1/simulations for wrk: the live plan with every program rate doubled, over
-- SIM_FROM..SIM_TO (days). The Authorization header comes from the command line (-H).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = string.format('{"from":"%s","to":"%s","program":{"levels":[4000,1000],"rule_type":"percent"}}',
    os.getenv("SIM_FROM"), os.getenv("SIM_TO"))
