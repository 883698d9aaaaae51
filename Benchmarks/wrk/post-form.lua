-- POST a form body (client credentials grant); the Authorization header comes from -H.
wrk.method = "POST"
wrk.body = "grant_type=client_credentials"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
