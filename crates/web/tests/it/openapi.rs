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

/// OpenAPI names a schema by its type's name alone: two types of one name in different
/// areas would silently share one schema, and the API would describe one of them wrongly.
#[test]
fn p2_every_schema_type_has_a_name_of_its_own() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    let mut dirs = vec![root.clone()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).expect("read dir").flatten() {
            let p = e.path();
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if p.is_dir() && name != "tests" && name != "target" {
                dirs.push(p);
            } else if name.ends_with(".rs") && p.components().any(|c| c.as_os_str() == "src") {
                files.push(p);
            }
        }
    }
    let mut seen: std::collections::HashMap<String, String> = Default::default();
    let mut twice = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read source");
        // Within a `#[derive(…)]` (which may span lines), whether it derives ToSchema, and
        // the name a `#[schema(as = …)]` gives it.
        let (mut in_derive, mut schema, mut named) = (false, false, None::<String>);
        for line in text.lines().map(str::trim) {
            if line.starts_with("#[derive") || in_derive {
                schema |= line.contains("ToSchema");
                in_derive = !line.ends_with(")]");
                continue;
            }
            if let Some(rest) = line.strip_prefix("#[schema(as = ") {
                named = Some(rest.trim_end_matches(")]").to_string());
                continue;
            }
            if line.starts_with("#[") || line.starts_with("///") || line.is_empty() {
                continue;
            }
            let item = line
                .trim_start_matches("pub(crate) ")
                .trim_start_matches("pub ");
            if schema
                && let Some(rest) = item
                    .strip_prefix("struct ")
                    .or_else(|| item.strip_prefix("enum "))
            {
                let name: String = named.take().unwrap_or_else(|| {
                    rest.chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect()
                });
                let at = f.display().to_string();
                if let Some(first) = seen.insert(name.clone(), at.clone()) {
                    twice.push(format!("{name}: {first} and {at}"));
                }
            }
            schema = false;
            named = None;
        }
    }
    assert!(seen.len() > 100, "schema types found: {}", seen.len());
    assert!(twice.is_empty(), "schema names used twice: {twice:#?}");
}
