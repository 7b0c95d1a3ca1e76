//! Comparable contracts: grouping contracts from different councils' registers
//! into categories that could be bought jointly ("Housing management system",
//! "Waste collection", ...).
//!
//! Three kinds of suggestion come out of [`suggest_groups`]:
//!
//! - **By CPV code.** Uncategorised contracts with CPV codes are grouped by the
//!   first `cpv_depth` digits of their *first* CPV code and labelled with the CPV
//!   description of that prefix ([`Basis::Cpv`]).
//! - **By text.** Uncategorised contracts without CPV codes are compared by the
//!   words of their title, description and supplier name (TF-IDF weights over
//!   the contracts given, cosine similarity; see [`tokenise`] for the words) and
//!   clustered by *single link* with a union-find ([`Basis::Text`]): two
//!   contracts are linked when their similarity is at least the threshold *and*
//!   each is among the other's 20 most similar contracts (a mutual
//!   nearest-neighbour graph); the groups are the connected components.
//!
//!   Why single link rather than average link: its groups are connected
//!   components, so they do not depend on input order or on how merge ties are
//!   broken (a greedy average-link merge does); they are found in time linear
//!   in the number of similar pairs, from the sparse pairs the inverted index
//!   produces, never an n × n matrix; and the result is easy to explain ("each
//!   contract reads like another in the group"). Its known weakness is
//!   chaining: one contract that resembles two topics (a supplier that does
//!   both) would join two large groups into one. The mutual-neighbour rule
//!   stops that in large inputs (a bridge is rarely among both ends' 20
//!   nearest), and makes no difference to small ones; each group also reports
//!   its mean pairwise similarity, so that a loose chain shows as a low number
//!   to the coordinator who reviews it.
//! - **Similar to an existing category.** An uncategorised contract without CPV
//!   codes whose similarity to some already-categorised contract is at least the
//!   threshold is suggested for that contract's category ([`Basis::SimilarTo`];
//!   the most similar contract decides). Such a contract is then left out of the
//!   text clustering, so that no contract is offered twice.
//!
//! **Performance.** Similar pairs are found through an inverted index from each
//! term to the contracts that contain it: a contract is only compared with the
//! contracts it shares at least one term with, and the dot products are
//! accumulated term by term (only pairs sharing a term are ever touched, and
//! each pair once). The cost is the sum over terms of the square of the number
//! of contracts containing the term, well below n² for real registers: in a
//! release build, 10,000 contracts written from 20 topics take about 0.4 s, and
//! the worst case, 10,000 contracts drawn from one small shared vocabulary, about
//! 0.7 s. Each contract keeps only its 20 nearest neighbours, so memory stays
//! linear too.
//!
//! **Decisions.** A coordinator confirms (with a label) or rejects a suggestion;
//! each is remembered as a [`Decision`] on a [`MatchKey`] — the CPV prefix, or a
//! text signature of the contract's title — so that contracts in later imports
//! with the same key are categorised ([`categorise`], [`apply_decisions`]) or,
//! when the key was rejected, no longer suggested. Each contract has exactly
//! one key ([`match_key`]), which keeps the rules simple: a contract whose key
//! was confirmed counts as categorised (it is not suggested, and it attracts
//! similar contracts); one whose key was rejected is left out of every
//! suggestion, so a rejected grouping does not come back in another guise
//! (the coordinator can still categorise such contracts by hand).
//!
//! Everything here is pure: the CPV list is compiled in and parsed once, on
//! first use.

use crate::ids::{OrgId, ParseError};
use crate::register::{Contract, CpvCode};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::LazyLock;

// ---------------------------------------------------------------------------
// The CPV code list
// ---------------------------------------------------------------------------

/// The CPV 2008 list, English labels (see `data/README.md` for its provenance).
const CPV_JSON: &str = include_str!("../data/cpv_en.json");

/// Eight-digit code (check digit dropped) → English label.
static CPV_LABELS: LazyLock<HashMap<String, String>> = LazyLock::new(|| {
    let raw: BTreeMap<String, String> =
        serde_json::from_str(CPV_JSON).expect("the embedded CPV list is valid JSON");
    raw.into_iter()
        .map(|(code, label)| {
            let digits = code.split('-').next().unwrap_or(&code).to_string();
            (digits, label)
        })
        .collect()
});

/// The English CPV 2008 label of a code, e.g. `48000000` → "Software package and
/// information systems". `None` for a well-formed code that is not in CPV 2008.
pub fn cpv_label(code: &CpvCode) -> Option<&'static str> {
    CPV_LABELS.get(code.as_str()).map(String::as_str)
}

/// The label of the code a prefix stands for: the prefix padded with zeros to
/// eight digits (`"4820"` → `48200000` → "Networking, Internet and intranet
/// software package"; `"48"` → "Software package and information systems").
/// `None` when the prefix is not 1 to 8 digits or the padded code is not in
/// CPV 2008.
pub fn cpv_prefix_label(prefix: &str) -> Option<&'static str> {
    if prefix.is_empty() || prefix.len() > 8 || !prefix.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    CPV_LABELS.get(&format!("{prefix:0<8}")).map(String::as_str)
}

/// The label for a group of contracts sharing `prefix`: the prefix's own label,
/// or, for the few prefixes whose padded code is not in the list (11 of them,
/// e.g. `35611`, under which are fighter and bomber aircraft), the nearest
/// broader code's ("Military aircrafts").
fn cpv_group_label(prefix: &str) -> String {
    (2..=prefix.len())
        .rev()
        .find_map(|len| cpv_prefix_label(&prefix[..len]))
        .map_or_else(|| format!("CPV {prefix}"), str::to_string)
}

// ---------------------------------------------------------------------------
// Inputs and outputs
// ---------------------------------------------------------------------------

/// How contracts are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GroupingParams {
    /// How many significant digits of the first CPV code two contracts must share
    /// to be grouped: 2 (division, e.g. `48` software) to 8 (the exact code).
    /// Default 5 (CPV "category"). Values outside 2..=8 are clamped.
    pub cpv_depth: usize,
    /// The cosine similarity (0 to 1) of the TF-IDF word vectors of two contracts
    /// at or above which they count as comparable. Default 0.35. On the
    /// realistic registers in the tests, differently worded contracts for the
    /// same thing ("Housing Management System", "Integrated housing IT system –
    /// rents and repairs", "Northgate OHMS support and maintenance" with a
    /// description that names the housing management system) score 0.43 to
    /// 0.93 against their nearest neighbour, while unrelated contracts score
    /// below 0.25; the exception is wording that really overlaps (leasing refuse
    /// collection vehicles against refuse collection, 0.39). Lower finds more
    /// and looser groups; higher, fewer and tighter.
    /// Contracts that share no word are never similar, whatever the threshold.
    /// Values outside 0..=1 are clamped; NaN means the default.
    pub similarity_threshold: f64,
}

impl GroupingParams {
    /// The default CPV depth: 5 digits, the CPV "category" level.
    pub const DEFAULT_CPV_DEPTH: usize = 5;
    /// The default similarity threshold (see [`GroupingParams::similarity_threshold`]).
    pub const DEFAULT_SIMILARITY_THRESHOLD: f64 = 0.35;

    fn depth(&self) -> usize {
        self.cpv_depth.clamp(2, 8)
    }

    fn threshold(&self) -> f64 {
        if self.similarity_threshold.is_nan() {
            Self::DEFAULT_SIMILARITY_THRESHOLD
        } else {
            self.similarity_threshold.clamp(0.0, 1.0)
        }
    }
}

impl Default for GroupingParams {
    fn default() -> Self {
        Self {
            cpv_depth: Self::DEFAULT_CPV_DEPTH,
            similarity_threshold: Self::DEFAULT_SIMILARITY_THRESHOLD,
        }
    }
}

/// The parts of a contract that grouping looks at; build one from a
/// [`Contract`] with `ContractRef::from(&contract)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ContractRef<'a> {
    /// The authority that holds it.
    pub authority: &'a OrgId,
    /// The authority's reference for it.
    pub reference: &'a str,
    /// Its title.
    pub title: &'a str,
    /// What is provided.
    pub description: &'a str,
    /// The supplier's name, when known.
    pub supplier_name: Option<&'a str>,
    /// Its CPV codes; only the first is used for grouping.
    pub cpv_codes: &'a [CpvCode],
    /// The category it is already in, if any (blank counts as none).
    pub category: Option<&'a str>,
}

impl<'a> From<&'a Contract> for ContractRef<'a> {
    fn from(c: &'a Contract) -> Self {
        Self {
            authority: &c.authority,
            reference: &c.reference,
            title: &c.title,
            description: &c.description,
            supplier_name: c.supplier_name.as_deref(),
            cpv_codes: &c.cpv_codes,
            category: c.category.as_deref(),
        }
    }
}

impl ContractRef<'_> {
    fn category(&self) -> Option<&str> {
        self.category.map(str::trim).filter(|c| !c.is_empty())
    }

    fn member(&self) -> (OrgId, String) {
        (self.authority.clone(), self.reference.to_string())
    }
}

/// Why contracts are suggested as comparable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Basis {
    /// Their first CPV codes share this prefix (`cpv_depth` digits).
    Cpv {
        /// The shared prefix, e.g. `48000`.
        prefix: String,
    },
    /// Their titles, descriptions and supplier names use the same words.
    Text {
        /// The words the group has most in common, most characteristic first
        /// (lower case, plurals made singular).
        terms: Vec<String>,
        /// The mean cosine similarity over all pairs of members (0 to 1, three
        /// decimals): near 1, near-identical wording; near the threshold, a loose
        /// chain worth a closer look.
        mean_similarity: f64,
    },
    /// They read like contracts already in this category.
    SimilarTo {
        /// The existing category's label.
        category: String,
    },
}

impl Basis {
    /// `cpv`, `text` or `similar_to`, as serialised.
    pub fn kind(&self) -> &'static str {
        match self {
            Basis::Cpv { .. } => "cpv",
            Basis::Text { .. } => "text",
            Basis::SimilarTo { .. } => "similar_to",
        }
    }
}

/// A suggested group of comparable contracts, for a coordinator to confirm,
/// relabel or reject.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    /// A stable identifier: the SHA-256 (hex) of the basis kind, the label and
    /// the sorted members, so the same suggestion has the same id in every run
    /// and whatever order the contracts came in.
    pub id: String,
    /// The suggested category label. For [`Basis::SimilarTo`], the existing
    /// category.
    pub label: String,
    /// Why these contracts are suggested together.
    pub basis: Basis,
    /// The contracts, as (authority, reference), sorted. At least two for
    /// [`Basis::Cpv`] and [`Basis::Text`]; for [`Basis::SimilarTo`] these are the
    /// contracts to add to the category, at least one.
    pub members: Vec<(OrgId, String)>,
    /// How many different authorities the members belong to.
    pub authorities: usize,
    /// The keys under which a decision on this suggestion is remembered (see
    /// [`Suggestion::confirm`]), sorted. One CPV prefix, or the distinct text
    /// signatures of the members.
    pub keys: Vec<MatchKey>,
}

impl Suggestion {
    /// The decisions that remember this suggestion as confirmed, under `label`
    /// (`None` or blank keeps the suggested label). Contracts with the same keys
    /// in later imports are then put in that category. The members themselves
    /// still need their category set (as [`apply_decisions`] would give it);
    /// a member with no words to make a signature from adds no key.
    pub fn confirm(&self, label: Option<&str>) -> Vec<Decision> {
        let label = label
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .unwrap_or(&self.label);
        self.keys
            .iter()
            .map(|key| Decision {
                key: key.clone(),
                label: Some(label.to_string()),
            })
            .collect()
    }

    /// The decisions that remember this suggestion as rejected: contracts with
    /// these keys are not suggested for grouping again (they can still be
    /// categorised by hand).
    pub fn reject(&self) -> Vec<Decision> {
        self.keys
            .iter()
            .map(|key| Decision {
                key: key.clone(),
                label: None,
            })
            .collect()
    }
}

/// What a remembered decision applies to. Stored as a (kind, value) pair: see
/// [`MatchKey::kind`], [`MatchKey::value`] and [`MatchKey::from_parts`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "lowercase")]
pub enum MatchKey {
    /// Contracts whose first CPV code starts with these 2 to 8 digits. When
    /// several remembered prefixes match a code, the longest wins.
    Cpv(String),
    /// Contracts without CPV codes whose text signature is exactly this: the
    /// distinct words of the title (lower case, plurals made singular, stop
    /// words and numbers left out; at most the first 8), sorted and joined by
    /// single spaces. "Housing Management Systems 2024–2029" and "housing
    /// management system" both give `housing management system`.
    Text(String),
}

impl MatchKey {
    /// `cpv` or `text`, as the store's `key_kind` column holds it.
    pub fn kind(&self) -> &'static str {
        match self {
            MatchKey::Cpv(_) => "cpv",
            MatchKey::Text(_) => "text",
        }
    }

    /// The prefix or the signature.
    pub fn value(&self) -> &str {
        match self {
            MatchKey::Cpv(v) | MatchKey::Text(v) => v,
        }
    }

    /// Rebuilds a key from its stored kind and value, normalising the value
    /// (a CPV prefix is trimmed; a signature's words are lower-cased, sorted and
    /// deduplicated).
    pub fn from_parts(kind: &str, value: &str) -> Result<Self, ParseError> {
        match kind.trim() {
            "cpv" => {
                let v = value.trim();
                if (2..=8).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_digit()) {
                    Ok(MatchKey::Cpv(v.to_string()))
                } else {
                    Err(ParseError::new(
                        "key_value",
                        format!("'{v}' is not a CPV prefix: write 2 to 8 digits, like 48000"),
                    ))
                }
            }
            "text" => {
                let v = normalise_signature(value);
                if v.is_empty() {
                    Err(ParseError::new(
                        "key_value",
                        "a text signature needs a word",
                    ))
                } else {
                    Ok(MatchKey::Text(v))
                }
            }
            other => Err(ParseError::new(
                "key_kind",
                format!("'{other}' is not a kind of key: write cpv or text"),
            )),
        }
    }
}

/// A coordinator's remembered decision on a grouping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// The contracts it applies to.
    pub key: MatchKey,
    /// The confirmed category label, or `None` when the grouping was rejected.
    /// A blank label makes the decision count for nothing.
    pub label: Option<String>,
}

/// A contract that a remembered confirmation puts in a category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    /// The contract's authority.
    pub authority: OrgId,
    /// The contract's reference.
    pub reference: String,
    /// The category to put it in.
    pub label: String,
    /// The remembered decision's key that matched (a CPV decision may be
    /// broader than the contract's own prefix).
    pub key: MatchKey,
}

// ---------------------------------------------------------------------------
// Words
// ---------------------------------------------------------------------------

/// Ordinary English words that say nothing about what was bought.
const ENGLISH_STOP_WORDS: &[&str] = &[
    "a", "about", "above", "across", "after", "all", "also", "am", "an", "and", "any", "are", "as",
    "at", "be", "been", "before", "being", "between", "both", "but", "by", "can", "do", "does",
    "during", "each", "etc", "eg", "for", "from", "further", "had", "has", "have", "he", "her",
    "his", "how", "ie", "if", "in", "into", "is", "it", "its", "may", "more", "most", "must", "no",
    "nor", "not", "of", "off", "on", "once", "only", "or", "other", "our", "out", "over", "per",
    "shall", "she", "should", "so", "some", "such", "than", "that", "the", "their", "them", "then",
    "there", "these", "they", "this", "those", "through", "to", "under", "until", "up", "upon",
    "us", "via", "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom",
    "why", "will", "with", "within", "without", "would", "you", "your",
];

/// Words so common in council procurement that they tell contracts apart no
/// better than stop words do (compared after plurals are made singular).
const PROCUREMENT_STOP_WORDS: &[&str] = &[
    "agreement",
    "annual",
    "award",
    "borough",
    "call",
    "city",
    "co",
    "company",
    "contract",
    "council",
    "county",
    "district",
    "framework",
    "gb",
    "group",
    "inc",
    "include",
    "including",
    "limited",
    "maintenance",
    "llp",
    "london",
    "lot",
    "ltd",
    "month",
    "new",
    "plc",
    "procurement",
    "provide",
    "provision",
    "related",
    "requirement",
    "royal",
    "service",
    "solution",
    "supplier",
    "support",
    "supply",
    "tender",
    "uk",
    "various",
    "year",
];

/// Makes an English plural singular, crudely but predictably:
/// "systems" → "system", "services" → "service", "repairs" → "repair",
/// "properties" → "property", "businesses" → "business", "switches" → "switch";
/// "status", "analysis" and "access" are left alone.
fn singular(word: &str) -> &str {
    let n = word.len();
    if n <= 3 || !word.ends_with('s') {
        return word;
    }
    if word.ends_with("ss") || word.ends_with("us") || word.ends_with("is") {
        return word;
    }
    if word.ends_with("ies") && n > 4 {
        return &word[..n - 3]; // the caller appends the "y"
    }
    if word.ends_with("sses")
        || word.ends_with("ches")
        || word.ends_with("shes")
        || word.ends_with("xes")
        || word.ends_with("zzes")
    {
        return &word[..n - 2];
    }
    &word[..n - 1]
}

fn stem(word: &str) -> String {
    let s = singular(word);
    if s.len() + 3 == word.len() && word.ends_with("ies") {
        format!("{s}y")
    } else {
        s.to_string()
    }
}

/// One word of a text: its stem, the word as written (lower case), and whether
/// it was written as an acronym ("IT", "CCTV") in text that is not all capitals.
struct Word {
    stem: String,
    surface: String,
    acronym: bool,
}

fn words(text: &str) -> impl Iterator<Item = Word> + '_ {
    let shouting = !text.chars().any(char::is_lowercase);
    text.split(|c: char| !c.is_alphanumeric())
        .filter_map(move |raw| {
            if raw.chars().count() < 2 || raw.chars().all(char::is_numeric) {
                return None;
            }
            let acronym = !shouting && raw.chars().all(|c| !c.is_lowercase());
            let lower = raw.to_lowercase();
            // "IT" (information technology) is not the pronoun "it".
            if !acronym && ENGLISH_STOP_WORDS.contains(&lower.as_str()) {
                return None;
            }
            let stem = stem(&lower);
            if PROCUREMENT_STOP_WORDS.contains(&stem.as_str())
                || PROCUREMENT_STOP_WORDS.contains(&lower.as_str())
                || (!acronym && ENGLISH_STOP_WORDS.contains(&stem.as_str()))
            {
                return None;
            }
            Some(Word {
                stem,
                surface: lower,
                acronym,
            })
        })
}

/// The words grouping compares in a text, in order: lower case, split at
/// anything that is not a letter or digit, plurals made singular, English stop
/// words, common procurement words ("contract", "services", "council", "ltd",
/// ...), numbers and single characters left out. "IT" written in capitals is
/// kept, as `it`.
pub fn tokenise(text: &str) -> Vec<String> {
    words(text).map(|w| w.stem).collect()
}

const SIGNATURE_WORDS: usize = 8;

/// The text signature of a contract: the distinct words of its title (or, if the
/// title has none, its description, then its supplier's name), at most the first
/// eight, sorted and joined by spaces. Empty when there are no words at all.
fn signature(c: &ContractRef<'_>) -> String {
    for text in [c.title, c.description, c.supplier_name.unwrap_or("")] {
        let mut seen: Vec<String> = Vec::new();
        for w in words(text) {
            if !seen.contains(&w.stem) {
                seen.push(w.stem);
                if seen.len() == SIGNATURE_WORDS {
                    break;
                }
            }
        }
        if !seen.is_empty() {
            seen.sort();
            return seen.join(" ");
        }
    }
    String::new()
}

fn normalise_signature(value: &str) -> String {
    let set: BTreeSet<String> = value.split_whitespace().map(str::to_lowercase).collect();
    set.into_iter().collect::<Vec<_>>().join(" ")
}

// ---------------------------------------------------------------------------
// Decisions
// ---------------------------------------------------------------------------

/// The key under which a decision about this contract is remembered: the first
/// `cpv_depth` digits of its first CPV code, or, without CPV codes, its text
/// signature (see [`MatchKey::Text`]).
pub fn match_key(contract: &ContractRef<'_>, params: &GroupingParams) -> MatchKey {
    match contract.cpv_codes.first() {
        Some(code) => MatchKey::Cpv(code.prefix(params.depth()).to_string()),
        None => MatchKey::Text(signature(contract)),
    }
}

/// What the remembered decisions say about one contract.
enum Remembered<'d> {
    Confirmed(&'d str, MatchKey),
    Rejected,
    Unknown,
}

/// Remembered decisions, indexed for lookup. The last decision on a key wins.
struct Memory<'d> {
    cpv: HashMap<String, Option<&'d str>>,
    text: HashMap<String, Option<&'d str>>,
}

impl<'d> Memory<'d> {
    fn new(decisions: &'d [Decision]) -> Self {
        let mut memory = Memory {
            cpv: HashMap::new(),
            text: HashMap::new(),
        };
        for d in decisions {
            let label = match d.label.as_deref().map(str::trim) {
                Some("") => continue,
                other => other,
            };
            match MatchKey::from_parts(d.key.kind(), d.key.value()) {
                Ok(MatchKey::Cpv(v)) => {
                    memory.cpv.insert(v, label);
                }
                Ok(MatchKey::Text(v)) => {
                    memory.text.insert(v, label);
                }
                Err(_) => {}
            }
        }
        memory
    }

    fn recall(&self, c: &ContractRef<'_>) -> Remembered<'d> {
        let found = match c.cpv_codes.first() {
            Some(code) => (2..=8).rev().find_map(|len| {
                let prefix = code.prefix(len);
                self.cpv
                    .get(prefix)
                    .map(|l| (*l, MatchKey::Cpv(prefix.to_string())))
            }),
            None => {
                let sig = signature(c);
                self.text.get(&sig).map(|l| (*l, MatchKey::Text(sig)))
            }
        };
        match found {
            Some((Some(label), key)) => Remembered::Confirmed(label, key),
            Some((None, _)) => Remembered::Rejected,
            None => Remembered::Unknown,
        }
    }
}

/// The category a remembered confirmation gives this contract, if any. `None`
/// when no decision matches it or the matching one is a rejection. The
/// contract's own `category` is not consulted. A contract with CPV codes is
/// matched by the longest remembered prefix of its first code, whatever depth
/// it was remembered at, so `params` does not change the answer; it is taken
/// for symmetry with [`match_key`].
pub fn categorise(
    contract: &ContractRef<'_>,
    decisions: &[Decision],
    params: &GroupingParams,
) -> Option<String> {
    let _ = params;
    match Memory::new(decisions).recall(contract) {
        Remembered::Confirmed(label, _) => Some(label.to_string()),
        _ => None,
    }
}

/// The categories remembered confirmations give to contracts that have none
/// yet, e.g. after an import; contracts that already have a category are left
/// alone. In input order. Matching is as for [`categorise`].
pub fn apply_decisions(
    contracts: &[ContractRef<'_>],
    decisions: &[Decision],
    params: &GroupingParams,
) -> Vec<Assignment> {
    let _ = params;
    let memory = Memory::new(decisions);
    contracts
        .iter()
        .filter(|c| c.category().is_none())
        .filter_map(|c| match memory.recall(c) {
            Remembered::Confirmed(label, key) => Some(Assignment {
                authority: c.authority.clone(),
                reference: c.reference.to_string(),
                label: label.to_string(),
                key,
            }),
            _ => None,
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Text vectors
// ---------------------------------------------------------------------------

/// A contract's words as a unit-length TF-IDF vector, sorted by term id.
struct TextDoc {
    vector: Vec<(u32, f64)>,
    /// The title's terms in order, with the words as written (lower case), to
    /// put a label's words in their natural order and form.
    title: TitleWords,
}

/// A title's terms in order, with the words as written.
type TitleWords = Vec<(u32, String)>;

struct Corpus {
    terms: Vec<String>,
    /// Per term: (times written as an acronym, times seen in mixed-case text).
    case_votes: Vec<(u32, u32)>,
    docs: Vec<TextDoc>,
}

impl Corpus {
    /// Words of the title, the description and the supplier's name all count
    /// alike. A term's weight in a contract is (1 + ln tf) × idf, with
    /// idf = ln((1 + n) / (1 + df)) + 1 over the n contracts of the input, and
    /// each contract's vector is scaled to unit length. A term only one
    /// contract uses (df = 1: a product or supplier name, a typo) cannot link it
    /// to anything, yet at full weight it would drown the words it shares with
    /// others ("Northgate OHMS support" whose description names a housing
    /// management system); such terms keep half their weight. They are not
    /// dropped, so that a contract about something else that shares one word
    /// with others is not mistaken for a match.
    fn build(contracts: &[&ContractRef<'_>]) -> Self {
        let mut ids: HashMap<String, u32> = HashMap::new();
        let mut terms: Vec<String> = Vec::new();
        let mut case_votes: Vec<(u32, u32)> = Vec::new();
        let mut counts: Vec<(Vec<(u32, f64)>, TitleWords)> = Vec::with_capacity(contracts.len());
        for c in contracts {
            let mut tf: Vec<(u32, f64)> = Vec::new();
            let mut title = Vec::new();
            for (field, weight, is_title) in [
                (c.title, 1.0, true),
                (c.description, 1.0, false),
                (c.supplier_name.unwrap_or(""), 1.0, false),
            ] {
                let shouting = !field.chars().any(char::is_lowercase);
                for w in words(field) {
                    let id = *ids.entry(w.stem).or_insert_with_key(|stem| {
                        terms.push(stem.clone());
                        case_votes.push((0, 0));
                        (terms.len() - 1) as u32
                    });
                    if !shouting {
                        let v = &mut case_votes[id as usize];
                        v.0 += u32::from(w.acronym);
                        v.1 += 1;
                    }
                    match tf.iter_mut().find(|(t, _)| *t == id) {
                        Some((_, n)) => *n += weight,
                        None => tf.push((id, weight)),
                    }
                    if is_title {
                        title.push((id, w.surface));
                    }
                }
            }
            tf.sort_by_key(|&(t, _)| t);
            counts.push((tf, title));
        }
        let mut df = vec![0u32; terms.len()];
        for (tf, _) in &counts {
            for &(t, _) in tf {
                df[t as usize] += 1;
            }
        }
        let n = contracts.len() as f64;
        let idf: Vec<f64> = df
            .iter()
            .map(|&d| {
                let idf = ((1.0 + n) / (1.0 + f64::from(d))).ln() + 1.0;
                if d <= 1 { idf * HAPAX_DAMPING } else { idf }
            })
            .collect();
        let docs = counts
            .into_iter()
            .map(|(tf, title)| {
                let mut vector: Vec<(u32, f64)> = tf
                    .into_iter()
                    .map(|(t, f)| (t, (1.0 + f.ln()) * idf[t as usize]))
                    .collect();
                let norm = vector.iter().map(|(_, w)| w * w).sum::<f64>().sqrt();
                if norm > 0.0 {
                    for (_, w) in &mut vector {
                        *w /= norm;
                    }
                }
                TextDoc { vector, title }
            })
            .collect();
        Corpus {
            terms,
            case_votes,
            docs,
        }
    }

    /// How a term is written in a label, given the form it most often takes in
    /// the titles: "IT", "CCTV" for acronyms, otherwise with a capital first
    /// letter.
    fn display(&self, term: u32, word: &str) -> String {
        let (acronym, seen) = self.case_votes[term as usize];
        if seen > 0 && acronym * 2 > seen {
            return word.to_uppercase();
        }
        let mut chars = word.chars();
        match chars.next() {
            Some(first) => first.to_uppercase().chain(chars).collect(),
            None => String::new(),
        }
    }

    /// An inverted index over some of the documents: term → (position in
    /// `which`, weight), positions ascending.
    fn postings(&self, which: &[usize]) -> Vec<Vec<(u32, f64)>> {
        let mut postings = vec![Vec::new(); self.terms.len()];
        for (pos, &d) in which.iter().enumerate() {
            for &(t, w) in &self.docs[d].vector {
                postings[t as usize].push((pos as u32, w));
            }
        }
        postings
    }
}

/// Sums the dot products of one document with the indexed documents it shares
/// a term with (only those at positions `from` or later), then calls `found`
/// with each position and similarity.
fn similarities(
    doc: &TextDoc,
    postings: &[Vec<(u32, f64)>],
    from: u32,
    acc: &mut [f64],
    touched: &mut Vec<u32>,
    mut found: impl FnMut(u32, f64),
) {
    for &(t, w) in &doc.vector {
        let list = &postings[t as usize];
        let start = list.partition_point(|&(j, _)| j < from);
        for &(j, w2) in &list[start..] {
            if acc[j as usize] == 0.0 {
                touched.push(j);
            }
            acc[j as usize] += w * w2;
        }
    }
    for j in touched.drain(..) {
        found(j, acc[j as usize]);
        acc[j as usize] = 0.0;
    }
}

/// How many nearest neighbours of a contract may link it into a group.
const NEIGHBOURS: usize = 20;

/// A neighbour and its similarity, ordered from least to most similar (of
/// equal similarities, the later contract counts as less similar).
#[derive(Clone, Copy)]
struct Near {
    similarity: f64,
    other: u32,
}

impl PartialEq for Near {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Near {}

impl PartialOrd for Near {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Near {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.similarity
            .total_cmp(&other.similarity)
            .then_with(|| other.other.cmp(&self.other))
    }
}

/// The [`NEIGHBOURS`] most similar contracts to one contract, whatever order
/// they are offered in.
#[derive(Default)]
struct Nearest(std::collections::BinaryHeap<std::cmp::Reverse<Near>>);

impl Nearest {
    fn offer(&mut self, similarity: f64, other: u32) {
        let near = std::cmp::Reverse(Near { similarity, other });
        if self.0.len() < NEIGHBOURS {
            self.0.push(near);
        } else if self.0.peek().is_some_and(|worst| near < *worst) {
            self.0.pop();
            self.0.push(near);
        }
    }

    fn others(&self) -> impl Iterator<Item = u32> + '_ {
        self.0.iter().map(|n| n.0.other)
    }
}

/// A union-find over `0..n`, with path halving and union by size.
struct UnionFind {
    parent: Vec<u32>,
    size: Vec<u32>,
}

impl UnionFind {
    fn new(n: usize) -> Self {
        Self {
            parent: (0..n as u32).collect(),
            size: vec![1; n],
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
        let (mut a, mut b) = (self.find(a), self.find(b));
        if a == b {
            return;
        }
        if self.size[a as usize] < self.size[b as usize] {
            std::mem::swap(&mut a, &mut b);
        }
        self.parent[b as usize] = a;
        self.size[a as usize] += self.size[b as usize];
    }
}

// ---------------------------------------------------------------------------
// Suggestions
// ---------------------------------------------------------------------------

fn suggestion_id(kind: &str, label: &str, members: &[(OrgId, String)]) -> String {
    let mut h = Sha256::new();
    h.update(b"consort-grouping-v1");
    let mut field = |s: &str| {
        h.update((s.len() as u64).to_be_bytes());
        h.update(s.as_bytes());
    };
    field(kind);
    field(label);
    for (authority, reference) in members {
        field(authority.as_str());
        field(reference);
    }
    hex::encode(h.finalize())
}

fn make_suggestion(
    label: String,
    basis: Basis,
    members: &[&ContractRef<'_>],
    keys: Vec<MatchKey>,
) -> Suggestion {
    let mut members: Vec<(OrgId, String)> = members.iter().map(|c| c.member()).collect();
    members.sort();
    let authorities = members
        .iter()
        .map(|(a, _)| a)
        .collect::<BTreeSet<_>>()
        .len();
    let mut keys = keys;
    keys.sort();
    keys.dedup();
    Suggestion {
        id: suggestion_id(basis.kind(), &label, &members),
        label,
        basis,
        members,
        authorities,
        keys,
    }
}

/// The weight kept by a term only one contract in the input uses (see
/// [`Corpus::build`]).
const HAPAX_DAMPING: f64 = 0.5;

const LABEL_TERMS: usize = 3;
const BASIS_TERMS: usize = 5;

/// A text group's characteristic terms and label.
///
/// Terms used by at least two members are ranked by how many members' titles
/// use them, then how many members use them anywhere, then their summed
/// TF-IDF weight. The label is the best two, plus the third if at least half
/// the members use it; the words are put in the order the titles use them
/// (the word that comes first in more titles goes first), in the form the
/// titles most often write them ("Meals" rather than "Meal").
fn describe(corpus: &Corpus, members: &[usize]) -> (Vec<String>, String) {
    #[derive(Default)]
    struct Stat {
        titles: u32,
        anywhere: u32,
        weight: f64,
    }
    let mut stats: HashMap<u32, Stat> = HashMap::new();
    for &d in members {
        let doc = &corpus.docs[d];
        for &(t, w) in &doc.vector {
            let s = stats.entry(t).or_default();
            s.anywhere += 1;
            s.weight += w;
            if doc.title.iter().any(|(x, _)| *x == t) {
                s.titles += 1;
            }
        }
    }
    let mut ranked: Vec<(u32, Stat)> = stats.into_iter().filter(|(_, s)| s.anywhere >= 2).collect();
    ranked.sort_by(|(a, x), (b, y)| {
        (y.titles, y.anywhere)
            .cmp(&(x.titles, x.anywhere))
            .then_with(|| y.weight.total_cmp(&x.weight))
            .then_with(|| corpus.terms[*a as usize].cmp(&corpus.terms[*b as usize]))
    });
    let terms = ranked
        .iter()
        .take(BASIS_TERMS)
        .map(|(t, _)| corpus.terms[*t as usize].clone())
        .collect();
    let chosen: Vec<u32> = ranked
        .iter()
        .take(LABEL_TERMS)
        .enumerate()
        .filter(|(i, (_, s))| *i < 2 || s.anywhere as usize * 2 >= members.len())
        .map(|(_, (t, _))| *t)
        .collect();

    // Order: (titles where it comes before another chosen word) minus (titles
    // where it comes after), then its mean relative position in the titles,
    // then rank. Words in no title go last.
    let first_position = |d: usize, t: u32| {
        let title = &corpus.docs[d].title;
        title
            .iter()
            .position(|(x, _)| *x == t)
            .map(|p| (p, title.len()))
    };
    let mut placed: Vec<(i64, f64, usize, u32)> = chosen
        .iter()
        .enumerate()
        .map(|(rank, &t)| {
            let mut precedence = 0i64;
            let (mut sum, mut n) = (0.0, 0u32);
            for &d in members {
                let Some((p, len)) = first_position(d, t) else {
                    continue;
                };
                sum += p as f64 / len as f64;
                n += 1;
                for &other in chosen.iter().filter(|&&o| o != t) {
                    match first_position(d, other) {
                        Some((q, _)) if q > p => precedence += 1,
                        Some(_) => precedence -= 1,
                        None => {}
                    }
                }
            }
            let mean = if n == 0 { 2.0 } else { sum / f64::from(n) };
            (precedence, mean, rank, t)
        })
        .collect();
    placed.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then_with(|| a.1.total_cmp(&b.1))
            .then(a.2.cmp(&b.2))
    });
    let label = placed
        .iter()
        .map(|&(_, _, _, t)| corpus.display(t, &usual_form(corpus, members, t)))
        .collect::<Vec<_>>()
        .join(" ");
    (terms, label)
}

/// The form a term is most often written in in the members' titles (ties: the
/// alphabetically first); the term itself when no title uses it.
fn usual_form(corpus: &Corpus, members: &[usize], term: u32) -> String {
    let mut forms: BTreeMap<&str, u32> = BTreeMap::new();
    for &d in members {
        for (t, surface) in &corpus.docs[d].title {
            if *t == term {
                *forms.entry(surface).or_insert(0) += 1;
            }
        }
    }
    let mut best: Option<(&str, u32)> = None;
    for (form, n) in forms {
        if best.is_none_or(|(_, m)| n > m) {
            best = Some((form, n));
        }
    }
    best.map_or_else(
        || corpus.terms[term as usize].clone(),
        |(f, _)| f.to_string(),
    )
}

/// The mean cosine similarity over all pairs of unit vectors: with S their sum,
/// Σ_{i≠j} vᵢ·vⱼ = |S|² − k, so no pair needs computing.
fn mean_pairwise_similarity(corpus: &Corpus, members: &[usize]) -> f64 {
    let k = members.len() as f64;
    if k < 2.0 {
        return 1.0;
    }
    let mut sum: HashMap<u32, f64> = HashMap::new();
    for &d in members {
        for &(t, w) in &corpus.docs[d].vector {
            *sum.entry(t).or_insert(0.0) += w;
        }
    }
    let mut keys: Vec<u32> = sum.keys().copied().collect();
    keys.sort_unstable();
    let squared: f64 = keys.iter().map(|t| sum[t] * sum[t]).sum();
    let mean = ((squared - k) / (k * (k - 1.0))).clamp(0.0, 1.0);
    (mean * 1000.0).round() / 1000.0
}

/// Suggests groups of comparable contracts (see the module documentation for
/// the rules). Contracts that already have a category, or that a remembered
/// confirmation categorises, are not suggested, but attract similar
/// uncategorised contracts; contracts whose key was rejected are left out.
/// Sorted by number of authorities (most first), then members (most first),
/// then label. The result does not depend on the order of `contracts`.
pub fn suggest_groups(
    contracts: &[ContractRef<'_>],
    decisions: &[Decision],
    params: &GroupingParams,
) -> Vec<Suggestion> {
    let depth = params.depth();
    let threshold = params.threshold();
    let memory = Memory::new(decisions);

    // A canonical order, so that nothing below depends on the input's order
    // (not even floating-point rounding).
    let mut sorted: Vec<&ContractRef<'_>> = contracts.iter().collect();
    sorted.sort_by(|a, b| {
        (a.authority, a.reference, a.title, a.description)
            .cmp(&(b.authority, b.reference, b.title, b.description))
            .then_with(|| a.supplier_name.cmp(&b.supplier_name))
            .then_with(|| a.cpv_codes.cmp(b.cpv_codes))
            .then_with(|| a.category.cmp(&b.category))
    });
    let contracts = sorted;

    let mut categorised: Vec<(usize, String)> = Vec::new();
    let mut by_prefix: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut text_pool: Vec<usize> = Vec::new();
    for (i, c) in contracts.iter().enumerate() {
        if let Some(category) = c.category() {
            categorised.push((i, category.to_string()));
            continue;
        }
        match memory.recall(c) {
            Remembered::Confirmed(label, _) => categorised.push((i, label.to_string())),
            Remembered::Rejected => {}
            Remembered::Unknown => match c.cpv_codes.first() {
                Some(code) => by_prefix
                    .entry(code.prefix(depth).to_string())
                    .or_default()
                    .push(i),
                None => text_pool.push(i),
            },
        }
    }

    let mut suggestions = Vec::new();
    for (prefix, members) in &by_prefix {
        if members.len() < 2 {
            continue;
        }
        let members: Vec<&ContractRef<'_>> = members.iter().map(|&i| contracts[i]).collect();
        suggestions.push(make_suggestion(
            cpv_group_label(prefix),
            Basis::Cpv {
                prefix: prefix.clone(),
            },
            &members,
            vec![MatchKey::Cpv(prefix.clone())],
        ));
    }

    if !text_pool.is_empty() {
        let corpus = Corpus::build(&contracts);
        let text_key = |i: usize| match signature(contracts[i]) {
            s if s.is_empty() => None,
            s => Some(MatchKey::Text(s)),
        };
        let mut acc = vec![0.0; text_pool.len().max(categorised.len())];
        let mut touched = Vec::new();

        // Similar to an existing category: the most similar categorised
        // contract decides (ties: the alphabetically first label).
        let mut attracted: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        let mut unattracted = Vec::with_capacity(text_pool.len());
        if categorised.is_empty() {
            unattracted = text_pool;
        } else {
            let which: Vec<usize> = categorised.iter().map(|(i, _)| *i).collect();
            let postings = corpus.postings(&which);
            for &i in &text_pool {
                let mut best: Option<(f64, &str)> = None;
                similarities(
                    &corpus.docs[i],
                    &postings,
                    0,
                    &mut acc,
                    &mut touched,
                    |j, s| {
                        let label = categorised[j as usize].1.as_str();
                        let better = match best {
                            None => true,
                            Some((bs, bl)) => s > bs || (s == bs && label < bl),
                        };
                        if s >= threshold && better {
                            best = Some((s, label));
                        }
                    },
                );
                match best {
                    Some((_, label)) => attracted.entry(label).or_default().push(i),
                    None => unattracted.push(i),
                }
            }
        }
        for (category, members) in attracted {
            let keys = members.iter().filter_map(|&i| text_key(i)).collect();
            let members: Vec<&ContractRef<'_>> = members.iter().map(|&i| contracts[i]).collect();
            suggestions.push(make_suggestion(
                category.to_string(),
                Basis::SimilarTo {
                    category: category.to_string(),
                },
                &members,
                keys,
            ));
        }

        // Single-link clusters of the rest, over the mutual nearest neighbours.
        let postings = corpus.postings(&unattracted);
        let mut nearest: Vec<Nearest> =
            (0..unattracted.len()).map(|_| Nearest::default()).collect();
        for (pos, &i) in unattracted.iter().enumerate() {
            let pos = pos as u32;
            similarities(
                &corpus.docs[i],
                &postings,
                pos + 1,
                &mut acc,
                &mut touched,
                |j, s| {
                    if s > 0.0 && s >= threshold {
                        nearest[pos as usize].offer(s, j);
                        nearest[j as usize].offer(s, pos);
                    }
                },
            );
        }
        let mut sets = UnionFind::new(unattracted.len());
        for (pos, near) in nearest.iter().enumerate() {
            let pos = pos as u32;
            for j in near.others().filter(|&j| j > pos) {
                if nearest[j as usize].others().any(|k| k == pos) {
                    sets.union(pos, j);
                }
            }
        }
        let mut clusters: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
        for (pos, &i) in unattracted.iter().enumerate() {
            clusters.entry(sets.find(pos as u32)).or_default().push(i);
        }
        for members in clusters.into_values().filter(|m| m.len() >= 2) {
            let (terms, label) = describe(&corpus, &members);
            let mean_similarity = mean_pairwise_similarity(&corpus, &members);
            let keys = members.iter().filter_map(|&i| text_key(i)).collect();
            let members: Vec<&ContractRef<'_>> = members.iter().map(|&i| contracts[i]).collect();
            suggestions.push(make_suggestion(
                label,
                Basis::Text {
                    terms,
                    mean_similarity,
                },
                &members,
                keys,
            ));
        }
    }

    suggestions.sort_by(|a, b| {
        b.authorities
            .cmp(&a.authorities)
            .then_with(|| b.members.len().cmp(&a.members.len()))
            .then_with(|| a.label.cmp(&b.label))
            .then_with(|| a.id.cmp(&b.id))
    });
    suggestions
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_cpv_list_is_complete() {
        assert_eq!(CPV_LABELS.len(), 9454);
        assert_eq!(CPV_LABELS["03131300"], "Maté");
    }

    #[test]
    fn group_labels_walk_up_to_a_code_that_exists() {
        assert_eq!(
            cpv_group_label("48000"),
            "Software package and information systems"
        );
        assert_eq!(cpv_group_label("90511"), "Refuse collection services");
        // 35611000 does not exist; its codes are fighter and bomber aircraft.
        assert_eq!(cpv_prefix_label("35611"), None);
        assert_eq!(cpv_group_label("35611"), "Military aircrafts");
        assert_eq!(cpv_group_label("99999"), "CPV 99999");
    }

    #[test]
    fn singular_forms() {
        for (plural, single) in [
            ("systems", "system"),
            ("services", "service"),
            ("repairs", "repair"),
            ("properties", "property"),
            ("businesses", "business"),
            ("switches", "switch"),
            ("boxes", "box"),
            ("status", "status"),
            ("analysis", "analysis"),
            ("access", "access"),
            ("gas", "gas"),
            ("housing", "housing"),
        ] {
            assert_eq!(stem(plural), single, "{plural}");
        }
    }

    #[test]
    fn mean_similarity_matches_the_pairwise_mean() {
        let owner = OrgId::parse("GB-LAE-CMD").unwrap();
        let titles = [
            "housing management system",
            "housing repairs system",
            "management of housing repairs",
        ];
        let refs: Vec<ContractRef<'_>> = titles
            .iter()
            .map(|t| ContractRef {
                authority: &owner,
                reference: t,
                title: t,
                description: "",
                supplier_name: None,
                cpv_codes: &[],
                category: None,
            })
            .collect();
        let all: Vec<&ContractRef<'_>> = refs.iter().collect();
        let corpus = Corpus::build(&all);
        let dot = |a: usize, b: usize| -> f64 {
            let mut s = 0.0;
            for &(t, w) in &corpus.docs[a].vector {
                for &(u, v) in &corpus.docs[b].vector {
                    if t == u {
                        s += w * v;
                    }
                }
            }
            s
        };
        let direct = (dot(0, 1) + dot(0, 2) + dot(1, 2)) / 3.0;
        let fast = mean_pairwise_similarity(&corpus, &[0, 1, 2]);
        assert!((direct - fast).abs() < 0.001, "{direct} vs {fast}");
    }
}
