//! Drawings of a definition: Mermaid flowcharts and Graphviz DOT.
//!
//! Both come from one small graph built from the model: a node per state, an edge per
//! transition. Choice edges carry their rule (`$.total > 0`, `default`); Catch edges are dashed
//! and carry the errors they catch; Parallel branches and Map processors are clusters entered
//! from the state and left through a join point; a Task that starts a nested execution links
//! to a node for the child state machine (and, in DOT, to the child's drawing
//! `<Child>.svg`).

use std::collections::HashMap;
use std::fmt::Write as _;

use sfn_core::{ChoiceRule, Operand, State, StateMachine, States, Test, Transition};

use crate::asl::optimized;
use crate::refs;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Start,
    End,
    Join,
    Task,
    Pass,
    Choice,
    Wait,
    Succeed,
    Fail,
    Parallel,
    Map,
    Child,
}

#[derive(Debug)]
struct Node {
    id: String,
    label: String,
    detail: Option<String>,
    kind: Kind,
    cluster: Option<usize>,
    link: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Solid,
    Dashed,
    Dotted,
}

#[derive(Debug)]
struct Edge {
    from: String,
    to: String,
    label: Option<String>,
    style: Style,
}

#[derive(Debug)]
struct Cluster {
    id: String,
    label: String,
    parent: Option<usize>,
}

#[derive(Debug, Default)]
struct Graph {
    nodes: Vec<Node>,
    edges: Vec<Edge>,
    clusters: Vec<Cluster>,
    children: HashMap<String, String>,
}

const MAX_LABEL: usize = 60;

impl Graph {
    fn build(machine: &StateMachine) -> Graph {
        let mut g = Graph::default();
        g.node("start", "Start", None, Kind::Start, None);
        g.node("end", "End", None, Kind::End, None);
        g.block(
            &machine.states,
            &machine.start_at,
            None,
            "start",
            None,
            "end",
        );
        g
    }

    fn node(
        &mut self,
        id: &str,
        label: &str,
        detail: Option<String>,
        kind: Kind,
        cluster: Option<usize>,
    ) {
        self.nodes.push(Node {
            id: id.to_owned(),
            label: label.to_owned(),
            detail,
            kind,
            cluster,
            link: None,
        });
    }

    fn edge(&mut self, from: &str, to: &str, label: Option<String>, style: Style) {
        self.edges.push(Edge {
            from: from.to_owned(),
            to: to.to_owned(),
            label,
            style,
        });
    }

    /// Draws one `States` block inside `cluster`: an edge from `entry` to its first state, and
    /// from each state that ends the block to `exit`.
    fn block(
        &mut self,
        states: &States,
        start_at: &str,
        cluster: Option<usize>,
        entry: &str,
        entry_label: Option<String>,
        exit: &str,
    ) {
        let prefix = format!("n{}_", self.nodes.len());
        let ids: HashMap<&str, String> = states
            .keys()
            .enumerate()
            .map(|(i, name)| (name.as_str(), format!("{prefix}{i}")))
            .collect();
        if let Some(first) = ids.get(start_at) {
            self.edge(entry, first, entry_label, Style::Solid);
        }
        for (name, state) in states {
            let id = ids[name.as_str()].clone();
            // Where the state's own transitions leave from: a Parallel or Map is left from its
            // join point, after its branches or iterations.
            let from = match state {
                State::Parallel(p) => {
                    self.node(&id, name, Some("Parallel".into()), Kind::Parallel, cluster);
                    let join = format!("{id}_join");
                    self.node(&join, "", None, Kind::Join, cluster);
                    for (i, branch) in p.branches.iter().enumerate() {
                        let c = self.cluster(
                            &format!("{id}_b{i}"),
                            &format!("{name}: branch {}", i + 1),
                            cluster,
                        );
                        self.block(&branch.states, &branch.start_at, Some(c), &id, None, &join);
                    }
                    join
                }
                State::Map(m) => {
                    let detail = if m.is_distributed() {
                        "Map (distributed)"
                    } else {
                        "Map"
                    };
                    self.node(&id, name, Some(detail.into()), Kind::Map, cluster);
                    let join = format!("{id}_join");
                    self.node(&join, "", None, Kind::Join, cluster);
                    if let Some(p) = m.processor() {
                        let c = self.cluster(
                            &format!("{id}_p"),
                            &format!("{name}: each item"),
                            cluster,
                        );
                        self.block(&p.states, &p.start_at, Some(c), &id, None, &join);
                    }
                    join
                }
                State::Task(t) => {
                    self.node(
                        &id,
                        name,
                        Some(task_detail(&t.resource)),
                        Kind::Task,
                        cluster,
                    );
                    if let Some(child) = child_of(t) {
                        self.child(&id, &child);
                    }
                    id.clone()
                }
                State::Choice(c) => {
                    self.node(&id, name, Some("Choice".into()), Kind::Choice, cluster);
                    for rule in &c.choices {
                        if let Some(next) = rule.next.as_deref().and_then(|n| ids.get(n)) {
                            self.edge(&id, next, Some(shorten(&rule_text(rule))), Style::Solid);
                        }
                    }
                    if let Some(next) = c.default.as_deref().and_then(|n| ids.get(n)) {
                        self.edge(&id, next, Some("default".into()), Style::Solid);
                    }
                    id.clone()
                }
                State::Pass(_) => {
                    self.node(&id, name, Some("Pass".into()), Kind::Pass, cluster);
                    id.clone()
                }
                State::Wait(_) => {
                    self.node(&id, name, Some("Wait".into()), Kind::Wait, cluster);
                    id.clone()
                }
                State::Succeed(_) => {
                    self.node(&id, name, Some("Succeed".into()), Kind::Succeed, cluster);
                    self.edge(&id, exit, None, Style::Solid);
                    id.clone()
                }
                State::Fail(f) => {
                    let error = f.error.as_ref().and_then(|e| e.value()).cloned();
                    let detail = error.map_or("Fail".to_owned(), |e| format!("Fail: {e}"));
                    self.node(&id, name, Some(detail), Kind::Fail, cluster);
                    id.clone()
                }
            };
            match state.transition() {
                Some(Transition::Next(next)) => {
                    if let Some(to) = ids.get(next) {
                        self.edge(&from, to, None, Style::Solid);
                    }
                }
                Some(Transition::End) => self.edge(&from, exit, None, Style::Solid),
                None => {}
            }
            for catcher in state.catchers() {
                if let Some(to) = ids.get(catcher.next.as_str()) {
                    let label = format!("catch {}", catcher.error_equals.join(", "));
                    self.edge(&id, to, Some(shorten(&label)), Style::Dashed);
                }
            }
        }
    }

    fn cluster(&mut self, id: &str, label: &str, parent: Option<usize>) -> usize {
        self.clusters.push(Cluster {
            id: id.to_owned(),
            label: label.to_owned(),
            parent,
        });
        self.clusters.len() - 1
    }

    /// One node per child state machine, linked from every state that starts it.
    fn child(&mut self, from: &str, child: &str) {
        let id = match self.children.get(child) {
            Some(id) => id.clone(),
            None => {
                let id = format!("child_{}", refs::logical_id(child));
                self.node(&id, child, Some("state machine".into()), Kind::Child, None);
                if let Some(node) = self.nodes.last_mut() {
                    node.link = Some(child.to_owned());
                }
                self.children.insert(child.to_owned(), id.clone());
                id
            }
        };
        self.edge(from, &id, Some("starts".into()), Style::Dotted);
    }
}

fn child_of(task: &sfn_core::Task) -> Option<String> {
    let (service, action, _) = optimized(&task.resource)?;
    if (service, action) != ("states", "startExecution") {
        return None;
    }
    let payload = task
        .parameters
        .as_ref()
        .or(task.arguments.as_ref())?
        .as_json();
    let arn = payload.get("StateMachineArn")?.as_str()?;
    refs::parse_state_machine_arn(arn).map(|(name, _)| name.to_owned())
}

/// `arn:aws:states:::lambda:invoke` → `lambda:invoke`; other ARNs by their last part.
fn task_detail(resource: &str) -> String {
    if let Some((service, action, _)) = optimized(resource) {
        let suffix = resource.rsplit_once(action).map_or("", |(_, s)| s);
        return format!("{service}:{action}{suffix}");
    }
    if let Some((name, _)) = crate::asl::legacy_function(resource) {
        return format!("Lambda {name}");
    }
    if let Some((_, activity)) = resource.split_once(":activity:") {
        return format!("activity {activity}");
    }
    "Task".to_owned()
}

fn shorten(text: &str) -> String {
    if text.chars().count() <= MAX_LABEL {
        return text.to_owned();
    }
    let cut: String = text.chars().take(MAX_LABEL - 1).collect();
    format!("{cut}…")
}

/// A choice rule as a short condition: `$.total > 0 and $.valid == true`.
fn rule_text(rule: &ChoiceRule) -> String {
    match &rule.test {
        Test::Compare {
            variable,
            operator,
            operand,
        } => {
            let op = operator.as_str();
            let operand_text = match operand {
                Operand::String(s) => format!("{s:?}"),
                Operand::Number(n) => n.to_string(),
                Operand::Bool(b) => b.to_string(),
                Operand::Path(p) => p.as_str().to_owned(),
            };
            let var = variable.as_str();
            if let Some(kind) = op.strip_prefix("Is") {
                let negated = matches!(operand, Operand::Bool(false));
                let what = match kind {
                    "Present" => "present".to_owned(),
                    "Null" => "null".to_owned(),
                    other => other.to_lowercase(),
                };
                return format!("{var} is {}{what}", if negated { "not " } else { "" });
            }
            let base = op.strip_suffix("Path").unwrap_or(op);
            let symbol = [
                "Equals",
                "LessThanEquals",
                "GreaterThanEquals",
                "LessThan",
                "GreaterThan",
                "Matches",
            ]
            .iter()
            .find(|s| {
                base.ends_with(*s)
                    && !(**s == "Equals"
                        && (base.ends_with("LessThanEquals")
                            || base.ends_with("GreaterThanEquals")))
            })
            .map(|s| match *s {
                "Equals" => "==",
                "LessThanEquals" => "<=",
                "GreaterThanEquals" => ">=",
                "LessThan" => "<",
                "GreaterThan" => ">",
                _ => "matches",
            })
            .unwrap_or(op);
            format!("{var} {symbol} {operand_text}")
        }
        Test::And(rules) => join(rules, " and "),
        Test::Or(rules) => join(rules, " or "),
        Test::Not(rule) => format!("not ({})", rule_text(rule)),
        Test::Condition(c) => match c {
            sfn_core::OrExpr::Value(b) => b.to_string(),
            sfn_core::OrExpr::Expr(e) => e.as_str().to_owned(),
        },
    }
}

fn join(rules: &[ChoiceRule], sep: &str) -> String {
    rules
        .iter()
        .map(|r| match r.test {
            Test::And(_) | Test::Or(_) => format!("({})", rule_text(r)),
            _ => rule_text(r),
        })
        .collect::<Vec<_>>()
        .join(sep)
}

/// The Mermaid flowchart of a definition (`flowchart TD`).
pub fn mermaid(machine: &StateMachine) -> String {
    let g = Graph::build(machine);
    let mut out = String::from("flowchart TD\n");
    for (kind, style) in [
        ("task", "fill:#e8f1fb,stroke:#3b6ea8"),
        ("choice", "fill:#fff4d6,stroke:#b08900"),
        ("fail", "fill:#fbe3e3,stroke:#b03a3a"),
        ("succeed", "fill:#e3f5e1,stroke:#3a8a3a"),
        ("flow", "fill:#f2f2f2,stroke:#777"),
        ("child", "fill:#efe6fa,stroke:#6b4fa0"),
    ] {
        let _ = writeln!(out, "    classDef {kind} {style}");
    }
    mermaid_nodes(&g, None, 1, &mut out);
    for e in &g.edges {
        let label = e.label.as_deref().map(mermaid_text);
        let arrow = match (e.style, label) {
            (Style::Solid, None) => "-->".to_owned(),
            (Style::Solid, Some(l)) => format!("-->|\"{l}\"|"),
            (Style::Dashed | Style::Dotted, None) => "-.->".to_owned(),
            (Style::Dashed | Style::Dotted, Some(l)) => format!("-.->|\"{l}\"|"),
        };
        let _ = writeln!(out, "    {} {arrow} {}", e.from, e.to);
    }
    for n in &g.nodes {
        if let Some(child) = &n.link {
            let _ = writeln!(out, "    click {} href \"{child}.mmd\"", n.id);
        }
    }
    out
}

fn mermaid_nodes(g: &Graph, cluster: Option<usize>, depth: usize, out: &mut String) {
    let indent = "    ".repeat(depth);
    for n in g.nodes.iter().filter(|n| n.cluster == cluster) {
        let text = match &n.detail {
            Some(d) => format!(
                "{}<br/><small>{}</small>",
                mermaid_text(&n.label),
                mermaid_text(d)
            ),
            None => mermaid_text(&n.label),
        };
        let (shape, class) = match n.kind {
            Kind::Start | Kind::End => (format!("([\"{text}\"])"), "flow"),
            Kind::Join => ("(( ))".to_owned(), "flow"),
            Kind::Choice => (format!("{{\"{text}\"}}"), "choice"),
            Kind::Fail => (format!("[[\"{text}\"]]"), "fail"),
            Kind::Succeed => (format!("([\"{text}\"])"), "succeed"),
            Kind::Child => (format!("[[\"{text}\"]]"), "child"),
            Kind::Pass | Kind::Wait => (format!("(\"{text}\")"), "flow"),
            Kind::Task | Kind::Parallel | Kind::Map => (format!("[\"{text}\"]"), "task"),
        };
        let _ = writeln!(out, "{indent}{}{shape}:::{class}", n.id);
    }
    for (i, c) in g
        .clusters
        .iter()
        .enumerate()
        .filter(|(_, c)| c.parent == cluster)
    {
        let _ = writeln!(
            out,
            "{indent}subgraph {}[\"{}\"]",
            c.id,
            mermaid_text(&c.label)
        );
        mermaid_nodes(g, Some(i), depth + 1, out);
        let _ = writeln!(out, "{indent}end");
    }
}

/// Text inside a quoted Mermaid label: quotes and angle brackets as entities.
fn mermaid_text(text: &str) -> String {
    text.replace('"', "#quot;")
        .replace('<', "#lt;")
        .replace('>', "#gt;")
}

/// The Graphviz DOT graph of a definition, named `name`.
pub fn dot(name: &str, machine: &StateMachine) -> String {
    let g = Graph::build(machine);
    let mut out = String::new();
    let _ = writeln!(out, "digraph \"{}\" {{", dot_text(name));
    out.push_str(
        "    graph [rankdir=TB, fontname=\"Helvetica\", fontsize=11, nodesep=0.4, ranksep=0.45, labelloc=t];\n\
         \x20   node [fontname=\"Helvetica\", fontsize=11, shape=box, style=\"rounded,filled\", fillcolor=\"#e8f1fb\", color=\"#3b6ea8\", margin=\"0.15,0.06\"];\n\
         \x20   edge [fontname=\"Helvetica\", fontsize=9, color=\"#555555\", fontcolor=\"#333333\"];\n",
    );
    let _ = writeln!(out, "    label=\"{}\";", dot_text(name));
    dot_nodes(&g, None, 1, &mut out);
    for e in &g.edges {
        let mut attrs = Vec::new();
        if let Some(l) = &e.label {
            attrs.push(format!("label=\"{}\"", dot_text(l)));
        }
        match e.style {
            Style::Solid => {}
            Style::Dashed => {
                attrs.push("style=dashed, color=\"#b03a3a\", fontcolor=\"#b03a3a\"".into())
            }
            Style::Dotted => {
                attrs.push("style=dotted, color=\"#6b4fa0\", fontcolor=\"#6b4fa0\"".into())
            }
        }
        if attrs.is_empty() {
            let _ = writeln!(out, "    {} -> {};", e.from, e.to);
        } else {
            let _ = writeln!(out, "    {} -> {} [{}];", e.from, e.to, attrs.join(", "));
        }
    }
    out.push_str("}\n");
    out
}

fn dot_nodes(g: &Graph, cluster: Option<usize>, depth: usize, out: &mut String) {
    let indent = "    ".repeat(depth);
    for n in g.nodes.iter().filter(|n| n.cluster == cluster) {
        let label = match &n.detail {
            Some(d) => format!("{}\\n{}", dot_text(&n.label), dot_text(d)),
            None => dot_text(&n.label),
        };
        let attrs = match n.kind {
            Kind::Start | Kind::End => {
                format!("label=\"{label}\", shape=oval, fillcolor=\"#f2f2f2\", color=\"#777777\"")
            }
            Kind::Join => "label=\"\", shape=point, width=0.12, color=\"#777777\"".to_owned(),
            Kind::Choice => format!(
                "label=\"{label}\", shape=diamond, style=filled, fillcolor=\"#fff4d6\", color=\"#b08900\""
            ),
            Kind::Fail => format!("label=\"{label}\", fillcolor=\"#fbe3e3\", color=\"#b03a3a\""),
            Kind::Succeed => format!("label=\"{label}\", fillcolor=\"#e3f5e1\", color=\"#3a8a3a\""),
            Kind::Pass | Kind::Wait => {
                format!("label=\"{label}\", fillcolor=\"#f2f2f2\", color=\"#777777\"")
            }
            Kind::Child => format!(
                "label=\"{label}\", shape=component, style=filled, fillcolor=\"#efe6fa\", color=\"#6b4fa0\", href=\"{}.svg\"",
                dot_text(n.link.as_deref().unwrap_or_default())
            ),
            Kind::Task | Kind::Parallel | Kind::Map => format!("label=\"{label}\""),
        };
        let _ = writeln!(out, "{indent}{} [{attrs}];", n.id);
    }
    for (i, c) in g
        .clusters
        .iter()
        .enumerate()
        .filter(|(_, c)| c.parent == cluster)
    {
        let _ = writeln!(out, "{indent}subgraph cluster_{} {{", c.id);
        let _ = writeln!(
            out,
            "{indent}    label=\"{}\"; style=\"rounded,dashed\"; color=\"#999999\"; fontsize=10;",
            dot_text(&c.label)
        );
        dot_nodes(g, Some(i), depth + 1, out);
        let _ = writeln!(out, "{indent}}}");
    }
}

/// Text inside a quoted DOT string.
fn dot_text(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

/// An image format Graphviz renders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    /// Scalable vector graphics.
    Svg,
    /// Portable network graphics.
    Png,
}

/// Why a drawing could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// Graphviz is not installed.
    #[error(
        "rendering an image needs Graphviz's `dot`, which was not found on PATH; install Graphviz (Debian/Ubuntu: `apt-get install graphviz`, macOS: `brew install graphviz`) or use `--format dot` or `--format mermaid`"
    )]
    NoGraphviz,
    /// `dot` failed.
    #[error("`dot` failed: {0}")]
    Failed(String),
}

/// Renders DOT text to an image with Graphviz's `dot` command.
pub fn render(dot_text: &str, format: ImageFormat) -> Result<Vec<u8>, RenderError> {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    let flag = match format {
        ImageFormat::Svg => "-Tsvg",
        ImageFormat::Png => "-Tpng",
    };
    let mut child = Command::new("dot")
        .arg(flag)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => RenderError::NoGraphviz,
            _ => RenderError::Failed(e.to_string()),
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(dot_text.as_bytes())
            .map_err(|e| RenderError::Failed(e.to_string()))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| RenderError::Failed(e.to_string()))?;
    if !out.status.success() {
        return Err(RenderError::Failed(
            String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        ));
    }
    Ok(out.stdout)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine(text: &str) -> StateMachine {
        StateMachine::from_json_str(text).unwrap()
    }

    #[test]
    fn choice_edges_carry_their_rules() {
        let m = machine(
            r#"{"StartAt": "C", "States": {
                "C": {"Type": "Choice", "Choices": [
                    {"And": [{"Variable": "$.ok", "BooleanEquals": true},
                             {"Variable": "$.n", "NumericGreaterThanEquals": 2}], "Next": "A"},
                    {"Variable": "$.s", "IsPresent": false, "Next": "A"}],
                    "Default": "B"},
                "A": {"Type": "Succeed"}, "B": {"Type": "Fail", "Error": "E"}}}"#,
        );
        let out = mermaid(&m);
        assert!(
            out.contains(r#"-->|"$.ok == true and $.n #gt;= 2"|"#),
            "{out}"
        );
        assert!(out.contains(r#"-->|"$.s is not present"|"#), "{out}");
        assert!(out.contains(r#"-->|"default"|"#), "{out}");
        let dot = dot("M", &m);
        assert!(
            dot.contains(r#"label="$.ok == true and $.n >= 2""#),
            "{dot}"
        );
    }
}
