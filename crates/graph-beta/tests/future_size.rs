//! The size of a call's future: what every in-flight call holds (and what `.await` on the
//! request boxes; `.send().await` keeps it inline). At concurrency 64 the SDK's future is the
//! largest state a call adds to the hand-written reqwest call, so it is held to a bound here
//! (docs/performance.md, "The send future").

use std::future::IntoFuture;

use graph_beta::prelude::*;

/// Upper bound on a call's future, in bytes. It was 4,056 before the send loop was split into
/// an attempt future and a plain decision function (docs/performance.md).
const BOUND: usize = 2048;

fn client() -> Client {
    Client::builder(StaticToken::new("token"))
        .service_root("http://127.0.0.1:9/beta")
        .build()
        .expect("client")
}

#[test]
fn every_operations_future_stays_small() {
    let client = client();
    let owners = client
        .service_principals()
        .by_service_principal_id("8f4e7c2a-5d11-4c53-9a7e-0d3b6a1f2e90")
        .agent_identity()
        .owners();
    let limited_mode = client.copilot().admin().settings().limited_mode();
    let reference =
        ReferenceCreate::directory_object(&client, "1511d5e7-c324-4362-ad4b-16c20076e5aa")
            .expect("reference");
    let sizes = [
        (
            "add owner",
            size_of_val(&owners.ref_().post(&reference).send()),
        ),
        (
            "remove owner",
            size_of_val(&owners.by_directory_object_id("x").ref_().delete().send()),
        ),
        ("list owners", size_of_val(&owners.get().send())),
        ("get limited mode", size_of_val(&limited_mode.get().send())),
        (
            "patch limited mode",
            size_of_val(
                &limited_mode
                    .patch(&CopilotAdminLimitedMode::default())
                    .send(),
            ),
        ),
    ];
    for (operation, size) in sizes {
        println!("{operation}: {size} bytes");
        assert!(
            size <= BOUND,
            "{operation}: the send future is {size} bytes, over {BOUND}"
        );
    }
    // `.await` boxes that same future: the box is a pointer and a vtable.
    assert_eq!(size_of_val(&limited_mode.get().into_future()), 16);
}
