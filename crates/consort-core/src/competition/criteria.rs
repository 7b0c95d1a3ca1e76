//! Award criteria: quality questions scored on a published scale, and price scored
//! by a published formula. Weights are whole numbers adding up to exactly 100.

use super::error::CompetitionError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The criteria bids are scored against.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwardCriteria {
    /// The quality questions, in the order bidders see them.
    pub questions: Vec<QualityQuestion>,
    /// The price criterion, if price is scored.
    pub price: Option<PriceCriterion>,
}

/// A quality question bidders answer in writing and evaluators score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QualityQuestion {
    /// A short id unique in the competition, e.g. `Q1`.
    pub id: String,
    /// The question as bidders see it.
    pub text: String,
    /// Its weight out of 100.
    pub weight: u32,
    /// How answers are scored.
    pub scale: ScoringScale,
    /// The most words an answer may have, if limited.
    pub word_limit: Option<u32>,
}

/// A scoring scale such as 0 to 5, with what each score means.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoringScale {
    /// The lowest score.
    pub min: u8,
    /// The highest score.
    pub max: u8,
    /// Guidance for each score from `min` to `max`, in order: `guidance[0]` is for
    /// `min`.
    pub guidance: Vec<String>,
}

impl ScoringScale {
    /// The common 0–5 scale with the usual guidance.
    pub fn zero_to_five() -> ScoringScale {
        ScoringScale {
            min: 0,
            max: 5,
            guidance: [
                "Unacceptable: no answer, or the answer does not address the question",
                "Poor: significant gaps or weaknesses; serious concerns",
                "Weak: some gaps or weaknesses; some concerns",
                "Satisfactory: meets the requirement; minor concerns",
                "Good: meets the requirement fully with some added value",
                "Excellent: exceeds the requirement, fully evidenced",
            ]
            .map(String::from)
            .to_vec(),
        }
    }

    /// Whether `score` is on the scale.
    pub fn contains(&self, score: u8) -> bool {
        (self.min..=self.max).contains(&score)
    }

    /// The guidance for `score`, if on the scale.
    pub fn guidance_for(&self, score: u8) -> Option<&str> {
        if !self.contains(score) {
            return None;
        }
        self.guidance
            .get(usize::from(score - self.min))
            .map(String::as_str)
    }
}

/// Price as a criterion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceCriterion {
    /// Its weight out of 100.
    pub weight: u32,
    /// How a bid's total price becomes a score.
    pub formula: PriceFormula,
}

/// How a bid's total price is scored, relative to the lowest total price among the
/// bids for the same lot. Scores are in hundredths of a point, rounded half up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "formula", rename_all = "snake_case")]
pub enum PriceFormula {
    /// score = weight × lowest price ÷ this price.
    LowestPriceRatio,
    /// score = weight × (1 − (this price − lowest price) ÷ (lowest price × P%)), not
    /// below 0: a price P% or more above the lowest scores nothing.
    RelativeToLowest {
        /// P: how far above the lowest price, in percent, a price scores 0.
        zero_at_percent_above: u32,
    },
}

impl PriceFormula {
    /// The formula as the published documents state it.
    pub fn text(&self, weight: u32) -> String {
        match self {
            PriceFormula::LowestPriceRatio => format!(
                "Price score = {weight} × (lowest total price ÷ this bid's total price). The lowest price scores {weight}; a price twice the lowest scores half of that. Scores are worked out to two decimal places, rounding half up."
            ),
            PriceFormula::RelativeToLowest {
                zero_at_percent_above: p,
            } => format!(
                "Price score = {weight} × (1 − (this bid's total price − lowest total price) ÷ (lowest total price × {p}%)), and never less than 0. The lowest price scores {weight}; a price {p}% or more above the lowest scores 0. Scores are worked out to two decimal places, rounding half up."
            ),
        }
    }

    /// The short name shown in lists.
    pub fn label(&self) -> String {
        match self {
            PriceFormula::LowestPriceRatio => "Lowest price ÷ price".to_string(),
            PriceFormula::RelativeToLowest {
                zero_at_percent_above: p,
            } => format!("Relative to lowest (0 at {p}% above)"),
        }
    }
}

impl AwardCriteria {
    /// What the weights add up to.
    pub fn total_weight(&self) -> u64 {
        self.questions
            .iter()
            .map(|q| u64::from(q.weight))
            .chain(self.price.iter().map(|p| u64::from(p.weight)))
            .sum()
    }

    /// The question with this id.
    pub fn question(&self, id: &str) -> Option<&QualityQuestion> {
        self.questions.iter().find(|q| q.id == id)
    }

    /// Refuses weights that do not add up to exactly 100, naming the total.
    pub fn check_weights(&self) -> Result<(), CompetitionError> {
        match self.total_weight() {
            100 => Ok(()),
            total => Err(CompetitionError::WeightsDoNotSum { total }),
        }
    }

    /// Checks everything except the total: ids, texts, weights above 0, each
    /// scale with guidance for every score, and the price formula's parameter.
    pub fn check_structure(&self) -> Result<(), CompetitionError> {
        let mut ids = BTreeSet::new();
        for (i, q) in self.questions.iter().enumerate() {
            let at = |what: &str| format!("criteria.questions[{}].{what}", i + 1);
            let id = q.id.trim();
            if id.is_empty() || id.len() > 40 || id.chars().any(char::is_whitespace) {
                return Err(CompetitionError::invalid(
                    at("id"),
                    format!(
                        "'{}' is not a question id: use 1 to 40 characters without spaces, like Q1",
                        q.id
                    ),
                ));
            }
            if !ids.insert(id) {
                return Err(CompetitionError::invalid(
                    at("id"),
                    format!("question id '{id}' is used twice"),
                ));
            }
            if q.text.trim().is_empty() {
                return Err(CompetitionError::invalid(
                    at("text"),
                    format!("question {id} has no text"),
                ));
            }
            if q.weight == 0 {
                return Err(CompetitionError::invalid(
                    at("weight"),
                    format!(
                        "question {id} has weight 0: give it a weight of 1 or more, or remove it"
                    ),
                ));
            }
            if q.word_limit == Some(0) {
                return Err(CompetitionError::invalid(
                    at("word_limit"),
                    format!("question {id} has a word limit of 0: leave it empty for no limit"),
                ));
            }
            let s = &q.scale;
            if s.max <= s.min {
                return Err(CompetitionError::invalid(
                    at("scale"),
                    format!(
                        "question {id}'s scale runs from {} to {}: the highest score must be above the lowest",
                        s.min, s.max
                    ),
                ));
            }
            let scores = usize::from(s.max - s.min) + 1;
            if s.guidance.len() != scores {
                return Err(CompetitionError::invalid(
                    at("scale.guidance"),
                    format!(
                        "question {id}'s scale {}–{} has {scores} scores but guidance for {}: give guidance for each score",
                        s.min,
                        s.max,
                        s.guidance.len()
                    ),
                ));
            }
            if let Some(blank) = s.guidance.iter().position(|g| g.trim().is_empty()) {
                return Err(CompetitionError::invalid(
                    at("scale.guidance"),
                    format!(
                        "question {id} has no guidance for score {}",
                        usize::from(s.min) + blank
                    ),
                ));
            }
        }
        if let Some(p) = &self.price {
            if p.weight == 0 {
                return Err(CompetitionError::invalid(
                    "criteria.price.weight",
                    "price has weight 0: give it a weight of 1 or more, or do not score price",
                ));
            }
            if let PriceFormula::RelativeToLowest {
                zero_at_percent_above: 0,
            } = p.formula
            {
                return Err(CompetitionError::invalid(
                    "criteria.price.formula",
                    "the percentage above the lowest price at which a price scores 0 must be 1 or more",
                ));
            }
        }
        Ok(())
    }

    /// Checks the criteria are complete: structure, at least one criterion, and
    /// weights adding up to 100.
    pub fn check(&self) -> Result<(), CompetitionError> {
        self.check_structure()?;
        if self.questions.is_empty() && self.price.is_none() {
            return Err(CompetitionError::invalid(
                "criteria",
                "there are no award criteria: add quality questions, a price criterion, or both",
            ));
        }
        self.check_weights()
    }

    /// The award criteria as the published documents describe them: each
    /// criterion, its weight, and the price formula.
    pub fn details_text(&self) -> String {
        let mut parts: Vec<String> = self
            .questions
            .iter()
            .map(|q| {
                format!(
                    "{} {} (weight {}, scored {} to {})",
                    q.id, q.text, q.weight, q.scale.min, q.scale.max
                )
            })
            .collect();
        if let Some(p) = &self.price {
            parts.push(format!(
                "Price (weight {}): {}",
                p.weight,
                p.formula.text(p.weight)
            ));
        }
        parts.join("; ")
    }
}
