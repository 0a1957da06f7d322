//! Members reached through a collection navigation (`/widgets/{id}/parts/{id}`), in a small
//! spec of their own: read, merge and delete work there as on the canonical URL.

use graph_emulator::{Emulator, Seed};
use serde_json::json;

use crate::common::*;

const SPEC: &str = r##"
openapi: 3.0.4
info: {title: widgets, version: beta}
paths:
  /widgets/{widget-id}:
    get:
      operationId: widgets.GetWidget
      parameters:
        - {name: widget-id, in: path, required: true, schema: {type: string}, x-ms-docs-key-type: widget}
      responses:
        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/microsoft.graph.widget'}}}}
  /widgets/{widget-id}/parts:
    get:
      operationId: widgets.ListParts
      parameters:
        - {name: widget-id, in: path, required: true, schema: {type: string}, x-ms-docs-key-type: widget}
      responses:
        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/microsoft.graph.partCollectionResponse'}}}}
  /widgets/{widget-id}/parts/{part-id}:
    get:
      operationId: widgets.GetPart
      parameters:
        - {name: widget-id, in: path, required: true, schema: {type: string}, x-ms-docs-key-type: widget}
        - {name: part-id, in: path, required: true, schema: {type: string}, x-ms-docs-key-type: part}
      responses:
        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/microsoft.graph.part'}}}}
    patch:
      operationId: widgets.UpdatePart
      parameters:
        - {name: widget-id, in: path, required: true, schema: {type: string}, x-ms-docs-key-type: widget}
        - {name: part-id, in: path, required: true, schema: {type: string}, x-ms-docs-key-type: part}
      requestBody:
        required: true
        content: {application/json: {schema: {$ref: '#/components/schemas/microsoft.graph.part'}}}
      responses:
        '204': {description: ok}
    delete:
      operationId: widgets.DeletePart
      parameters:
        - {name: widget-id, in: path, required: true, schema: {type: string}, x-ms-docs-key-type: widget}
        - {name: part-id, in: path, required: true, schema: {type: string}, x-ms-docs-key-type: part}
      responses:
        '204': {description: ok}
components:
  schemas:
    microsoft.graph.widget:
      type: object
      properties:
        id: {type: string}
        '@odata.type': {type: string}
    microsoft.graph.part:
      type: object
      properties:
        id: {type: string}
        name: {type: string, nullable: true}
        '@odata.type': {type: string}
    microsoft.graph.partCollectionResponse:
      type: object
      properties:
        value:
          type: array
          items: {$ref: '#/components/schemas/microsoft.graph.part'}
"##;

#[tokio::test]
async fn a_member_reached_through_a_navigation_is_read_merged_and_deleted() {
    let graph = Emulator::builder()
        .spec_yaml(SPEC)
        .seed(
            Seed::new()
                .entity(
                    "widgets",
                    json!({"id": "w1", "@odata.type": "#microsoft.graph.widget"}),
                )
                .entity(
                    "widgets",
                    json!({"id": "w2", "@odata.type": "#microsoft.graph.widget"}),
                )
                .entity(
                    "parts",
                    json!({"id": "p1", "name": "bolt", "@odata.type": "#microsoft.graph.part"}),
                )
                .entity(
                    "parts",
                    json!({"id": "p2", "name": "nut", "@odata.type": "#microsoft.graph.part"}),
                )
                .link("widgets", "w1", "parts", "p1")
                .link("widgets", "w1", "parts", "p2"),
        )
        .start()
        .await
        .unwrap();
    let http = client();
    let part = |widget: &str, id: &str| format!("{}/widgets/{widget}/parts/{id}", graph.base_url());

    let patched = http
        .patch(part("w1", "p1"))
        .bearer_auth("t")
        .json(&json!({"name": "screw"}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 204);
    let read = body_json(
        http.get(part("w1", "p1"))
            .bearer_auth("t")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(read["name"], "screw");

    // Through another widget it is not there: 404, and nothing is deleted.
    let elsewhere = http
        .delete(part("w2", "p1"))
        .bearer_auth("t")
        .send()
        .await
        .unwrap();
    expect_error(elsewhere, 404, "Request_ResourceNotFound").await;
    assert!(graph.state().entity("parts", "p1").is_some());

    let deleted = http
        .delete(part("w1", "p1"))
        .bearer_auth("t")
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let gone = http
        .get(part("w1", "p1"))
        .bearer_auth("t")
        .send()
        .await
        .unwrap();
    expect_error(gone, 404, "Request_ResourceNotFound").await;
    assert!(graph.state().entity("parts", "p1").is_none());
    let listed = body_json(
        http.get(format!("{}/widgets/w1/parts", graph.base_url()))
            .bearer_auth("t")
            .send()
            .await
            .unwrap(),
    )
    .await;
    let ids: Vec<&str> = listed["value"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["id"].as_str())
        .collect();
    assert_eq!(ids, ["p2"]);
}
