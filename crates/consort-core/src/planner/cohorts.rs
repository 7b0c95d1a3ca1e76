//! Joint go-live cohorts: the maximal cliques of the interval graph of exit
//! windows.
//!
//! Sort the window starts and ends (a start before an end on the same day, since
//! both ends of a window are included) and sweep. A maximal clique sits exactly
//! where a start is followed by an end: its members are the windows active at
//! that moment, which are exactly those with `earliest <= from` and
//! `latest >= to`, where `from` is the last start and `to` the next end. Running
//! counters give each clique's size, distinct authorities and value as it is
//! found, so all of them cost O(n log n) (the two sorts) plus O(n).

use super::days::{day_number, key, key_day, key_index};
use super::{CategoryIndex, CohortSummary, Counters, JointCohort, clamp_pence};

impl CategoryIndex<'_> {
    /// Every joint go-live cohort, as summaries ordered by `from`. Nothing is
    /// listed: rank them with [`super::rank_cohorts`] and list the members of the
    /// ones wanted with [`Self::materialise`]. O(n log n) time, O(n) memory.
    pub fn joint_cohorts(&self) -> Vec<CohortSummary> {
        let n = self.items.len();
        let mut starts: Vec<u64> = (0..n).map(|i| key(self.earliest[i], i)).collect();
        let mut ends: Vec<u64> = (0..n).map(|i| key(self.latest[i], i)).collect();
        starts.sort_unstable();
        ends.sort_unstable();
        let mut counters = Counters::new(self.authorities.len());
        let mut cohorts = Vec::new();
        let (mut s, mut e) = (0, 0);
        let mut last_was_start = false;
        while e < n {
            if s < n && key_day(starts[s]) <= key_day(ends[e]) {
                counters.add(self, key_index(starts[s]));
                s += 1;
                last_was_start = true;
            } else {
                let ending = key_index(ends[e]);
                if last_was_start {
                    cohorts.push(CohortSummary {
                        from: self.window(key_index(starts[s - 1])).0,
                        to: self.window(ending).1,
                        authority_count: counters.distinct,
                        contract_count: counters.contracts,
                        annual_value_pence: clamp_pence(counters.value),
                    });
                }
                counters.remove(self, ending);
                e += 1;
                last_was_start = false;
            }
        }
        cohorts
    }

    /// The members of `cohort`: the positions in [`Self::items`] of every item
    /// whose window starts by `cohort.from` and ends no earlier than
    /// `cohort.to`, in item order. O(n).
    pub fn members(&self, cohort: &CohortSummary) -> Vec<usize> {
        let (from, to) = (day_number(cohort.from), day_number(cohort.to));
        (0..self.items.len())
            .filter(|&i| self.earliest[i] <= from && self.latest[i] >= to)
            .collect()
    }

    /// `cohort` with its authorities and contracts listed. O(n + m log m) for m
    /// members.
    pub fn materialise(&self, cohort: &CohortSummary) -> JointCohort {
        let mut members = self.members(cohort);
        members.sort_unstable_by(|&a, &b| {
            self.authority[a]
                .cmp(&self.authority[b])
                .then_with(|| self.items[a].reference.cmp(&self.items[b].reference))
        });
        let mut authorities: Vec<u32> = members.iter().map(|&i| self.authority[i]).collect();
        authorities.dedup();
        JointCohort {
            authorities: authorities
                .iter()
                .map(|&a| self.authorities[a as usize].clone())
                .collect(),
            from: cohort.from,
            to: cohort.to,
            contracts: members
                .iter()
                .map(|&i| self.items[i].reference.clone())
                .collect(),
            annual_value_pence: clamp_pence(members.iter().map(|&i| self.value(i)).sum()),
        }
    }
}
