//! Response times: received → handed off → acknowledged → on scene.

use beacon_domain::Action;
use chrono::Duration;
use serde::Serialize;

use crate::{ApiError, Beacon};

/// Median and 90th percentile of one interval, in seconds.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SegmentStats {
    pub count: u64,
    pub median_s: Option<i64>,
    pub p90_s: Option<i64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StatsGroup {
    pub jurisdiction_id: Option<String>,
    pub name: String,
    pub referrals: u64,
    pub received_to_handed_off: SegmentStats,
    pub handed_off_to_acknowledged: SegmentStats,
    pub acknowledged_to_on_scene: SegmentStats,
    pub received_to_on_scene: SegmentStats,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ResponseStats {
    pub since_days: i64,
    pub overall: StatsGroup,
    pub by_jurisdiction: Vec<StatsGroup>,
}

#[derive(Default)]
struct Samples {
    referrals: u64,
    handed: Vec<i64>,
    ack: Vec<i64>,
    scene: Vec<i64>,
    total: Vec<i64>,
}

impl Samples {
    fn add(&mut self, r: &beacon_store::ResponseRow) {
        self.referrals += 1;
        let secs = |a: i64, b: i64| (b - a).max(0) / 1000;
        if let Some(h) = r.handed_off_at {
            self.handed.push(secs(r.received_at, h));
            if let Some(a) = r.acknowledged_at {
                self.ack.push(secs(h, a));
            }
        }
        if let (Some(a), Some(s)) = (r.acknowledged_at, r.on_scene_at) {
            self.scene.push(secs(a, s));
        }
        if let Some(s) = r.on_scene_at {
            self.total.push(secs(r.received_at, s));
        }
    }

    fn concat(groups: &[Samples]) -> Samples {
        let all = |part: fn(&Samples) -> &Vec<i64>| groups.iter().flat_map(|g| part(g).iter().copied()).collect();
        Samples {
            referrals: groups.iter().map(|g| g.referrals).sum(),
            handed: all(|g| &g.handed),
            ack: all(|g| &g.ack),
            scene: all(|g| &g.scene),
            total: all(|g| &g.total),
        }
    }

    fn finish(self, jurisdiction_id: Option<String>, name: String) -> StatsGroup {
        StatsGroup {
            jurisdiction_id,
            name,
            referrals: self.referrals,
            received_to_handed_off: percentiles(self.handed),
            handed_off_to_acknowledged: percentiles(self.ack),
            acknowledged_to_on_scene: percentiles(self.scene),
            received_to_on_scene: percentiles(self.total),
        }
    }
}

/// Nearest-rank percentiles.
/// Nearest-rank median and 90th percentile. Two selections instead of a
/// sort: linear in the number of samples.
fn percentiles(mut v: Vec<i64>) -> SegmentStats {
    if v.is_empty() {
        return SegmentStats::default();
    }
    let n = v.len();
    let rank = |p: f64| ((p * n as f64).ceil() as usize).clamp(1, n) - 1;
    let (median_at, p90_at) = (rank(0.5), rank(0.9));
    let (below, p90, _) = v.select_nth_unstable(p90_at);
    let p90 = *p90;
    // The median's rank is at or below the 90th's: it lies in what is left of it.
    let median = if median_at == p90_at { p90 } else { *below.select_nth_unstable(median_at).1 };
    SegmentStats { count: n as u64, median_s: Some(median), p90_s: Some(p90) }
}

impl Beacon {
    /// Response-time statistics over referrals received in the last `since_days` days.
    pub fn stats(&self, since_days: i64) -> Result<ResponseStats, ApiError> {
        self.require(Action::ReadQueue)?;
        if since_days <= 0 {
            return Err(ApiError::invalid("stats", "days", "must be 1 or more"));
        }
        let since = (self.store().now() - Duration::days(since_days)).timestamp_millis();
        let data = self.store().response_rows(since)?;
        let mut groups: Vec<Samples> = Vec::new();
        groups.resize_with(data.jurisdictions.len(), Samples::default);
        for r in &data.rows {
            groups[r.jurisdiction as usize].add(r);
        }
        // Every sample once per row, then copied whole into the overall
        // figures: cheaper than adding each row twice.
        let overall = Samples::concat(&groups);
        let mut by_jurisdiction: Vec<StatsGroup> = data
            .jurisdictions
            .into_iter()
            .zip(groups)
            .map(|((id, name), s)| s.finish(id, name.unwrap_or_else(|| beacon_domain::jurisdiction::UNASSIGNED.into())))
            .collect();
        by_jurisdiction.sort_by(|a, b| b.referrals.cmp(&a.referrals).then(a.name.cmp(&b.name)));
        Ok(ResponseStats { since_days, overall: overall.finish(None, "all jurisdictions".into()), by_jurisdiction })
    }
}

#[cfg(test)]
mod tests {
    use super::percentiles;

    #[test]
    fn selection_agrees_with_sorting() {
        // Pseudo-random samples of every length up to 200, with repeats.
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        for n in 1..200usize {
            let v: Vec<i64> = (0..n)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    (x % 50) as i64
                })
                .collect();
            let mut sorted = v.clone();
            sorted.sort_unstable();
            let at = |p: f64| sorted[((p * n as f64).ceil() as usize).clamp(1, n) - 1];
            let s = percentiles(v);
            assert_eq!((s.median_s, s.p90_s), (Some(at(0.5)), Some(at(0.9))), "n = {n}");
        }
    }

    #[test]
    fn nearest_rank_percentiles() {
        let s = percentiles((1..=10).collect());
        assert_eq!((s.median_s, s.p90_s, s.count), (Some(5), Some(9), 10));
        let s = percentiles(vec![42]);
        assert_eq!((s.median_s, s.p90_s), (Some(42), Some(42)));
        assert_eq!(percentiles(vec![]).median_s, None);
    }
}
