//! The crates' modules in layers: no import cycle joins two top-level
//! modules of `phyx/src` or `phyx-macros/src`.
//!
//! A module's dependencies are the other top-level modules it names as
//! `crate::name` (in `use` items or in paths), anywhere in its files. A
//! cycle inside one folder (`kernel/`, say) is allowed: its files form one
//! top-level module. The test prints each crate's layers, bottom first.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Top-level module name -> the top-level modules it names.
type Graph = BTreeMap<String, BTreeSet<String>>;

fn crate_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(name).join("src")
}

/// Every `.rs` file under `dir`, recursively.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).expect("the source folder is readable") {
        let path = entry.expect("a readable entry").path();
        if path.is_dir() {
            files.extend(sources(&path));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
    files
}

/// The top-level module a file of `src` belongs to (`None` for the crate
/// root, which may name everything).
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src).expect("a file under src");
    let first = relative.components().next()?.as_os_str().to_string_lossy().into_owned();
    let name = first.strip_suffix(".rs").unwrap_or(&first).to_owned();
    (name != "lib").then_some(name)
}

/// The names following `crate::` in `text`, outside comments; a
/// `use crate::{a, b::c}` group yields each of its first segments.
fn named_modules(text: &str) -> BTreeSet<String> {
    let code: String = text
        .lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let mut names = BTreeSet::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + "crate::".len()..];
        // `$crate::` and `the_crate::` are other paths.
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let end = matching_brace(group);
            for item in split_top_level(&group[..end]) {
                names.extend(first_segment(item.trim()));
            }
            rest = &group[end..];
        } else {
            names.extend(first_segment(rest));
        }
    }
    names
}

fn first_segment(path: &str) -> Option<String> {
    let name: String = path.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
    (!name.is_empty() && name != "self").then_some(name)
}

/// The index of the `}` closing a group whose `{` was just consumed.
fn matching_brace(group: &str) -> usize {
    let mut depth = 0usize;
    for (index, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return index,
            '}' => depth -= 1,
            _ => {}
        }
    }
    group.len()
}

/// `a, b::{c, d}, e` split at the commas outside braces.
fn split_top_level(list: &str) -> Vec<&str> {
    let (mut items, mut depth, mut start) = (Vec::new(), 0usize, 0);
    for (index, c) in list.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                items.push(&list[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    items.push(&list[start..]);
    items
}

fn graph(crate_name: &str) -> Graph {
    let src = crate_dir(crate_name);
    let mut graph = Graph::new();
    let files = sources(&src);
    for file in &files {
        if let Some(module) = module_of(&src, file) {
            graph.entry(module).or_default();
        }
    }
    let modules: BTreeSet<String> = graph.keys().cloned().collect();
    for file in &files {
        let Some(module) = module_of(&src, file) else { continue };
        let text = fs::read_to_string(file).expect("a readable source file");
        let deps: Vec<String> = named_modules(&text)
            .into_iter()
            .filter(|name| *name != module && modules.contains(name))
            .collect();
        graph.entry(module).or_default().extend(deps);
    }
    graph
}

/// Strongly connected components (Tarjan), each sorted.
fn components(graph: &Graph) -> Vec<Vec<String>> {
    struct Tarjan<'a> {
        graph: &'a Graph,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<Vec<String>>,
    }
    impl<'a> Tarjan<'a> {
        fn visit(&mut self, node: &'a str) {
            let next = self.index.len();
            self.index.insert(node, next);
            self.low.insert(node, next);
            self.stack.push(node);
            self.on_stack.insert(node);
            for dep in &self.graph[node] {
                let dep = dep.as_str();
                if !self.index.contains_key(dep) {
                    self.visit(dep);
                    let low = self.low[node].min(self.low[dep]);
                    self.low.insert(node, low);
                } else if self.on_stack.contains(dep) {
                    let low = self.low[node].min(self.index[dep]);
                    self.low.insert(node, low);
                }
            }
            if self.low[node] == self.index[node] {
                let mut component = Vec::new();
                while let Some(member) = self.stack.pop() {
                    self.on_stack.remove(member);
                    component.push(member.to_owned());
                    if member == node {
                        break;
                    }
                }
                component.sort();
                self.found.push(component);
            }
        }
    }
    let mut tarjan = Tarjan {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for node in graph.keys() {
        if !tarjan.index.contains_key(node.as_str()) {
            tarjan.visit(node);
        }
    }
    // Tarjan finds components dependencies first: bottom layer first.
    tarjan.found
}

fn assert_layered(crate_name: &str) {
    let graph = graph(crate_name);
    let components = components(&graph);
    let layers: Vec<String> = components.iter().map(|component| component.join(" + ")).collect();
    eprintln!("{crate_name}, bottom first: {}", layers.join(" < "));
    let cycles: Vec<String> = components
        .iter()
        .filter(|component| component.len() > 1)
        .map(|component| {
            let edges: Vec<String> = component
                .iter()
                .flat_map(|from| {
                    graph[from]
                        .iter()
                        .filter(|to| component.contains(to))
                        .map(move |to| format!("{from} -> {to}"))
                })
                .collect();
            format!("{{{}}}: {}", component.join(", "), edges.join(", "))
        })
        .collect();
    assert!(
        cycles.is_empty(),
        "import cycles between top-level modules of {crate_name}/src (move the shared part down, \
         or put the modules in one folder):\n  {}",
        cycles.join("\n  ")
    );
}

#[test]
fn the_runtime_has_no_import_cycle_between_top_level_modules() {
    assert_layered("phyx");
}

#[test]
fn the_macros_have_no_import_cycle_between_top_level_modules() {
    assert_layered("phyx-macros");
}

#[test]
fn the_test_kit_has_no_import_cycle_between_top_level_modules() {
    assert_layered("phyx-testkit");
}

#[test]
fn the_reader_finds_grouped_and_nested_imports() {
    let text = "use crate::a::X;\nuse crate::{b, c::{D, E}, self};\n// crate::commented\nlet x = crate::f::g();\n$crate::h\nphyx_crate::i";
    let found: Vec<String> = named_modules(text).into_iter().collect();
    assert_eq!(found, ["a", "b", "c", "f"]);
}

#[test]
fn the_cycle_finder_finds_cycles_and_only_them() {
    let graph: Graph = [("a", vec!["b"]), ("b", vec!["c"]), ("c", vec!["a"]), ("d", vec!["a"])]
        .into_iter()
        .map(|(from, to)| (from.to_owned(), to.into_iter().map(str::to_owned).collect()))
        .collect();
    let components = components(&graph);
    assert_eq!(components, [vec!["a", "b", "c"], vec!["d"]]);
}
