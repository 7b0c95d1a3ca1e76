//! Scores as exact integers: hundredths of a point. A criterion of weight 30 is
//! worth at most 30.00 points, i.e. `Points(3000)`.
//!
//! Rounding: each criterion's points are worked out exactly as a fraction and
//! rounded half up to the nearest hundredth; a bid's total is the sum of its
//! rounded criterion points. No floating point is used anywhere.

use super::criteria::{PriceFormula, ScoringScale};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A score in hundredths of a point.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Points(pub i64);

impl Points {
    /// The full marks of a criterion of `weight`.
    pub fn full(weight: u32) -> Points {
        Points(i64::from(weight) * 100)
    }
}

impl fmt::Display for Points {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        write!(f, "{sign}{}.{:02}", self.0.abs() / 100, self.0.abs() % 100)
    }
}

impl std::iter::Sum for Points {
    fn sum<I: Iterator<Item = Points>>(iter: I) -> Points {
        Points(iter.map(|p| p.0).sum())
    }
}

/// `numerator ÷ denominator` rounded half up, for a non-negative numerator and a
/// positive denominator.
fn round_half_up(numerator: i128, denominator: i128) -> i64 {
    let rounded = (2 * numerator + denominator) / (2 * denominator);
    i64::try_from(rounded).unwrap_or(i64::MAX)
}

/// The points a quality score earns: score ÷ the scale's maximum × weight,
/// rounded half up to hundredths. A score off the scale is clamped to it.
pub fn quality_points(score: u8, scale: &ScoringScale, weight: u32) -> Points {
    if scale.max == 0 {
        return Points(0);
    }
    let score = score.clamp(scale.min, scale.max);
    Points(round_half_up(
        i128::from(score) * i128::from(weight) * 100,
        i128::from(scale.max),
    ))
}

/// The points a bid's total price earns under `formula`, given the lowest total
/// price among the bids for the same lot. Never below 0 or above the weight; a
/// lower price never scores less than a higher one.
pub fn price_points(formula: PriceFormula, weight: u32, lowest: i64, price: i64) -> Points {
    let full = i128::from(weight) * 100;
    if price <= 0 {
        return Points::full(weight);
    }
    if lowest <= 0 {
        return Points(0);
    }
    let (lowest, price) = (i128::from(lowest.min(price)), i128::from(price));
    let points = match formula {
        PriceFormula::LowestPriceRatio => round_half_up(full * lowest, price),
        PriceFormula::RelativeToLowest {
            zero_at_percent_above,
        } => {
            let p = i128::from(zero_at_percent_above.max(1));
            let remaining = lowest * p - (price - lowest) * 100;
            if remaining <= 0 {
                0
            } else {
                round_half_up(full * remaining, lowest * p)
            }
        }
    };
    Points(points.clamp(0, i64::try_from(full).unwrap_or(i64::MAX)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_print_with_two_places() {
        assert_eq!(Points(3000).to_string(), "30.00");
        assert_eq!(Points(1234).to_string(), "12.34");
        assert_eq!(Points(5).to_string(), "0.05");
    }

    #[test]
    fn rounding_is_half_up() {
        // 2/3 of 20 = 13.333… -> 13.33; 5/6 of 10 = 8.333… -> 8.33; 1/8 of 1 = 0.125 -> 0.13.
        assert_eq!(round_half_up(2 * 2000, 3), 1333);
        assert_eq!(round_half_up(100, 8), 13);
        assert_eq!(round_half_up(3, 2), 2);
    }
}
