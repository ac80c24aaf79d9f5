//! The catalogue rows of the delivery metrics (`gonogo_core::catalog`): DORA measures, the
//! commands gonogo runs, the rollback drill (run by the binary's `gonogo run --rollback-drill`,
//! named `delivery.rollback.*`) and the git context.

use gonogo_core::catalog::Combine::{Max, Min, Nonzero, Sum};
use gonogo_core::catalog::KnownMetric;
use gonogo_core::evidence::Shape::{Distribution, Ratio, Value};

/// This crate's rows of the catalogue, in the order `gonogo metrics` lists them.
pub const METRICS: &[KnownMetric] = &[
    // DORA metrics from release tags and commits (`[delivery.dora]`, docs/delivery.md).
    KnownMetric::new(
        "dora.deploys_per_week",
        Distribution,
        "deploys",
        "dora",
        Sum,
        "releases per week, one sample per week of the observation window",
    ),
    KnownMetric::new(
        "dora.lead_time",
        Distribution,
        "s",
        "dora",
        Sum,
        "commit time to the release that shipped it, per commit",
    ),
    KnownMetric::new(
        "dora.change_failure",
        Ratio,
        "releases",
        "dora",
        Sum,
        "releases followed by a revert, hotfix or rollback within the window, of releases judged",
    ),
    KnownMetric::new(
        "dora.time_to_restore",
        Distribution,
        "s",
        "dora",
        Sum,
        "failed release to the release that shipped its remedy",
    ),
    // Commands run by gonogo, and delivery context.
    KnownMetric::new(
        "command.*.exit_code",
        Value,
        "1",
        "command",
        Nonzero,
        "a command's exit code",
    ),
    KnownMetric::new(
        "command.*.duration",
        Value,
        "s",
        "command",
        Max,
        "a command's wall time",
    ),
    KnownMetric::new(
        "delivery.rollback.drill",
        Value,
        "1",
        "rollback",
        Min,
        "1 when a rollback drill deployed the rollback target, saw it healthy in time and rolled forward",
    ),
    KnownMetric::new(
        "delivery.rollback.duration",
        Value,
        "s",
        "rollback",
        Max,
        "a rollback drill's deploy start to the first healthy answer",
    ),
    KnownMetric::new(
        "git.dirty",
        Value,
        "files",
        "git",
        Max,
        "uncommitted changes in the working tree",
    ),
    KnownMetric::new(
        "git.rollback_target",
        Value,
        "tags",
        "git",
        Min,
        "1 when a previous release tag exists",
    ),
];
