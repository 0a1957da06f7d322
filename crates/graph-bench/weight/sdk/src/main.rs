//! Turns Copilot limited mode off through graph-beta: `weight-sdk SERVICE_ROOT TOKEN`.
use graph_beta::prelude::*;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let root = args.next().unwrap_or_else(|| "https://graph.microsoft.com/beta".into());
    let token = args.next().unwrap_or_default();
    let client = Client::builder(StaticToken::new(token)).service_root(root).build()?;
    let off = CopilotAdminLimitedMode { is_enabled_for_group: false.into(), group_id: Nullable::Null, ..Default::default() };
    let now = client.copilot().admin().settings().limited_mode().patch(&off).await?;
    println!("{:?}", now.is_enabled_for_group);
    Ok(())
}
