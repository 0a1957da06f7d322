//! Adds an owner to an agent identity.
//!
//! `POST /servicePrincipals/{AGENT_ID}/microsoft.graph.agentIdentity/owners/$ref`
//!
//! ```text
//! GRAPH_ACCESS_TOKEN=eyJ... AGENT_ID=<agent identity object id> OWNER_ID=<user or service principal id> \
//!     cargo run -p graph-beta --example add_owner
//! ```
//!
//! `GRAPH_BASE_URL` optionally replaces the service root (default: the global cloud,
//! `https://graph.microsoft.com/beta`), e.g. `http://127.0.0.1:8080/beta` for a local server.
//! The token needs `AgentIdentity.ReadWrite.All` (delegated or application) or
//! `AgentIdentity.CreateAsManager` (application).

use std::process::ExitCode;

use graph_beta::prelude::*;

#[tokio::main]
async fn main() -> ExitCode {
    let (Some(token), Some(agent_id), Some(owner_id)) =
        (env("GRAPH_ACCESS_TOKEN"), env("AGENT_ID"), env("OWNER_ID"))
    else {
        eprintln!(
            "usage: GRAPH_ACCESS_TOKEN=... AGENT_ID=... OWNER_ID=... [GRAPH_BASE_URL=...] \
             cargo run -p graph-beta --example add_owner"
        );
        return ExitCode::from(2);
    };

    match run(token, &agent_id, &owner_id).await {
        Ok(()) => {
            println!("added {owner_id} as an owner of agent identity {agent_id}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            report(&e);
            ExitCode::FAILURE
        }
    }
}

async fn run(token: String, agent_id: &str, owner_id: &str) -> Result<(), Error> {
    let mut builder = Client::builder(StaticToken::new(token));
    if let Some(root) = env("GRAPH_BASE_URL") {
        builder = builder.service_root(root);
    }
    let client = builder.build()?;

    // Graph wants the owner as a full URL, not a bare id: build it for this client's cloud.
    let owner = ReferenceCreate::directory_object(&client, owner_id)?;
    println!(
        "owner reference: {}",
        owner.odata_id.as_deref().unwrap_or("")
    );

    client
        .service_principals()
        .by_service_principal_id(agent_id)
        .agent_identity()
        .owners()
        .ref_()
        .post(&owner)
        .await
}

/// Prints an error with the details that help when asking for support.
fn report(e: &Error) {
    eprintln!("error: {e}");
    if let Some(service) = e.service() {
        if service.status == 400 && service.code() == Some("Request_BadRequest") {
            eprintln!("hint: the owner may already be an owner of this agent identity");
        }
        if service.status == 404 {
            eprintln!("hint: check that AGENT_ID is the object id of an agent identity");
        }
    }
}

/// A non-empty environment variable.
fn env(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}
