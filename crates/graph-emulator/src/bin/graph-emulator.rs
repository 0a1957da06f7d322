//! `graph-emulator`: the Microsoft Graph beta emulator as a standalone server.
//!
//! ```text
//! graph-emulator [--port PORT] [--seed FILE] [--spec FILE] [--strict-auth] [--https]
//!                [--approve-as USER] [--throttling small|medium|large[:SCALE]]
//! ```
//!
//! Prints `graph-emulator listening on http://127.0.0.1:PORT/beta` once it serves, then its
//! identity provider's authority, discovery document and device-login page, and stops cleanly on
//! Ctrl-C (SIGINT). A device-code sign-in is finished by a person at the `/devicelogin` page, a
//! browser sign-in at the authorization page, or either by nobody with `--approve-as USER`
//! (every sign-in is approved as that seeded user).

use std::process::ExitCode;

use graph_emulator::{Emulator, Seed, Throttling};

const USAGE: &str = "\
usage: graph-emulator [--port PORT] [--seed FILE] [--spec FILE] [--strict-auth] [--https]
                      [--approve-as USER] [--throttling small|medium|large[:SCALE]]

Serves the Microsoft Graph beta operations of graph-beta-rs's OpenAPI slice on 127.0.0.1.

  --port PORT     port to listen on (default 0: any free port)
  --seed FILE     JSON seed file describing the tenant (users, agentIdentities,
                  servicePrincipals, groups, limitedMode) and its app
                  registrations (apps: clientId, secrets, certificates as PEM
                  or base64 DER, appRoles, ...) for the identity provider
  --spec FILE     OpenAPI YAML to serve instead of the embedded slice
  --strict-auth   refuse bearer tokens that are not JWTs (by default an opaque
                  token is all-powerful); JWTs are checked either way
  --https         serve HTTPS with the built-in test certificate (its CA is
                  crates/graph-emulator/tls/test-ca.pem; never trust it elsewhere)
  --approve-as USER
                  approve every device-code and browser sign-in as this seeded
                  user (an id) as soon as it starts; without it, a person
                  approves each one at the /devicelogin or authorization page
  --throttling small|medium|large[:SCALE]
                  throttle like Microsoft Entra for a tenant of this size
                  (3,500 / 5,000 / 8,000 resource units per 10 s per app and
                  tenant, 3,000 writes per 150 s, ...), on a clock SCALE times
                  faster than real time (default 1); off by default
  -h, --help      print this help
";

struct Options {
    port: u16,
    seed: Option<String>,
    spec: Option<String>,
    strict: bool,
    https: bool,
    approve_as: Option<String>,
    throttling: Option<Throttling>,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Option<Options>, String> {
    let mut options = Options {
        port: 0,
        seed: None,
        spec: None,
        strict: false,
        https: false,
        approve_as: None,
        throttling: None,
    };
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_owned(), Some(value.to_owned()))
            }
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--port" => {
                let v = value("--port")?;
                options.port = v.parse().map_err(|_| format!("invalid port {v:?}"))?;
            }
            "--seed" => options.seed = Some(value("--seed")?),
            "--spec" => options.spec = Some(value("--spec")?),
            "--strict-auth" => options.strict = true,
            "--https" => options.https = true,
            "--approve-as" => options.approve_as = Some(value("--approve-as")?),
            "--throttling" => {
                let v = value("--throttling")?;
                options.throttling = Some(v.parse().map_err(|e| format!("{e}"))?);
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Some(options))
}

#[tokio::main]
async fn main() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(Some(options)) => options,
        Ok(None) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprint!("graph-emulator: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(options).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

/// A future that resolves on Ctrl-C (SIGINT), already listening when this returns.
#[cfg(unix)]
fn interrupted() -> Result<impl std::future::Future<Output = ()>, String> {
    let mut signal = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
        .map_err(|e| format!("graph-emulator: cannot wait for Ctrl-C: {e}"))?;
    Ok(async move {
        signal.recv().await;
    })
}

/// A future that resolves on Ctrl-C.
#[cfg(not(unix))]
fn interrupted() -> Result<impl std::future::Future<Output = ()>, String> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

async fn run(options: Options) -> Result<(), String> {
    // Nothing reads the request log of this process: keeping it would only grow its memory.
    let mut builder = Emulator::builder().port(options.port).without_request_log();
    if let Some(path) = &options.seed {
        builder = builder.seed(Seed::from_file(path).map_err(|e| e.to_string())?);
    }
    if let Some(path) = &options.spec {
        let yaml = std::fs::read_to_string(path)
            .map_err(|e| format!("graph-emulator: cannot read {path}: {e}"))?;
        builder = builder.spec_yaml(yaml);
    }
    if options.strict {
        builder = builder.strict_auth();
    }
    if options.https {
        builder = builder.https();
    }
    if let Some(user) = &options.approve_as {
        builder = builder.approve_device_codes_as(user);
    }
    if let Some(throttling) = options.throttling {
        builder = builder.throttling(throttling);
    }
    let graph = builder.start().await.map_err(|e| e.to_string())?;
    // Listen for Ctrl-C before saying we serve, so that a signal sent right after the first
    // line is never missed.
    let stop = interrupted()?;
    // One write, and no panic if whoever started us stopped reading.
    let authority = format!(
        "{}/{}",
        graph.authority_host(),
        graph_emulator::EMULATOR_TENANT
    );
    let approval = match &options.approve_as {
        Some(user) => format!("every device-code and browser sign-in is approved as {user}"),
        None => format!(
            "device-code sign-ins are approved at {}/devicelogin, browser sign-ins at the authorization page",
            graph.authority_host()
        ),
    };
    let banner = format!(
        "graph-emulator listening on {}\nidentity provider: {authority}/oauth2/v2.0/{{token,devicecode,authorize,logout}}\nOpenID configuration: {authority}/v2.0/.well-known/openid-configuration\n{approval}\n",
        graph.base_url(),
    );
    let mut stdout = std::io::stdout();
    let _ = std::io::Write::write_all(&mut stdout, banner.as_bytes());
    let _ = std::io::Write::flush(&mut stdout);
    stop.await;
    eprintln!("graph-emulator: shutting down");
    graph.shutdown().await;
    Ok(())
}
