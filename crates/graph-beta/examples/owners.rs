//! Manages the owners of an agent identity: list them, add one if it is absent, list again
//! (typed: users, service principals, agent identities), then remove it.
//!
//! ```text
//! GRAPH_ACCESS_TOKEN=eyJ... AGENT_ID=<agent identity object id> OWNER_ID=<user or service principal id> \
//!     cargo run -p graph-beta --example owners
//! ```
//!
//! `GRAPH_BASE_URL` optionally replaces the service root (default: the global cloud,
//! `https://graph.microsoft.com/beta`), e.g. the standalone emulator's
//! `http://127.0.0.1:8080/beta`. The token needs `AgentIdentity.Read.All` to list and
//! `AgentIdentity.ReadWrite.All` to add and remove (delegated or application).

use std::process::ExitCode;

use graph_beta::prelude::*;

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn text(value: &Nullable<String>) -> &str {
    value.as_deref().unwrap_or("-")
}

/// Prints every owner and returns their ids.
async fn list(
    owners: &graph_beta::requests::service_principals::ServicePrincipalsItemAgentIdentityOwnersRequestBuilder,
) -> Result<Vec<String>, Error> {
    let mut ids = Vec::new();
    let mut stream = owners.get().items();
    while let Some(owner) = stream.next().await {
        let owner = owner?;
        match &owner {
            AnyDirectoryObject::User(u) => println!(
                "  user              {} {} <{}>",
                owner.id().unwrap_or("?"),
                text(&u.display_name),
                text(&u.user_principal_name)
            ),
            AnyDirectoryObject::AgentIdentity(a) => println!(
                "  agent identity    {} {}",
                owner.id().unwrap_or("?"),
                text(&a.display_name)
            ),
            AnyDirectoryObject::ServicePrincipal(s) => println!(
                "  service principal {} {} (app {})",
                owner.id().unwrap_or("?"),
                text(&s.display_name),
                text(&s.app_id)
            ),
            other => println!(
                "  {:<17} {}",
                other.odata_type().unwrap_or("object"),
                other.id().unwrap_or("?")
            ),
        }
        ids.extend(owner.id().map(str::to_owned));
    }
    if ids.is_empty() {
        println!("  (no owners)");
    }
    Ok(ids)
}

async fn run(client: &Client, agent_id: &str, owner_id: &str) -> Result<(), Error> {
    let owners = client
        .service_principals()
        .by_service_principal_id(agent_id)
        .agent_identity()
        .owners();
    println!("owners of {agent_id}:");
    let before = list(&owners).await?;
    if before.iter().any(|id| id.eq_ignore_ascii_case(owner_id)) {
        println!("{owner_id} is already an owner; nothing added");
    } else {
        owners
            .ref_()
            .post(&ReferenceCreate::directory_object(client, owner_id)?)
            .await?;
        println!("added {owner_id}");
    }
    println!("owners now:");
    list(&owners).await?;
    owners
        .by_directory_object_id(owner_id)
        .ref_()
        .delete()
        .await?;
    println!("removed {owner_id}");
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let (Some(token), Some(agent_id), Some(owner_id)) =
        (env("GRAPH_ACCESS_TOKEN"), env("AGENT_ID"), env("OWNER_ID"))
    else {
        eprintln!(
            "usage: GRAPH_ACCESS_TOKEN=... AGENT_ID=... OWNER_ID=... [GRAPH_BASE_URL=...] cargo run -p graph-beta --example owners"
        );
        return ExitCode::from(2);
    };
    let mut builder = Client::builder(StaticToken::new(token));
    if let Some(url) = env("GRAPH_BASE_URL") {
        builder = builder.service_root(url);
    }
    let client = match builder.build() {
        Ok(client) => client,
        Err(e) => {
            eprintln!("owners: {e}");
            return ExitCode::from(2);
        }
    };
    match run(&client, &agent_id, &owner_id).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("owners: {e}");
            ExitCode::FAILURE
        }
    }
}
