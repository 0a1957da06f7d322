//! The engine serves what the spec describes, with no code of its own: a test adds an entity
//! set and a singleton that no emulator code knows, and drives them over HTTP.

use graph_emulator::{DEFAULT_SPEC, Emulator};
use serde_json::{Value, json};

use crate::common::*;

/// The slice plus `/widgets` (list, pageable, and create), `/widgets/{widget-id}` (get, update,
/// delete) and a singleton `/widgetSettings` (get, update), with their schemas.
fn widget_spec() -> String {
    let paths = r##"paths:
  /widgets:
    get:
      operationId: widgets.ListWidgets
      parameters:
        - {name: $top, in: query, schema: {type: integer}}
        - {name: $filter, in: query, schema: {type: string}}
        - {name: $select, in: query, style: form, explode: false, schema: {type: array, items: {type: string}}}
        - {name: $count, in: query, schema: {type: boolean}}
        - {name: $orderby, in: query, style: form, explode: false, schema: {type: array, items: {type: string}}}
      responses:
        2XX:
          description: Retrieved collection
          content:
            application/json:
              schema: {$ref: '#/components/schemas/microsoft.graph.widgetCollectionResponse'}
      x-ms-pageable: {nextLinkName: '@odata.nextLink', operationName: listMore}
    post:
      operationId: widgets.CreateWidget
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/microsoft.graph.widget'}
      responses:
        2XX:
          description: Created navigation property.
          content:
            application/json:
              schema: {$ref: '#/components/schemas/microsoft.graph.widget'}
  /widgets/{widget-id}:
    parameters:
      - {name: widget-id, in: path, required: true, schema: {type: string}, x-ms-docs-key-type: widget}
    get:
      operationId: widgets.GetWidget
      parameters:
        - {name: $select, in: query, style: form, explode: false, schema: {type: array, items: {type: string}}}
      responses:
        2XX:
          description: Retrieved entity
          content:
            application/json:
              schema: {$ref: '#/components/schemas/microsoft.graph.widget'}
    patch:
      operationId: widgets.UpdateWidget
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/microsoft.graph.widget'}
      responses:
        '204': {description: Success}
    delete:
      operationId: widgets.DeleteWidget
      responses:
        '204': {description: Success}
  /widgetSettings:
    get:
      operationId: widgetSettings.GetWidgetSettings
      responses:
        '200':
          description: Retrieved singleton
          content:
            application/json:
              schema: {$ref: '#/components/schemas/microsoft.graph.widgetSettings'}
    patch:
      operationId: widgetSettings.UpdateWidgetSettings
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/microsoft.graph.widgetSettings'}
      responses:
        '200':
          description: Updated singleton
          content:
            application/json:
              schema: {$ref: '#/components/schemas/microsoft.graph.widgetSettings'}
"##;
    let schemas = r##"  schemas:
    microsoft.graph.widget:
      allOf:
        - $ref: '#/components/schemas/microsoft.graph.entity'
        - type: object
          required: [name]
          properties:
            name: {type: string}
            colour: {type: string, nullable: true}
            size: {type: integer, format: int32, nullable: true}
            createdDateTime: {type: string, format: date-time, readOnly: true}
    microsoft.graph.widgetCollectionResponse:
      type: object
      properties:
        value:
          type: array
          items: {$ref: '#/components/schemas/microsoft.graph.widget'}
        '@odata.nextLink': {type: string, nullable: true}
    microsoft.graph.widgetSettings:
      allOf:
        - $ref: '#/components/schemas/microsoft.graph.entity'
        - type: object
          properties:
            theme: {type: string, enum: [light, dark]}
            autoSave: {type: boolean, nullable: true}
      x-graph-rs-rules:
        defaults: {theme: light, autoSave: true}
"##;
    assert_eq!(
        DEFAULT_SPEC.matches("\npaths:\n").count(),
        1,
        "the slice changed shape; update this test"
    );
    assert_eq!(
        DEFAULT_SPEC.matches("\n  schemas:\n").count(),
        1,
        "the slice changed shape; update this test"
    );
    DEFAULT_SPEC
        .replacen("\npaths:\n", &format!("\n{paths}"), 1)
        .replacen("\n  schemas:\n", &format!("\n{schemas}"), 1)
}

async fn widgets() -> Emulator {
    Emulator::builder()
        .spec_yaml(widget_spec())
        .start()
        .await
        .unwrap()
}

async fn send(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.bearer_auth("t").send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, body)
}

#[tokio::test]
async fn an_entity_set_no_code_knows_is_created_read_merged_paged_and_deleted() {
    let graph = widgets().await;
    let http = client();
    let base = graph.base_url().to_owned();

    // Create: 201, the stored entity with a new id, its @odata.type and context.
    let (status, created) = send(
        http.post(format!("{base}/widgets"))
            .json(&json!({"name": "gear", "colour": "red", "size": 3})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 36);
    assert_eq!(created["@odata.type"], "#microsoft.graph.widget");
    assert_eq!(
        created["@odata.context"],
        format!("{base}/$metadata#widgets/$entity")
    );
    assert_eq!(
        graph.state().entity("widgets", &id).unwrap()["name"],
        "gear"
    );

    // A required property missing, an unknown one, a mistyped one, a read-only one: 400 each.
    for (body, target) in [
        (json!({"colour": "blue"}), "name"),
        (json!({"name": "x", "wheels": 4}), "wheels"),
        (json!({"name": "x", "size": "big"}), "size"),
        (
            json!({"name": "x", "createdDateTime": "2026-01-01T00:00:00Z"}),
            "createdDateTime",
        ),
    ] {
        let (status, error) = send(http.post(format!("{base}/widgets")).json(&body)).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(error["error"]["target"], target, "{error}");
    }

    // Read, with and without $select.
    let (status, read) = send(http.get(format!("{base}/widgets/{id}"))).await;
    assert_eq!(status, 200);
    assert_eq!(
        (read["name"].as_str(), read["size"].as_i64()),
        (Some("gear"), Some(3))
    );
    let (_, selected) = send(http.get(format!("{base}/widgets/{id}?$select=name"))).await;
    assert_eq!(
        selected["@odata.context"],
        format!("{base}/$metadata#widgets(name)/$entity")
    );
    assert!(
        selected.get("size").is_none() && selected["name"] == "gear",
        "{selected}"
    );

    // Merge-PATCH: absent keeps, null clears; 204 as the spec says. Unknown and mistyped refused.
    let (status, _) = send(
        http.patch(format!("{base}/widgets/{id}"))
            .json(&json!({"colour": null, "size": 4})),
    )
    .await;
    assert_eq!(status, 204);
    let stored = graph.state().entity("widgets", &id).unwrap().clone();
    assert_eq!(
        (
            stored["name"].as_str(),
            stored["colour"].clone(),
            stored["size"].as_i64()
        ),
        (Some("gear"), Value::Null, Some(4))
    );
    for (body, target) in [
        (json!({"wheels": 4}), "wheels"),
        (json!({"size": 1.5}), "size"),
        (json!({"name": null}), "name"),
    ] {
        let (status, error) = send(http.patch(format!("{base}/widgets/{id}")).json(&body)).await;
        assert_eq!(
            (status, error["error"]["target"].as_str()),
            (400, Some(target)),
            "{body}: {error}"
        );
    }
    assert_eq!(
        graph.state().entity("widgets", &id).unwrap(),
        &stored,
        "a refused PATCH changes nothing"
    );

    // Five more, then two pages of three by $top and @odata.nextLink.
    for i in 0..5 {
        let (status, _) = send(
            http.post(format!("{base}/widgets"))
                .json(&json!({"name": format!("w{i}"), "size": i})),
        )
        .await;
        assert_eq!(status, 201);
    }
    let (status, first) = send(http.get(format!("{base}/widgets?$top=3&$count=true"))).await;
    assert_eq!(status, 200);
    assert_eq!(first["@odata.context"], format!("{base}/$metadata#widgets"));
    assert_eq!(first["@odata.count"], 6);
    assert_eq!(first["value"].as_array().unwrap().len(), 3);
    let next = first["@odata.nextLink"].as_str().unwrap().to_owned();
    assert!(
        next.starts_with(&format!("{base}/widgets?")) && next.contains("$skiptoken="),
        "{next}"
    );
    let (_, second) = send(http.get(&next)).await;
    assert_eq!(second["value"].as_array().unwrap().len(), 3);
    assert!(
        second.get("@odata.nextLink").is_none(),
        "the last page has no next link"
    );
    let names: Vec<&str> = first["value"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second["value"].as_array().unwrap())
        .filter_map(|w| w["name"].as_str())
        .collect();
    assert_eq!(names, ["gear", "w0", "w1", "w2", "w3", "w4"]);
    // $filter (eq on a string) and $orderby.
    let (_, filtered) = send(http.get(format!("{base}/widgets?$filter=name%20eq%20'w3'"))).await;
    assert_eq!(filtered["value"].as_array().unwrap().len(), 1);
    assert_eq!(filtered["value"][0]["size"], 3);
    let (_, ordered) = send(http.get(format!("{base}/widgets?$orderby=name%20desc&$top=1"))).await;
    assert_eq!(ordered["value"][0]["name"], "w4");
    // An undeclared option is refused.
    let (status, error) = send(http.get(format!("{base}/widgets?$expand=parts"))).await;
    assert_eq!(status, 400, "{error}");

    // Delete, then 404.
    let (status, _) = send(http.delete(format!("{base}/widgets/{id}"))).await;
    assert_eq!(status, 204);
    let (status, error) = send(http.get(format!("{base}/widgets/{id}"))).await;
    assert_eq!(
        (status, error["error"]["code"].as_str()),
        (404, Some("Request_ResourceNotFound"))
    );
    assert!(graph.state().entity("widgets", &id).is_none());
}

#[tokio::test]
async fn a_singleton_no_code_knows_starts_from_its_defaults_and_is_merged() {
    let graph = widgets().await;
    let http = client();
    let url = format!("{}/widgetSettings", graph.base_url());
    let (status, initial) = send(http.get(&url)).await;
    assert_eq!(status, 200);
    assert_eq!(initial["theme"], "light");
    assert_eq!(initial["autoSave"], true);
    assert_eq!(initial["@odata.type"], "#microsoft.graph.widgetSettings");
    let (status, updated) = send(http.patch(&url).json(&json!({"autoSave": null}))).await;
    assert_eq!(status, 200);
    assert_eq!(
        (updated["theme"].as_str(), updated["autoSave"].clone()),
        (Some("light"), Value::Null)
    );
    let (status, error) = send(http.patch(&url).json(&json!({"theme": "blue"}))).await;
    assert_eq!(
        (status, error["error"]["target"].as_str()),
        (400, Some("theme"))
    );
    let (_, read) = send(http.get(&url)).await;
    assert_eq!(read["autoSave"], Value::Null);
    assert_eq!(
        read["@odata.context"],
        format!("{}/$metadata#widgetSettings/$entity", graph.base_url())
    );
}

#[test]
fn the_slices_operation_ids_appear_nowhere_in_the_emulators_source() {
    let spec = graph_spec::load::parse(DEFAULT_SPEC).unwrap();
    let ids: Vec<String> = spec
        .paths
        .paths
        .values()
        .filter_map(|item| item.as_item())
        .flat_map(|item| {
            [&item.get, &item.put, &item.post, &item.patch, &item.delete]
                .into_iter()
                .flatten()
                .filter_map(|op| op.operation_id.clone())
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(ids.len(), 5, "{ids:?}");
    let mut files = vec![std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src"
    ))];
    let mut checked = 0;
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for id in &ids {
            assert!(
                !text.contains(id.as_str()),
                "{} names operation {id}",
                path.display()
            );
        }
        checked += 1;
    }
    assert!(checked > 10, "only {checked} source files found");
}
