//! `cargo xtask slice`: the committed slice is reproducible, slices of the
//! real upstream file are self-contained, and bad input gives errors that
//! name the selector, file or JSON pointer.

use std::path::Path;

use graph_slice::{self as slice, Overlay, Request};
use serde_json::{Value, json};

const APPLICATIONS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/upstream/msgraph-sdk-powershell.openApiDocs.beta.Applications.yml"
);

fn root() -> std::path::PathBuf {
    codegen::workspace::root()
}

fn committed_spec() -> String {
    std::fs::read_to_string(root().join(codegen::workspace::SPEC)).expect("spec")
}

fn request(keep: &[&str]) -> Request {
    Request {
        keep: keep.iter().map(|s| (*s).to_owned()).collect(),
        ..Request::default()
    }
}

fn overlay(name: &str, doc: Value) -> Overlay {
    Overlay {
        name: name.to_owned(),
        doc,
    }
}

/// Every `$ref` in `doc` resolves inside `doc`.
fn assert_self_contained(doc: &Value) {
    fn walk(v: &Value, doc: &Value) {
        match v {
            Value::Object(m) => {
                for (k, c) in m {
                    if k == "$ref" {
                        let r = c.as_str().expect("string ref");
                        let pointer = r.strip_prefix('#').expect("local ref");
                        assert!(doc.pointer(pointer).is_some(), "dangling {r}");
                    } else {
                        walk(c, doc);
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|c| walk(c, doc)),
            _ => {}
        }
    }
    walk(doc, doc);
}

/// A small upstream document: two paths, a base schema with a mapping,
/// schemas only one operation needs, and an unused tag.
fn upstream() -> Value {
    json!({
        "openapi": "3.0.4",
        "info": {"title": "Upstream", "version": "beta"},
        "servers": [{"url": "https://graph.microsoft.com/beta/"}],
        "paths": {
            "/things/{thing-id}": {
                "description": "things",
                "get": {
                    "tags": ["things.thing"],
                    "operationId": "things.GetThing",
                    "responses": {
                        "2XX": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/microsoft.graph.thing"}}}},
                        "4XX": {"$ref": "#/components/responses/error"}
                    }
                },
                "delete": {
                    "tags": ["things.thing"],
                    "operationId": "things.DeleteThing",
                    "parameters": [{"$ref": "#/components/parameters/ifMatch"}],
                    "responses": {"204": {"description": "ok"}}
                },
                "parameters": [{"name": "thing-id", "in": "path", "required": true, "schema": {"type": "string"}}]
            },
            "/widgets": {
                "get": {
                    "tags": ["widgets.widget"],
                    "operationId": "widgets.ListWidgets",
                    "responses": {"2XX": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/microsoft.graph.widget"}}}}}
                }
            }
        },
        "components": {
            "schemas": {
                "microsoft.graph.entity": {
                    "type": "object",
                    "properties": {"id": {"type": "string"}, "@odata.type": {"type": "string"}},
                    "discriminator": {
                        "propertyName": "@odata.type",
                        "mapping": {
                            "#microsoft.graph.thing": "#/components/schemas/microsoft.graph.thing",
                            "#microsoft.graph.widget": "#/components/schemas/microsoft.graph.widget"
                        }
                    }
                },
                "microsoft.graph.thing": {
                    "allOf": [{"$ref": "#/components/schemas/microsoft.graph.entity"}, {"type": "object", "properties": {"name": {"type": "string", "nullable": true}}}],
                    "x-ms-discriminator-value": "#microsoft.graph.thing"
                },
                "microsoft.graph.widget": {
                    "allOf": [{"$ref": "#/components/schemas/microsoft.graph.entity"}, {"type": "object", "properties": {"size": {"type": "integer"}}}]
                },
                "microsoft.graph.label": {"type": "object", "properties": {"text": {"type": "string"}}},
                "ODataError": {"type": "object", "properties": {"code": {"type": "string"}}}
            },
            "responses": {
                "error": {"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ODataError"}}}}
            },
            "parameters": {
                "ifMatch": {"name": "If-Match", "in": "header", "schema": {"type": "string"}}
            },
            "securitySchemes": {"azureaadv2": {"type": "oauth2", "flows": {}}}
        },
        "security": [{"azureaadv2": []}],
        "tags": [{"name": "things.thing"}, {"name": "widgets.widget"}, {"name": "unused.tag"}]
    })
}

// --- The committed slice -------------------------------------------------

#[test]
fn committed_slice_is_what_the_committed_config_cuts() {
    let out = slice::run_config(&root()).unwrap_or_else(|e| panic!("slicing failed: {e}"));
    assert_eq!(out.out, codegen::workspace::SPEC);
    assert!(
        out.text == committed_spec(),
        "{} is not what {} cuts; run `cargo xtask slice` then `cargo xtask codegen`",
        out.out,
        slice::CONFIG
    );
    // Same inputs, same bytes.
    let again = slice::run_config(&root()).expect("slice");
    assert_eq!(again.text, out.text);
}

#[test]
fn committed_slice_keeps_what_the_generator_relies_on() {
    let api = codegen::lower_spec(&committed_spec()).expect("lowers");
    assert!(api.diagnostics.is_empty(), "{:?}", api.diagnostics);
    let ids: Vec<&str> = api.operations.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "copilot.admin.settings.GetLimitedMode",
            "copilot.admin.settings.UpdateLimitedMode",
            "servicePrincipals.agentIdentity.ListOwners",
            "servicePrincipals.agentIdentity.CreateRefOwners",
            "servicePrincipals.agentIdentity.owners.DeleteRefDirectoryObject",
        ]
    );
    let op = |id: &str| {
        api.operations
            .iter()
            .find(|o| o.id == id)
            .expect("operation")
    };
    let patch = op("copilot.admin.settings.UpdateLimitedMode");
    assert_eq!(patch.tags, ["copilot.copilotAdmin"]);
    assert_eq!(
        patch.national_clouds.as_deref(),
        Some(&[codegen::ir::NationalCloud::Global][..])
    );
    let perms = patch.permissions.as_ref().expect("permissions");
    assert_eq!(
        perms.delegated_work_or_school,
        ["CopilotSettings-LimitedMode.ReadWrite"]
    );
    assert!(perms.application.is_empty());
    for id in [
        "servicePrincipals.agentIdentity.ListOwners",
        "servicePrincipals.agentIdentity.CreateRefOwners",
        "servicePrincipals.agentIdentity.owners.DeleteRefDirectoryObject",
    ] {
        let owners = op(id);
        assert!(owners.local_extension.is_some(), "{id}");
        assert_eq!(owners.tags, ["servicePrincipals.directoryObject"], "{id}");
        assert!(owners.permissions.is_some(), "{id}");
    }
    assert_eq!(
        op("servicePrincipals.agentIdentity.CreateRefOwners")
            .permissions
            .as_ref()
            .expect("permissions")
            .application,
        [
            "AgentIdentity.ReadWrite.All",
            "AgentIdentity.CreateAsManager"
        ]
    );
    let model = api.models.get("CopilotAdminLimitedMode").expect("model");
    let codegen::ir::ModelKind::Struct(s) = &model.kind else {
        panic!("not a struct")
    };
    assert_eq!(
        s.odata_type.as_deref(),
        Some("#microsoft.graph.copilotAdminLimitedMode")
    );
    for name in [
        "User",
        "ServicePrincipal",
        "AgentIdentity",
        "DirectoryObject",
        "DirectoryObjectCollectionResponse",
    ] {
        assert!(api.models.contains_key(name), "{name} missing");
    }
    let codegen::ir::ModelKind::Struct(user) = &api.models["User"].kind else {
        panic!("not a struct")
    };
    let fields: Vec<&str> = user.fields.iter().map(|f| f.json_name.as_str()).collect();
    for structural in ["id", "displayName", "userPrincipalName", "mail"] {
        assert!(
            fields.contains(&structural),
            "{structural} missing from User"
        );
    }
    for navigation in ["manager", "memberOf", "drive", "calendar"] {
        assert!(
            !fields.contains(&navigation),
            "navigation property {navigation} kept in User"
        );
    }
}

#[test]
fn committed_slice_drops_unselected_methods_and_prunes_the_entity_mapping() {
    let doc = slice::parse_yaml(&committed_spec(), "spec").expect("yaml");
    let item = &doc["paths"]["/copilot/admin/settings/limitedMode"];
    assert!(item.get("patch").is_some() && item.get("get").is_some());
    assert!(item.get("delete").is_none(), "{item}");
    assert!(
        doc["paths"]
            .get("/servicePrincipals/{servicePrincipal-id}/owners/$ref")
            .is_none()
    );
    assert!(
        doc["paths"]
            .get("/servicePrincipals/{servicePrincipal-id}/owners")
            .is_none()
    );
    let mapping =
        doc["components"]["schemas"]["microsoft.graph.entity"]["discriminator"]["mapping"]
            .as_object()
            .expect("mapping");
    let keys: Vec<&String> = mapping.keys().collect();
    assert_eq!(
        keys,
        [
            "#microsoft.graph.agentIdentity",
            "#microsoft.graph.copilotAdminLimitedMode",
            "#microsoft.graph.directoryObject",
            "#microsoft.graph.servicePrincipal",
            "#microsoft.graph.user"
        ]
    );
    let tags: Vec<&str> = doc["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert_eq!(
        tags,
        ["copilot.copilotAdmin", "servicePrincipals.directoryObject"]
    );
    assert_self_contained(&doc);

    let out = slice::run_config(&root()).expect("slice");
    assert_eq!(out.summary.discriminator_entries_pruned, 3);
    assert_eq!(out.summary.kept_operations.len(), 2);
    assert_eq!(out.summary.derived_operations.len(), 3);
    assert_eq!(out.summary.upstream_operations, 6);
    // The derived operations say what they come from.
    let list = &doc["paths"]["/servicePrincipals/{servicePrincipal-id}/microsoft.graph.agentIdentity/owners"]
        ["get"];
    assert_eq!(
        list["x-graph-rs-local-extension"]["derivedFrom"],
        "GET /servicePrincipals/{servicePrincipal-id}/owners (servicePrincipal_ListOwner)"
    );
    assert!(list.get("x-ms-pageable").is_some(), "{list}");
}

#[test]
fn committed_excerpt_is_what_the_config_cuts_from_its_source() {
    let outcomes = slice::run_excerpts(&root()).expect("excerpts");
    assert!(!outcomes.is_empty());
    for outcome in outcomes {
        match outcome {
            slice::ExcerptOutcome::Cut { out, text, .. } => {
                let committed =
                    std::fs::read_to_string(root().join(&out)).expect("committed excerpt");
                assert!(
                    committed == text,
                    "{out} is not what its source cuts; run `cargo xtask slice`"
                );
            }
            // The source lives outside the repository (../shared/upstream here); without it the
            // committed excerpt is the input, and the slice tests above still check the rest.
            slice::ExcerptOutcome::SourceAbsent { out, from } => {
                eprintln!("skipped: {out}'s source {from} is not on this machine");
            }
        }
    }
}

#[test]
fn slice_and_lock_record_the_upstream_provenance() {
    let config = slice::load_config(&root().join(slice::CONFIG)).expect("config");
    let input = std::fs::read(root().join(&config.from)).expect("input");
    let input_sha = codegen::lock::sha256_hex(&input);
    let lock = std::fs::read_to_string(root().join(codegen::lock::LOCK)).expect("lock");
    let lock: Value = serde_json::from_str(&lock).expect("json");
    let up = config.upstream.expect("upstream");
    assert_eq!(
        lock["slice"]["upstream"]["repository"],
        up.repository.as_str()
    );
    assert_eq!(lock["slice"]["upstream"]["path"], up.path.as_str());
    assert_eq!(lock["slice"]["upstream"]["commit"], up.commit.as_str());
    assert_eq!(lock["slice"]["upstream"]["date"], up.date.as_str());
    assert_eq!(lock["slice"]["input"]["path"], config.from.as_str());
    assert_eq!(lock["slice"]["input"]["sha256"], input_sha.as_str());
    let spec = slice::parse_yaml(&committed_spec(), "spec").expect("yaml");
    assert_eq!(
        graph_spec::extensions::slice_provenance(&spec),
        Some(&lock["slice"])
    );
}

// --- The real upstream file ---------------------------------------------

#[test]
fn applications_yml_slice_is_self_contained_and_lowers() {
    let path = Path::new(APPLICATIONS);
    if !path.exists() {
        eprintln!("note: {APPLICATIONS} is absent; skipping");
        return;
    }
    let started = std::time::Instant::now();
    let text = std::fs::read_to_string(path).expect("read");
    let input = slice::parse_yaml(&text, "Applications.yml").expect("parse");
    let parsed = started.elapsed();
    let req = request(&["POST /servicePrincipals/{servicePrincipal-id}/owners/$ref"]);
    let sliced = slice::slice(&input, &req).expect("slice");
    eprintln!(
        "Applications.yml: parse {parsed:?}, total {:?}\n{}",
        started.elapsed(),
        sliced.summary
    );
    let s = &sliced.summary;
    assert_eq!(s.upstream_operations, 475);
    assert_eq!(
        s.kept_operations,
        [
            "POST /servicePrincipals/{servicePrincipal-id}/owners/$ref (servicePrincipal_CreateOwnerGraphBPreRef)"
        ]
    );
    assert_eq!(s.schemas_kept + s.schemas_dropped, 1124);
    let schemas: Vec<&String> = sliced.doc["components"]["schemas"]
        .as_object()
        .expect("schemas")
        .keys()
        .collect();
    assert!(
        schemas.iter().any(|k| *k == "ReferenceCreate"),
        "{schemas:?}"
    );
    assert!(
        schemas
            .iter()
            .any(|k| *k == "microsoft.graph.ODataErrors.ODataError"),
        "{schemas:?}"
    );
    assert!(
        sliced.doc["components"]["requestBodies"]
            .get("refPostBody")
            .is_some()
    );
    assert!(
        sliced.doc["components"]["requestBodies"]
            .get("refPutBody")
            .is_none()
    );
    assert_self_contained(&sliced.doc);

    let yaml = slice::render(&sliced.doc, "").expect("render");
    assert_eq!(
        slice::parse_yaml(&yaml, "slice").expect("reparse"),
        sliced.doc,
        "rendering round-trips"
    );
    assert_eq!(
        slice::render(&slice::slice(&input, &req).expect("slice").doc, "").expect("render"),
        yaml
    );
    let api = codegen::lower_spec(&yaml).unwrap_or_else(|e| panic!("lowering failed: {e}"));
    assert_eq!(api.operations.len(), 1);
    assert_eq!(
        api.operations[0].path_template,
        "/servicePrincipals/{servicePrincipal-id}/owners/$ref"
    );
    assert!(api.models.contains_key("ReferenceCreate"));
}

#[test]
fn applications_yml_bigger_slice_by_operation_id_round_trips() {
    let path = Path::new(APPLICATIONS);
    if !path.exists() {
        eprintln!("note: {APPLICATIONS} is absent; skipping");
        return;
    }
    let input = slice::parse_yaml(
        &std::fs::read_to_string(path).expect("read"),
        "Applications.yml",
    )
    .expect("parse");
    let req = request(&[
        "GET /servicePrincipals/{servicePrincipal-id}",
        "servicePrincipal_CreateOwnerGraphBPreRef",
    ]);
    let sliced = slice::slice(&input, &req).expect("slice");
    assert_eq!(sliced.summary.kept_operations.len(), 2);
    assert!(sliced.summary.schemas_kept > 50, "{}", sliced.summary);
    assert_self_contained(&sliced.doc);
    let yaml = slice::render(&sliced.doc, "").expect("render");
    assert_eq!(
        slice::parse_yaml(&yaml, "slice").expect("reparse"),
        sliced.doc
    );
    let api = codegen::lower_spec(&yaml).unwrap_or_else(|e| panic!("lowering failed: {e}"));
    assert_eq!(api.operations.len(), 2);
}

// --- Behaviour on small documents ------------------------------------------

#[test]
fn keeps_only_selected_methods_their_closure_used_tags_and_prunes_mappings() {
    let sliced = slice::slice(&upstream(), &request(&["get /things/{thing-id}"])).expect("slice");
    let doc = &sliced.doc;
    let item = doc["paths"]["/things/{thing-id}"]
        .as_object()
        .expect("item");
    let keys: Vec<&String> = item.keys().collect();
    assert_eq!(keys, ["description", "get", "parameters"]);
    assert!(doc["paths"].get("/widgets").is_none());
    let schemas: Vec<&String> = doc["components"]["schemas"]
        .as_object()
        .expect("schemas")
        .keys()
        .collect();
    assert_eq!(
        schemas,
        [
            "microsoft.graph.entity",
            "microsoft.graph.thing",
            "ODataError"
        ]
    );
    let mapping =
        doc["components"]["schemas"]["microsoft.graph.entity"]["discriminator"]["mapping"]
            .as_object()
            .expect("mapping");
    assert_eq!(
        mapping.keys().collect::<Vec<_>>(),
        ["#microsoft.graph.thing"]
    );
    assert!(
        doc["components"].get("parameters").is_none(),
        "ifMatch only serves DELETE"
    );
    assert_eq!(
        doc["components"]["securitySchemes"],
        upstream()["components"]["securitySchemes"]
    );
    assert_eq!(doc["tags"], json!([{"name": "things.thing"}]));
    assert_eq!(doc["security"], upstream()["security"]);
    let top: Vec<&String> = doc.as_object().expect("doc").keys().collect();
    assert_eq!(
        top,
        [
            "openapi",
            "info",
            "servers",
            "paths",
            "components",
            "security",
            "tags"
        ]
    );
    assert_eq!(sliced.summary.discriminator_entries_pruned, 1);
    assert_eq!(sliced.summary.schemas_kept, 3);
    assert_eq!(sliced.summary.schemas_dropped, 2);
    assert_eq!(sliced.summary.upstream_operations, 3);
    assert_self_contained(doc);
}

#[test]
fn a_mapping_entry_is_kept_when_its_target_is_kept_anyway() {
    let sliced = slice::slice(
        &upstream(),
        &request(&["things.GetThing", "widgets.ListWidgets"]),
    )
    .expect("slice");
    let mapping =
        &sliced.doc["components"]["schemas"]["microsoft.graph.entity"]["discriminator"]["mapping"];
    assert_eq!(mapping.as_object().expect("mapping").len(), 2);
    assert_eq!(sliced.summary.discriminator_entries_pruned, 0);
}

#[test]
fn schema_roots_are_kept_and_navigation_properties_can_be_left_out() {
    let mut input = upstream();
    // A navigation property marked as such, and one written as a bare $ref to an entity type.
    input["components"]["schemas"]["microsoft.graph.thing"]["allOf"][1]["properties"]["widgets"] = json!({"type": "array", "items": {"$ref": "#/components/schemas/microsoft.graph.widget"}, "x-ms-navigationProperty": true});
    input["components"]["schemas"]["microsoft.graph.thing"]["allOf"][1]["properties"]["owner"] =
        json!({"$ref": "#/components/schemas/microsoft.graph.widget"});
    input["components"]["schemas"]["microsoft.graph.thing"]["allOf"][1]["properties"]["label"] =
        json!({"$ref": "#/components/schemas/microsoft.graph.label"});
    let kept = slice::slice(&input, &request(&["things.GetThing"])).expect("slice");
    assert!(
        kept.doc["components"]["schemas"]
            .get("microsoft.graph.widget")
            .is_some()
    );
    let req = Request {
        drop_navigation_properties: true,
        ..request(&["things.GetThing"])
    };
    let dropped = slice::slice(&input, &req).expect("slice");
    let schemas = &dropped.doc["components"]["schemas"];
    assert!(
        schemas.get("microsoft.graph.widget").is_none(),
        "reached only through navigation properties"
    );
    assert!(
        schemas.get("microsoft.graph.label").is_some(),
        "a complex type is structural"
    );
    assert_eq!(dropped.summary.navigation_properties_dropped, 2);
    let rooted = Request {
        schemas: vec!["microsoft.graph.widget".into()],
        ..req
    };
    let rooted = slice::slice(&input, &rooted).expect("slice");
    assert!(
        rooted.doc["components"]["schemas"]
            .get("microsoft.graph.widget")
            .is_some()
    );
    let missing = Request {
        schemas: vec!["microsoft.graph.nope".into()],
        ..request(&["things.GetThing"])
    };
    assert!(
        slice_err(&input, &missing)
            .message
            .contains("microsoft.graph.nope")
    );
}

#[test]
fn overlays_derive_operations_and_extend_schemas() {
    let derive = overlay(
        "derive.yaml",
        json!({
            "derive": {
                "GET /things/{thing-id}/microsoft.graph.special": {
                    "from": "GET /things/{thing-id}",
                    "reason": "documented",
                    "set": {"operationId": "things.GetSpecial", "summary": "Get a special thing"}
                }
            },
            "schemas": {"microsoft.graph.thing": {"x-graph-rs-rules": {"defaults": {"name": "n"}}}}
        }),
    );
    let req = Request {
        overlays: vec![derive],
        ..request(&["things.GetThing"])
    };
    let sliced = slice::slice(&upstream(), &req).expect("slice");
    let item = &sliced.doc["paths"]["/things/{thing-id}/microsoft.graph.special"];
    assert_eq!(item["get"]["operationId"], "things.GetSpecial");
    assert_eq!(item["get"]["summary"], "Get a special thing");
    assert_eq!(
        item["get"]["x-graph-rs-local-extension"]["derivedFrom"],
        "GET /things/{thing-id} (things.GetThing)"
    );
    assert_eq!(
        item["get"]["x-graph-rs-local-extension"]["reason"],
        "documented"
    );
    assert_eq!(
        item["parameters"],
        upstream()["paths"]["/things/{thing-id}"]["parameters"],
        "path-level members are copied"
    );
    assert_eq!(
        sliced.doc["components"]["schemas"]["microsoft.graph.thing"]["x-graph-rs-rules"]["defaults"]
            ["name"],
        "n"
    );
    assert_eq!(sliced.summary.derived_operations.len(), 1);
    for (bad, text) in [
        (
            json!({"derive": {"GET /x": {"from": "GET /nope"}}}),
            "not an upstream path",
        ),
        (
            json!({"derive": {"GET /things/{thing-id}": {"from": "GET /things/{thing-id}"}}}),
            "exists upstream",
        ),
        (
            json!({"derive": {"GET /x": {"from": "GET /things/{thing-id}", "set": {"x-graph-rs-local-extension": {}}}}}),
            "written by the slicer",
        ),
        (
            json!({"schemas": {"microsoft.graph.thing": {"type": "string"}}}),
            "only vendor extensions",
        ),
        (
            json!({"schemas": {"microsoft.graph.nope": {"x-a": 1}}}),
            "no component schema",
        ),
        (
            json!({"schemas": {"microsoft.graph.label": {"x-a": 1}}}),
            "does not keep",
        ),
    ] {
        let req = Request {
            overlays: vec![overlay("bad.yaml", bad.clone())],
            ..request(&["things.GetThing"])
        };
        let e = slice_err(&upstream(), &req);
        assert!(e.message.contains(text), "{bad}: {e}");
    }
}

#[test]
fn several_inputs_merge_with_the_first_winning() {
    let mut second = json!({
        "openapi": "3.0.1",
        "info": {"title": "Second", "version": "beta"},
        "paths": {"/labels": {"get": {"operationId": "labels.List", "responses": {"2XX": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/microsoft.graph.label"}}}}}}}},
        "components": {"schemas": {
            "microsoft.graph.label": {"type": "object", "properties": {"other": {"type": "string"}}},
            "microsoft.graph.extra": {"type": "object"}
        }}
    });
    let (merged, shadowed) = slice::merge_inputs(&[upstream(), second.clone()]).expect("merge");
    assert_eq!(shadowed, ["schemas/microsoft.graph.label"]);
    assert!(merged["paths"].get("/labels").is_some() && merged["paths"].get("/widgets").is_some());
    assert!(
        merged["components"]["schemas"]["microsoft.graph.label"]["properties"]
            .get("text")
            .is_some()
    );
    assert!(
        merged["components"]["schemas"]
            .get("microsoft.graph.extra")
            .is_some()
    );
    second["paths"]["/widgets"] = upstream()["paths"]["/widgets"].clone();
    let e = slice::merge_inputs(&[upstream(), second]).expect_err("the same operation twice");
    assert!(
        e.message.contains("GET /widgets is in more than one input"),
        "{e}"
    );
}

#[test]
fn parameters_by_ref_are_closed_over() {
    let sliced =
        slice::slice(&upstream(), &request(&["DELETE /things/{thing-id}"])).expect("slice");
    assert!(
        sliced.doc["components"]["parameters"]
            .get("ifMatch")
            .is_some()
    );
    assert!(sliced.doc["components"].get("schemas").is_none());
}

#[test]
fn overlays_add_local_extensions_close_their_refs_and_merge_extensions() {
    let local = overlay(
        "local.yaml",
        json!({
            "paths": {"/things/{thing-id}/microsoft.graph.special/labels": {
                "post": {
                    "tags": ["things.label"],
                    "operationId": "things.special.CreateLabel",
                    "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/x.labelRequest"}}}},
                    "responses": {"204": {"description": "ok"}, "4XX": {"$ref": "#/components/responses/error"}},
                    "x-graph-rs-local-extension": {"derivedFrom": "nothing", "reason": "test"}
                },
                "parameters": [{"name": "thing-id", "in": "path", "required": true, "schema": {"type": "string"}}]
            }},
            "components": {"schemas": {"x.labelRequest": {"type": "object", "properties": {"label": {"$ref": "#/components/schemas/microsoft.graph.label"}}}}},
            "tags": [{"name": "things.label"}]
        }),
    );
    let perms = overlay(
        "perms.yaml",
        json!({"operations": {
            "things.GetThing": {"x-graph-rs-national-clouds": ["global"]},
            "POST /things/{thing-id}/microsoft.graph.special/labels": {"x-graph-rs-permissions": {"application": ["Things.ReadWrite.All"]}}
        }}),
    );
    let req = Request {
        overlays: vec![local, perms],
        ..request(&["GET /things/{thing-id}"])
    };
    let sliced = slice::slice(&upstream(), &req).expect("slice");
    let doc = &sliced.doc;
    let paths: Vec<&String> = doc["paths"].as_object().expect("paths").keys().collect();
    assert_eq!(
        paths,
        [
            "/things/{thing-id}",
            "/things/{thing-id}/microsoft.graph.special/labels"
        ]
    );
    let schemas: Vec<&String> = doc["components"]["schemas"]
        .as_object()
        .expect("schemas")
        .keys()
        .collect();
    assert_eq!(
        schemas,
        [
            "microsoft.graph.entity",
            "microsoft.graph.thing",
            "microsoft.graph.label",
            "ODataError",
            "x.labelRequest"
        ]
    );
    assert_eq!(
        doc["paths"]["/things/{thing-id}"]["get"]["x-graph-rs-national-clouds"],
        json!(["global"])
    );
    assert_eq!(
        doc["paths"]["/things/{thing-id}/microsoft.graph.special/labels"]["post"]["x-graph-rs-permissions"]
            ["application"],
        json!(["Things.ReadWrite.All"])
    );
    assert_eq!(
        doc["tags"],
        json!([{"name": "things.thing"}, {"name": "things.label"}])
    );
    assert_eq!(sliced.summary.overlay_operations.len(), 1);
    assert_eq!(sliced.summary.extended_operations.len(), 2);
    assert_self_contained(doc);
    let yaml = slice::render(doc, "").expect("render");
    let api = codegen::lower_spec(&yaml).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(api.operations.len(), 2);
}

#[test]
fn info_overrides_and_provenance_are_written_into_info() {
    let mut req = request(&["things.GetThing"]);
    req.info.insert("title".into(), json!("Slice"));
    req.provenance = Some(json!({"upstream": {"commit": "abc"}}));
    let sliced = slice::slice(&upstream(), &req).expect("slice");
    assert_eq!(
        sliced.doc["info"],
        json!({"title": "Slice", "version": "beta", "x-graph-rs-slice": {"upstream": {"commit": "abc"}}})
    );
}

#[test]
fn rendering_round_trips_awkward_scalars() {
    let doc = json!({
        "openapi": "3.0.1",
        "strings": ["204", "2XX", "", " padded ", "yes", "no", "null", "~", "true", "1.5", "#x", "a: b", "- x", "@odata.type", "$ref",
                    "line\nbreak", "tab\there", "quote ' and \"", "{braces}", "[x]", "*star", "&amp", "!bang", "%pct", "unicode é ✓"],
        "numbers": [0, -1, 1.5, 1e300, u64::MAX],
        "bools": [true, false, null],
        "empty": {"map": {}, "list": []},
        "nested": [[1, [2]], [{"a": []}], {"b": {}}],
        "'quoted key'": 1, "204": {"k": "v"}, "": "empty key"
    });
    let yaml = slice::render(&doc, "# header\n").expect("render");
    assert!(yaml.starts_with("# header\nopenapi: 3.0.1\n"), "{yaml}");
    assert_eq!(
        slice::parse_yaml(&yaml, "x").expect("reparse"),
        doc,
        "{yaml}"
    );
}

// --- Errors ------------------------------------------------------------------

fn slice_err(input: &Value, req: &Request) -> codegen::SpecError {
    match slice::slice(input, req) {
        Ok(s) => panic!("expected an error, got {}", s.summary),
        Err(e) => e,
    }
}

#[test]
fn a_selector_matching_nothing_is_named() {
    let e = slice_err(&upstream(), &request(&["things.GetThing", "GET /nowhere"]));
    assert!(
        e.message
            .contains("selector `GET /nowhere` matches no operation"),
        "{e}"
    );
    let e = slice_err(&upstream(), &request(&["things.Nope"]));
    assert!(e.message.contains("`things.Nope`"), "{e}");
    let e = slice_err(&upstream(), &request(&["PATCH /things/{thing-id}"]));
    assert!(
        e.message.contains("the path exists with GET, DELETE"),
        "{e}"
    );
    let e = slice_err(&upstream(), &request(&["GET /things/{id}"]));
    assert!(
        e.message.contains("did you mean `/things/{thing-id}`"),
        "{e}"
    );
    let e = slice_err(&upstream(), &request(&["FETCH /things"]));
    assert!(e.message.contains("not an HTTP method"), "{e}");
    let e = slice_err(&upstream(), &request(&["GET things"]));
    assert!(e.message.contains("must start with `/`"), "{e}");
}

#[test]
fn a_dangling_ref_names_its_pointer() {
    let mut input = upstream();
    input["components"]["schemas"]["microsoft.graph.thing"]["allOf"][1]["properties"]["owner"] =
        json!({"$ref": "#/components/schemas/microsoft.graph.missing"});
    let e = slice_err(&input, &request(&["things.GetThing"]));
    assert_eq!(
        e.pointer,
        "/components/schemas/microsoft.graph.thing/allOf/1/properties/owner/$ref"
    );
    assert!(
        e.message
            .contains("dangling $ref `#/components/schemas/microsoft.graph.missing`"),
        "{e}"
    );

    let mut input = upstream();
    input["paths"]["/widgets"]["get"]["responses"]["4XX"] =
        json!({"$ref": "other.yaml#/components/responses/error"});
    let e = slice_err(&input, &request(&["widgets.ListWidgets"]));
    assert_eq!(e.pointer, "/paths/~1widgets/get/responses/4XX/$ref");
    assert!(e.message.contains("external $ref"), "{e}");

    let mut input = upstream();
    input["paths"]["/widgets"]["get"]["responses"]["4XX"] =
        json!({"$ref": "#/components/responses/error/content/text~1plain"});
    let e = slice_err(&input, &request(&["widgets.ListWidgets"]));
    assert!(e.message.contains("no such node"), "{e}");
}

#[test]
fn overlay_errors_name_the_file() {
    let unmarked = overlay(
        "unmarked.yaml",
        json!({"paths": {"/new": {"get": {"operationId": "x", "responses": {"204": {"description": "ok"}}}}}}),
    );
    let e = slice_err(
        &upstream(),
        &Request {
            overlays: vec![unmarked],
            ..request(&["things.GetThing"])
        },
    );
    assert!(e.message.starts_with("overlay unmarked.yaml:"), "{e}");
    assert!(e.message.contains("x-graph-rs-local-extension"), "{e}");
    assert_eq!(e.pointer, "/paths/~1new/get");

    let upstream_op = overlay(
        "dup.yaml",
        json!({"paths": {"/widgets": {"get": {"x-graph-rs-local-extension": {}, "responses": {}}}}}),
    );
    let e = slice_err(
        &upstream(),
        &Request {
            overlays: vec![upstream_op],
            ..request(&["things.GetThing"])
        },
    );
    assert!(e.message.contains("exists upstream"), "{e}");

    let unknown_op = overlay(
        "perms.yaml",
        json!({"operations": {"widgets.ListWidgets": {"x-a": 1}}}),
    );
    let e = slice_err(
        &upstream(),
        &Request {
            overlays: vec![unknown_op],
            ..request(&["things.GetThing"])
        },
    );
    assert!(
        e.message.contains(
            "overlay perms.yaml: selector `widgets.ListWidgets` matches no operation in the slice"
        ),
        "{e}"
    );

    let not_extension = overlay(
        "perms.yaml",
        json!({"operations": {"things.GetThing": {"summary": "x"}}}),
    );
    let e = slice_err(
        &upstream(),
        &Request {
            overlays: vec![not_extension],
            ..request(&["things.GetThing"])
        },
    );
    assert!(e.message.contains("only vendor extensions"), "{e}");

    let shadow = overlay(
        "shadow.yaml",
        json!({"components": {"schemas": {"ODataError": {"type": "string"}}}}),
    );
    let e = slice_err(
        &upstream(),
        &Request {
            overlays: vec![shadow],
            ..request(&["things.GetThing"])
        },
    );
    assert_eq!(e.pointer, "/components/schemas/ODataError");
    assert!(
        e.message.contains("differs from the upstream component"),
        "{e}"
    );

    let dangling = overlay(
        "d.yaml",
        json!({"components": {"schemas": {"x.y": {"$ref": "#/components/schemas/zzz"}}}}),
    );
    let e = slice_err(
        &upstream(),
        &Request {
            overlays: vec![dangling],
            ..request(&["things.GetThing"])
        },
    );
    assert!(
        e.message
            .contains("dangling $ref `#/components/schemas/zzz`"),
        "{e}"
    );

    let typo = overlay("t.yaml", json!({"path": {}}));
    let e = slice_err(
        &upstream(),
        &Request {
            overlays: vec![typo],
            ..request(&["things.GetThing"])
        },
    );
    assert!(e.message.contains("unknown member `path`"), "{e}");
}

#[test]
fn malformed_inputs_are_errors_not_panics() {
    for input in [
        json!([]),
        json!({"openapi": "3.1.0", "paths": {}}),
        json!({"paths": {}}),
        json!({"openapi": "3.0.1", "paths": []}),
    ] {
        assert!(slice::slice(&input, &request(&["x"])).is_err(), "{input}");
    }
    let mut bad_item = upstream();
    bad_item["paths"]["/widgets"] = json!("not a mapping");
    assert!(
        slice::slice(&bad_item, &request(&["things.GetThing"])).is_ok(),
        "unselected junk is ignored"
    );
    assert!(slice::slice(&upstream(), &request(&[""])).is_err());
    assert!(
        slice::parse_yaml("a: [", "broken.yaml")
            .unwrap_err()
            .message
            .contains("broken.yaml: spec is not valid YAML")
    );
    for overlay_doc in [
        json!([]),
        json!({"paths": []}),
        json!({"operations": {"things.GetThing": 1}}),
        json!({"tags": [{}]}),
    ] {
        let req = Request {
            overlays: vec![overlay("o.yaml", overlay_doc.clone())],
            ..request(&["things.GetThing"])
        };
        assert!(slice::slice(&upstream(), &req).is_err(), "{overlay_doc}");
    }
}
