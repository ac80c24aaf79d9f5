//! Every metric gonogo produces, assembled in one place: one line per producer, each line that
//! producer's own rows (`METRICS` of its crate; see `gonogo_core::catalog`).
//!
//! The binary judges with this catalogue, and tests and fuzz targets of the crates below it
//! (core, report...) take it from here. Adding an engine or a collector: its crate exports its
//! rows as `pub const METRICS: &[KnownMetric]`, and its line goes into [`CATALOG`].

use gonogo_core::catalog::Catalog;

/// Every metric gonogo produces, producer by producer, in the order `gonogo metrics` lists
/// them (each evidence kind's rows together).
pub static CATALOG: Catalog = Catalog::new(&[
    gonogo_ingest::METRICS,
    gonogo_load::METRICS,
    gonogo_probe::METRICS,
    gonogo_harden::METRICS,
    gonogo_delivery::METRICS,
]);

#[cfg(test)]
mod tests {
    use super::*;
    use gonogo_core::catalog::{KnownMetric, matches};
    use gonogo_core::evidence::Shape;
    use gonogo_core::units::Unit;
    use gonogo_core::wire::parse_records;

    /// No name is two producers' metric (nor twice one producer's): a pattern with its `*`s
    /// filled in matches no other row.
    #[test]
    fn no_two_rows_match_the_same_name() {
        let rows: Vec<(usize, &KnownMetric)> = CATALOG
            .producers()
            .iter()
            .enumerate()
            .flat_map(|(producer, rows)| rows.iter().map(move |row| (producer, row)))
            .collect();
        assert_eq!(rows.len(), CATALOG.rows().count());
        for (i, (pa, a)) in rows.iter().enumerate() {
            let name = a.pattern.replace('*', "x");
            for (pb, b) in &rows[i + 1..] {
                assert!(
                    !matches(b.pattern, &name) && !matches(a.pattern, &b.pattern.replace('*', "x")),
                    "{} (producer {pa}) overlaps {} (producer {pb})",
                    a.pattern,
                    b.pattern
                );
            }
            // And the name finds its own row.
            assert_eq!(CATALOG.lookup(&name).map(|r| r.pattern), Some(a.pattern));
        }
    }

    /// `gonogo metrics` lists the rows in catalogue order under a heading per evidence kind:
    /// each kind's rows are together, whichever producers write them.
    #[test]
    fn each_kinds_rows_are_together() {
        let mut seen: Vec<&str> = Vec::new();
        for row in CATALOG.rows() {
            if seen.last() != Some(&row.kind) {
                assert!(
                    !seen.contains(&row.kind),
                    "{} is apart from its kind",
                    row.pattern
                );
                seen.push(row.kind);
            }
        }
        assert!(seen.len() >= 15, "{seen:?}");
    }

    /// Rule one: gonogo's own counts (findings, vulnerabilities...) are never negative, even
    /// when a record claims the bare unit `1`, for every such row of every producer.
    #[test]
    fn no_count_of_gonogo_can_be_negative_whatever_unit_a_record_claims() {
        let mut counts = 0;
        for row in CATALOG.rows() {
            let named_count = row.shape == Shape::Value
                && matches!(Unit::parse(row.unit), Unit::Count(thing) if thing != "1");
            let name = row.pattern.replace('*', "x");
            let record = |unit: &str, value: f64| {
                serde_json::json!({
                    "gonogo_evidence": 1,
                    "kind": row.kind,
                    "source": {"type": "file", "location": "a"},
                    "sha256": "0".repeat(64),
                    "collected_at": "2026-11-25T12:00:00Z",
                    "tool": {"name": "t", "version": "1"},
                    "metrics": {name.as_str(): {"unit": unit, "value": value}},
                })
                .to_string()
            };
            assert!(
                parse_records(&record(row.unit, 1.0), CATALOG).is_ok(),
                "{}",
                row.pattern
            );
            if !named_count {
                continue;
            }
            counts += 1;
            for unit in [row.unit, "1"] {
                let error = parse_records(&record(unit, -1.0), CATALOG)
                    .expect_err(row.pattern)
                    .to_string();
                assert!(
                    error.contains("cannot be negative"),
                    "{}: {error}",
                    row.pattern
                );
            }
        }
        // 22 when written: findings, vulnerabilities, events, files... of every producer.
        assert!(counts >= 22, "{counts} counts");
    }
}
