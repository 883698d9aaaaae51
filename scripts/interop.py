#!/usr/bin/env python3
"""Interoperability check with standard third-party libraries, not ours.

Runs the real gatehouse binary, then:
  1. authlib runs the OAuth 2.0 client-credentials grant against /oauth/token;
  2. joserfc and PyJWT verify the issued JWT against /.well-known/jwks.json;
  3. PyJWT mints a token with a key of its own, which Gatehouse accepts as an external issuer;
  4. Python `cryptography` (HKDF + AESGCM) opens a vault secret straight from the database with
     the master key, and seals one that Gatehouse then reveals: the envelope format is standard.
Usage: interop.py PATH_TO_GATEHOUSE_BINARY
"""
import base64
import json
import os
import sqlite3
import sys
import time

import jwt as pyjwt
import requests
from authlib.integrations.requests_client import OAuth2Session
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from joserfc import jwt as josejwt
from joserfc.jwk import KeySet

from harness import Checks, Gatehouse

gatehouse = Gatehouse(sys.argv[1], "gatehouse-interop-")
work, base = gatehouse.work, gatehouse.base
checks = Checks()
check = checks.check


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hkdf(key, salt, info):
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(key)


def vault_binding(tenant, credential, auth_type, version):
    return "\0".join(["gatehouse-vault-v1", tenant, credential, auth_type, str(version)]).encode()


def vault_open(sealed, dek, binding):
    """0x01 | salt(32) | nonce(12) | ciphertext | tag(16), the record key HKDF(dek, salt)."""
    assert sealed[0] == 1
    record_key = hkdf(dek, sealed[1:33], b"gatehouse/vault/record/v1")
    return AESGCM(record_key).decrypt(sealed[33:45], sealed[45:], binding)


def vault_seal(plaintext, dek, binding):
    salt, nonce = os.urandom(32), os.urandom(12)
    record_key = hkdf(dek, salt, b"gatehouse/vault/record/v1")
    return bytes([1]) + salt + nonce + AESGCM(record_key).encrypt(nonce, plaintext, binding)


idp_key = Ed25519PrivateKey.generate()
x = b64url(idp_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
with open(os.path.join(work, "idp-jwks.json"), "w") as f:
    json.dump({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": x, "kid": "interop-1", "alg": "EdDSA", "use": "sig"}]}, f)
with open(os.path.join(work, "idps.json"), "w") as f:
    json.dump([{"issuer": "https://interop.example", "audience": "gatehouse", "tenants": ["*"],
                "jwks_file": os.path.join(work, "idp-jwks.json")}], f)

admin = gatehouse.bootstrap()
server = gatehouse.start("--identity-providers", os.path.join(work, "idps.json"))
try:
    auth = {"Authorization": f"Bearer {admin}"}
    tenant = requests.post(base + "/api/v1/admin/tenants", json={"name": "Interop"}, headers=auth).json()["id"]
    client = requests.post(base + f"/api/v1/iam/tenants/{tenant}/oauth-clients",
                           json={"name": "interop", "scopes": ["iam:read", "provisioning:read"]}, headers=auth).json()

    session = OAuth2Session(client["client_id"], client["client_secret"], scope="iam:read",
                            token_endpoint_auth_method="client_secret_basic")
    token = session.fetch_token(base + "/oauth/token", grant_type="client_credentials")
    check("authlib client_credentials grant", token.get("token_type") == "Bearer" and token.get("scope") == "iam:read", token)

    post_session = OAuth2Session(client["client_id"], client["client_secret"], token_endpoint_auth_method="client_secret_post")
    post_token = post_session.fetch_token(base + "/oauth/token", grant_type="client_credentials")
    check("authlib client_secret_post", "access_token" in post_token, post_token)

    jwks = requests.get(base + "/.well-known/jwks.json").json()
    decoded = josejwt.decode(token["access_token"], KeySet.import_key_set(jwks), algorithms=["EdDSA"])
    check("joserfc verifies the JWT against the JWKS",
          decoded.claims["sub"] == client["client_id"] and decoded.claims["tenant_id"] == tenant, decoded.claims)

    header = pyjwt.get_unverified_header(token["access_token"])
    jwk = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    public = pyjwt.PyJWK(jwk)
    claims = pyjwt.decode(token["access_token"], public.key, algorithms=["EdDSA"], audience=base)
    check("PyJWT verifies the JWT (whole-second exp)", isinstance(claims["exp"], int), claims)

    whoami = requests.get(base + "/api/v1/auth/whoami", headers={"Authorization": f"Bearer {token['access_token']}"})
    check("the client's token authenticates", whoami.status_code == 200 and whoami.json()["type"] == "oauth_client",
          whoami.text)

    external = pyjwt.encode({"iss": "https://interop.example", "sub": "alice", "aud": "gatehouse",
                             "exp": int(time.time()) + 300, "tenant_id": tenant, "roles": ["viewer"],
                             "permissions": ["llm"]}, idp_key, algorithm="EdDSA", headers={"kid": "interop-1"})
    accepted = requests.get(base + "/api/v1/auth/whoami", headers={"Authorization": f"Bearer {external}"})
    check("a PyJWT token of an external issuer is accepted",
          accepted.status_code == 200 and accepted.json()["type"] == "external", accepted.text)

    vault = base + f"/api/v1/vault/tenants/{tenant}/credentials"
    stored = requests.post(vault, headers=auth, json={"integration_id": "crm", "name": "CRM", "auth_type": "bearer_token",
                                                       "data": {"token": "sealed-by-gatehouse"}}).json()
    master = base64.b64decode(open(os.path.join(work, "gatehouse-data", "master.key")).read().strip())
    database = sqlite3.connect(os.path.join(work, "gatehouse-data", "gatehouse.sqlite"), timeout=10)
    wrapped, version = database.execute(
        "SELECT wrapped_key, version FROM vault_keys WHERE tenant_id = ? AND retired_at IS NULL", (tenant,)).fetchone()
    wrapped = base64.b64decode(wrapped)
    kek = hkdf(master, None, b"gatehouse/vault-dek")
    dek = AESGCM(kek).decrypt(wrapped[:12], wrapped[12:], f"dek:{tenant}:{version}".encode())
    (ciphertext,) = database.execute("SELECT ciphertext FROM vault_credentials WHERE id = ?", (stored["id"],)).fetchone()
    binding = vault_binding(tenant, stored["id"], "bearer_token", version)
    opened = json.loads(vault_open(base64.b64decode(ciphertext), dek, binding))
    check("cryptography opens a secret Gatehouse sealed", opened == {"token": "sealed-by-gatehouse"}, opened)

    ours = vault_seal(json.dumps({"token": "sealed-by-python"}).encode(), dek, binding)
    database.execute("UPDATE vault_credentials SET ciphertext = ? WHERE id = ?", (base64.b64encode(ours).decode(), stored["id"]))
    database.commit()
    revealed = requests.get(vault + "/crm", headers=auth).json()
    check("Gatehouse reveals a secret cryptography sealed",
          revealed["data"][0]["data"] == {"token": "sealed-by-python"}, revealed)
    database.execute("UPDATE vault_credentials SET ciphertext = ? WHERE id = ?",
                     (base64.b64encode(vault_seal(b'{"token":"x"}', dek, vault_binding(tenant, stored["id"], "jwt", version))).decode(),
                      stored["id"]))
    database.commit()
    refused = requests.get(vault + "/crm", headers=auth)
    check("a ciphertext bound to another auth type is refused", refused.status_code == 500 and "x" not in refused.json()
          .get("data", []), refused.text)
    database.close()
finally:
    server.terminate()
    server.wait(timeout=15)

checks.finish("interop")
