-- POST /api/v1/auth/login with the account in the LOGIN_BODY environment variable.
wrk.method = "POST"
wrk.body = os.getenv("LOGIN_BODY")
wrk.headers["Content-Type"] = "application/json"
