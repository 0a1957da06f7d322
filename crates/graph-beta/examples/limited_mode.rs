//! Turns Copilot limited mode (Teams meetings) on for a group, or off.
//!
//! `PATCH /copilot/admin/settings/limitedMode`
//!
//! ```text
//! # on for the members of a group
//! GRAPH_ACCESS_TOKEN=eyJ... GROUP_ID=<group id> cargo run -p graph-beta --example limited_mode -- on
//! # off: sends {"isEnabledForGroup": false, "groupId": null}
//! GRAPH_ACCESS_TOKEN=eyJ... cargo run -p graph-beta --example limited_mode -- off
//! ```
//!
//! `GRAPH_BASE_URL` optionally replaces the service root (default: the global cloud,
//! `https://graph.microsoft.com/beta`). The operation is only available in the global cloud;
//! it needs the delegated permission `CopilotSettings-LimitedMode.ReadWrite` and a signed-in
//! Global Administrator (application permissions are not supported).

use std::process::ExitCode;

use graph_beta::prelude::*;

const USAGE: &str = "usage: GRAPH_ACCESS_TOKEN=... [GROUP_ID=...] [GRAPH_BASE_URL=...] \
                     cargo run -p graph-beta --example limited_mode -- on|off";

#[tokio::main]
async fn main() -> ExitCode {
    let Some(token) = env("GRAPH_ACCESS_TOKEN") else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let body = match std::env::args().nth(1).as_deref().unwrap_or("on") {
        "on" => {
            let Some(group_id) = env("GROUP_ID") else {
                eprintln!("GROUP_ID is required to turn limited mode on\n{USAGE}");
                return ExitCode::from(2);
            };
            CopilotAdminLimitedMode {
                is_enabled_for_group: true.into(),
                group_id: Nullable::Value(group_id),
                ..Default::default()
            }
        }
        "off" => CopilotAdminLimitedMode {
            is_enabled_for_group: false.into(),
            // An explicit null clears the group; leaving it unset would not send it.
            group_id: Nullable::Null,
            ..Default::default()
        },
        other => {
            eprintln!("unknown mode {other:?}\n{USAGE}");
            return ExitCode::from(2);
        }
    };

    match run(token, &body).await {
        Ok(updated) => {
            println!("limited mode updated:");
            println!(
                "  isEnabledForGroup: {}",
                show(&updated.is_enabled_for_group)
            );
            println!("  groupId:           {}", show(&updated.group_id));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            if let Error::NotAvailableInCloud { .. } = e {
                eprintln!("hint: Copilot limited mode exists only in the global cloud");
            }
            ExitCode::FAILURE
        }
    }
}

async fn run(
    token: String,
    body: &CopilotAdminLimitedMode,
) -> Result<CopilotAdminLimitedMode, Error> {
    let mut builder = Client::builder(StaticToken::new(token));
    if let Some(root) = env("GRAPH_BASE_URL") {
        builder = builder.service_root(root);
    }
    let client = builder.build()?;
    println!(
        "PATCH {}/copilot/admin/settings/limitedMode",
        client.core().service_root()
    );
    client
        .copilot()
        .admin()
        .settings()
        .limited_mode()
        .patch(body)
        .await
}

/// `(not returned)`, `null` or the value.
fn show<T: std::fmt::Display>(value: &Nullable<T>) -> String {
    match value {
        Nullable::Absent => "(not returned)".to_owned(),
        Nullable::Null => "null".to_owned(),
        Nullable::Value(v) => v.to_string(),
    }
}

/// A non-empty environment variable.
fn env(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}
