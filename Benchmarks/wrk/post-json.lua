-- POST the JSON body in the JSON_BODY environment variable (login, vault store); headers from -H.
wrk.method = "POST"
wrk.body = os.getenv("JSON_BODY")
wrk.headers["Content-Type"] = "application/json"
