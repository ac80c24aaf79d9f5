//! "Did you mean" suggestions for misspelt names (metrics, areas, gates, keys).

/// Up to three candidates close to `input`, best first. Close means a normalised
/// Damerau-Levenshtein similarity of at least 0.6, or one being a dotted prefix of the other
/// (`load.checkout` for `load.checkout.latency`).
pub fn closest<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut scored: Vec<(f64, &str)> = candidates
        .into_iter()
        .filter(|candidate| *candidate != input)
        .filter_map(|candidate| {
            let similarity = strsim::normalized_damerau_levenshtein(input, candidate);
            let related = candidate.starts_with(&format!("{input}."))
                || input.starts_with(&format!("{candidate}."));
            (similarity >= 0.6 || related).then_some((similarity.max(0.6), candidate))
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    scored.dedup_by(|a, b| a.1 == b.1);
    scored
        .into_iter()
        .take(3)
        .map(|(_, name)| name.to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn finds_typos_and_ignores_strangers() {
        let names = [
            "tests.failed",
            "tests.passed",
            "coverage.lines",
            "load.checkout.latency",
        ];
        assert_eq!(
            closest("tests.faild", names),
            vec!["tests.failed", "tests.passed"]
        );
        assert_eq!(
            closest("load.checkout", names),
            vec!["load.checkout.latency"]
        );
        assert!(closest("zzz", names).is_empty());
    }
}
