//! The modules of `leadscore-serve` depend downward only: no import cycles, and every module
//! uses only modules listed before it in the layering of `src/lib.rs`'s docs.
//!
//! Reads every `src/*.rs` (but `lib.rs`, the crate root, and `main.rs`, the binary), collects
//! its references to other modules (`use crate::x`, `crate::{x, y::z}`, `crate::x::f()`, and
//! the names `lib.rs` re-exports, such as `crate::App`), outside comments and string literals,
//! and checks the graph.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Graph = BTreeMap<String, BTreeSet<String>>;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// `text` without comments, string literals and char literals (each replaced by a space), so
/// only code is searched.
fn code_only(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        let rest = &b[i..];
        if rest.starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if rest.starts_with(b"/*") {
            let mut depth = 0;
            while i < b.len() {
                if b[i..].starts_with(b"/*") {
                    depth += 1;
                    i += 2;
                } else if b[i..].starts_with(b"*/") {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if let Some(hashes) = raw_string_start(rest) {
            // r"..." or r#"..."#: ends at a quote followed by as many hashes.
            i += 2 + hashes;
            let end: Vec<u8> = std::iter::once(b'"')
                .chain(std::iter::repeat_n(b'#', hashes))
                .collect();
            while i < b.len() && !b[i..].starts_with(&end) {
                i += 1;
            }
            i += end.len();
            out.push(' ');
        } else if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            out.push(' ');
        } else if b[i] == b'\'' && is_char_literal(rest) {
            i += 1;
            while i < b.len() && b[i] != b'\'' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            out.push(' ');
        } else {
            // Copy one whole UTF-8 character.
            let len = text[i..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&text[i..i + len]);
            i += len;
        }
    }
    out
}

/// The number of `#` of a raw string starting at `s` (`r"`, `r#"`, `br"`), if one does.
fn raw_string_start(s: &[u8]) -> Option<usize> {
    let s = s.strip_prefix(b"b").unwrap_or(s);
    let s = s.strip_prefix(b"r")?;
    let hashes = s.iter().take_while(|c| **c == b'#').count();
    (s.get(hashes) == Some(&b'"')).then_some(hashes)
}

/// Whether the `'` at the start of `s` opens a char literal (`'x'`, `'\n'`, `'"'`) rather than
/// a lifetime (`'a`, `'static`).
fn is_char_literal(s: &[u8]) -> bool {
    match s.get(1) {
        Some(b'\\') => true,
        Some(_) => {
            // One character (possibly several bytes), then the closing quote.
            let text = std::str::from_utf8(&s[1..]).unwrap_or("");
            let mut chars = text.chars();
            chars.next();
            chars.next() == Some('\'')
        }
        None => false,
    }
}

fn is_ident_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// The identifier at the start of `s`.
fn ident(s: &str) -> &str {
    let end = s.bytes().position(|c| !is_ident_byte(c)).unwrap_or(s.len());
    &s[..end]
}

/// The first names of the paths in a `{...}` group starting at `s` (just after the `{`):
/// `a::B, c, d::{e, f}` gives `a`, `c`, `d`.
fn group_heads(s: &str) -> Vec<&str> {
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut at_item_start = true;
    let mut i = 0;
    let b = s.as_bytes();
    while i < b.len() {
        match b[i] {
            b'{' => depth += 1,
            b'}' if depth == 0 => break,
            b'}' => depth -= 1,
            b',' if depth == 0 => at_item_start = true,
            c if c.is_ascii_whitespace() => {}
            c if at_item_start && depth == 0 && is_ident_byte(c) => {
                let name = ident(&s[i..]);
                heads.push(name);
                at_item_start = false;
                i += name.len();
                continue;
            }
            _ => at_item_start = false,
        }
        i += 1;
    }
    heads
}

/// Every name after `crate::` in `code` (the first path segment, or each head of a group).
fn crate_references(code: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut from = 0;
    while let Some(at) = code[from..].find("crate::") {
        let start = from + at;
        from = start + "crate::".len();
        // `crate::` itself, not the end of a longer name (`some_crate::`).
        if start > 0 && is_ident_byte(code.as_bytes()[start - 1]) {
            continue;
        }
        let rest = code[from..].trim_start();
        if let Some(group) = rest.strip_prefix('{') {
            names.extend(group_heads(group).into_iter().map(str::to_string));
        } else {
            let name = ident(rest);
            if !name.is_empty() {
                names.insert(name.to_string());
            }
        }
    }
    names
}

/// The names `lib.rs` re-exports (`pub use state::App;`, `pub use config::{Args, Config};`)
/// with the module each comes from.
fn reexports(lib: &str, modules: &BTreeSet<String>) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for statement in lib.split(';') {
        let Some(path) = statement.trim().strip_prefix("pub use ") else {
            continue;
        };
        let path = path.trim().trim_start_matches("crate::");
        let module = ident(path);
        if !modules.contains(module) {
            continue;
        }
        let rest = path[module.len()..].trim_start_matches("::").trim();
        let items: Vec<&str> = match rest.strip_prefix('{') {
            Some(group) => group.trim_end_matches('}').split(',').collect(),
            None => vec![rest],
        };
        for item in items {
            // `x as y` exports `y`.
            let name = item.rsplit(" as ").next().unwrap_or(item).trim();
            if !name.is_empty() && !name.contains("::") {
                map.insert(name.to_string(), module.to_string());
            }
        }
    }
    map
}

/// Module -> the modules it references, for every `src/*.rs` but `lib.rs` and `main.rs`.
fn module_graph() -> Graph {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(src()).expect("read src/") {
        let path = entry.expect("dir entry").path();
        if path.extension().is_some_and(|e| e == "rs") {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            if name != "lib" && name != "main" {
                let text = std::fs::read_to_string(&path).expect("read module");
                files.insert(name, text);
            }
        }
    }
    let modules: BTreeSet<String> = files.keys().cloned().collect();
    let lib = std::fs::read_to_string(src().join("lib.rs")).expect("read lib.rs");
    let reexported = reexports(&code_only(&lib), &modules);
    files
        .iter()
        .map(|(name, text)| {
            let deps = crate_references(&code_only(text))
                .into_iter()
                .filter_map(|r| {
                    if modules.contains(&r) {
                        Some(r)
                    } else {
                        reexported.get(&r).cloned()
                    }
                })
                .filter(|d| d != name)
                .collect();
            (name.clone(), deps)
        })
        .collect()
}

/// Every cycle met by a depth-first search (one per back edge), as `a -> b -> a`.
fn cycles(graph: &Graph) -> Vec<String> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    fn visit<'a>(
        node: &'a str,
        graph: &'a Graph,
        marks: &mut BTreeMap<&'a str, Mark>,
        path: &mut Vec<&'a str>,
        found: &mut Vec<String>,
    ) {
        marks.insert(node, Mark::Open);
        path.push(node);
        for next in graph.get(node).into_iter().flatten() {
            match marks.get(next.as_str()).copied().unwrap_or(Mark::New) {
                Mark::New => visit(next, graph, marks, path, found),
                Mark::Open => {
                    let start = path.iter().position(|n| n == next).unwrap_or(0);
                    let mut cycle = path[start..].to_vec();
                    cycle.push(next);
                    found.push(cycle.join(" -> "));
                }
                Mark::Done => {}
            }
        }
        path.pop();
        marks.insert(node, Mark::Done);
    }
    let mut marks = BTreeMap::new();
    let mut found = Vec::new();
    for node in graph.keys() {
        if marks.get(node.as_str()).copied().unwrap_or(Mark::New) == Mark::New {
            visit(node, graph, &mut marks, &mut Vec::new(), &mut found);
        }
    }
    found
}

/// The layers `lib.rs` documents, lowest first: its doc lines `//! N. [`a`], [`b`]: ...`, the
/// modules named before the first `:`.
fn documented_layers(lib: &str, modules: &BTreeSet<String>) -> Vec<Vec<String>> {
    lib.lines()
        .filter_map(|line| line.strip_prefix("//! "))
        .filter_map(|line| {
            let (number, rest) = line.split_once(". ")?;
            number.parse::<u32>().ok()?;
            let names = rest.split(": ").next().unwrap_or(rest);
            let layer: Vec<String> = names
                .split(',')
                .filter_map(|n| {
                    let n = n.trim().strip_prefix("[`")?.strip_suffix("`]")?;
                    modules.contains(n).then(|| n.to_string())
                })
                .collect();
            (!layer.is_empty()).then_some(layer)
        })
        .collect()
}

#[test]
fn modules_form_no_cycle() {
    let graph = module_graph();
    // The parser found the modules and their references (not a vacuous pass).
    assert!(graph.len() >= 10, "{graph:?}");
    assert!(graph["api"].contains("state"), "{graph:?}");
    let found = cycles(&graph);
    assert!(
        found.is_empty(),
        "import cycles between the modules of leadscore-serve (each module must depend only on \
         lower ones; see the layering in src/lib.rs):\n  {}\nthe module graph:\n{}",
        found.join("\n  "),
        graph
            .iter()
            .map(|(m, deps)| format!(
                "  {m} -> {}",
                deps.iter().cloned().collect::<Vec<_>>().join(", ")
            ))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn modules_depend_only_on_lower_layers_of_the_docs() {
    let graph = module_graph();
    let modules: BTreeSet<String> = graph.keys().cloned().collect();
    let lib = std::fs::read_to_string(src().join("lib.rs")).unwrap();
    let layers = documented_layers(&lib, &modules);
    let layer_of: BTreeMap<&str, usize> = layers
        .iter()
        .enumerate()
        .flat_map(|(i, layer)| layer.iter().map(move |m| (m.as_str(), i)))
        .collect();
    let missing: Vec<&String> = modules
        .iter()
        .filter(|m| !layer_of.contains_key(m.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "modules missing from the layering in src/lib.rs: {missing:?}"
    );
    let mut upward = Vec::new();
    for (module, deps) in &graph {
        for dep in deps {
            if layer_of[dep.as_str()] >= layer_of[module.as_str()] {
                upward.push(format!(
                    "{module} (layer {}) uses {dep} (layer {})",
                    layer_of[module.as_str()] + 1,
                    layer_of[dep.as_str()] + 1
                ));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "modules using a module at or above their own layer in src/lib.rs:\n  {}",
        upward.join("\n  ")
    );
}

#[test]
fn the_reference_scanner_reads_paths_groups_and_skips_comments_and_strings() {
    let code = code_only(
        r##"
        use crate::error::{Error, Result};
        use crate::{lead::Lead, state::{App, Serving}, metrics};
        // use crate::commented;
        /* crate::block /* nested */ crate::still_block */
        let s = "crate::in_string"; let r = r#"crate::in_raw "quoted" "#;
        let c = '"'; let l: &'static str = x; let e = '\'';
        fn f() { crate::decisions::now_ms(); some_crate::x(); }
        "##,
    );
    let refs = crate_references(&code);
    let want: BTreeSet<String> = ["error", "lead", "state", "metrics", "decisions"]
        .map(String::from)
        .into();
    assert_eq!(refs, want, "{code}");
    let modules: BTreeSet<String> = ["state", "config", "api"].map(String::from).into();
    let re = reexports(
        "pub use api::app;\npub use config::{Args, Config as Cfg};\npub use std::x::Y;\npub use state::App;",
        &modules,
    );
    assert_eq!(re["App"], "state");
    assert_eq!(re["Cfg"], "config");
    assert_eq!(re["app"], "api");
    assert!(!re.contains_key("Y"));
}

#[test]
fn the_cycle_finder_names_the_cycle() {
    let graph: Graph = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec!["a"]),
    ]
    .into_iter()
    .map(|(m, deps)| (m.to_string(), deps.into_iter().map(String::from).collect()))
    .collect();
    assert_eq!(cycles(&graph), vec!["a -> b -> c -> a"]);
    let dag: Graph = [("a", vec!["b"]), ("b", vec![])]
        .into_iter()
        .map(|(m, deps)| (m.to_string(), deps.into_iter().map(String::from).collect()))
        .collect();
    assert!(cycles(&dag).is_empty());
}
