//! Splitting a time range into half-open chunks `[start, end)` for large
//! pulls. Unlike msticpy's `split_query_by`, consecutive chunks share their
//! edge (one's end is the next one's start) and each is queried with
//! `>= start and < end`, so a row exactly on an edge lands in exactly one
//! chunk; a range shorter than one chunk is one chunk.

use super::kql::{ceil_tick, datetime_literal, floor_tick, format_datetime, quote_ident, TICK_NS};

/// More chunks than this make the chunks longer instead.
pub const MAX_CHUNKS: i64 = 10_000;

/// `[start, end)` in nanoseconds since the epoch; `None` is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    pub start: Option<i64>,
    pub end: Option<i64>,
}

impl TimeRange {
    pub const ALL: TimeRange = TimeRange {
        start: None,
        end: None,
    };

    /// `| where T >= datetime(start) and T < datetime(end)` for `column`.
    pub fn kql_filter(&self, column: &str) -> Option<String> {
        let col = quote_ident(column);
        let start = self.start.and_then(datetime_literal);
        let end = self.end.and_then(datetime_literal);
        match (start, end) {
            (Some(s), Some(e)) => Some(format!("{col} >= {s} and {col} < {e}")),
            (Some(s), None) => Some(format!("{col} >= {s}")),
            (None, Some(e)) => Some(format!("{col} < {e}")),
            (None, None) => None,
        }
    }

    /// The `timespan` sent with the request: the range widened by one tick
    /// at each end, so that whether the service includes its edges does not
    /// matter (the `where` above makes the range exact). `None` when open.
    pub fn timespan(&self) -> Option<String> {
        let (s, e) = (self.start?, self.end?);
        Some(format!(
            "{}/{}",
            format_datetime(s.saturating_sub(TICK_NS))?,
            format_datetime(e.saturating_add(TICK_NS))?
        ))
    }

    /// A readable form for messages.
    pub fn describe(&self) -> String {
        let show = |v: Option<i64>, open: &str| {
            v.and_then(format_datetime)
                .unwrap_or_else(|| open.to_string())
        };
        format!(
            "[{}, {})",
            show(self.start, "-infinity"),
            show(self.end, "+infinity")
        )
    }

    /// Splits the range in two halves at a tick; an open end is split at
    /// `now`. `None` when it cannot be split (no start, or one tick long).
    pub fn split(&self, now: i64) -> Option<(TimeRange, TimeRange)> {
        let start = self.start?;
        let end = self.end.unwrap_or_else(|| now.max(start));
        let mid = floor_tick(start + (end - start) / 2);
        if mid <= start || (self.end.is_some() && mid >= end) {
            return None;
        }
        Some((
            TimeRange {
                start: Some(start),
                end: Some(mid),
            },
            TimeRange {
                start: Some(mid),
                end: self.end,
            },
        ))
    }
}

/// Chunks covering `[start, end)` (tick-aligned outwards) of `chunk_ns`
/// each, the last one shorter; an open end is chunked up to `now` and the
/// last chunk stays open. Never empty.
pub fn split_range(
    start: Option<i64>,
    end: Option<i64>,
    chunk_ns: i64,
    now: i64,
) -> Vec<TimeRange> {
    let Some(start) = start.map(floor_tick) else {
        return vec![TimeRange { start: None, end }];
    };
    let end = end.map(ceil_tick);
    let stop = end.unwrap_or_else(|| ceil_tick(now));
    if stop <= start {
        return vec![TimeRange {
            start: Some(start),
            end,
        }];
    }
    let span = stop - start;
    let mut chunk = ceil_tick(chunk_ns.max(TICK_NS));
    if span / chunk >= MAX_CHUNKS {
        chunk = ceil_tick(span / MAX_CHUNKS + 1);
    }
    let mut out = Vec::new();
    let mut at = start;
    while at < stop {
        let next = at.saturating_add(chunk).min(stop);
        out.push(TimeRange {
            start: Some(at),
            end: Some(next),
        });
        at = next;
    }
    if end.is_none() {
        if let Some(last) = out.last_mut() {
            last.end = None;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000_000_000;

    fn assert_tiles(chunks: &[TimeRange], start: i64, end: Option<i64>) {
        assert_eq!(chunks.first().unwrap().start, Some(start));
        assert_eq!(chunks.last().unwrap().end, end);
        for pair in chunks.windows(2) {
            assert_eq!(pair[0].end, pair[1].start, "gap or overlap in {chunks:?}");
            assert!(pair[0].start < pair[0].end);
        }
    }

    #[test]
    fn chunks_tile_the_range_without_gaps_or_overlaps() {
        let c = split_range(Some(0), Some(30 * DAY), DAY, 0);
        assert_eq!(c.len(), 30);
        assert_tiles(&c, 0, Some(30 * DAY));
        // A partial last chunk.
        let c = split_range(Some(0), Some(2 * DAY + 500), DAY, 0);
        assert_eq!(c.len(), 3);
        assert_tiles(&c, 0, Some(2 * DAY + 500));
        // Shorter than one chunk.
        let c = split_range(Some(1_000), Some(5_000), DAY, 0);
        assert_eq!(
            c,
            vec![TimeRange {
                start: Some(1_000),
                end: Some(5_000)
            }]
        );
        // Unaligned bounds widen to ticks.
        let c = split_range(Some(1_050), Some(4_950), DAY, 0);
        assert_eq!(
            c,
            vec![TimeRange {
                start: Some(1_000),
                end: Some(5_000)
            }]
        );
        // Open end: chunked up to now, last chunk open.
        let c = split_range(Some(0), None, DAY, 3 * DAY);
        assert_eq!(c.len(), 3);
        assert_tiles(&c, 0, None);
        // No start: one open chunk.
        assert_eq!(
            split_range(None, Some(5), DAY, 0),
            vec![TimeRange {
                start: None,
                end: Some(5)
            }]
        );
        // Far too many chunks: longer chunks instead.
        let c = split_range(Some(0), Some(100_000 * DAY), DAY, 0);
        assert!(c.len() as i64 <= MAX_CHUNKS);
        assert_tiles(&c, 0, Some(100_000 * DAY));
    }

    #[test]
    fn halves_share_their_edge_and_stop_at_one_tick() {
        let r = TimeRange {
            start: Some(0),
            end: Some(DAY),
        };
        let (a, b) = r.split(0).unwrap();
        assert_eq!(a.end, b.start);
        assert_eq!((a.start, b.end), (Some(0), Some(DAY)));
        assert!(TimeRange {
            start: Some(0),
            end: Some(100)
        }
        .split(0)
        .is_none());
        assert!(TimeRange::ALL.split(0).is_none());
        let (a, b) = TimeRange {
            start: Some(0),
            end: None,
        }
        .split(DAY)
        .unwrap();
        assert_eq!(
            (a.end, b.start, b.end),
            (Some(DAY / 2), Some(DAY / 2), None)
        );
    }

    #[test]
    fn kql_and_timespan_of_a_chunk() {
        let r = TimeRange {
            start: Some(0),
            end: Some(DAY),
        };
        assert_eq!(
            r.kql_filter("TimeGenerated").unwrap(),
            "TimeGenerated >= datetime(1970-01-01T00:00:00.0000000Z) and TimeGenerated < datetime(1970-01-02T00:00:00.0000000Z)"
        );
        assert_eq!(
            r.timespan().unwrap(),
            "1969-12-31T23:59:59.9999999Z/1970-01-02T00:00:00.0000001Z"
        );
        assert!(TimeRange::ALL.kql_filter("T").is_none());
        assert!(TimeRange {
            start: Some(0),
            end: None
        }
        .timespan()
        .is_none());
    }
}
