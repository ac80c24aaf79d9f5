//! Model test of `gonogo merge`: however samples are split into shards, writing each shard as an
//! HdrHistogram interval log and merging the logs gives exactly the histogram of all samples.

use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn merged_shards_equal_one_histogram_of_all_samples(
        shards in prop::collection::vec(prop::collection::vec(1u64..120_000_000, 1..200), 1..6)
    ) {
        let work = tempfile::tempdir().unwrap();
        let mut all = gonogo_core::evidence::latency_histogram();
        let mut paths = Vec::new();
        for (index, samples) in shards.iter().enumerate() {
            let mut shard = gonogo_core::evidence::latency_histogram();
            for &micros in samples {
                shard.record(micros).unwrap();
                all.record(micros).unwrap();
            }
            let path = work.path().join(format!("shard-{index}.hlog"));
            let mut file = std::fs::File::create(&path).unwrap();
            gonogo_load::histogram_log::write_log(
                &mut file,
                &shard,
                std::time::SystemTime::UNIX_EPOCH,
                std::time::Duration::from_secs(1),
                "shard",
            )
            .unwrap();
            paths.push(path);
        }
        match gonogo_load::histogram_log::merge_files(&paths, gonogo_core::catalog::Catalog::new(&[gonogo_load::METRICS])).unwrap() {
            gonogo_load::histogram_log::Merged::Log { histogram, intervals } => {
                prop_assert_eq!(intervals, shards.len());
                prop_assert_eq!(histogram.len(), all.len());
                prop_assert_eq!(histogram.max(), all.max());
                prop_assert_eq!(&histogram, &all);
            }
            other => prop_assert!(false, "expected a log merge, got {:?}", other),
        }
    }
}
