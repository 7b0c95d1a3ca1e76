//! One holder's share of a competition key, and putting two shares back together.

use std::fmt;

use age::x25519;
use vsss_rs::Gf256;
use zeroize::Zeroizing;

use crate::competition::CompetitionKey;
use crate::error::VaultError;
use crate::keys::parse_recipient;

/// The holder id of the share sealed to the organisation's recovery key.
pub const RECOVERY_HOLDER_ID: &str = "recovery";

/// How many shares from distinct holders rebuild a competition key.
pub const SHARES_NEEDED: usize = 2;

const SHARE_HEADER: &str = "consort-vault-share-v1";
const COMPETITION_FIELD: &str = "competition: ";
const HOLDER_FIELD: &str = "holder: ";
const SHARE_FIELD: &str = "share: ";

/// One holder's unsealed share of a competition key. A single share reveals nothing
/// about the key, so the store may keep the first opener's share (as
/// [text](Share::to_text)) until a second holder acts. Its value is zeroized on drop
/// and never shown in Debug output.
#[derive(Clone, PartialEq, Eq)]
pub struct Share {
    competition: String,
    holder_id: String,
    point: Zeroizing<Vec<u8>>,
}

impl Share {
    pub(crate) fn new(competition: String, holder_id: String, point: Zeroizing<Vec<u8>>) -> Self {
        Share {
            competition,
            holder_id,
            point,
        }
    }

    /// The holder this share was made for (an opener's holder id or [`RECOVERY_HOLDER_ID`]).
    pub fn holder_id(&self) -> &str {
        &self.holder_id
    }

    /// The public key (`age1…`) of the competition this share belongs to.
    pub fn competition_public_key(&self) -> &str {
        &self.competition
    }

    /// The share as text, for the store to keep until a second holder acts.
    pub fn to_text(&self) -> Zeroizing<String> {
        let point_hex = Zeroizing::new(hex::encode(self.point.as_slice()));
        let mut text = Zeroizing::new(String::with_capacity(
            SHARE_HEADER.len()
                + self.competition.len()
                + self.holder_id.len()
                + point_hex.len()
                + 64,
        ));
        for line in [
            SHARE_HEADER,
            "\n",
            COMPETITION_FIELD,
            &self.competition,
            "\n",
            HOLDER_FIELD,
            &self.holder_id,
            "\n",
            SHARE_FIELD,
            &point_hex,
            "\n",
        ] {
            text.push_str(line);
        }
        text
    }

    /// The share as bytes (the UTF-8 of [`Share::to_text`]).
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(self.to_text().as_bytes().to_vec())
    }

    /// Reads a share written by [`Share::to_text`].
    pub fn from_text(text: &str) -> Result<Share, VaultError> {
        let invalid = |reason: &str| VaultError::InvalidShareText {
            reason: reason.to_owned(),
        };
        let mut lines = text.lines();
        if lines.next() != Some(SHARE_HEADER) {
            return Err(invalid(
                "the first line must be the share header (consort-vault-share-v1)",
            ));
        }
        let mut field = |name: &str| {
            lines
                .next()
                .and_then(|line| line.strip_prefix(name))
                .ok_or_else(|| invalid(&format!("the line starting {name:?} is missing")))
        };
        let competition = field(COMPETITION_FIELD)?;
        let holder_id = field(HOLDER_FIELD)?;
        let point_hex = field(SHARE_FIELD)?;
        if lines.next().is_some() {
            return Err(invalid("there is text after the share line"));
        }
        parse_recipient("competition", competition)
            .map_err(|_| invalid("the competition line does not hold an age public key (age1…)"))?;
        if holder_id.is_empty() {
            return Err(invalid("the holder line is empty"));
        }
        let point = Zeroizing::new(
            hex::decode(point_hex).map_err(|_| invalid("the share line is not hexadecimal"))?,
        );
        if point.len() < 2 {
            return Err(invalid("the share value is too short"));
        }
        if point[0] == 0 {
            return Err(invalid("the share index must not be zero"));
        }
        Ok(Share::new(
            competition.to_owned(),
            holder_id.to_owned(),
            point,
        ))
    }

    /// Reads a share written by [`Share::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Share, VaultError> {
        let text = std::str::from_utf8(bytes).map_err(|_| VaultError::InvalidShareText {
            reason: "it is not UTF-8 text".to_owned(),
        })?;
        Share::from_text(text)
    }

    fn index(&self) -> u8 {
        self.point[0]
    }
}

impl fmt::Debug for Share {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Share")
            .field("competition", &self.competition)
            .field("holder_id", &self.holder_id)
            .field("value", &"[REDACTED]")
            .finish()
    }
}

/// Rebuilds a competition's key from shares of at least two distinct holders, and
/// checks that it really is the key for `public_key`.
pub fn reassemble(public_key: &str, shares: &[Share]) -> Result<CompetitionKey, VaultError> {
    let expected = parse_recipient("competition", public_key)?;
    if shares.len() < SHARES_NEEDED {
        return Err(VaultError::NotEnoughShares {
            given: shares.len(),
        });
    }
    for share in shares {
        let belongs = parse_recipient("competition", &share.competition)
            .is_ok_and(|recipient| recipient == expected);
        if !belongs {
            return Err(VaultError::ShareFromOtherCompetition {
                holder_id: share.holder_id.clone(),
            });
        }
    }
    for (position, share) in shares.iter().enumerate() {
        let repeated = shares[..position].iter().any(|earlier| {
            earlier.index() == share.index() || earlier.holder_id == share.holder_id
        });
        if repeated {
            return Err(VaultError::SharesFromSameHolder {
                holder_id: share.holder_id.clone(),
            });
        }
    }
    let points: Zeroizing<Vec<Vec<u8>>> =
        Zeroizing::new(shares.iter().map(|share| share.point.to_vec()).collect());
    let secret = Zeroizing::new(
        Gf256::combine_bytes(&*points).map_err(|_| VaultError::ReassembledKeyMismatch)?,
    );
    let identity = std::str::from_utf8(&secret)
        .ok()
        .and_then(|text| text.parse::<x25519::Identity>().ok())
        .ok_or(VaultError::ReassembledKeyMismatch)?;
    if identity.to_public() != expected {
        return Err(VaultError::ReassembledKeyMismatch);
    }
    Ok(CompetitionKey::from_identity(identity))
}
