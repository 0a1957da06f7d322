"""Microsoft's official Python Graph SDKs against the graph-emulator, signed in by azure-identity.

Run by the Rust test `tests/it/graph_sdks.rs`, which starts an emulator over HTTPS with the test
CA (device codes approved up front, as `--approve-as USER` does), writes a JSON description of
it and runs `$GRAPH_EMULATOR_PYTHON graph_sdks.py CONFIG.json`. The SDKs are set up as their
documentation says for a service root other than graph.microsoft.com: an HTTP client that trusts
the test CA, the emulator's host among the authentication provider's allowed hosts, and the
request adapter's base URL. Nothing is patched.

- `msgraph-beta-sdk` (Microsoft Graph beta): an app signs in with a client secret
  (`ClientSecretCredential`) and manages an agent identity's owners: it adds one by reference,
  lists them with the SDK's `PageIterator` across several pages (`$top=2`, next links followed by
  the SDK), and removes one. The SDK has no request builder for the `microsoft.graph.agentIdentity`
  cast, so the cast's URL is given to the owners builders with `with_url`, the SDK's own way to
  reach a URL it does not generate.
- `microsoft-agents-m365copilot-beta` (the Copilot APIs): a person signs in by device code
  (`DeviceCodeCredential`) and does a read-modify-write of Copilot limited mode: GET, change
  the model the GET gave, PATCH it back (the model carries what the GET answered, its
  `@odata.context` included), GET again.
"""

import json
import ssl
import sys
from urllib.parse import urlparse

import httpx
from azure.identity import ClientSecretCredential, DeviceCodeCredential
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)
from msgraph_beta import GraphRequestAdapter, GraphServiceClient
from msgraph_beta.generated.models.directory_object import DirectoryObject
from msgraph_beta.generated.models.reference_create import ReferenceCreate
from msgraph_core import GraphClientFactory, PageIterator

from microsoft_agents_m365copilot_beta import (
    AgentsM365CopilotBetaRequestAdapter,
    AgentsM365CopilotBetaServiceClient,
)
from microsoft_agents_m365copilot_core import MicrosoftAgentsM365CopilotClientFactory
from microsoft_agents_m365copilot_beta.generated.models.copilot_admin_limited_mode import (
    CopilotAdminLimitedMode,
)

from checks import check, expect, run

CONFIG = json.load(open(sys.argv[1], encoding="utf-8"))
HOST = CONFIG["authority_host"]  # https://127.0.0.1:PORT
TENANT = CONFIG["tenant"]
GRAPH = CONFIG["base_url"]  # https://127.0.0.1:PORT/beta
AGENT = CONFIG["agent"]
OWNERS = CONFIG["owners"]  # the agent's owners in the seed
NEW_OWNER = CONFIG["new_owner"]
GRAPH_DEFAULT = "https://graph.microsoft.com/.default"
LIMITED_MODE = "https://graph.microsoft.com/CopilotSettings-LimitedMode.ReadWrite"


def trusting_client():
    """An httpx client that trusts the emulator's test CA."""
    context = ssl.create_default_context(cafile=CONFIG["ca_file"])
    return httpx.AsyncClient(verify=context, timeout=30)


def auth_provider(credential, scopes):
    # The SDK attaches tokens only for hosts it is told about (graph.microsoft.com and the
    # national clouds by default).
    return AzureIdentityAuthenticationProvider(
        credential, scopes=scopes, allowed_hosts=[urlparse(HOST).hostname]
    )


def graph_client():
    credential = ClientSecretCredential(
        TENANT,
        CONFIG["confidential_client_id"],
        CONFIG["secret"],
        authority=HOST,
        disable_instance_discovery=True,
    )
    http = GraphClientFactory.create_with_default_middleware(client=trusting_client())
    adapter = GraphRequestAdapter(auth_provider(credential, [GRAPH_DEFAULT]), http)
    adapter.base_url = GRAPH
    return GraphServiceClient(request_adapter=adapter)


def cast_owners_url(agent):
    return f"{GRAPH}/servicePrincipals/{agent}/microsoft.graph.agentIdentity/owners"


def owners_of(client, agent, query=""):
    """The owners builder, sent to the agent identity cast (`…/microsoft.graph.agentIdentity/owners`).
    A builder made `with_url` sends that URL as it is (neither a request configuration's query
    parameters nor the builders below it see it), so the query goes into the URL."""
    builder = client.service_principals.by_service_principal_id(agent).owners
    return builder.with_url(cast_owners_url(agent) + query)


def owner_refs_of(client, agent):
    """`…/owners/$ref` of the cast: add an owner by reference."""
    builder = client.service_principals.by_service_principal_id(agent).owners.ref
    return builder.with_url(cast_owners_url(agent) + "/$ref")


def owner_ref(client, agent, owner):
    """`…/owners/{id}/$ref` of the cast: remove one owner."""
    owners = client.service_principals.by_service_principal_id(agent).owners
    return owners.by_directory_object_id(owner).ref.with_url(
        f"{cast_owners_url(agent)}/{owner}/$ref"
    )


async def all_owner_ids(client):
    """Every owner's id, two to a page, through the SDK's PageIterator (which follows the next
    links; the Rust test counts the pages the emulator served)."""
    first = await owners_of(client, AGENT, "?$top=2").get()
    expect(
        len(first.value) == 2 and first.odata_next_link is not None,
        f"$top=2 of five or six owners: {len(first.value)} owners, next link {first.odata_next_link}",
    )
    ids = []

    def collect(item):
        expect(isinstance(item, DirectoryObject), type(item))
        ids.append(item.id)
        return True

    await PageIterator(first, client.request_adapter).iterate(collect)
    return ids


@check
async def msgraph_beta_sdk_owners():
    client = graph_client()
    before = await all_owner_ids(client)
    expect(sorted(before) == sorted(OWNERS), f"listed {before}, seeded {OWNERS}")

    reference = ReferenceCreate(odata_id=f"{GRAPH}/directoryObjects/{NEW_OWNER}")
    await owner_refs_of(client, AGENT).post(reference)
    after = await all_owner_ids(client)
    expect(sorted(after) == sorted(OWNERS + [NEW_OWNER]), f"after the add: {after}")

    await owner_ref(client, AGENT, NEW_OWNER).delete()
    removed = await all_owner_ids(client)
    expect(sorted(removed) == sorted(OWNERS), f"after the removal: {removed}")


@check
async def m365copilot_beta_sdk_limited_mode_read_modify_write():
    prompts = []
    credential = DeviceCodeCredential(
        client_id=CONFIG["public_client_id"],
        tenant_id=TENANT,
        authority=HOST,
        disable_instance_discovery=True,
        # Approved up front by the emulator; a person would enter the code at the page.
        prompt_callback=lambda uri, code, expires: prompts.append(code),
    )
    http = MicrosoftAgentsM365CopilotClientFactory.create_with_default_middleware(
        client=trusting_client()
    )
    adapter = AgentsM365CopilotBetaRequestAdapter(auth_provider(credential, [LIMITED_MODE]), http)
    adapter.base_url = GRAPH
    client = AgentsM365CopilotBetaServiceClient(request_adapter=adapter)
    limited_mode = client.copilot.admin.settings.limited_mode

    current = await limited_mode.get()
    expect(isinstance(current, CopilotAdminLimitedMode), type(current))
    expect(len(prompts) == 1, prompts)
    # The model keeps what the GET answered that it has no field for (@odata.context).
    expect("@odata.context" in (current.additional_data or {}), current.additional_data)
    current.is_enabled_for_group = not bool(current.is_enabled_for_group)
    if current.is_enabled_for_group:
        current.group_id = CONFIG["group"]
    changed = await limited_mode.patch(current)
    expect(changed.is_enabled_for_group == current.is_enabled_for_group, changed)
    again = await limited_mode.get()
    expect(again.is_enabled_for_group == current.is_enabled_for_group, again)
    expect(again.group_id == current.group_id, again)
    expect(len(prompts) == 1, "one sign-in for the three calls")


if __name__ == "__main__":
    sys.exit(
        run("graph_sdks", ["msgraph-beta-sdk", "microsoft-agents-m365copilot-beta", "azure-identity"])
    )
