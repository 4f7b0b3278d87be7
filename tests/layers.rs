//! The layering of the source tree: each top-level module of a crate uses
//! only modules declared before it in the crate's `lib.rs`, so the module
//! list there is the dependency order and no two modules import each other,
//! directly or in a circle.
//!
//! Checked for the library (`src/`) and the command line
//! (`crates/scamscan-cli/src/`) by reading the sources: every `crate::m`
//! path, `use crate::{m, ...}` group, `super::` path that leaves the module,
//! and re-exported name (`crate::Classifier`) outside comments and outside
//! `#[cfg(test)]` blocks counts as a use of the module it names. Tests may
//! use any layer: a stage's unit test often runs the whole classifier.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The crate's top-level modules in declaration order, and the module each
/// name re-exported at the root (`pub use m::{A, B}`) comes from.
fn declared(lib_rs: &str) -> (Vec<String>, BTreeMap<String, String>) {
    let mut order = Vec::new();
    let mut reexports = BTreeMap::new();
    for line in code_lines(lib_rs) {
        let line = line.trim();
        let decl = line
            .strip_prefix("pub mod ")
            .or_else(|| line.strip_prefix("mod "));
        if let Some(name) = decl.and_then(|d| d.strip_suffix(';')) {
            order.push(name.trim().to_string());
        }
        if let Some(rest) = line.strip_prefix("pub use ") {
            let rest = rest.trim_end_matches(';');
            let (module, names) = rest.split_once("::").expect("pub use m::...");
            let names = names.trim_start_matches('{').trim_end_matches('}');
            for name in names.split(',') {
                let name = name.rsplit("::").next().unwrap().trim();
                if !name.is_empty() {
                    reexports.insert(name.to_string(), module.to_string());
                }
            }
        }
    }
    (order, reexports)
}

/// The source without comments and without `#[cfg(test)]` items.
fn code_lines(source: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut skip_depth: Option<i32> = None;
    let mut depth = 0i32;
    let mut pending_cfg_test = false;
    for raw in source.lines() {
        let line = match raw.find("//") {
            // A `//` inside a string literal (a URL) is rare in paths that
            // matter here; the line is kept up to it either way.
            Some(i) => &raw[..i],
            None => raw,
        };
        let opens = line.matches('{').count() as i32;
        let closes = line.matches('}').count() as i32;
        if line.trim_start().starts_with("#[cfg(test)]") {
            pending_cfg_test = true;
            continue;
        }
        if pending_cfg_test && skip_depth.is_none() && !line.trim().is_empty() {
            pending_cfg_test = false;
            if opens > closes {
                skip_depth = Some(depth);
            }
            depth += opens - closes;
            continue;
        }
        depth += opens - closes;
        if let Some(d) = skip_depth {
            if depth <= d {
                skip_depth = None;
            }
            continue;
        }
        out.push(line.to_string());
    }
    out
}

/// The top-level modules named by `crate::` paths (and root re-exports) in `code`.
fn crate_refs(code: &str, modules: &[String], reexports: &BTreeMap<String, String>) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        let before = rest[..i].chars().next_back();
        rest = &rest[i + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // `scamscan_crate::`, not ours
        }
        let names: Vec<&str> = if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            group[..end].split(',').map(str::trim).collect()
        } else {
            vec![rest]
        };
        for name in names {
            let ident: String = name
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if modules.contains(&ident) {
                out.push(ident);
            } else if let Some(m) = reexports.get(&ident) {
                out.push(m.clone());
            }
        }
    }
    out
}

/// `(file, top-level module, used module)` for every use in a crate's `src/`.
fn uses(src: &Path) -> (Vec<String>, Vec<(PathBuf, String, String)>) {
    let lib = std::fs::read_to_string(src.join("lib.rs")).expect("lib.rs");
    let (modules, reexports) = declared(&lib);
    let mut found = Vec::new();
    let mut files = Vec::new();
    collect(src, &mut files);
    for file in files {
        let rel = file.strip_prefix(src).unwrap();
        let mut parts = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned());
        let first = parts.next().unwrap();
        let top = first.trim_end_matches(".rs").to_string();
        if top == "lib" || top == "main" {
            continue;
        }
        assert!(
            modules.contains(&top),
            "{}: module `{top}` is not declared in lib.rs",
            file.display()
        );
        // How many `super::` lead from this file to the crate root.
        let nested = rel.components().count() - 1;
        let to_root = if rel.ends_with("mod.rs") {
            nested
        } else {
            nested + 1
        };
        let root_path = "super::".repeat(to_root);
        let code = code_lines(&std::fs::read_to_string(&file).unwrap()).join("\n");
        let code = code.replace(&root_path, "crate::");
        for used in crate_refs(&code, &modules, &reexports) {
            if used != top {
                found.push((file.clone(), top.clone(), used));
            }
        }
    }
    (modules, found)
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

fn check(src: &Path) {
    let (modules, found) = uses(src);
    let rank = |m: &str| modules.iter().position(|x| x == m).unwrap();
    let upward: Vec<String> = found
        .iter()
        .filter(|(_, top, used)| rank(used) > rank(top))
        .map(|(file, top, used)| {
            format!(
                "{}: `{top}` uses `{used}`, declared after it",
                file.display()
            )
        })
        .collect();
    assert!(
        upward.is_empty(),
        "imports that point up the layers (lib.rs order: {}):\n{}",
        modules.join(" < "),
        upward.join("\n")
    );
    // The check must see something: a parser that found no use would pass.
    assert!(
        found.len() > modules.len(),
        "only {} uses found",
        found.len()
    );
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_library_imports_only_down_its_layers() {
    check(&root().join("src"));
}

#[test]
fn the_command_line_imports_only_down_its_layers() {
    check(&root().join("crates/scamscan-cli/src"));
}

#[test]
fn an_upward_import_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    std::fs::write(
        src.join("lib.rs"),
        "pub mod low;\npub mod high;\npub use high::Top;\n",
    )
    .unwrap();
    std::fs::write(src.join("high.rs"), "use crate::low::f;\npub struct Top;\n").unwrap();
    std::fs::create_dir(src.join("low")).unwrap();
    std::fs::write(src.join("low/mod.rs"), "mod inner;\npub fn f() {}\n").unwrap();
    std::fs::write(
        src.join("low/inner.rs"),
        "// crate::high in a comment is fine\n#[cfg(test)]\nmod tests {\n    use crate::high::Top;\n}\nfn g() -> super::super::Top { todo!() }\n",
    )
    .unwrap();
    let (_, found) = uses(src);
    let pairs: Vec<(&str, &str)> = found
        .iter()
        .map(|(_, t, u)| (t.as_str(), u.as_str()))
        .collect();
    assert_eq!(pairs, [("high", "low"), ("low", "high")]);
}
