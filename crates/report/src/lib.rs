//! `leadscore-report`: what a model file says, for people. It draws the charts of a model
//! artifact with plotters (SVG, no fonts needed) and wraps them in a self-contained HTML
//! report: the model card, the weights with odds ratios, ROC and precision-recall curves with
//! the MQL cutoff marked, calibration, conversion and lift by decile and by tier, the score
//! distribution of converted and unconverted leads, and what each target precision costs.
//!
//! `leadscore-train report` writes the document; `leadscore-serve` shows the same charts on its
//! model page. Both depend on this crate, which depends only on `leadscore-core`.
//!
//! - [`figures`]: the numbers behind the charts (tiers, targets, score histogram by outcome);
//!   the tiers themselves are `leadscore-core`'s ([`Tiers`], re-exported), as the server's are;
//! - [`charts`]: one SVG per chart; [`html`]: the card, tables and the document.
//!
//! ```no_run
//! use leadscore_core::artifact::ModelArtifact;
//! use leadscore_report::{report_html, ReportOptions};
//!
//! let artifact = ModelArtifact::load("models/demo.json".as_ref())?;
//! let html = report_html(&artifact, None, &ReportOptions::default())?;
//! std::fs::write("report.html", html)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod charts;
pub mod figures;
pub mod html;

pub use charts::{Chart, Frame, CHART_IDS};
pub use figures::{EvaluationSet, ReportOptions, TierTarget, Tiers};
pub use html::{report_html, Report, STYLE};

/// `text` ready to sit inside a sentence or a chart label next to numbers. A name from a
/// CSV's header or cells (a column, a category level, a lead id, a file name) can hold
/// right-to-left letters or bidi controls: an unclosed U+202E RIGHT-TO-LEFT OVERRIDE in a level
/// reverses the rest of the line it sits in (the factor `+0.52 Google (fit)` reads
/// `(tif) elgooG 25.0+`), and a Hebrew or Arabic name pulls the number after it to its left.
/// Such a name comes back without its embedding, override and isolate controls (U+202A..E,
/// U+2066..9: invisible, and a stray pop would close the isolate early) and wrapped in U+2068
/// FIRST STRONG ISOLATE .. U+2069 POP DIRECTIONAL ISOLATE, so its letters keep their own
/// direction and the words and numbers around it keep their order. A control or invisible
/// character (a line break, `\u{1}`, a zero-width space) is shown escaped (`\n`, `\u{1}`,
/// `\u{200b}`), as the command line and the API's factors show it: raw, a line break became a
/// space, `web\u{200b}` read as `web`, and a control character made the report invalid XML.
/// A name over [`ISOLATE_CHARS`] characters (a 10 KB level) is cut with its size. Names
/// without any of this come back as they are.
pub fn isolate(text: &str) -> std::borrow::Cow<'_, str> {
    let long = text.len() > ISOLATE_CHARS && text.chars().count() > ISOLATE_CHARS;
    if !long && !text.chars().any(|c| bidi_sensitive(c) || invisible(c)) {
        return std::borrow::Cow::Borrowed(text);
    }
    let rtl = text.chars().any(bidi_sensitive);
    let mut out = String::with_capacity(text.len().min(4 * ISOLATE_CHARS) + 32);
    if rtl {
        out.push('\u{2068}');
    }
    for c in text
        .chars()
        .take(ISOLATE_CHARS)
        .filter(|c| !bidi_control(*c))
    {
        if invisible(c) {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    if long {
        out.push_str(&format!("… ({} bytes)", text.len()));
    }
    if rtl {
        out.push('\u{2069}');
    }
    std::borrow::Cow::Owned(out)
}

/// How many characters of a name [`isolate`] keeps.
pub const ISOLATE_CHARS: usize = 512;

/// A character that shows as nothing or breaks the line it sits in: a control character, or
/// an invisible format character (zero-width spaces and joiners, the byte-order mark, the soft
/// hyphen, the word joiner).
fn invisible(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{AD}'
        )
}

/// `name` in at most `max` characters: as it is when it fits; else cut in the middle (`…`),
/// keeping its start and its end, where names of one column's levels or features differ
/// (`Professional Services - North America` and `... - South America`); below 5 characters
/// its first `max`.
pub fn cut_middle(name: &str, max: usize) -> String {
    let n = name.chars().count();
    if n <= max || max < 5 {
        return name.chars().take(max).collect();
    }
    let tail = (max - 1) / 2;
    let mut out: String = name.chars().take(max - 1 - tail).collect();
    out.push('…');
    out.extend(name.chars().skip(n - tail));
    out
}

/// An explicit embedding, override or isolate control (or its pop).
fn bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A character that changes the order of the text around it: a right-to-left letter (the
/// Hebrew, Arabic, Syriac, Thaana, N'Ko, Samaritan and Mandaic blocks, their presentation
/// forms, the right-to-left scripts of the supplementary planes) or an explicit bidi control.
fn bidi_sensitive(c: char) -> bool {
    matches!(
        c,
        '\u{0590}'..='\u{08FF}'
            | '\u{FB1D}'..='\u{FDFF}'
            | '\u{FE70}'..='\u{FEFF}'
            | '\u{10800}'..='\u{10FFF}'
            | '\u{1E800}'..='\u{1EFFF}'
            | '\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}'
    )
}

/// Why a report could not be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReportError {
    /// plotters failed to draw a chart (with an in-memory SVG target this means a bug).
    #[error("drawing chart `{chart}` failed: {message}")]
    Draw {
        /// The chart's id.
        chart: &'static str,
        /// What plotters said.
        message: String,
    },
    /// A tier specification did not parse ([`Tiers::parse`] returns core's
    /// [`TiersError`](leadscore_core::tiers::TiersError), which converts into this).
    #[error("tiers `{text}`: {message}")]
    Tiers {
        /// The text given.
        text: String,
        /// What is wrong with it.
        message: String,
    },
    /// An option is out of range.
    #[error("{0}")]
    Option(String),
}

impl From<leadscore_core::tiers::TiersError> for ReportError {
    fn from(e: leadscore_core::tiers::TiersError) -> Self {
        Self::Tiers {
            text: e.text,
            message: e.problem.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::isolate;

    #[test]
    fn names_with_right_to_left_text_or_controls_are_isolated_and_others_left_alone() {
        assert_eq!(isolate("Google"), "Google");
        assert!(matches!(
            isolate("Lead Source=Olark Chat"),
            std::borrow::Cow::Borrowed(_)
        ));
        // An override is dropped and the rest isolated; a planted pop cannot end the isolate.
        assert_eq!(isolate("\u{202E}Google"), "\u{2068}Google\u{2069}");
        assert_eq!(isolate("a\u{2069}\u{202E}b"), "\u{2068}ab\u{2069}");
        // Hebrew keeps its letters, isolated from the number written after it.
        assert_eq!(isolate("שלום"), "\u{2068}שלום\u{2069}");
        // A right-to-left mark is shown, as the left-to-right one is (`web` and `web` with a
        // mark read alike), isolated as any right-to-left text.
        assert_eq!(isolate("x\u{200F}"), "\u{2068}x\\u{200f}\u{2069}");
    }

    /// Control and invisible characters are shown escaped (a report with `\u{1}` raw was no
    /// XML); a 10 KB level is cut with its size; a 300-character name is kept whole.
    #[test]
    fn invisible_characters_are_shown_and_long_names_cut() {
        assert_eq!(isolate("new\nline"), "new\\nline");
        assert_eq!(isolate("ctl\u{1}\u{7}x"), "ctl\\u{1}\\u{7}x");
        assert_eq!(isolate("zero\u{200b}width"), "zero\\u{200b}width");
        let long = "Z".repeat(10_268);
        let cut = isolate(&long);
        assert!(
            cut.starts_with(&"Z".repeat(super::ISOLATE_CHARS)) && cut.ends_with("… (10268 bytes)"),
            "{}",
            &cut[cut.len() - 40..]
        );
        let name = "L".repeat(300);
        assert_eq!(isolate(&name), name);
    }
}
