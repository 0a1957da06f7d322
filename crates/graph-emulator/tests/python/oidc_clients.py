"""Microsoft's own identity libraries against the graph-emulator's identity provider.

Run by the Rust test `tests/it/oidc_clients.rs`, which starts an emulator over HTTPS with the
test CA, writes a JSON description of it, and runs
`$GRAPH_EMULATOR_PYTHON oidc_clients.py CONFIG.json` with REQUESTS_CA_BUNDLE and SSL_CERT_FILE
naming the test CA. The libraries are used as their documentation says, unmodified and
unpatched; this script only configures them.

One configuration needs saying: both libraries are told not to do *instance discovery*
(`instance_discovery=False` for msal, `disable_instance_discovery=True` for azure-identity).
For an authority host it does not know, msal (1.39.0, `msal/authority.py`,
`_get_instance_discovery_endpoint`) sends instance discovery to the public cloud,
`https://login.microsoftonline.com/common/discovery/instance`, whatever the authority: no
identity provider other than Microsoft's public cloud can answer it, be it this emulator, an
Azure Stack or a national cloud msal does not list. Both libraries document turning it off
for exactly such authorities ("private clouds or Azure Stack"), and msal's documentation shows
the pattern used here, `instance_discovery=authority not in known_authorities`. It is
configuration of the client, not a workaround of the emulator: everything else (OpenID
discovery, tokens, device code, id_token, client_info, the token cache) goes through the
libraries' ordinary code paths against the emulator. The emulator does serve Entra's
instance-discovery answer too; `check_msal_instance_discovery` below has msal's own authority
code read it, through the endpoint override msal's Authority class takes.
"""

import html
import json
import re
import sys
import threading
from urllib.parse import parse_qsl, urljoin, urlparse
import webbrowser

import jwt  # PyJWT, msal's dependency: a strict, independent check of the id_token
import msal
import requests
from azure.identity import (
    ClientSecretCredential,
    DeviceCodeCredential,
    InteractiveBrowserCredential,
)

from checks import check, expect, run

CONFIG = json.load(open(sys.argv[1], encoding="utf-8"))
HOST = CONFIG["authority_host"]  # https://127.0.0.1:PORT
TENANT = CONFIG["tenant"]
AUTHORITY = f"{HOST}/{TENANT}"
GRAPH = CONFIG["base_url"]  # https://127.0.0.1:PORT/beta
USER = CONFIG["user"]
USER_UPN = CONFIG["user_principal_name"]
AGENT = CONFIG["agent"]
GRAPH_DEFAULT = "https://graph.microsoft.com/.default"
LIMITED_MODE = "https://graph.microsoft.com/CopilotSettings-LimitedMode.ReadWrite"
# msal's documented pattern: no instance discovery for authorities we know.
KNOWN_AUTHORITIES = frozenset([AUTHORITY])

def graph_get(path, token):
    return requests.get(
        f"{GRAPH}/{path}", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def approve_on_page(verification_uri, user_code):
    """What a person does: open the page, enter the code, pick the user, sign in. Against an
    emulator started with `--approve-as USER`, nobody needs to: every sign-in is approved."""
    if CONFIG.get("approved_up_front"):
        return
    page = requests.get(verification_uri, timeout=30)
    expect(page.status_code == 200, f"GET {verification_uri}: {page.status_code}")
    expect(f'value="{USER}"' in page.text, "the page offers the seeded user")
    answer = requests.post(
        verification_uri,
        data={"code": user_code, "user": USER, "action": "approve"},
        timeout=30,
    )
    expect(answer.status_code == 200, f"approving: {answer.status_code} {answer.text}")
    expect("Signed in" in answer.text, answer.text)


FORM = re.compile(r'<form method="post" action="([^"]*)">')
HIDDEN = re.compile(r'<input type="hidden" name="([^"]*)" value="([^"]*)">')


def sign_in_in_browser(auth_uri, follow_to_app=True):
    """What a person does in the browser: open the authorization URL, pick the user, accept;
    the browser then goes back to the app (a 302 to its loopback, or the form_post page's form).
    Against an emulator started with `--approve-as USER`, the first answer already goes back.
    With follow_to_app=False, the answer the app would have received is returned instead."""
    session = requests.Session()
    page = session.get(auth_uri, allow_redirects=False, timeout=30)
    if page.status_code == 200 and 'name="sign_in"' in page.text:
        expect(not CONFIG.get("approved_up_front"), "a page, though sign-ins are approved")
        expect(f'value="{USER}"' in page.text, "the page offers the seeded user")
        sign_in = dict(HIDDEN.findall(page.text))["sign_in"]
        action = html.unescape(FORM.search(page.text).group(1))
        page = session.post(
            urljoin(auth_uri, action),
            data={"sign_in": sign_in, "user": USER, "action": "accept"},
            allow_redirects=False,
            timeout=30,
        )
    if page.status_code == 302:
        location = page.headers["Location"]
        if not follow_to_app:
            return dict(parse_qsl(urlparse(location).query))
        landed = session.get(location, timeout=30)
    elif page.status_code == 200 and "document.forms[0].submit()" in page.text:
        fields = {html.unescape(n): html.unescape(v) for n, v in HIDDEN.findall(page.text)}
        if not follow_to_app:
            return fields
        landed = session.post(html.unescape(FORM.search(page.text).group(1)), data=fields,
                              timeout=30)
    else:
        raise AssertionError(f"the sign-in did not go back to the app: {page.status_code} "
                             f"{page.text[:300]}")
    expect(landed.status_code == 200, f"the app's loopback answered {landed.status_code}")
    return landed.status_code


class PersonAtTheBrowser(webbrowser.BaseBrowser):
    """The system browser as the libraries see it: `webbrowser.open(url)` hands it the
    authorization URL (registered with Python's `webbrowser`, as msal's documentation shows for
    a browser of one's choosing). It does what a person does there, in a thread of its own, so
    that the library's loopback server can receive the answer meanwhile."""

    def __init__(self):
        super().__init__("graph-emulator-person")
        self.visits = []
        self.problems = []
        self.threads = []

    def open(self, url, new=0, autoraise=True):
        def visit():
            try:
                sign_in_in_browser(url)
            except Exception as error:  # reported by the check that opened the browser
                self.problems.append(f"{type(error).__name__}: {error}")

        # Recorded at once: the library may have its answer (and return) before the browser
        # has read the loopback's reply.
        self.visits.append(url)
        thread = threading.Thread(target=visit, daemon=True)
        self.threads.append(thread)
        thread.start()
        return True

    def settle(self):
        """Waits for every visit to finish, so that its problems are known."""
        for thread in self.threads:
            thread.join(timeout=60)


PERSON = PersonAtTheBrowser()
webbrowser.register(PERSON.name, None, PERSON, preferred=True)


def verify_id_token(id_token, client_id):
    """Checks the id_token as a strict OpenID Connect relying party would: signature by a key
    of the provider's JWKS, RS256 only, issuer from discovery, audience = the client."""
    configuration = requests.get(
        f"{AUTHORITY}/v2.0/.well-known/openid-configuration", timeout=30
    ).json()
    signing_key = jwt.PyJWKClient(configuration["jwks_uri"]).get_signing_key_from_jwt(
        id_token
    )
    claims = jwt.decode(
        id_token,
        signing_key.key,
        algorithms=configuration["id_token_signing_alg_values_supported"],
        audience=client_id,
        issuer=configuration["issuer"],
        options={"require": ["exp", "iat", "iss", "aud", "sub"]},
    )
    expect(claims["oid"] == USER, claims)
    expect(claims["preferred_username"] == USER_UPN, claims)
    expect(claims["ver"] == "2.0", claims)
    # A tampered token is refused.
    header, payload, signature = id_token.split(".")
    forged = ".".join([header, payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB"), signature])
    try:
        jwt.decode(forged, signing_key.key, algorithms=["RS256"], audience=client_id)
    except jwt.InvalidTokenError:
        pass
    else:
        raise AssertionError("a forged id_token verified")
    return claims


@check
def msal_client_credentials():
    app = msal.ConfidentialClientApplication(
        CONFIG["confidential_client_id"],
        client_credential=CONFIG["secret"],
        authority=AUTHORITY,
        instance_discovery=AUTHORITY not in KNOWN_AUTHORITIES,
    )
    result = app.acquire_token_for_client(scopes=[GRAPH_DEFAULT])
    expect("access_token" in result, result)
    expect(result["token_source"] == "identity_provider", result)
    owners = graph_get(
        f"servicePrincipals/{AGENT}/microsoft.graph.agentIdentity/owners",
        result["access_token"],
    )
    expect(owners.status_code == 200, f"{owners.status_code} {owners.text}")
    expect(owners.json()["value"][0]["id"] == USER, owners.text)
    again = app.acquire_token_for_client(scopes=[GRAPH_DEFAULT])
    expect(again["token_source"] == "cache", again)
    # A wrong secret is refused with Entra's error, which msal passes on.
    wrong = msal.ConfidentialClientApplication(
        CONFIG["confidential_client_id"],
        client_credential="not-the-secret",
        authority=AUTHORITY,
        instance_discovery=False,
    ).acquire_token_for_client(scopes=[GRAPH_DEFAULT])
    expect(wrong.get("error") == "invalid_client", wrong)
    expect(7000215 in wrong.get("error_codes", []), wrong)


@check
def msal_device_code_then_silent():
    client_id = CONFIG["public_client_id"]
    app = msal.PublicClientApplication(
        client_id,
        authority=AUTHORITY,
        instance_discovery=AUTHORITY not in KNOWN_AUTHORITIES,
    )
    flow = app.initiate_device_flow(scopes=[LIMITED_MODE])
    expect("user_code" in flow, flow)
    expect(flow["verification_uri"] == f"{HOST}/devicelogin", flow)
    approve_on_page(flow["verification_uri"], flow["user_code"])
    result = app.acquire_token_by_device_flow(flow)
    expect("access_token" in result, result)
    expect("id_token" in result and "refresh_token" in result, sorted(result))
    claims = verify_id_token(result["id_token"], client_id)
    expect(result["id_token_claims"]["oid"] == claims["oid"], result["id_token_claims"])
    settings = graph_get("copilot/admin/settings/limitedMode", result["access_token"])
    expect(settings.status_code == 200, f"{settings.status_code} {settings.text}")

    # msal built its account from client_info and the id_token.
    accounts = app.get_accounts()
    expect(len(accounts) == 1, accounts)
    account = accounts[0]
    expect(account["username"] == USER_UPN, account)
    expect(account["home_account_id"] == f"{USER}.{CONFIG['tenant_id']}", account)
    silent = app.acquire_token_silent([LIMITED_MODE], account=account)
    expect(silent and silent["token_source"] == "cache", silent)
    expect(silent["access_token"] == result["access_token"], "the cached token")
    # Renewal by refresh token, through the same account.
    renewed = app.acquire_token_silent([LIMITED_MODE], account=account, force_refresh=True)
    expect(renewed and renewed["token_source"] == "identity_provider", renewed)
    expect(renewed["access_token"] != result["access_token"], "a new token")
    verify_id_token(renewed["id_token"], client_id)
    settings = graph_get("copilot/admin/settings/limitedMode", renewed["access_token"])
    expect(settings.status_code == 200, f"{settings.status_code} {settings.text}")


@check
def msal_unknown_tenant():
    try:
        msal.PublicClientApplication(
            CONFIG["public_client_id"],
            authority=f"{HOST}/contoso.onmicrosoft.com",
            instance_discovery=False,
        )
    except ValueError as error:
        # msal re-raises with its own text; Entra's answer is the cause it chains.
        cause = str(error.__context__)
        expect("invalid_tenant" in cause and "AADSTS90002" in cause, cause)
    else:
        raise AssertionError("an unknown tenant was accepted")


@check
def msal_instance_discovery():
    # msal's Authority takes an instance-discovery endpoint of the caller's choosing; given the
    # emulator's, msal's own code reads Entra's answer and follows its
    # tenant_discovery_endpoint.
    authority = msal.authority.Authority(
        AUTHORITY,
        requests.Session(),
        instance_discovery=f"{HOST}/common/discovery/instance",
    )
    expect(authority.token_endpoint == f"{HOST}/{CONFIG['tenant_id']}/oauth2/v2.0/token",
           authority.token_endpoint)
    expect(authority.device_authorization_endpoint
           == f"{HOST}/{CONFIG['tenant_id']}/oauth2/v2.0/devicecode",
           authority.device_authorization_endpoint)
    try:
        msal.authority.Authority(
            "https://login.contoso.test/common",
            requests.Session(),
            instance_discovery=f"{HOST}/common/discovery/instance",
        )
    except ValueError as error:
        expect("invalid_instance" in str(error), str(error))
    else:
        raise AssertionError("an unknown instance was accepted")


@check
def azure_identity_client_secret():
    credential = ClientSecretCredential(
        TENANT,
        CONFIG["confidential_client_id"],
        CONFIG["secret"],
        authority=HOST,
        disable_instance_discovery=True,
    )
    token = credential.get_token(GRAPH_DEFAULT)
    owners = graph_get(
        f"servicePrincipals/{AGENT}/microsoft.graph.agentIdentity/owners", token.token
    )
    expect(owners.status_code == 200, f"{owners.status_code} {owners.text}")


@check
def azure_identity_device_code():
    prompts = []

    def prompt(verification_uri, user_code, expires_on):
        prompts.append(user_code)
        approve_on_page(verification_uri, user_code)

    credential = DeviceCodeCredential(
        client_id=CONFIG["public_client_id"],
        tenant_id=TENANT,
        authority=HOST,
        disable_instance_discovery=True,
        prompt_callback=prompt,
    )
    record = credential.authenticate(scopes=[LIMITED_MODE])
    expect(len(prompts) == 1, prompts)
    expect(record.username == USER_UPN, record.username)
    expect(record.tenant_id == CONFIG["tenant_id"], record.tenant_id)
    expect(record.home_account_id == f"{USER}.{CONFIG['tenant_id']}", record.home_account_id)
    expect(record.authority == HOST.split("://", 1)[1], record.authority)
    expect(record.client_id == CONFIG["public_client_id"], record.client_id)
    # The record round-trips, as an app would keep it.
    expect(type(record).deserialize(record.serialize()).home_account_id == record.home_account_id,
           "AuthenticationRecord serialization")
    token = credential.get_token(LIMITED_MODE)
    expect(len(prompts) == 1, "get_token after authenticate() needs no second sign-in")
    settings = graph_get("copilot/admin/settings/limitedMode", token.token)
    expect(settings.status_code == 200, f"{settings.status_code} {settings.text}")


@check
def msal_interactive_browser():
    client_id = CONFIG["public_client_id"]
    app = msal.PublicClientApplication(
        client_id,
        authority=AUTHORITY,
        instance_discovery=AUTHORITY not in KNOWN_AUTHORITIES,
    )
    visits = len(PERSON.visits)
    # msal listens on http://localhost:{free port}, opens the browser, checks state and nonce.
    result = app.acquire_token_interactive([LIMITED_MODE], timeout=60)
    PERSON.settle()
    expect(not PERSON.problems, PERSON.problems)
    expect("access_token" in result, result)
    expect(len(PERSON.visits) == visits + 1, PERSON.visits)
    auth_uri = dict(parse_qsl(urlparse(PERSON.visits[-1]).query))
    expect(auth_uri.get("code_challenge_method") == "S256", auth_uri)
    expect(auth_uri.get("redirect_uri", "").startswith("http://localhost:"), auth_uri)
    claims = verify_id_token(result["id_token"], client_id)
    expect(claims.get("nonce") == auth_uri.get("nonce"), claims)
    settings = graph_get("copilot/admin/settings/limitedMode", result["access_token"])
    expect(settings.status_code == 200, f"{settings.status_code} {settings.text}")
    accounts = app.get_accounts()
    expect([a["username"] for a in accounts] == [USER_UPN], accounts)
    silent = app.acquire_token_silent([LIMITED_MODE], account=accounts[0], force_refresh=True)
    expect(silent and silent["token_source"] == "identity_provider", silent)


@check
def msal_auth_code_flow_refuses_a_wrong_verifier():
    app = msal.PublicClientApplication(
        CONFIG["public_client_id"],
        authority=AUTHORITY,
        instance_discovery=AUTHORITY not in KNOWN_AUTHORITIES,
    )
    flow = app.initiate_auth_code_flow([LIMITED_MODE], redirect_uri="http://localhost:8399")
    answer = sign_in_in_browser(flow["auth_uri"], follow_to_app=False)
    expect(answer.get("state") == flow["state"] and "code" in answer, answer)
    right = flow["code_verifier"]
    refused = app.acquire_token_by_auth_code_flow(dict(flow, code_verifier="x" * 43), answer)
    expect(refused.get("error") == "invalid_grant", refused)
    expect(501481 in refused.get("error_codes", []), refused)
    # The code was used up by that attempt: the right verifier comes too late.
    again = app.acquire_token_by_auth_code_flow(dict(flow, code_verifier=right), answer)
    expect(again.get("error") == "invalid_grant", again)
    expect(54005 in again.get("error_codes", []), again)


@check
def azure_identity_interactive_browser():
    visits = len(PERSON.visits)
    credential = InteractiveBrowserCredential(
        client_id=CONFIG["public_client_id"],
        tenant_id=TENANT,
        authority=HOST,
        disable_instance_discovery=True,
        timeout=60,
    )
    # azure-identity asks for response_mode=form_post: the emulator's page posts the answer.
    record = credential.authenticate(scopes=[LIMITED_MODE])
    PERSON.settle()
    expect(not PERSON.problems, PERSON.problems)
    expect(len(PERSON.visits) == visits + 1, PERSON.visits)
    auth_uri = dict(parse_qsl(urlparse(PERSON.visits[-1]).query))
    expect(auth_uri.get("response_mode") == "form_post", auth_uri)
    expect(record.username == USER_UPN, record.username)
    expect(record.home_account_id == f"{USER}.{CONFIG['tenant_id']}", record.home_account_id)
    token = credential.get_token(LIMITED_MODE)
    expect(len(PERSON.visits) == visits + 1, "get_token after authenticate() opens no browser")
    settings = graph_get("copilot/admin/settings/limitedMode", token.token)
    expect(settings.status_code == 200, f"{settings.status_code} {settings.text}")


if __name__ == "__main__":
    sys.exit(run("oidc_clients", ["msal", "azure-identity", "PyJWT"]))
