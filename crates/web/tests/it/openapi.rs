//! The OpenAPI document is built from the routers' own declarations; this snapshot makes
//! every change to it visible in review. After an intended change, run the tests with
//! `KEHOU_UPDATE_SNAPSHOTS=1` and commit `tests/openapi.json`.

#[test]
fn p2_openapi_document_matches_its_snapshot() {
    let doc = serde_json::to_string_pretty(&kehou_web::openapi()).expect("document") + "\n";
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/openapi.json");
    if std::env::var("KEHOU_UPDATE_SNAPSHOTS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &doc).expect("write snapshot");
    }
    let snapshot = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        snapshot == doc,
        "the OpenAPI document changed; review it, then run with KEHOU_UPDATE_SNAPSHOTS=1 \
         and commit crates/web/tests/openapi.json"
    );
}
