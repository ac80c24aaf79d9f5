//! Policy problems as diagnostics: the file, the line, and a caret under the problem.
//!
//! The core reports [`Problem`]s with byte spans; this module wraps them into `miette`
//! diagnostics at the edge, so the core stays free of any renderer.

use gonogo_core::policy::Problem;
use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource};

#[derive(Debug)]
struct PolicyDiagnostic<'a> {
    problem: &'a Problem,
    source: &'a NamedSource<String>,
}

impl std::fmt::Display for PolicyDiagnostic<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.problem.message)
    }
}

impl std::error::Error for PolicyDiagnostic<'_> {}

impl Diagnostic for PolicyDiagnostic<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn std::fmt::Display + 'b>> {
        Some(Box::new("policy"))
    }

    fn help<'b>(&'b self) -> Option<Box<dyn std::fmt::Display + 'b>> {
        self.problem
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.has_span()
            .then_some(self.source as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if !self.has_span() {
            return None;
        }
        let span = &self.problem.span;
        let label = (!self.problem.label.is_empty()).then(|| self.problem.label.clone());
        Some(Box::new(std::iter::once(LabeledSpan::new(
            label,
            span.start,
            span.end - span.start,
        ))))
    }
}

impl PolicyDiagnostic<'_> {
    fn has_span(&self) -> bool {
        !(self.problem.span.start == 0
            && self.problem.span.end == 0
            && self.problem.label.is_empty())
    }
}

/// Renders every problem of a policy file, one diagnostic each, with or without colour.
pub fn render_problems(path: &str, text: &str, problems: &[Problem], color: bool) -> String {
    let source = NamedSource::new(path, text.to_owned());
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100);
    let mut out = String::new();
    for problem in problems {
        let diagnostic = PolicyDiagnostic {
            problem,
            source: &source,
        };
        // Writing into a String cannot fail.
        let _ = handler.render_report(&mut out, &diagnostic);
    }
    let count = problems.len();
    out.push_str(&format!(
        "{path}: {count} problem{} in the policy\n",
        if count == 1 { "" } else { "s" }
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::render_problems;
    use gonogo_core::policy::Policy;
    use std::collections::BTreeMap;

    fn render(text: &str) -> String {
        let problems = match Policy::parse(text, None, gonogo_catalog::CATALOG) {
            Err(problems) => problems,
            Ok(policy) => policy.check_metrics(&BTreeMap::new()),
        };
        assert!(!problems.is_empty(), "expected problems in:\n{text}");
        render_problems("gonogo.toml", text, &problems, false)
    }

    #[test]
    fn toml_syntax_error() {
        insta::assert_snapshot!(render("[[gate]\narea = \"performance\"\n"));
    }

    #[test]
    fn unknown_key() {
        insta::assert_snapshot!(render(
            "[[gate]]\narea = \"performance\"\nmetric = \"load.api.latency\"\nexpct = \"p(95) < 1s\"\n"
        ));
    }

    #[test]
    fn several_problems_at_once() {
        insta::assert_snapshot!(render(
            "[[gate]]\narea = \"perfomance\"\nmetric = \"load.api.latency\"\nexpect = \"p(95) < 5parsecs\"\nmax_age = \"soon\"\n"
        ));
    }

    #[test]
    fn unknown_metric_with_suggestions() {
        insta::assert_snapshot!(render(
            "[[gate]]\narea = \"functionality\"\nmetric = \"tests.faild\"\nexpect = \"rate < 1%\"\n"
        ));
    }

    #[test]
    fn unit_that_does_not_fit() {
        insta::assert_snapshot!(render(
            "[[gate]]\narea = \"performance\"\nmetric = \"load.api.latency\"\nexpect = \"p(95) < 5%\"\n"
        ));
    }

    #[test]
    fn expired_waiver_date_typo() {
        insta::assert_snapshot!(render(
            "[[gate]]\nname = \"g\"\narea = \"performance\"\nmetric = \"load.api.latency\"\nexpect = \"p(95) < 1s\"\n[[waiver]]\ngate = \"g\"\nreason = \"r\"\nowner = \"o\"\nexpires = \"31/12/2026\"\n"
        ));
    }
}
