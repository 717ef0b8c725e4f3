//! The five editable attributes and their six ordered degrees (0..=5), as defined in the
//! Talk-to-Edit supplement, tables A2-A6.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Number of fine-grained degrees per attribute (0..=5).
pub const NUM_DEGREES: usize = 6;

/// An editable facial attribute. `Age` is the paper's "Young" attribute, oriented so that a higher
/// degree means older.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Attribute {
    Bangs,
    Eyeglasses,
    Beard,
    Smiling,
    Age,
}

impl Attribute {
    /// All attributes in their canonical order (the order of predictor heads and fields).
    pub const ALL: [Attribute; 5] = [
        Attribute::Bangs,
        Attribute::Eyeglasses,
        Attribute::Beard,
        Attribute::Smiling,
        Attribute::Age,
    ];

    /// The interface name used in JSON and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Attribute::Bangs => "bangs",
            Attribute::Eyeglasses => "eyeglasses",
            Attribute::Beard => "beard",
            Attribute::Smiling => "smiling",
            Attribute::Age => "age",
        }
    }

    /// Position in [`Attribute::ALL`].
    pub fn index(self) -> usize {
        Attribute::ALL.iter().position(|a| *a == self).unwrap_or(0)
    }

    /// Where in a face aligned the FFHQ way (the generator's frame; fraction of the height, top
    /// to bottom) what the degree reader judges of this attribute lies: the fringe on the
    /// forehead, the frames over the eyes, the smile at the mouth, the beard on the chin. Age has
    /// no one place (it is the whole face).
    pub fn core_height(self) -> Option<f32> {
        match self {
            Attribute::Bangs => Some(0.25),
            Attribute::Eyeglasses => Some(0.47),
            Attribute::Beard => Some(0.85),
            Attribute::Smiling => Some(0.72),
            Attribute::Age => None,
        }
    }

    /// What degree `d` looks like, from the supplement's definitions.
    pub fn degree_description(self, degree: u8) -> &'static str {
        const BANGS: [&str; 6] = [
            "no bangs",
            "bangs covering about 20% of the forehead",
            "bangs covering about 40% of the forehead",
            "bangs covering about 60% of the forehead",
            "bangs covering about 80% of the forehead",
            "bangs covering the whole forehead",
        ];
        const EYEGLASSES: [&str; 6] = [
            "no glasses",
            "rimless or very thin metal glasses",
            "thicker metal or thin plastic glasses",
            "thick plastic-framed glasses",
            "thin-framed sunglasses",
            "thick-framed sunglasses",
        ];
        const BEARD: [&str; 6] = [
            "no beard",
            "a shaved or very short beard",
            "a beard unshaved for a while",
            "a deliberate medium-length beard",
            "a long but thin beard",
            "a bushy, long, untidy beard",
        ];
        const SMILING: [&str; 6] = [
            "no smile",
            "a closed-mouth smile",
            "a smile showing some teeth",
            "a smile showing a whole row of teeth",
            "laughing with the mouth moderately open",
            "an exaggerated laugh with the mouth wide open",
        ];
        const AGE: [&str; 6] = [
            "under 15", "15 to 30", "30 to 40", "40 to 50", "50 to 60", "over 60",
        ];
        let table = match self {
            Attribute::Bangs => &BANGS,
            Attribute::Eyeglasses => &EYEGLASSES,
            Attribute::Beard => &BEARD,
            Attribute::Smiling => &SMILING,
            Attribute::Age => &AGE,
        };
        table[usize::from(degree.min(5))]
    }
}

impl fmt::Display for Attribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Error for an unknown attribute name.
#[derive(Debug, thiserror::Error)]
#[error("unknown attribute {0:?} (expected one of bangs, eyeglasses, beard, smiling, age)")]
pub struct UnknownAttribute(pub String);

impl FromStr for Attribute {
    type Err = UnknownAttribute;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        Attribute::ALL
            .into_iter()
            .find(|a| a.name() == lower)
            .ok_or(UnknownAttribute(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for a in Attribute::ALL {
            assert_eq!(a.name().parse::<Attribute>().unwrap(), a);
            assert_eq!(Attribute::ALL[a.index()], a);
        }
        assert!("hat".parse::<Attribute>().is_err());
    }
}
