//! Turns Copilot limited mode off on bare reqwest: `weight-reqwest SERVICE_ROOT TOKEN`.
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Debug)]
struct LimitedMode {
    #[serde(rename = "isEnabledForGroup", skip_serializing_if = "Option::is_none")]
    is_enabled_for_group: Option<bool>,
    #[serde(rename = "groupId")]
    group_id: Option<String>,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut args = std::env::args().skip(1);
    let root = args.next().unwrap_or_else(|| "https://graph.microsoft.com/beta".into());
    let token = args.next().unwrap_or_default();
    let off = LimitedMode { is_enabled_for_group: Some(false), group_id: None };
    let now: LimitedMode = reqwest::Client::new()
        .patch(format!("{root}/copilot/admin/settings/limitedMode"))
        .bearer_auth(token)
        .json(&off)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    println!("{:?}", now.is_enabled_for_group);
    Ok(())
}
