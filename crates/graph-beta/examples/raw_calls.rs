//! A call outside the slice, through the SDK's own pipeline: resolve a user principal name to an
//! object id with `GET /users/{upn}` (a raw call), then add that user as an owner of an agent
//! identity (a generated operation) and list the owners.
//!
//! ```text
//! cargo run -p graph-beta --example raw_calls
//! ```
//!
//! It runs against the embedded emulator, started with the slice plus Graph's `GET
//! /users/{user-id}` route (the emulator serves whatever its spec describes, and reads a user's
//! key as an id or a user principal name, as Graph does). Against Graph itself the two calls are
//! the same; only the client's credential and service root change.

use std::process::ExitCode;

use graph_beta::prelude::*;
use graph_beta::runtime::HttpMethod;
use graph_emulator::{DEFAULT_SPEC, Emulator, Seed};

const AGENT_ID: &str = "7c1e7e55-3b7a-4f6e-9d3e-0a9c8b7d6e5f";
const UPN: &str = "AdeleV@contoso.com";

/// Graph's `GET /users/{user-id}`, as Microsoft's description writes it, added to the slice for
/// the emulator: a route the SDK does not generate.
const GET_USER: &str = "  '/users/{user-id}':
    get:
      summary: Get user
      operationId: users.user.GetUser
      parameters:
        - name: user-id
          in: path
          description: The unique identifier of user
          required: true
          schema:
            type: string
          x-ms-docs-key-type: user
        - name: $select
          in: query
          description: Select properties to be returned
          style: form
          explode: false
          schema:
            uniqueItems: true
            type: array
            items:
              type: string
      responses:
        2XX:
          description: Retrieved entity
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/microsoft.graph.user'
        4XX:
          $ref: '#/components/responses/error'
        5XX:
          $ref: '#/components/responses/error'
";

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let graph = Emulator::builder()
        .spec_yaml(DEFAULT_SPEC.replacen("paths:\n", &format!("paths:\n{GET_USER}"), 1))
        .seed(
            Seed::new()
                .add_user(
                    graph_emulator::User::new("1511d5e7-c324-4362-ad4b-16c20076e5aa")
                        .display_name("Adele Vance")
                        .user_principal_name(UPN),
                )
                .agent_identity(AGENT_ID, "Expense agent"),
        )
        .start()
        .await?;
    // The emulator accepts any bearer token unless started with strict auth.
    let client = Client::builder(StaticToken::new("local-emulator"))
        .service_root(graph.base_url())
        .build()?;

    // 1. Outside the slice: same credential, retries, errors and tracing as a generated call.
    let user: User = client
        .raw(HttpMethod::Get, "/users/{}", [UPN])
        .query_list("$select", ["id", "displayName", "userPrincipalName"])
        .await?;
    let user_id = user.id.ok_or("the user has no id")?;
    println!(
        "{UPN} is {user_id} ({})",
        user.display_name.as_deref().unwrap_or("-")
    );

    // 2. Inside it: add the user as an owner, then list the owners.
    let owners = client
        .service_principals()
        .by_service_principal_id(AGENT_ID)
        .agent_identity()
        .owners();
    owners
        .ref_()
        .post(&ReferenceCreate::directory_object(&client, &user_id)?)
        .await?;
    let mut all = owners.get().items();
    while let Some(owner) = all.next().await {
        let owner = owner?;
        println!(
            "owner: {} {}",
            owner.odata_type().unwrap_or("object"),
            owner.id().unwrap_or("?")
        );
    }

    // A mistake in a raw call is a typed error, before anything is sent.
    let refused = client
        .raw::<serde_json::Value>(HttpMethod::Get, "https://example.com/users/{}", [UPN])
        .await;
    println!("an absolute URL is refused: {}", refused.is_err());
    graph.shutdown().await;
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
