//! The OpenAPI document is the code's: real answers of the API have every property that their
//! schema in the document requires and no property that it does not list, and the document's
//! references and links point at what is there. (That every route is in the document is
//! `foundation::openapi_document_describes_every_api_route`.)

use crate::support::TestApp;
use serde_json::{Map, Value, json};
use townhall::domain::idea::IdeaStatus;

/// `schema`, or what its `$ref` points at.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let pointer = reference
                .strip_prefix('#')
                .expect("a reference in the document");
            let target = doc.pointer(pointer);
            resolve(
                doc,
                target.unwrap_or_else(|| panic!("{reference} resolves")),
            )
        }
        None => schema,
    }
}

/// An object schema's properties and required names, with those of each `allOf` part.
fn object_parts(doc: &Value, schema: &Value, properties: &mut Map<String, Value>) -> Vec<String> {
    let schema = resolve(doc, schema);
    let mut required: Vec<String> = schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|name| name.as_str().unwrap().to_string())
        .collect();
    for part in schema["allOf"].as_array().into_iter().flatten() {
        required.extend(object_parts(doc, part, properties));
    }
    if let Some(listed) = schema["properties"].as_object() {
        properties.extend(listed.clone());
    }
    required
}

fn has_type(value: &Value, name: &str) -> bool {
    match name {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        other => panic!("a type the document should not use: {other}"),
    }
}

/// Adds to `out` each way `value` does not fit `schema`: a missing required property, a
/// property the schema does not list, a wrong type, a value outside an `enum`.
fn mismatches(doc: &Value, schema: &Value, value: &Value, at: &str, out: &mut Vec<String>) {
    let schema = resolve(doc, schema);
    if let Some(alternatives) = schema["oneOf"].as_array() {
        let fits = alternatives.iter().any(|alternative| {
            let mut found = Vec::new();
            mismatches(doc, alternative, value, at, &mut found);
            found.is_empty()
        });
        if !fits {
            out.push(format!("{at}: {value} fits none of {schema}"));
        }
        return;
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(name) => vec![name.as_str()],
        Value::Array(names) => names.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !types.is_empty() && !types.iter().any(|name| has_type(value, name)) {
        out.push(format!("{at}: {value} is not of type {types:?}"));
        return;
    }
    if let Some(names) = schema["enum"].as_array()
        && !names.contains(value)
    {
        out.push(format!("{at}: {value} is not one of {names:?}"));
    }
    match value {
        Value::Object(fields) => {
            let mut properties = Map::new();
            for name in object_parts(doc, schema, &mut properties) {
                if !fields.contains_key(&name) {
                    out.push(format!("{at}: the required property {name:?} is missing"));
                }
            }
            let additional = &schema["additionalProperties"];
            for (name, field) in fields {
                let here = format!("{at}.{name}");
                if let Some(property) = properties.get(name) {
                    mismatches(doc, property, field, &here, out);
                } else if additional.is_object() {
                    mismatches(doc, additional, field, &here, out);
                } else if !properties.is_empty() || *additional == Value::Bool(false) {
                    out.push(format!("{here} is not in the schema"));
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    mismatches(doc, item_schema, item, &format!("{at}[{i}]"), out);
                }
            }
        }
        _ => {}
    }
}

/// The API's document, and the answers checked against it.
struct Checker<'t> {
    t: &'t TestApp,
    doc: Value,
    token: String,
    checked: usize,
}

impl Checker<'_> {
    /// Sends a request as the hub admin, checks its status and that its JSON body fits the
    /// schema the document gives for that path, method and status; returns the body.
    async fn check(
        &mut self,
        method: &str,
        template: &str,
        path: &str,
        body: Option<Value>,
        status: u16,
    ) -> Value {
        let url = self.t.url(path);
        let request = match method {
            "get" => self.t.client.get(url),
            "post" => self.t.client.post(url).json(&body.unwrap_or(json!({}))),
            other => panic!("{other}"),
        };
        let r = request.bearer_auth(&self.token).send().await.unwrap();
        assert_eq!(r.status().as_u16(), status, "{method} {path}");
        let answer: Value = r.json().await.unwrap();
        let operation = &self.doc["paths"][template][method];
        let response = &operation["responses"][status.to_string()];
        assert!(
            response.is_object(),
            "{method} {template} documents no {status}"
        );
        let response = resolve(&self.doc, response);
        let schema = &response["content"]["application/json"]["schema"];
        assert!(
            schema.is_object(),
            "{method} {template} {status} has a JSON schema"
        );
        let mut found = Vec::new();
        mismatches(&self.doc, schema, &answer, "body", &mut found);
        assert!(
            found.is_empty(),
            "{method} {path} → {status} does not fit the document:\n{}\n{answer:#}",
            found.join("\n")
        );
        self.checked += 1;
        answer
    }
}

#[tokio::test]
async fn openapi_schemas_describe_the_real_answers() {
    let t = crate::programme::with_register().await;
    let doc: Value = t.get("/api/openapi.json").await.json().await.unwrap();
    let token = t.hub_admin_with_token("hub@example.org").await;
    let mut c = Checker {
        t: &t,
        doc,
        token,
        checked: 0,
    };

    c.check(
        "get",
        "/api/v1/organisations",
        "/api/v1/organisations",
        None,
        200,
    )
    .await;
    c.check("get", "/api/v1/me", "/api/v1/me", None, 200).await;

    // Publishing: a post, a comment on it, its moderation; and the errors' shape.
    let post = json!({"organisation": "community-services", "title": "Opening hours",
                      "body": "Libraries open **later**.", "summary": "Later.",
                      "categories": ["Libraries"], "topics": ["Opening hours"], "status": "published"});
    let created = c
        .check("post", "/api/v1/posts", "/api/v1/posts", Some(post), 201)
        .await;
    let slug = created["slug"].as_str().unwrap().to_string();
    c.check("get", "/api/v1/posts", "/api/v1/posts", None, 200)
        .await;
    let one = format!("/api/v1/posts/{slug}");
    c.check("get", "/api/v1/posts/{slug}", &one, None, 200)
        .await;
    let comment = json!({"name": "Sam", "email": "sam@example.org", "body": "Thank you."});
    let comments = format!("/api/v1/posts/{slug}/comments");
    let held = c
        .check(
            "post",
            "/api/v1/posts/{slug}/comments",
            &comments,
            Some(comment),
            202,
        )
        .await;
    let approve = format!("/api/v1/comments/{}/approve", held["id"]);
    c.check("post", "/api/v1/comments/{id}/approve", &approve, None, 200)
        .await;
    c.check(
        "get",
        "/api/v1/posts/{slug}",
        "/api/v1/posts/none",
        None,
        404,
    )
    .await;
    c.check(
        "post",
        "/api/v1/posts",
        "/api/v1/posts",
        Some(json!({})),
        422,
    )
    .await;

    // Listening: an exercise with every kind of question, responses and an analysis.
    let definition = crate::listening::definition("Library services", "2099-01-01");
    let created = c
        .check(
            "post",
            "/api/v1/consultations",
            "/api/v1/consultations",
            Some(definition),
            201,
        )
        .await;
    let slug = created["slug"].as_str().unwrap().to_string();
    c.check(
        "get",
        "/api/v1/consultations",
        "/api/v1/consultations",
        None,
        200,
    )
    .await;
    let one = format!("/api/v1/consultations/{slug}");
    let exercise = c
        .check("get", "/api/v1/consultations/{slug}", &one, None, 200)
        .await;
    assert_eq!(
        exercise["definition"]["dimensions"][0]["levels"][1]["label"],
        "High"
    );
    let responses = format!("/api/v1/consultations/{slug}/responses");
    let answer = json!({"answers": {"q1": "Longer hours", "q3": ["Evenings"], "q4": 4}, "segment": "An individual"});
    c.check(
        "post",
        "/api/v1/consultations/{slug}/responses",
        &responses,
        Some(answer),
        201,
    )
    .await;
    crate::listening::fill(&t, &slug).await;
    let analyses = format!("/api/v1/consultations/{slug}/analyses");
    let queued = c
        .check(
            "post",
            "/api/v1/consultations/{slug}/analyses",
            &analyses,
            Some(json!({"question": "q1"})),
            202,
        )
        .await;
    let analysis = format!("/api/v1/analyses/{}", queued["id"]);
    let mut done = Value::Null;
    for _ in 0..100 {
        townhall::jobs::analysis::run_pending(&t.app.db, &t.app.config.analysis_engine)
            .await
            .unwrap();
        let body = c
            .check("get", "/api/v1/analyses/{id}", &analysis, None, 200)
            .await;
        if body["status"] == "done" {
            done = body;
            break;
        }
    }
    let themes = done["result"]["themes"].as_array();
    assert!(
        themes.is_some_and(|t| !t.is_empty()),
        "a result with themes: {done}"
    );

    // The programme register (the demo's).
    let projects = c
        .check(
            "get",
            "/api/v1/programme/projects",
            "/api/v1/programme/projects",
            None,
            200,
        )
        .await;
    for project in projects["items"].as_array().unwrap() {
        let one = format!(
            "/api/v1/programme/projects/{}",
            project["slug"].as_str().unwrap()
        );
        c.check("get", "/api/v1/programme/projects/{slug}", &one, None, 200)
            .await;
    }
    for list in ["strategies", "themes", "commitments", "case-studies"] {
        let path = format!("/api/v1/programme/{list}");
        let body = c.check("get", &path, &path, None, 200).await;
        assert!(!body["items"].as_array().unwrap().is_empty(), "{path}");
    }

    // Ideas: a challenge with a published idea.
    let db = &t.app.db;
    let org = db.organisation_by_slug("community-services").await.unwrap();
    let now = townhall::store::now();
    let criteria = ["Benefit".to_string()];
    db.create_challenge(
        org.id,
        "fewer-forms",
        "Fewer forms",
        "Ask less.",
        &criteria,
        now - 60,
        now + 86_400,
    )
    .await
    .unwrap();
    let idea = json!({"title": "One form", "body": "Tell us once.", "name": "Ann"});
    let held = c
        .check(
            "post",
            "/api/v1/ideas/{challenge}",
            "/api/v1/ideas/fewer-forms",
            Some(idea),
            202,
        )
        .await;
    db.decide_idea(held["id"].as_i64().unwrap(), IdeaStatus::Approved, None)
        .await
        .unwrap();
    c.check("get", "/api/v1/ideas", "/api/v1/ideas", None, 200)
        .await;
    let challenge = c
        .check(
            "get",
            "/api/v1/ideas/{challenge}",
            "/api/v1/ideas/fewer-forms",
            None,
            200,
        )
        .await;
    assert_eq!(challenge["items"][0]["title"], "One form");

    c.check(
        "get",
        "/api/v1/analytics/pages",
        "/api/v1/analytics/pages",
        None,
        200,
    )
    .await;
    assert!(c.checked > 25, "{} answers checked", c.checked);
}

#[tokio::test]
async fn openapi_references_and_links_point_at_what_is_there() {
    let t = crate::support::spawn().await;
    let doc: Value = t.get("/api/openapi.json").await.json().await.unwrap();
    let operations: Vec<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .map(|operation| {
            operation["operationId"]
                .as_str()
                .expect("every operation has an id")
        })
        .collect();
    for id in [
        "listPosts",
        "createPost",
        "getPost",
        "addComment",
        "respond",
        "getAnalysis",
    ] {
        assert!(operations.contains(&id), "{id}");
    }
    let mut links = 0;
    let mut stack = vec![&doc];
    while let Some(node) = stack.pop() {
        match node {
            Value::Object(fields) => {
                if let Some(Value::String(reference)) = fields.get("$ref") {
                    resolve(&doc, node);
                    assert!(reference.starts_with("#/components/"), "{reference}");
                }
                // A response's links (a response has a text description; a schema's
                // properties may have a field called "links" too).
                let response = fields.get("description").is_some_and(Value::is_string);
                if let Some(Value::Object(named)) = fields.get("links").filter(|_| response) {
                    for (name, link) in named {
                        let target = link["operationId"].as_str();
                        assert!(
                            target.is_some_and(|id| operations.contains(&id)),
                            "the link {name} names an operation of the document: {link}"
                        );
                        links += 1;
                    }
                }
                stack.extend(fields.values());
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    assert!(links >= 10, "{links} links");
    assert!(doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer");
}

/// The check above finds what it looks for.
#[test]
fn openapi_check_finds_missing_unlisted_and_mistyped_properties() {
    let doc = json!({"components": {"schemas": {
        "Base": {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}},
        "Thing": {"allOf": [{"$ref": "#/components/schemas/Base"},
                            {"type": "object", "required": ["state"],
                             "properties": {"state": {"type": "string", "enum": ["open"]},
                                            "note": {"type": ["string", "null"]}}}]}
    }}});
    let schema = json!({"$ref": "#/components/schemas/Thing"});
    let found = |value: Value| {
        let mut out = Vec::new();
        mismatches(&doc, &schema, &value, "body", &mut out);
        out
    };
    assert!(found(json!({"id": 1, "state": "open", "note": null})).is_empty());
    assert_eq!(found(json!({"state": "open"})).len(), 1, "id is missing");
    assert_eq!(
        found(json!({"id": 1, "state": "open", "extra": 1})).len(),
        1
    );
    assert_eq!(found(json!({"id": "1", "state": "shut"})).len(), 2);
}
