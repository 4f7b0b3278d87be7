//! A campaign's script as a template: the words of its first message that
//! most of its messages share, with `*` where they differ.

use std::collections::HashSet;

/// Words of the first message followed; a longer script is cut here.
const MAX_WORDS: usize = 64;
/// Members compared with the first message; later ones do not change the
/// template (a script is clear after a few dozen variants).
const MAX_SAMPLED: u16 = 64;

/// The first message's masked words, and how many later members contain each.
#[derive(Debug, Clone)]
pub(super) struct Template {
    /// The words as shown.
    words: Vec<String>,
    /// The same words as compared (leetspeak folded), so that a disguised
    /// member still counts as having them.
    keys: Vec<String>,
    present: Vec<u16>,
    sampled: u16,
}

impl Template {
    /// The template of a campaign's first message: its `words`, and `keys`
    /// (one per word) to compare later members' keys with.
    pub(super) fn new(words: &[String], keys: &[String]) -> Template {
        let n = words.len().min(keys.len()).min(MAX_WORDS);
        Template {
            present: vec![0; n],
            words: words[..n].to_vec(),
            keys: keys[..n].to_vec(),
            sampled: 0,
        }
    }

    /// Counts the first message's words that a later member (its keys) has.
    pub(super) fn observe(&mut self, member: &[String]) {
        if self.sampled >= MAX_SAMPLED {
            return;
        }
        self.sampled += 1;
        let have: HashSet<&str> = member.iter().map(String::as_str).collect();
        for (k, p) in self.keys.iter().zip(&mut self.present) {
            if have.contains(k.as_str()) {
                *p += 1;
            }
        }
    }

    /// The words at least half the sampled members share (all of them for a
    /// campaign of one), runs of the others as one `*`.
    pub(super) fn render(&self) -> String {
        let mut out: Vec<&str> = Vec::new();
        for (w, &p) in self.words.iter().zip(&self.present) {
            if 2 * u32::from(p) >= u32::from(self.sampled) {
                out.push(w);
            } else if out.last() != Some(&"*") {
                out.push("*");
            }
        }
        out.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split(' ').map(String::from).collect()
    }

    #[test]
    fn shared_words_stay_and_varying_ones_become_slots() {
        let first = words("hi anna your parcel is held pay <money> now");
        let mut t = Template::new(&first, &first);
        t.observe(&words("hi bob your parcel is held pay <money> now"));
        t.observe(&words("hi cy your parcel is waiting pay <money> today"));
        assert_eq!(t.render(), "hi * your parcel is held pay <money> now");
        t.observe(&words("hello dan your parcel is waiting pay <money> today"));
        assert_eq!(t.render(), "hi * your parcel is * pay <money> *");
    }
}
