//! The graph-beta quickstart: `cargo run --example quickstart`.
//!
//! With no configuration it starts the embedded local Graph emulator on
//! 127.0.0.1, seeds a user, a group and an agent identity, and then walks
//! both resources' whole lifecycle through the SDK: lists the agent
//! identity's owners (none), adds the user, lists them again (one typed
//! user), adds the same user again (the typed 400 Graph gives), removes the
//! owner, lists once more (none), reads Copilot limited mode, turns it on for
//! the group and off again.
//!
//! Against real Microsoft Graph (or any other server):
//!
//! | variable | meaning |
//! | --- | --- |
//! | `GRAPH_ACCESS_TOKEN` | a delegated bearer token of a Global Administrator with `AgentIdentity.Read.All`, `AgentIdentity.ReadWrite.All` and `CopilotSettings-LimitedMode.ReadWrite` |
//! | `GRAPH_BASE_URL` | service root, default `https://graph.microsoft.com/beta` when a token is set |
//! | `AGENT_ID` | object id of an agent identity |
//! | `OWNER_ID` | object id of the user or service principal to add as owner |
//! | `GROUP_ID` | object id of the Entra group for limited mode |
//!
//! `GRAPH_BASE_URL` alone (no token) points the quickstart at another local
//! server, e.g. the standalone `graph-emulator` binary, with a placeholder token.

use std::process::ExitCode;

use graph_beta::prelude::*;
use graph_emulator::{Emulator, Seed};

const LOCAL_AGENT: &str = "8f4e7c2a-5d11-4c53-9a7e-0d3b6a1f2e90";
const LOCAL_OWNER: &str = "1511d5e7-c324-4362-ad4b-16c20076e5aa";
const LOCAL_GROUP: &str = "4c563cdf-0efa-44c5-a384-dbf57db277df";

struct Target {
    client: Client,
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
    env(name).ok_or_else(|| format!("{name} must be set when GRAPH_ACCESS_TOKEN or GRAPH_BASE_URL is"))
}

async fn target() -> Result<Target, String> {
    let token = env("GRAPH_ACCESS_TOKEN");
    let base_url = env("GRAPH_BASE_URL");
    if token.is_none() && base_url.is_none() {
        let emulator = Emulator::builder()
            .seed(
                Seed::new()
                    .add_user(graph_emulator::User {
                        id: LOCAL_OWNER.into(),
                        display_name: Some("Adele Vance".into()),
                        user_principal_name: Some("adele@contoso.example".into()),
                    })
                    .group(LOCAL_GROUP, "Copilot limited-mode pilot")
                    .agent_identity(LOCAL_AGENT, "Expense report agent"),
            )
            .start()
            .await
            .map_err(|e| format!("could not start the local emulator: {e}"))?;
        let client = Client::builder(StaticToken::new("quickstart-local-token"))
            .service_root(emulator.base_url())
            .build()
            .map_err(|e| e.to_string())?;
        return Ok(Target {
            client,
            agent_id: LOCAL_AGENT.into(),
            owner_id: LOCAL_OWNER.into(),
            group_id: LOCAL_GROUP.into(),
            description: format!("the embedded local Graph emulator at {}", emulator.base_url()),
            _emulator: Some(emulator),
        });
    }
    let mut builder = Client::builder(StaticToken::new(token.unwrap_or_else(|| "quickstart-local-token".into())));
    if let Some(url) = &base_url {
        builder = builder.service_root(url.clone());
    }
    let client = builder.build().map_err(|e| e.to_string())?;
    let description = client.core().service_root().to_owned();
    Ok(Target {
        client,
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
    format!("isEnabledForGroup = {enabled}, groupId = {}", text(&mode.group_id))
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
        AnyDirectoryObject::AgentIdentity(agent) => format!("agent identity {} ({})", owner.id().unwrap_or("?"), text(&agent.display_name)),
        AnyDirectoryObject::ServicePrincipal(sp) => format!("service principal {} ({})", owner.id().unwrap_or("?"), text(&sp.display_name)),
        other => format!("{} {}", other.odata_type().unwrap_or("directory object"), other.id().unwrap_or("?")),
    }
}

async fn list_owners(owners: &graph_beta::requests::ServicePrincipalsItemAgentIdentityOwnersRequestBuilder) -> Result<(), Error> {
    let listed = owners.get().select(["id", "displayName", "userPrincipalName"]).items().collect_all().await?;
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
        .client
        .service_principals()
        .by_service_principal_id(&t.agent_id)
        .agent_identity()
        .owners();

    println!("1. List the owners of agent identity {}", t.agent_id);
    list_owners(&owners).await?;

    println!("2. Add {} as an owner", t.owner_id);
    let reference = ReferenceCreate::directory_object(&t.client, &t.owner_id)?;
    println!("   POST …/owners/$ref with @odata.id = {}", reference.odata_id.as_deref().unwrap_or(""));
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
    owners.by_directory_object_id(&t.owner_id).ref_().delete().await?;
    println!("   204 No Content: owner removed");

    println!("6. List once more");
    list_owners(&owners).await?;

    let limited_mode = t.client.copilot().admin().settings().limited_mode();
    println!("7. Read Copilot limited mode");
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
