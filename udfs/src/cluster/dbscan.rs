//! DBSCAN whose labels are scikit-learn's, numbering included.
//!
//! `sklearn.cluster.DBSCAN(eps, min_samples).fit(X).labels_` is defined by
//! `_dbscan_inner`: points are scanned in index order, an unlabelled core
//! point starts cluster `k` (k = 0, 1, ...) and a depth-first search over the
//! neighbourhoods of core points gives every unlabelled point it reaches the
//! label `k`. That is equivalent to:
//!
//! * a point is core when at least `min_samples` points (itself included)
//!   are within `eps` of it;
//! * the clusters are the connected components of the core points (an edge
//!   joins two core points within `eps`), numbered in the order of their
//!   smallest point index;
//! * a non-core point within `eps` of a core point (a border point) takes
//!   the smallest cluster number among the core points within `eps` of it,
//!   the first cluster whose search reaches it; every other point is noise
//!   (-1).
//!
//! This module computes exactly that, without the quadratic neighbourhood
//! lists: identical points are merged into one weighted point first (they
//! share neighbourhood, core status and label), then a grid index finds the
//! neighbours.
//!
//! # Distances
//!
//! Two points are neighbours when `sum((a[i] - b[i])^2) <= eps * eps`,
//! summed in feature order from 0.0, which is the comparison of
//! scikit-learn's KD tree (`rdist <= r * r`), the index its `auto`
//! algorithm picks for up to 15 features and at least 12 rows. With fewer
//! than 12 rows scikit-learn uses brute force, whose Euclidean distances come
//! from `|a|^2 - 2 a.b + |b|^2`; the two agree except, possibly, for pairs
//! whose distance is within a few ulps of `eps` (integer coordinates and
//! integer `eps` tie exactly in both). The KD tree also accepts whole nodes
//! whose bounding-box upper bound is `<= eps`; that too can only matter at
//! ulp-level ties.
//!
//! # Grid
//!
//! Points are binned on up to four axes (the four of widest spread when
//! there are more features) in cells of side a little over `eps`, so that
//! neighbours lie at most one cell apart per axis and every candidate in
//! the 3^k surrounding cells is checked. When points are crowded (more
//! than 16 per cell on average, as a point sees it) and there are at most
//! three features, the cells are instead cubes of side
//! `eps * (1 - 1e-6) / sqrt(d)`: any two points of one cell are neighbours
//! (the margin absorbs rounding), so a cell holding `min_samples` points
//! makes all of them core and one component without a single distance, and
//! neighbours lie at most 2 cells apart per axis. Both are exact; the choice
//! is only speed. Cell coordinates come from `floor((x - min) / side)`
//! while the axis spans fewer than 2^30 cells, otherwise from a sorted sweep
//! that opens a new cell whenever a value is more than `side` above the
//! current cell's first value; both keep every pair of neighbours within
//! the cell reach despite rounding (see [`axis_cells`]). Neighbouring cells
//! are found by merge-walking the lexicographically sorted cell keys, no
//! hashing.

/// The label of a point in no cluster.
pub const NOISE: i64 = -1;

/// Approximate working memory of [`dbscan`] for `rows` points of `dims`
/// features, in bytes (the caller's copy of the points included).
pub fn working_memory(rows: usize, dims: usize) -> usize {
    rows.saturating_mul(24 * dims + 192)
}

/// DBSCAN labels of the `points.len() / dims` points of `points` (row-major,
/// `dims` values per point), identical to scikit-learn's
/// `DBSCAN(eps=eps, min_samples=min_samples).fit(X).labels_`.
///
/// The caller guarantees finite values, a finite `eps > 0` and
/// `min_samples >= 1`.
///
/// # Panics
///
/// If `dims` is 0, `points.len()` is not a multiple of `dims` or there are
/// 2^31 points or more.
pub fn dbscan(points: &[f64], dims: usize, eps: f64, min_samples: u64) -> Vec<i64> {
    assert!(dims > 0, "dbscan needs at least one feature");
    assert!(
        points.len().is_multiple_of(dims),
        "points.len() must be a multiple of dims"
    );
    let n = points.len() / dims;
    assert!(n < 1 << 31, "dbscan supports fewer than 2^31 points");
    if n == 0 {
        return Vec::new();
    }
    let unique = Unique::new(points, dims);
    let labels = Clustering::new(&unique, eps, min_samples).labels();
    unique.of_row.iter().map(|&u| labels[u as usize]).collect()
}

/// The squared Euclidean distance, summed in feature order like
/// scikit-learn's KD tree (`tmp = x1[j] - x2[j]; d += tmp * tmp`).
#[inline]
fn distance2(a: &[f64], b: &[f64]) -> f64 {
    let mut sum = 0.0;
    for (x, y) in a.iter().zip(b) {
        let t = x - y;
        sum += t * t;
    }
    sum
}

/// Distinct points with their multiplicity and first row.
struct Unique {
    dims: usize,
    /// Row-major coordinates, `-0.0` made `+0.0` (same distances).
    coords: Vec<f64>,
    weight: Vec<u64>,
    /// The first input row of each distinct point.
    first: Vec<u32>,
    /// The distinct point of each input row.
    of_row: Vec<u32>,
}

impl Unique {
    fn new(points: &[f64], dims: usize) -> Self {
        let n = points.len() / dims;
        let capacity = (2 * n).next_power_of_two().max(16);
        let mask = capacity - 1;
        let mut table = vec![u32::MAX; capacity];
        let mut unique = Unique {
            dims,
            coords: Vec::new(),
            weight: Vec::new(),
            first: Vec::new(),
            of_row: Vec::with_capacity(n),
        };
        let mut row_values = vec![0.0; dims];
        for (row, values) in points.chunks_exact(dims).enumerate() {
            let mut hash: u64 = 0x243F_6A88_85A3_08D3;
            for (slot, &v) in row_values.iter_mut().zip(values) {
                // x + 0.0 turns -0.0 into +0.0 and leaves every other value.
                *slot = v + 0.0;
                hash = (hash ^ slot.to_bits()).wrapping_mul(0x9E37_79B9_7F4A_7C15);
                hash ^= hash >> 29;
            }
            let mut slot = (hash as usize) & mask;
            let id = loop {
                let id = table[slot];
                if id == u32::MAX {
                    let id = unique.weight.len() as u32;
                    table[slot] = id;
                    unique.coords.extend_from_slice(&row_values);
                    unique.weight.push(0);
                    unique.first.push(row as u32);
                    break id;
                }
                let existing = &unique.coords[id as usize * dims..][..dims];
                if existing
                    .iter()
                    .zip(&row_values)
                    .all(|(a, b)| a.to_bits() == b.to_bits())
                {
                    break id;
                }
                slot = (slot + 1) & mask;
            };
            unique.weight[id as usize] += 1;
            unique.of_row.push(id);
        }
        unique
    }

    fn len(&self) -> usize {
        self.weight.len()
    }
}

/// Cell coordinates of `values` along one axis such that
/// * `clique`: two values of one cell differ (as computed) by at most
///   `side * (1 + 2^-20)`,
/// * two values whose computed difference is at most `limit` lie at most
///   `reach` cells apart,
///
/// where the caller picks `side`, `limit` and `reach` as in [`Grid::new`].
///
/// Division: with `t = fl(fl(x - lo) / side) < 2^30` the rounding error of
/// `t` is below 2^-22, which the caller's 1e-6 margins on `side` absorb.
/// Sweep: a new cell opens when `fl(v - start) > side`; floating-point
/// subtraction is monotone, so values of one cell differ by at most `side`
/// and values `m` cells apart differ by more than `(m - 1) * side`.
fn axis_cells(values: &[f64], side: f64) -> Vec<u32> {
    if values.is_empty() || side.is_infinite() {
        return vec![0; values.len()];
    }
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for &v in values {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    let span = (hi - lo) / side;
    if span.is_finite() && span < (1u64 << 30) as f64 {
        return values
            .iter()
            .map(|&v| ((v - lo) / side).floor() as u32)
            .collect();
    }
    let mut sorted: Vec<(f64, u32)> = values
        .iter()
        .enumerate()
        .map(|(i, &v)| (v, i as u32))
        .collect();
    sorted.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    let mut cells = vec![0u32; values.len()];
    let mut cell = 0u32;
    let mut start = sorted[0].0;
    for &(v, i) in &sorted {
        if v - start > side {
            cell += 1;
            start = v;
        }
        cells[i as usize] = cell;
    }
    cells
}

/// A cell key: the cell coordinates on up to four grid axes (right-aligned,
/// unused axes 0), each plus [`KEY_BIAS`], in 32-bit fields, so that keys
/// compare lexicographically and neighbours' keys are sums.
type Key = u128;

/// At most this many axes are gridded.
const MAX_AXES: usize = 4;

/// Keeps coordinate fields minus the reach non-negative (cell coordinates
/// are below 2^31, so plus the bias and reach they stay below 2^32).
const KEY_BIAS: u128 = 4;

/// The largest coordinate difference of two cells.
fn cell_distance(a: Key, b: Key) -> i64 {
    (0..MAX_AXES)
        .map(|i| ((a >> (32 * i)) as u32 as i64 - (b >> (32 * i)) as u32 as i64).abs())
        .max()
        .unwrap_or(0)
}

/// Points sorted by grid cell.
struct Grid {
    dims: usize,
    /// Any two points of one cell are neighbours.
    clique: bool,
    /// Neighbours are at most `reach` cells apart on each grid axis.
    reach: i64,
    /// How many grid axes (1 to 4).
    axes: usize,
    /// Cell keys, sorted; `cell_start[c]..cell_start[c + 1]` are its points.
    keys: Vec<Key>,
    cell_start: Vec<u32>,
    /// Point data in cell order.
    coords: Vec<f64>,
    weight: Vec<u64>,
    first: Vec<u32>,
    /// The [`Unique`] index of each point in cell order.
    order: Vec<u32>,
}

impl Grid {
    /// Whether `eps` allows clique cells for `dims` features: all axes
    /// gridded, `eps * eps` and the cell side normal numbers.
    fn clique_possible(dims: usize, eps: f64) -> bool {
        dims <= 3 && (1e-100..=1e100).contains(&eps)
    }

    /// Builds the grid; `clique` (see [`Grid::clique_possible`]) picks
    /// cells of side `eps / sqrt(d)`, else of side a little over `eps`.
    fn new(unique: &Unique, eps: f64, clique: bool) -> Self {
        let dims = unique.dims;
        let m = unique.len();
        let eps2 = eps * eps;
        debug_assert!(!clique || Self::clique_possible(dims, eps));
        let side = if clique {
            eps * (1.0 - 1e-6) / (dims as f64).sqrt()
        } else if eps2.is_infinite() {
            f64::INFINITY
        } else {
            // Neighbours differ by at most eps * (1 + 2^-40) per axis when
            // eps * eps is normal, and by less than 1.5e-154 otherwise.
            eps.max(2e-154) * (1.0 + 1e-6)
        };
        let reach = if clique {
            (dims as f64).sqrt().floor() as i64 + 1
        } else {
            1
        };

        // Grid axes: all of them up to four, else the four widest.
        let column =
            |j: usize| -> Vec<f64> { unique.coords[j..].iter().step_by(dims).copied().collect() };
        let grid_axes: Vec<usize> = if dims <= MAX_AXES {
            (0..dims).collect()
        } else {
            let mut spans: Vec<(f64, usize)> = (0..dims)
                .map(|j| {
                    let values = column(j);
                    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
                    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    (hi - lo, j)
                })
                .collect();
            spans.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            let mut axes: Vec<usize> = spans[..MAX_AXES].iter().map(|&(_, j)| j).collect();
            axes.sort_unstable();
            axes
        };
        let axes = grid_axes.len();
        let mut packed: Vec<(Key, u32)> = (0..m as u32).map(|i| (0, i)).collect();
        for &j in &grid_axes {
            let cells = axis_cells(&column(j), side);
            for (entry, cell) in packed.iter_mut().zip(cells) {
                entry.0 = (entry.0 << 32) | (cell as u128 + KEY_BIAS);
            }
        }
        packed.sort_unstable();

        let mut grid = Grid {
            dims,
            clique,
            reach,
            axes,
            keys: Vec::new(),
            cell_start: Vec::new(),
            coords: Vec::with_capacity(m * dims),
            weight: Vec::with_capacity(m),
            first: Vec::with_capacity(m),
            order: Vec::with_capacity(m),
        };
        let mut previous = None;
        for (position, &(key, id)) in packed.iter().enumerate() {
            if previous != Some(key) {
                previous = Some(key);
                grid.keys.push(key);
                grid.cell_start.push(position as u32);
            }
            let id = id as usize;
            grid.coords
                .extend_from_slice(&unique.coords[id * dims..][..dims]);
            grid.weight.push(unique.weight[id]);
            grid.first.push(unique.first[id]);
            grid.order.push(id as u32);
        }
        grid.cell_start.push(m as u32);
        grid
    }

    fn cells(&self) -> usize {
        self.keys.len()
    }

    fn points(&self, cell: usize) -> std::ops::Range<usize> {
        self.cell_start[cell] as usize..self.cell_start[cell + 1] as usize
    }

    fn point(&self, p: usize) -> &[f64] {
        &self.coords[p * self.dims..][..self.dims]
    }

    /// The average number of points in the cell of a point: the work of
    /// scanning neighbouring cells point by point.
    fn crowding(&self) -> f64 {
        let squares: f64 = (0..self.cells())
            .map(|c| (self.points(c).len() as f64).powi(2))
            .sum();
        squares / self.weight.len().max(1) as f64
    }

    fn sweep(&self) -> Sweep {
        let r = self.reach;
        // Offsets on every gridded axis but the last, which the sweep
        // covers as one run of keys.
        let mut offsets = vec![-i128::from(r)];
        for axis in 1..self.axes {
            let shift = 32 * axis;
            offsets = offsets
                .iter()
                .flat_map(|&o| (-r..=r).map(move |d| o + (i128::from(d) << shift)))
                .collect();
        }
        offsets.sort_unstable();
        Sweep {
            pointers: vec![0; offsets.len()],
            offsets,
            span: 2 * r as u128,
            last: None,
        }
    }
}

/// Finds the neighbouring cells of cells visited in increasing order: for
/// each offset on the two leading axes, a pointer walks forward through the
/// sorted keys (the targets only grow).
struct Sweep {
    /// From a key to the lowest key of each run of neighbouring cells.
    offsets: Vec<i128>,
    pointers: Vec<usize>,
    /// The length of a run: `2 * reach`.
    span: u128,
    last: Option<usize>,
}

impl Sweep {
    /// The cells within `reach` of `cell` on every axis (itself included),
    /// in key order, into `out`.
    fn neighbours(&mut self, keys: &[Key], cell: usize, out: &mut Vec<u32>) {
        debug_assert!(self.last.is_none_or(|last| last < cell));
        self.last = Some(cell);
        out.clear();
        let key = keys[cell] as i128;
        for (pointer, &offset) in self.pointers.iter_mut().zip(&self.offsets) {
            // Every field stays within 0..2^32: no carries between fields.
            let low = (key + offset) as u128;
            let high = low + self.span;
            let mut p = *pointer;
            while p < keys.len() && keys[p] < low {
                p += 1;
            }
            *pointer = p;
            while p < keys.len() && keys[p] <= high {
                out.push(p as u32);
                p += 1;
            }
        }
    }
}

/// Union-find over points, with path halving.
struct Components {
    parent: Vec<u32>,
}

impl Components {
    fn new(n: usize) -> Self {
        Components {
            parent: (0..n as u32).collect(),
        }
    }

    fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let grandparent = self.parent[self.parent[x as usize] as usize];
            self.parent[x as usize] = grandparent;
            x = grandparent;
        }
        x
    }

    fn union(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            let (low, high) = if ra < rb { (ra, rb) } else { (rb, ra) };
            self.parent[high as usize] = low;
        }
    }
}

struct Clustering<'a> {
    unique: &'a Unique,
    grid: Grid,
    eps2: f64,
    min_samples: u64,
}

impl<'a> Clustering<'a> {
    fn new(unique: &'a Unique, eps: f64, min_samples: u64) -> Self {
        // Sparse points: cells of side eps, few neighbouring cells. Crowded
        // points: clique cells, where a cell's count often settles its core
        // points and their component without any distance.
        let mut grid = Grid::new(unique, eps, false);
        if Grid::clique_possible(unique.dims, eps) && grid.crowding() > 16.0 {
            grid = Grid::new(unique, eps, true);
        }
        Clustering {
            unique,
            grid,
            eps2: eps * eps,
            min_samples,
        }
    }

    fn near(&self, p: usize, q: usize) -> bool {
        distance2(self.grid.point(p), self.grid.point(q)) <= self.eps2
    }

    /// Labels of the distinct points, in [`Unique`] order.
    fn labels(&self) -> Vec<i64> {
        let grid = &self.grid;
        let m = grid.weight.len();
        let cells = grid.cells();
        let mut neighbours = Vec::new();

        // 1. Core points: at least min_samples points (weights) within eps.
        let mut is_core = vec![false; m];
        let mut sweep = grid.sweep();
        for cell in 0..cells {
            let points = grid.points(cell);
            let own: u64 = grid.weight[points.clone()].iter().sum();
            if grid.clique && own >= self.min_samples {
                is_core[points].fill(true);
                continue;
            }
            sweep.neighbours(&grid.keys, cell, &mut neighbours);
            for p in points {
                let mut count = if grid.clique { own } else { 0 };
                'count: for &other in &neighbours {
                    let other = other as usize;
                    if grid.clique && other == cell {
                        continue;
                    }
                    for q in grid.points(other) {
                        if self.near(p, q) {
                            count += grid.weight[q];
                            if count >= self.min_samples {
                                break 'count;
                            }
                        }
                    }
                }
                is_core[p] = count >= self.min_samples;
            }
        }

        // Core points of each cell, in cell order.
        let mut cores: Vec<u32> = Vec::new();
        let mut core_start: Vec<u32> = Vec::with_capacity(cells + 1);
        for cell in 0..cells {
            core_start.push(cores.len() as u32);
            cores.extend(grid.points(cell).filter(|&p| is_core[p]).map(|p| p as u32));
        }
        core_start.push(cores.len() as u32);
        let cell_cores =
            |cell: usize| &cores[core_start[cell] as usize..core_start[cell + 1] as usize];

        // 2. Components of core points joined by pairs within eps: inside
        // each cell, then between adjacent cells, then between cells two
        // apart, which by then are mostly joined already (no search).
        let mut components = Components::new(m);
        for cell in 0..cells {
            let own = cell_cores(cell);
            if grid.clique {
                for &p in own.iter().skip(1) {
                    components.union(own[0], p);
                }
            } else {
                for (i, &p) in own.iter().enumerate() {
                    for &q in &own[i + 1..] {
                        if components.find(p) != components.find(q)
                            && self.near(p as usize, q as usize)
                        {
                            components.union(p, q);
                        }
                    }
                }
            }
        }
        for adjacent in [true, false] {
            if !adjacent && grid.reach < 2 {
                break;
            }
            let mut sweep = grid.sweep();
            for cell in 0..cells {
                let own = cell_cores(cell);
                if own.is_empty() {
                    continue;
                }
                sweep.neighbours(&grid.keys, cell, &mut neighbours);
                for &other in &neighbours {
                    let other = other as usize;
                    let theirs = cell_cores(other);
                    if other <= cell
                        || theirs.is_empty()
                        || (cell_distance(grid.keys[cell], grid.keys[other]) <= 1) != adjacent
                    {
                        continue;
                    }
                    if grid.clique {
                        if components.find(own[0]) == components.find(theirs[0]) {
                            continue;
                        }
                        let linked = own
                            .iter()
                            .any(|&p| theirs.iter().any(|&q| self.near(p as usize, q as usize)));
                        if linked {
                            components.union(own[0], theirs[0]);
                        }
                    } else {
                        for &p in own {
                            for &q in theirs {
                                if components.find(p) != components.find(q)
                                    && self.near(p as usize, q as usize)
                                {
                                    components.union(p, q);
                                }
                            }
                        }
                    }
                }
            }
        }

        // 3. Components numbered by their first row, like sklearn's scan.
        let mut first_row = vec![u32::MAX; m];
        for &p in &cores {
            let root = components.find(p) as usize;
            first_row[root] = first_row[root].min(grid.first[p as usize]);
        }
        let mut roots: Vec<(u32, u32)> = (0..m)
            .filter(|&r| first_row[r] != u32::MAX)
            .map(|r| (first_row[r], r as u32))
            .collect();
        roots.sort_unstable();
        let mut number = vec![NOISE; m];
        for (k, &(_, root)) in roots.iter().enumerate() {
            number[root as usize] = k as i64;
        }
        let mut label = vec![NOISE; m];
        for &p in &cores {
            label[p as usize] = number[components.find(p) as usize];
        }

        // 4. Border points: the smallest cluster with a core point within eps.
        let mut sweep = grid.sweep();
        for cell in 0..cells {
            let points = grid.points(cell);
            if cell_cores(cell).len() == points.len() {
                continue;
            }
            sweep.neighbours(&grid.keys, cell, &mut neighbours);
            for p in points.filter(|&p| !is_core[p]) {
                let mut best = i64::MAX;
                for &other in &neighbours {
                    let theirs = cell_cores(other as usize);
                    if theirs.is_empty() {
                        continue;
                    }
                    if grid.clique {
                        let k = label[theirs[0] as usize];
                        if k >= best {
                            continue;
                        }
                        if other as usize == cell
                            || theirs.iter().any(|&q| self.near(p, q as usize))
                        {
                            best = k;
                        }
                    } else {
                        for &q in theirs {
                            let k = label[q as usize];
                            if k < best && self.near(p, q as usize) {
                                best = k;
                            }
                        }
                    }
                }
                if best != i64::MAX {
                    label[p] = best;
                }
            }
        }

        let mut by_unique = vec![NOISE; self.unique.len()];
        for (position, &id) in grid.order.iter().enumerate() {
            by_unique[id as usize] = label[position];
        }
        by_unique
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_clusters_and_noise() {
        let points = [0.0, 0.0, 1.0, 0.0, 10.0, 10.0, 11.0, 10.0, 50.0, 50.0];
        assert_eq!(dbscan(&points, 2, 1.5, 2), vec![0, 0, 1, 1, -1]);
    }

    #[test]
    fn numbering_follows_the_first_row() {
        let points = [10.0, 0.0, 11.0, 1.0];
        assert_eq!(dbscan(&points, 1, 1.0, 2), vec![0, 1, 0, 1]);
    }

    #[test]
    fn border_points_take_the_first_cluster() {
        // 2 is a border point within eps of the core points 0 and 4.
        let points = [-2.0, -1.0, 0.0, 2.0, 4.0, 5.0, 6.0];
        assert_eq!(dbscan(&points, 1, 2.0, 4), vec![0, 0, 0, 0, 1, 1, 1]);
        let points = [4.0, 5.0, 6.0, 2.0, -2.0, -1.0, 0.0];
        assert_eq!(dbscan(&points, 1, 2.0, 4), vec![0, 0, 0, 0, 1, 1, 1]);
    }

    #[test]
    fn ties_at_eps_are_neighbours() {
        assert_eq!(dbscan(&[0.0, 3.0, 4.0, 0.0], 2, 5.0, 2), vec![0, 0]);
        assert_eq!(dbscan(&[0.0, 5.0], 1, 5.0, 2), vec![0, 0]);
    }

    #[test]
    fn crowded_points_take_clique_cells() {
        let mut state = 1u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) % 32
        };
        let points: Vec<f64> = (0..800).map(|_| next() as f64 / 8.0).collect();
        let unique = Unique::new(&points, 2);
        assert!(Clustering::new(&unique, 2.0, 3).grid.clique);
        assert!(!Clustering::new(&unique, 0.1, 3).grid.clique);
        let unique = Unique::new(&points, 4);
        assert!(!Clustering::new(&unique, 2.0, 3).grid.clique);
    }

    #[test]
    fn huge_and_tiny_scales() {
        // Spans of more than 2^30 cells take the sorted sweep.
        let points = [1e150, 1e150 + 1e140, -1e150, 0.0, 1e-300];
        assert_eq!(dbscan(&points, 1, 1e141, 2), vec![0, 0, -1, 1, 1]);
        // eps * eps underflows to 0: only differences whose square
        // underflows are neighbours, as in scikit-learn.
        assert_eq!(dbscan(&[0.0, 1e-170, 1.0], 1, 1e-200, 2), vec![0, 0, -1]);
        // eps * eps overflows: every pair is within inf.
        assert_eq!(dbscan(&[-1e308, 1e308], 1, 1e200, 2), vec![0, 0]);
    }
}
