//! The README and `docs/` stay true as the code moves: every link leads to a file (and heading)
//! that exists, every example names operations its file holds and every example operation is
//! described somewhere, the configuration table is the binary's own settings with their defaults,
//! the commands are the binary's subcommands, the architecture names every crate and module, and
//! the README stays short enough for a newcomer (the rest lives in `docs/` and `bench/`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use async_graphql::parser::parse_query;
use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

/// Where the README points a newcomer; everything longer moves to `docs/`.
const README_MAX_LINES: usize = 250;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// The Markdown a reader is sent to: the README, everything in `docs/`, the benchmarks' README.
fn documents() -> Vec<PathBuf> {
    let mut files = vec![root().join("README.md"), root().join("bench/README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .expect("docs/")
        .map(|entry| entry.expect("docs/ entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    files
}

/// A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces as hyphens.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// One Markdown file read once: its links, headings (as anchors), code blocks and the sections
/// (heading text → the events up to the next heading of the same or a higher level).
struct Markdown {
    links: Vec<String>,
    anchors: BTreeSet<String>,
    code_blocks: Vec<(Option<String>, String)>,
    /// Each paragraph's text and inline code, with the link it holds (if any), in order.
    paragraphs: Vec<Paragraph>,
    /// Tables with the heading they stand under: rows of cells (inline code and text joined).
    tables: Vec<(String, Vec<Vec<String>>)>,
}

#[derive(Default)]
struct Paragraph {
    text: String,
    /// Inline code spans before the paragraph's first link.
    code_before_link: Vec<String>,
    first_link: Option<String>,
}

fn parse(text: &str) -> Markdown {
    let mut doc = Markdown {
        links: Vec::new(),
        anchors: BTreeSet::new(),
        code_blocks: Vec::new(),
        paragraphs: Vec::new(),
        tables: Vec::new(),
    };
    let mut heading: Option<String> = None;
    let mut last_heading = String::new();
    let mut code: Option<(Option<String>, String)> = None;
    let mut paragraph: Option<Paragraph> = None;
    let mut table: Option<Vec<Vec<String>>> = None;
    let mut cell: Option<String> = None;
    for event in Parser::new_ext(text, Options::ENABLE_TABLES) {
        match event {
            Event::Start(Tag::Heading { .. }) => heading = Some(String::new()),
            Event::End(TagEnd::Heading(_)) => {
                let text = heading.take().unwrap_or_default();
                doc.anchors.insert(anchor(&text));
                last_heading = text;
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                let info = match kind {
                    CodeBlockKind::Fenced(info) if !info.is_empty() => Some(info.to_string()),
                    _ => None,
                };
                code = Some((info, String::new()));
            }
            Event::End(TagEnd::CodeBlock) => doc.code_blocks.extend(code.take()),
            Event::Start(Tag::Paragraph) => paragraph = Some(Paragraph::default()),
            Event::End(TagEnd::Paragraph) => doc.paragraphs.extend(paragraph.take()),
            Event::Start(Tag::Table(_)) => table = Some(Vec::new()),
            Event::End(TagEnd::Table) => {
                if let Some(rows) = table.take() {
                    doc.tables.push((last_heading.clone(), rows));
                }
            }
            Event::Start(Tag::TableHead | Tag::TableRow) => {
                if let Some(rows) = table.as_mut() {
                    rows.push(Vec::new());
                }
            }
            Event::Start(Tag::TableCell) => cell = Some(String::new()),
            Event::End(TagEnd::TableCell) => {
                if let (Some(rows), Some(text)) = (table.as_mut(), cell.take()) {
                    rows.last_mut().expect("a cell is inside a row").push(text);
                }
            }
            Event::Start(Tag::Link { dest_url, .. }) => {
                doc.links.push(dest_url.to_string());
                if let Some(p) = paragraph.as_mut() {
                    p.first_link.get_or_insert_with(|| dest_url.to_string());
                }
            }
            Event::Text(text) => {
                for sink in [heading.as_mut(), cell.as_mut()].into_iter().flatten() {
                    sink.push_str(&text);
                }
                if let Some((_, body)) = code.as_mut() {
                    body.push_str(&text);
                }
                if let Some(p) = paragraph.as_mut() {
                    p.text.push_str(&text);
                }
            }
            Event::Code(text) => {
                for sink in [heading.as_mut(), cell.as_mut()].into_iter().flatten() {
                    sink.push_str(&text);
                }
                if let Some(p) = paragraph.as_mut() {
                    p.text.push_str(&text);
                    if p.first_link.is_none() {
                        p.code_before_link.push(text.to_string());
                    }
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some(p) = paragraph.as_mut() {
                    p.text.push(' ');
                }
            }
            _ => {}
        }
    }
    doc
}

#[test]
fn the_readme_starts_with_the_two_commands_and_stays_short() {
    let text = read(&root().join("README.md"));
    let lines = text.lines().count();
    assert!(
        lines <= README_MAX_LINES,
        "README.md has {lines} lines, more than {README_MAX_LINES}: move the detail to docs/ and link it"
    );
    let doc = parse(&text);
    let (_, first) = doc.code_blocks.first().expect("the README opens with a code block");
    assert!(first.contains("cargo run -- serve --demo"), "the first block runs the server with demo data:\n{first}");
    assert!(first.contains("cargo test --workspace"), "the first block runs the tests:\n{first}");
    let ci = read(&root().join(".ci/run"));
    assert!(ci.contains("cargo test --workspace"), ".ci/run calls the README's test command");
}

#[test]
fn every_link_in_the_docs_leads_to_a_file_and_heading_that_exist() {
    let mut broken = Vec::new();
    let mut parsed: BTreeMap<PathBuf, Markdown> = BTreeMap::new();
    for file in documents() {
        parsed.insert(file.clone(), parse(&read(&file)));
    }
    for (file, doc) in &parsed {
        for link in &doc.links {
            if link.contains("://") || link.starts_with("mailto:") {
                continue;
            }
            let (path, fragment) = link.split_once('#').map_or((link.as_str(), None), |(p, f)| (p, Some(f)));
            let target =
                if path.is_empty() { file.clone() } else { file.parent().expect("a file has a folder").join(path) };
            if !target.exists() {
                broken.push(format!("{}: {link} (no such file)", file.display()));
                continue;
            }
            if let Some(fragment) = fragment {
                let anchors = match parsed.get(&target) {
                    Some(doc) => doc.anchors.clone(),
                    None => parse(&read(&target)).anchors,
                };
                if !anchors.contains(fragment) {
                    broken.push(format!("{}: {link} (no heading #{fragment}; there are {anchors:?})", file.display()));
                }
            }
        }
    }
    assert!(broken.is_empty(), "links that lead nowhere:\n{}", broken.join("\n"));
}

/// The operation names a GraphQL document defines.
fn operation_names(path: &Path) -> BTreeSet<String> {
    let document = parse_query(read(path)).unwrap_or_else(|e| panic!("{} does not parse: {e}", path.display()));
    document.operations.iter().filter_map(|(name, _)| name.map(|n| n.to_string())).collect()
}

#[test]
fn every_example_names_operations_its_file_holds_and_every_operation_is_described() {
    let operations = root().join("docs/operations");
    let mut described: BTreeSet<(String, String)> = BTreeSet::new();
    let mut wrong = Vec::new();
    for file in documents() {
        for paragraph in parse(&read(&file)).paragraphs {
            if !paragraph.text.starts_with("Example:") {
                continue;
            }
            let link = paragraph
                .first_link
                .unwrap_or_else(|| panic!("{}: an example names its file: {}", file.display(), paragraph.text));
            let target = file.parent().expect("a file has a folder").join(&link);
            let defined = operation_names(&target);
            let file_name = target.file_name().expect("a file name").to_string_lossy().to_string();
            assert!(!paragraph.code_before_link.is_empty(), "{}: an example names its operations", file.display());
            for name in paragraph.code_before_link {
                if !defined.contains(&name) {
                    wrong.push(format!(
                        "{}: `{name}` is not an operation of {link} (it has {defined:?})",
                        file.display()
                    ));
                }
                described.insert((file_name.clone(), name));
            }
        }
    }
    assert!(wrong.is_empty(), "examples naming what is not there:\n{}", wrong.join("\n"));

    let mut undescribed = Vec::new();
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(&operations).expect("docs/operations").map(|e| e.expect("entry").path()).collect();
    files.sort();
    for path in files {
        let file_name = path.file_name().expect("a file name").to_string_lossy().to_string();
        let document = parse_query(read(&path)).expect("parses");
        for (name, _) in document.operations.iter() {
            let name = name.unwrap_or_else(|| panic!("{file_name}: every example operation is named")).to_string();
            if !described.contains(&(file_name.clone(), name.clone())) {
                undescribed.push(format!("{file_name}: {name}"));
            }
        }
    }
    assert!(undescribed.is_empty(), "example operations no document describes:\n{}", undescribed.join("\n"));
}

/// The binary's own help, as a user would read it.
fn help(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_neighbourhood"))
        .args(args)
        .arg("--help")
        .env_remove("DATABASE_URL")
        .output()
        .expect("running the binary");
    assert!(output.status.success(), "{args:?} --help failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).expect("help is UTF-8")
}

/// Each setting of a help text: environment variable → (flag, default if any). A flag's block
/// runs from its line to the next flag's, with `[env: …]` and `[default: …]` in either order.
fn settings(help: &str) -> BTreeMap<String, (String, Option<String>)> {
    #[derive(Default)]
    struct Block {
        flag: String,
        env: Option<String>,
        default: Option<String>,
    }
    let mut blocks: Vec<Block> = Vec::new();
    for line in help.lines() {
        let line = line.trim();
        if let Some(at) = line.find("--").filter(|_| line.starts_with('-')) {
            let flag = line[at..].split([' ', '=', '<']).next().expect("a flag").to_owned();
            blocks.push(Block { flag, ..Block::default() });
        }
        let Some(block) = blocks.last_mut() else { continue };
        if let Some(rest) = line.strip_prefix("[default: ") {
            block.default = Some(rest.trim_end_matches(']').to_owned());
        }
        if let Some(rest) = line.strip_prefix("[env: ") {
            // A secret's value is never shown: `[env: NAME]` rather than `[env: NAME=value]`.
            block.env = Some(rest.split(['=', ']']).next().expect("an env name").to_owned());
        }
    }
    blocks.into_iter().filter_map(|b| Some((b.env?, (b.flag, b.default)))).collect()
}

#[test]
fn the_configuration_table_is_the_binarys_own_settings() {
    // `serve --help` shows the top level's settings too: those are given before any subcommand.
    let mut binary: BTreeMap<String, (String, Option<String>)> = BTreeMap::new();
    for (name, (flag, default)) in settings(&help(&["serve"])) {
        binary.insert(name, (format!("serve {flag}"), default));
    }
    binary.extend(settings(&help(&[])));
    assert!(binary.contains_key("DATABASE_URL") && binary.contains_key("NEIGHBOURHOOD_ADDR"), "{binary:?}");

    let readme = parse(&read(&root().join("README.md")));
    let (_, rows) = readme
        .tables
        .iter()
        .find(|(heading, _)| heading == "Configuration")
        .expect("the README's Configuration section has a table");
    let mut documented: BTreeMap<String, (String, String)> = BTreeMap::new();
    for row in rows.iter().skip(1) {
        documented.insert(row[0].clone(), (row[1].clone(), row[2].clone()));
    }

    let mut wrong = Vec::new();
    for (name, (flag, default)) in &binary {
        match documented.get(name) {
            None => wrong.push(format!("{name} ({flag}) is a setting the README does not list")),
            Some((doc_flag, doc_default)) => {
                if doc_flag != flag {
                    wrong.push(format!("{name}: the README says flag `{doc_flag}`, the binary `{flag}`"));
                }
                if let Some(default) = default {
                    if !doc_default.contains(default.as_str()) {
                        wrong.push(format!("{name}: the README says default `{doc_default}`, the binary `{default}`"));
                    }
                }
            }
        }
    }
    for name in documented.keys() {
        if !binary.contains_key(name) {
            wrong.push(format!("the README lists {name}, which the binary does not read"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_commands_block_names_every_subcommand() {
    let top = help(&[]);
    let subcommands: Vec<&str> = top
        .lines()
        .skip_while(|line| !line.starts_with("Commands:"))
        .skip(1)
        .take_while(|line| line.starts_with("  "))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .collect();
    assert!(subcommands.contains(&"serve") && subcommands.contains(&"token"), "{top}");
    let readme = read(&root().join("README.md"));
    let commands = &readme[readme.find("## Commands").expect("a Commands section")..];
    for name in subcommands {
        assert!(
            commands.contains(&format!("neighbourhood {name}"))
                || commands.contains(&format!("neighbourhood [{name}]")),
            "the README's Commands section does not show `neighbourhood {name}`"
        );
    }
}

/// The modules a crate's lib.rs declares.
fn modules(lib: &str) -> Vec<String> {
    read(&root().join(lib))
        .lines()
        .filter_map(|line| line.strip_prefix("pub mod ").or_else(|| line.strip_prefix("mod ")))
        .map(|rest| rest.trim_end_matches(';').to_owned())
        .collect()
}

#[test]
fn the_architecture_names_every_crate_and_module() {
    let text = read(&root().join("README.md"));
    let architecture = &text[text.find("## Architecture").expect("an Architecture section")..];
    let doc = parse(architecture);
    let (_, block) = doc.code_blocks.first().expect("the architecture is drawn in a code block");

    // Each crate's lines: its own (unindented) line and the indented ones below it.
    let mut sections: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut current = String::new();
    for line in block.lines() {
        if !line.starts_with(' ') {
            current = line.split_whitespace().next().unwrap_or_default().trim_end_matches('/').to_owned();
        }
        let words = line.split(|c: char| !(c.is_alphanumeric() || c == '_')).filter(|w| !w.is_empty());
        sections.entry(current.clone()).or_default().extend(words.map(str::to_owned));
    }

    let manifest = read(&root().join("Cargo.toml"));
    let members =
        manifest.lines().find(|line| line.trim_start().starts_with("members")).expect("a workspace members list");
    let mut missing = Vec::new();
    for member in members.split('"').skip(1).step_by(2).filter(|m| *m != ".") {
        if !sections.contains_key(member) {
            missing.push(format!("the crate {member}/"));
        }
    }
    for (krate, lib) in [("api", "api/src/lib.rs"), ("domain", "domain/src/lib.rs"), ("server", "server/src/lib.rs")] {
        let names = sections.get(krate).cloned().unwrap_or_default();
        for module in modules(lib) {
            if !names.contains(&module) {
                missing.push(format!("{krate}::{module}"));
            }
        }
    }
    assert!(missing.is_empty(), "the README's architecture leaves out: {}", missing.join(", "));
}

#[test]
fn anchors_are_made_as_github_makes_them() {
    assert_eq!(anchor("Seeding the demo"), "seeding-the-demo");
    assert_eq!(anchor("Who sees what"), "who-sees-what");
    assert_eq!(anchor("What a team does with Neighbourhood"), "what-a-team-does-with-neighbourhood");
    assert_eq!(anchor("Figures for a PCN lead"), "figures-for-a-pcn-lead");
}

/// The README's "Who sees what" table is the access policy's allow-list: every (organisation kind,
/// role) pair it lists, with the reach and the record it says, is one the policy has, and every
/// pair the policy has is listed, with that reach and record, and whether it reads the sensitive
/// categories.
#[test]
fn the_who_sees_what_table_is_the_access_policys_allow_list() {
    use domain::auth::policy::{condition_view_of, IDENTIFIABLE_ACCESS};
    use domain::conditions::ConditionView;
    use domain::label::label;
    let readme = parse(&read(&root().join("README.md")));
    let (_, rows) = readme
        .tables
        .iter()
        .find(|(heading, rows)| heading == "Who sees what" && rows.first().is_some_and(|r| r[0] == "organisation"))
        .expect("the README's Who sees what section has the allow-list table");
    let mut documented = BTreeSet::new();
    for row in rows.iter().skip(1) {
        for kind in row[0].split(", ") {
            for role in row[1].split(", ") {
                assert!(
                    documented.insert((
                        kind.to_owned(),
                        role.to_owned(),
                        row[2].clone(),
                        row[3].clone(),
                        row[4].clone()
                    )),
                    "{kind} {role} is listed twice"
                );
            }
        }
    }
    let policy: BTreeSet<(String, String, String, String, String)> = IDENTIFIABLE_ACCESS
        .iter()
        .flat_map(|(kind, roles)| {
            roles.iter().map(|(role, reach, level)| {
                let sensitive = match condition_view_of(*kind, *role) {
                    ConditionView::All => "read",
                    ConditionView::ExceptSensitive => "withheld",
                };
                (
                    label(*kind),
                    label(*role),
                    reach.describe().to_owned(),
                    level.describe().to_owned(),
                    sensitive.to_owned(),
                )
            })
        })
        .collect();
    let missing: Vec<_> = policy.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&policy).collect();
    assert!(missing.is_empty() && extra.is_empty(), "not in the README: {missing:?}; not in the policy: {extra:?}");
}
