//! The JSON shapes of `runbook list --json` and `runbook show --json` (documented in the README):
//! plain data built from the catalog, printed by [`super::runbook`].

use opsdeck_core::runbook::{Catalog, Runbook, StepBlock};
use serde::Serialize;

/// `runbook list --json`: every runbook, then every file that does not parse.
#[derive(Debug, Serialize)]
pub struct ListJson {
    pub runbooks: Vec<RunbookRow>,
    /// One line per file that could not be used (`file:line: what is wrong`).
    pub errors: Vec<String>,
}

/// One runbook in the list.
#[derive(Debug, Serialize)]
pub struct RunbookRow {
    pub name: String,
    pub title: Option<String>,
    pub summary: String,
    /// How many steps.
    pub steps: usize,
    /// The alerts it answers, as written in its front matter.
    pub alerts: Vec<String>,
    pub file: String,
}

/// `runbook show --json`: one runbook with its steps.
#[derive(Debug, Serialize)]
pub struct ShowJson {
    pub name: String,
    pub title: Option<String>,
    pub summary: String,
    pub alerts: Vec<String>,
    pub file: String,
    pub steps: Vec<StepJson>,
}

/// One step: its prose, and exactly what it runs (`null` for a manual check).
#[derive(Debug, Serialize)]
pub struct StepJson {
    /// 1-based, as `runbook run --from-step` counts.
    pub number: usize,
    pub title: String,
    /// `manual`, `sh`, `opsdeck` or `http`.
    pub kind: &'static str,
    pub prose: String,
    pub runs: Option<String>,
}

fn alerts(rb: &Runbook) -> Vec<String> {
    rb.alerts.iter().map(|a| a.source.clone()).collect()
}

/// The list of a catalog.
pub fn list(catalog: &Catalog) -> ListJson {
    let runbooks = catalog
        .runbooks
        .iter()
        .map(|rb| RunbookRow {
            name: rb.name.clone(),
            title: rb.title.clone(),
            summary: rb.summary.clone(),
            steps: rb.steps.len(),
            alerts: alerts(rb),
            file: rb.path.display().to_string(),
        })
        .collect();
    ListJson { runbooks, errors: catalog.errors.iter().map(|e| e.to_string()).collect() }
}

/// One runbook in full.
pub fn show(rb: &Runbook) -> ShowJson {
    let steps = rb
        .steps
        .iter()
        .enumerate()
        .map(|(i, step)| StepJson {
            number: i + 1,
            title: step.title.clone(),
            kind: step.block.kind(),
            prose: step.prose.clone(),
            runs: (!matches!(step.block, StepBlock::Manual)).then(|| step.block.describe()),
        })
        .collect();
    ShowJson {
        name: rb.name.clone(),
        title: rb.title.clone(),
        summary: rb.summary.clone(),
        alerts: alerts(rb),
        file: rb.path.display().to_string(),
        steps,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const PAGE: &str = "---\nname: hot\nsummary: It runs hot.\nalerts:\n  - HighTemp\n---\n\n# Too hot\n\n\
        ## Look\n\nCheck the fans.\n\n## Measure\n\n```sh timeout=5s\nsensors\n```\n";

    fn runbook() -> Runbook {
        opsdeck_core::runbook::parse(Path::new("/rb/hot.md"), PAGE).expect("parses")
    }

    /// The list's field names and values, and the errors as lines.
    #[test]
    fn list_shape() {
        let catalog = Catalog { runbooks: vec![runbook()], errors: Vec::new() };
        let v = serde_json::to_value(list(&catalog)).expect("json");
        assert_eq!(
            v,
            serde_json::json!({
                "runbooks": [{"name": "hot", "title": "Too hot", "summary": "It runs hot.", "steps": 2,
                              "alerts": ["HighTemp"], "file": "/rb/hot.md"}],
                "errors": []
            })
        );
    }

    /// A manual step runs nothing (`null`); an `sh` step says what it runs.
    #[test]
    fn show_shape() {
        let v = serde_json::to_value(show(&runbook())).expect("json");
        assert_eq!(v["name"], "hot");
        assert_eq!(v["alerts"], serde_json::json!(["HighTemp"]));
        let steps = v["steps"].as_array().expect("steps");
        assert_eq!(steps.len(), 2);
        assert_eq!(steps[0]["number"], 1);
        assert_eq!(steps[0]["kind"], "manual");
        assert_eq!(steps[0]["runs"], serde_json::Value::Null);
        assert!(steps[0]["prose"].as_str().is_some_and(|p| p.contains("Check the fans.")));
        assert_eq!(steps[1]["kind"], "sh");
        assert!(steps[1]["runs"].as_str().is_some_and(|r| r.contains("sensors")), "{}", steps[1]);
    }
}
