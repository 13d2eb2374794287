//! Property test: huntsql's DBSCAN against a straightforward O(n²)
//! transcription of scikit-learn's algorithm (`DBSCAN.fit` with its
//! neighbourhood lists and `_dbscan_inner`) on random point sets, through
//! the Rust API and through `dbscan_cluster` in SQL.
//!
//! Coordinates are mostly small integers with an integer `eps`, so ties at
//! exactly `eps` are frequent and exact; both sides compare the squared
//! distance (summed in feature order) with `eps * eps`.

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, Float64Array, Int64Array, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Int64Type, Schema};
use datafusion::error::Result;
use datafusion::prelude::{SessionConfig, SessionContext};
use huntsql_udfs::cluster::dbscan;

/// xorshift64*: a small seeded PRNG.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

fn distance2(a: &[f64], b: &[f64]) -> f64 {
    let mut sum = 0.0;
    for (x, y) in a.iter().zip(b) {
        let t = x - y;
        sum += t * t;
    }
    sum
}

/// scikit-learn's DBSCAN, as written in `sklearn/cluster/_dbscan.py` and
/// `_dbscan_inner.pyx`.
fn reference(points: &[Vec<f64>], eps: f64, min_samples: usize) -> Vec<i64> {
    let n = points.len();
    let eps2 = eps * eps;
    let neighborhoods: Vec<Vec<usize>> = (0..n)
        .map(|i| {
            (0..n)
                .filter(|&j| distance2(&points[i], &points[j]) <= eps2)
                .collect()
        })
        .collect();
    let is_core: Vec<bool> = neighborhoods
        .iter()
        .map(|nb| nb.len() >= min_samples)
        .collect();
    let mut labels = vec![-1i64; n];
    let mut label_num = 0;
    let mut stack = Vec::new();
    for start in 0..n {
        if labels[start] != -1 || !is_core[start] {
            continue;
        }
        let mut i = start;
        loop {
            if labels[i] == -1 {
                labels[i] = label_num;
                if is_core[i] {
                    for &v in &neighborhoods[i] {
                        if labels[v] == -1 {
                            stack.push(v);
                        }
                    }
                }
            }
            match stack.pop() {
                Some(v) => i = v,
                None => break,
            }
        }
        label_num += 1;
    }
    labels
}

#[derive(Debug, Clone)]
struct Case {
    kind: &'static str,
    dims: usize,
    eps: f64,
    min_samples: usize,
    points: Vec<Vec<f64>>,
}

fn random_case(rng: &mut Rng, dims: usize) -> Case {
    let n = *rng.pick(&[0usize, 1, 2, 3, 5, 8, 13, 30, 60, 150, 400]);
    let min_samples = *rng.pick(&[1usize, 2, 3, 4, 5, 8]);
    let kind = *rng.pick(&[
        "grid",
        "grid",
        "grid",
        "duplicates",
        "noise",
        "one_cluster",
        "floats",
        "offset",
        "huge",
        "crowded",
        "crowded",
    ]);
    let mut points = Vec::new();
    let eps;
    match kind {
        "grid" => {
            let range = *rng.pick(&[3u64, 5, 8, 15]);
            eps = *rng.pick(&[1.0, 2.0, 3.0]);
            for _ in 0..n {
                points.push((0..dims).map(|_| rng.below(range) as f64 - 2.0).collect());
            }
        }
        "duplicates" => {
            eps = *rng.pick(&[1.0, 2.0]);
            let pool: Vec<Vec<f64>> = (0..4)
                .map(|_| (0..dims).map(|_| rng.below(6) as f64).collect())
                .collect();
            for _ in 0..n {
                points.push(rng.pick(&pool).clone());
            }
        }
        "noise" => {
            eps = 1.0;
            for i in 0..n {
                points.push((0..dims).map(|j| ((i * dims + j) * 10) as f64).collect());
            }
        }
        "one_cluster" => {
            eps = 3.0;
            for _ in 0..n {
                points.push((0..dims).map(|_| rng.below(2) as f64).collect());
            }
        }
        "crowded" => {
            // Many distinct points per eps-cell (the clique-cell grid);
            // multiples of 1/8 keep distances exact.
            eps = *rng.pick(&[1.0, 2.0]);
            for _ in 0..n.max(200) {
                points.push((0..dims).map(|_| rng.below(32) as f64 / 8.0).collect());
            }
        }
        "floats" => {
            eps = *rng.pick(&[0.05, 0.1, 0.3]);
            for _ in 0..n {
                points.push((0..dims).map(|_| rng.unit()).collect());
            }
        }
        "offset" => {
            // Far from 0: rounding in the cell arithmetic.
            eps = *rng.pick(&[1.0, 2.0]);
            for _ in 0..n {
                points.push((0..dims).map(|_| 1e9 + rng.below(8) as f64 * 0.5).collect());
            }
        }
        _ => {
            // Spans of more than 2^30 cells: the sorted-sweep cells.
            eps = 2.0;
            for _ in 0..n {
                points.push(
                    (0..dims)
                        .map(|_| rng.below(3) as f64 * 1e12 + rng.below(6) as f64)
                        .collect(),
                );
            }
        }
    }
    Case {
        kind,
        dims,
        eps,
        min_samples,
        points,
    }
}

fn ours(case: &Case) -> Vec<i64> {
    let flat: Vec<f64> = case.points.iter().flatten().copied().collect();
    dbscan(&flat, case.dims, case.eps, case.min_samples as u64)
}

#[test]
fn matches_the_reference_on_random_point_sets() {
    let mut rng = Rng(0x5EED_D85C);
    let mut kinds = std::collections::BTreeMap::new();
    for round in 0..3000 {
        let dims = 1 + round % 5;
        let case = random_case(&mut rng, dims);
        let want = reference(&case.points, case.eps, case.min_samples);
        let got = ours(&case);
        assert_eq!(got, want, "case {round}: {case:?}");
        let clusters = want.iter().max().map_or(0, |&k| k + 1);
        let entry = kinds.entry(case.kind).or_insert((0, 0));
        entry.0 += 1;
        entry.1 += clusters;
    }
    // The generator covers every kind, with clusters.
    assert_eq!(kinds.len(), 8, "{kinds:?}");
    println!("{kinds:?}");
}

#[test]
fn special_sets() {
    // Empty and single points.
    assert_eq!(dbscan(&[], 2, 1.0, 1), Vec::<i64>::new());
    assert_eq!(dbscan(&[5.0, 5.0], 2, 1.0, 1), vec![0]);
    assert_eq!(dbscan(&[5.0, 5.0], 2, 1.0, 2), vec![-1]);
    // A big cluster of identical points and a big all-noise set.
    let same = vec![1.5; 3 * 5000];
    assert_eq!(dbscan(&same, 3, 0.1, 10), vec![0; 5000]);
    let spread: Vec<f64> = (0..3000).map(|i| i as f64 * 2.0).collect();
    assert_eq!(dbscan(&spread, 1, 1.0, 2), vec![-1; 3000]);
    // A chain joined only by exact ties, numbered from its first row.
    let chain: Vec<f64> = (0..1000).rev().map(|i| i as f64 * 3.0).collect();
    assert_eq!(dbscan(&chain, 1, 3.0, 3), vec![0; 1000]);
    // Larger random sets (more cells than the sweep offsets).
    let mut rng = Rng(42);
    for dims in 1..=4 {
        let points: Vec<Vec<f64>> = (0..2500)
            .map(|_| (0..dims).map(|_| rng.below(40) as f64).collect())
            .collect();
        for (eps, min_samples) in [(1.0, 3), (2.0, 6), (3.0, 20)] {
            let case = Case {
                kind: "large",
                dims,
                eps,
                min_samples,
                points: points.clone(),
            };
            assert_eq!(
                ours(&case),
                reference(&case.points, eps, min_samples),
                "dims {dims} eps {eps} min_samples {min_samples}"
            );
        }
    }
}

/// Random partitions of one table clustered in SQL with `PARTITION BY ...
/// ORDER BY`, rows stored shuffled, some features NULL, some partitions
/// single-row or all NULL.
#[tokio::test]
async fn window_function_matches_the_reference_per_partition() -> Result<()> {
    let ctx = SessionContext::new_with_config(SessionConfig::new().with_target_partitions(3));
    huntsql_udfs::register_all(&ctx)?;
    let mut rng = Rng(7);
    let mut checked = 0;
    for (eps, min_samples, dims, normalize) in [
        (1.0, 2, 2, "none"),
        (2.0, 3, 3, "none"),
        (1.0, 1, 1, "none"),
        (2.0, 4, 4, "none"),
        (0.2, 3, 2, "l2"),
    ] {
        // (partition, idx, features), features None for NULL.
        let mut rows: Vec<(i64, i64, Vec<Option<f64>>)> = Vec::new();
        let mut partitions: Vec<Vec<Option<Vec<f64>>>> = Vec::new();
        for partition in 0..40 {
            let n = match partition {
                0 => 1,
                1 => 2,
                _ => 1 + rng.below(60) as usize,
            };
            let mut points = Vec::new();
            for idx in 0..n {
                let null = partition == 1 || rng.below(10) == 0;
                let point: Vec<f64> = (0..dims).map(|_| rng.below(6) as f64).collect();
                let mut values: Vec<Option<f64>> = point.iter().map(|&v| Some(v)).collect();
                if null {
                    values[rng.below(dims as u64) as usize] = None;
                }
                rows.push((partition, idx as i64, values));
                points.push((!null).then_some(point));
            }
            partitions.push(points);
        }
        // Shuffle the stored rows.
        for i in (1..rows.len()).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            rows.swap(i, j);
        }
        let mut fields = vec![
            Field::new("part", DataType::Int64, false),
            Field::new("idx", DataType::Int64, false),
        ];
        let mut columns: Vec<Arc<dyn Array>> = vec![
            Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.0))),
            Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.1))),
        ];
        for j in 0..dims {
            fields.push(Field::new(format!("x{j}"), DataType::Float64, true));
            columns.push(Arc::new(Float64Array::from(
                rows.iter().map(|r| r.2[j]).collect::<Vec<_>>(),
            )));
        }
        let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)?;
        ctx.deregister_table("pts")?;
        ctx.register_batch("pts", batch)?;
        let features = (0..dims)
            .map(|j| format!("x{j}"))
            .collect::<Vec<_>>()
            .join(", ");
        let df = ctx
            .sql(&format!(
                "SELECT part, idx, dbscan_cluster({eps}, {min_samples}, '{normalize}', {features}) \
                 OVER (PARTITION BY part ORDER BY idx) AS label FROM pts ORDER BY part, idx"
            ))
            .await?;
        let batches = df.collect().await?;
        let mut got: Vec<Vec<Option<i64>>> = vec![Vec::new(); partitions.len()];
        for batch in &batches {
            let part = batch.column(0).as_primitive::<Int64Type>();
            let label = batch.column(2).as_primitive::<Int64Type>();
            for row in 0..batch.num_rows() {
                got[part.value(row) as usize].push(label.is_valid(row).then(|| label.value(row)));
            }
        }
        for (partition, points) in partitions.iter().enumerate() {
            let mut present: Vec<Vec<f64>> = points.iter().flatten().cloned().collect();
            if normalize == "l2" {
                for p in &mut present {
                    // Integer coordinates: the sum of squares is exact.
                    let norm = p.iter().map(|x| x * x).sum::<f64>().sqrt();
                    if norm > 0.0 {
                        p.iter_mut().for_each(|x| *x /= norm);
                    }
                }
            }
            let mut labels = reference(&present, eps, min_samples).into_iter();
            let want: Vec<Option<i64>> = points
                .iter()
                .map(|p| p.as_ref().map(|_| labels.next().unwrap()))
                .collect();
            assert_eq!(
                got[partition], want,
                "eps {eps} min_samples {min_samples} dims {dims} partition {partition}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 200);
    Ok(())
}
