//! The graph-beta quickstart: `cargo run --example quickstart`.
//!
//! With no configuration it starts the embedded local Graph emulator on 127.0.0.1 (over HTTPS,
//! with a test CA this example trusts), seeds a user, an administrator, a group and an agent
//! identity, and signs in through the emulator's identity provider the way a real tool signs in
//! to Entra ID:
//!
//! * **app-only** for the owner operations: `azure_identity`'s client-secret credential
//!   (client credentials grant), through [`AzureIdentityOptions`];
//! * **delegated** for Copilot limited mode, which accepts only a signed-in administrator: a
//!   device-code sign-in ([`DeviceCodeCredential`]) whose prompt is printed as a real one is, and
//!   which the example then approves locally as the seeded administrator.
//!
//! Then it walks both resources' whole lifecycle through the SDK: lists the agent identity's
//! owners (none), adds the user, lists them again (one typed user), adds the same user again
//! (the typed 400 Graph gives), removes the owner, lists once more (none), reads Copilot limited
//! mode, turns it on for the group and off again.
//!
//! Against Entra ID and Microsoft Graph:
//!
//! | variable | meaning |
//! | --- | --- |
//! | `AZURE_TENANT_ID` | your tenant (id or domain) |
//! | `AZURE_CLIENT_ID` | an app registration |
//! | `AZURE_CLIENT_SECRET` | its client secret: app-only sign-in for the owner operations (the app needs the `AgentIdentity.ReadWrite.All` application permission). Without it, the owner operations use the device-code sign-in too |
//! | `DEVICE_CODE_CLIENT_ID` | the public-client app registration (“Allow public client flows”) with the delegated permissions `CopilotSettings-LimitedMode.ReadWrite` (and, without a secret, `AgentIdentity.ReadWrite.All`) that signs in a Global Administrator by device code; default `AZURE_CLIENT_ID` |
//! | `AGENT_ID` | object id of an agent identity |
//! | `OWNER_ID` | object id of the user or service principal to add as owner |
//! | `GROUP_ID` | object id of the Entra group for limited mode |
//!
//! Or bring a token: `GRAPH_ACCESS_TOKEN` (a delegated token with all three permissions) with
//! `AGENT_ID`, `OWNER_ID` and `GROUP_ID`. `GRAPH_BASE_URL` points the example at another
//! service root; alone (no token, no tenant) it targets another local server, such as the
//! standalone `graph-emulator` binary, with a placeholder token.

use std::process::ExitCode;
use std::sync::Arc;

use graph_beta::prelude::*;
// The two credentials come with graph-beta's `azure-identity` and `device-code` features, which
// this example's build turns on; `graph_beta::runtime` holds them either way.
use graph_beta::runtime::{AzureIdentityOptions, DeviceCodeCredential, reqwest};
use graph_emulator::{App, EMULATOR_TENANT, Emulator, Seed};

const LOCAL_AGENT: &str = "8f4e7c2a-5d11-4c53-9a7e-0d3b6a1f2e90";
const LOCAL_OWNER: &str = "1511d5e7-c324-4362-ad4b-16c20076e5aa";
const LOCAL_ADMIN: &str = "6e2a9d41-7b3c-4f80-a1d5-93c0b8e4f712";
const LOCAL_GROUP: &str = "4c563cdf-0efa-44c5-a384-dbf57db277df";
/// The emulated tenant's app registrations: a confidential app for the owner operations and a
/// public client for the administrator's device-code sign-in.
const LOCAL_APP: &str = "0b6f5e4d-3c2b-4a19-8f7e-6d5c4b3a2910";
const LOCAL_APP_SECRET: &str = "quickstart~local.emulator-secret";
const LOCAL_CLI: &str = "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d";

const OWNERS_READ: &str = "AgentIdentity.Read.All";
const OWNERS_WRITE: &str = "AgentIdentity.ReadWrite.All";
const LIMITED_MODE: &str = "CopilotSettings-LimitedMode.ReadWrite";

struct Target {
    /// Signed in for the owner operations (app-only when a secret is given).
    owners: Client,
    /// Signed in as an administrator for limited mode (delegated).
    settings: Client,
    agent_id: String,
    owner_id: String,
    group_id: String,
    /// Keeps the embedded emulator alive for the run (local mode only).
    _emulator: Option<Emulator>,
    description: String,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn required(name: &str) -> Result<String, String> {
    env(name).ok_or_else(|| {
        format!("{name} must be set when signing in to a real tenant or bringing a token")
    })
}

fn client(
    credential: impl Credential + 'static,
    base_url: Option<&str>,
    http: Option<&reqwest::Client>,
) -> Result<Client, String> {
    let mut builder = Client::builder(credential);
    if let Some(url) = base_url {
        builder = builder.service_root(url);
    }
    if let Some(http) = http {
        builder = builder.http_client(http.clone());
    }
    builder.build().map_err(|e| e.to_string())
}

/// The embedded emulator, and sign-ins at its identity provider.
async fn local() -> Result<Target, String> {
    let emulator = Emulator::builder()
        .https()
        .device_code_interval(1)
        .seed(
            Seed::new()
                .add_user(graph_emulator::User {
                    id: LOCAL_OWNER.into(),
                    display_name: Some("Adele Vance".into()),
                    user_principal_name: Some("adele@contoso.example".into()),
                })
                .add_user(graph_emulator::User {
                    id: LOCAL_ADMIN.into(),
                    display_name: Some("Megan Bowen (Global Administrator)".into()),
                    user_principal_name: Some("megan@contoso.example".into()),
                })
                .group(LOCAL_GROUP, "Copilot limited-mode pilot")
                .agent_identity(LOCAL_AGENT, "Expense report agent")
                .app(
                    App::confidential(LOCAL_APP, LOCAL_APP_SECRET, &[OWNERS_READ, OWNERS_WRITE])
                        .display_name("Owner sync"),
                )
                .app(App::public(LOCAL_CLI, &[LIMITED_MODE]).display_name("Copilot admin CLI")),
        )
        .start()
        .await
        .map_err(|e| format!("could not start the local emulator: {e}"))?;
    graph_beta::runtime::ensure_crypto_provider().map_err(|e| e.to_string())?;
    // Trust the emulator's test CA (as a real tool trusts the public CAs).
    let ca = reqwest::Certificate::from_pem(graph_emulator::tls::TEST_CA_PEM.as_bytes())
        .map_err(|e| e.to_string())?;
    let http = reqwest::Client::builder()
        .add_root_certificate(ca)
        .build()
        .map_err(|e| e.to_string())?;
    let authority = emulator.authority_host().to_owned();

    let app_only = AzureIdentityOptions::new(&Cloud::Global)
        .authority_host(&authority)
        .http_client(http.clone())
        .client_secret(EMULATOR_TENANT, LOCAL_APP, LOCAL_APP_SECRET)
        .map_err(|e| e.to_string())?;
    let identity = emulator.identity().clone();
    let admin = DeviceCodeCredential::builder(EMULATOR_TENANT, LOCAL_CLI)
        .authority_host(&authority)
        .http_client(http.clone())
        .scopes([LIMITED_MODE])
        .on_prompt(move |prompt| {
            println!("   sign-in: {}", prompt.message);
            match identity.approve(&prompt.user_code, LOCAL_ADMIN) {
                Ok(()) => println!(
                    "   (local emulator: code {} approved as Megan Bowen, an administrator)",
                    prompt.user_code
                ),
                Err(e) => println!("   (local emulator: could not approve: {e})"),
            }
        })
        .build()
        .map_err(|e| e.to_string())?;
    Ok(Target {
        owners: client(app_only, Some(emulator.base_url()), Some(&http))?,
        settings: client(admin, Some(emulator.base_url()), Some(&http))?,
        agent_id: LOCAL_AGENT.into(),
        owner_id: LOCAL_OWNER.into(),
        group_id: LOCAL_GROUP.into(),
        description: format!(
            "the embedded local Graph emulator at {} (identity provider {authority}/{EMULATOR_TENANT})",
            emulator.base_url()
        ),
        _emulator: Some(emulator),
    })
}

/// Entra ID: a client secret for the owner operations (if given), a device-code sign-in for
/// the rest.
fn entra(tenant: &str, base_url: Option<&str>) -> Result<Target, String> {
    let client_id = required("AZURE_CLIENT_ID")?;
    let secret = env("AZURE_CLIENT_SECRET");
    let device_client = env("DEVICE_CODE_CLIENT_ID").unwrap_or_else(|| client_id.clone());
    let mut scopes = vec![LIMITED_MODE];
    if secret.is_none() {
        scopes.extend([OWNERS_READ, OWNERS_WRITE]);
    }
    let admin = Arc::new(
        DeviceCodeCredential::builder(tenant, device_client)
            .scopes(scopes)
            .on_prompt(|prompt| println!("   sign-in: {}", prompt.message))
            .build()
            .map_err(|e| e.to_string())?,
    );
    let owners = match secret {
        Some(secret) => client(
            AzureIdentityOptions::new(&Cloud::Global)
                .client_secret(tenant, &client_id, secret)
                .map_err(|e| e.to_string())?,
            base_url,
            None,
        )?,
        None => client(Arc::clone(&admin), base_url, None)?,
    };
    let settings = client(admin, base_url, None)?;
    let description = format!(
        "{} (signed in to tenant {tenant})",
        settings.core().service_root()
    );
    Ok(Target {
        owners,
        settings,
        agent_id: required("AGENT_ID")?,
        owner_id: required("OWNER_ID")?,
        group_id: required("GROUP_ID")?,
        _emulator: None,
        description,
    })
}

async fn target() -> Result<Target, String> {
    let token = env("GRAPH_ACCESS_TOKEN");
    let base_url = env("GRAPH_BASE_URL");
    if let (Some(tenant), None) = (env("AZURE_TENANT_ID"), &token) {
        return entra(&tenant, base_url.as_deref());
    }
    if token.is_none() && base_url.is_none() {
        return local().await;
    }
    let credential = Arc::new(StaticToken::new(
        token.unwrap_or_else(|| "quickstart-local-token".into()),
    ));
    let owners = client(Arc::clone(&credential), base_url.as_deref(), None)?;
    let settings = client(credential, base_url.as_deref(), None)?;
    let description = owners.core().service_root().to_owned();
    Ok(Target {
        owners,
        settings,
        agent_id: required("AGENT_ID")?,
        owner_id: required("OWNER_ID")?,
        group_id: required("GROUP_ID")?,
        _emulator: None,
        description,
    })
}

fn text(value: &Nullable<String>) -> &str {
    match value {
        Nullable::Value(v) => v,
        Nullable::Null => "null",
        Nullable::Absent => "(not returned)",
    }
}

fn show(mode: &CopilotAdminLimitedMode) -> String {
    let enabled = match mode.is_enabled_for_group {
        Nullable::Value(v) => v.to_string(),
        Nullable::Null => "null".into(),
        Nullable::Absent => "(not returned)".into(),
    };
    format!(
        "isEnabledForGroup = {enabled}, groupId = {}",
        text(&mode.group_id)
    )
}

/// One line per owner, by type.
fn describe(owner: &AnyDirectoryObject) -> String {
    match owner {
        AnyDirectoryObject::User(user) => format!(
            "user {} ({}, {})",
            owner.id().unwrap_or("?"),
            text(&user.display_name),
            text(&user.user_principal_name)
        ),
        AnyDirectoryObject::AgentIdentity(agent) => format!(
            "agent identity {} ({})",
            owner.id().unwrap_or("?"),
            text(&agent.display_name)
        ),
        AnyDirectoryObject::ServicePrincipal(sp) => format!(
            "service principal {} ({})",
            owner.id().unwrap_or("?"),
            text(&sp.display_name)
        ),
        other => format!(
            "{} {}",
            other.odata_type().unwrap_or("directory object"),
            other.id().unwrap_or("?")
        ),
    }
}

async fn list_owners(
    owners: &graph_beta::requests::service_principals::ServicePrincipalsItemAgentIdentityOwnersRequestBuilder,
) -> Result<(), Error> {
    let listed = owners
        .get()
        .select(["id", "displayName", "userPrincipalName"])
        .items()
        .collect_all()
        .await?;
    if listed.is_empty() {
        println!("   200 OK: no owners");
    }
    for owner in &listed {
        println!("   200 OK: {}", describe(owner));
    }
    Ok(())
}

async fn run(t: &Target) -> Result<(), Error> {
    let owners = t
        .owners
        .service_principals()
        .by_service_principal_id(&t.agent_id)
        .agent_identity()
        .owners();

    println!("1. List the owners of agent identity {}", t.agent_id);
    list_owners(&owners).await?;

    println!("2. Add {} as an owner", t.owner_id);
    let reference = ReferenceCreate::directory_object(&t.owners, &t.owner_id)?;
    println!(
        "   POST …/owners/$ref with @odata.id = {}",
        reference.odata_id.as_deref().unwrap_or("")
    );
    owners.ref_().post(&reference).await?;
    println!("   204 No Content: owner added");

    println!("3. List them again: owners come back typed by @odata.type");
    list_owners(&owners).await?;

    println!("4. Add the same owner again: Graph refuses, and the SDK says why");
    match owners.ref_().post(&reference).await {
        Ok(()) => println!("   unexpectedly accepted"),
        Err(e) => match e.service() {
            Some(service) => println!(
                "   HTTP {}, code {}: {}",
                service.status,
                service.code().unwrap_or("(none)"),
                service.message().unwrap_or("(no message)")
            ),
            None => println!("   error: {e}"),
        },
    }

    println!("5. Remove the owner");
    owners
        .by_directory_object_id(&t.owner_id)
        .ref_()
        .delete()
        .await?;
    println!("   204 No Content: owner removed");

    println!("6. List once more");
    list_owners(&owners).await?;

    let limited_mode = t.settings.copilot().admin().settings().limited_mode();
    println!("7. Read Copilot limited mode (an administrator signs in)");
    let now = limited_mode.get().await?;
    println!("   200 OK: {}", show(&now));

    println!("8. Turn it on for group {}", t.group_id);
    let on = limited_mode
        .patch(&CopilotAdminLimitedMode {
            is_enabled_for_group: true.into(),
            group_id: Nullable::Value(t.group_id.clone()),
            ..Default::default()
        })
        .await?;
    println!("   200 OK: {}", show(&on));

    println!("9. Turn it off again (groupId sent as an explicit null)");
    let off = limited_mode
        .patch(&CopilotAdminLimitedMode {
            is_enabled_for_group: false.into(),
            group_id: Nullable::Null,
            ..Default::default()
        })
        .await?;
    println!("   200 OK: {}", show(&off));
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let target = match target().await {
        Ok(t) => t,
        Err(message) => {
            eprintln!("quickstart: {message}");
            return ExitCode::from(2);
        }
    };
    println!("graph-beta quickstart against {}\n", target.description);
    match run(&target).await {
        Ok(()) => {
            println!("\ndone");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("\nquickstart failed: {e}");
            ExitCode::FAILURE
        }
    }
}
