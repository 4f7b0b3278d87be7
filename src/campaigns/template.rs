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
    words: Vec<String>,
    present: Vec<u16>,
    sampled: u16,
}

impl Template {
    pub(super) fn new(first: &[String]) -> Template {
        let words: Vec<String> = first.iter().take(MAX_WORDS).cloned().collect();
        Template {
            present: vec![0; words.len()],
            words,
            sampled: 0,
        }
    }

    /// Counts the first message's words that a later member has.
    pub(super) fn observe(&mut self, member: &[String]) {
        if self.sampled >= MAX_SAMPLED {
            return;
        }
        self.sampled += 1;
        let have: HashSet<&str> = member.iter().map(String::as_str).collect();
        for (w, p) in self.words.iter().zip(&mut self.present) {
            if have.contains(w.as_str()) {
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
        let mut t = Template::new(&words("hi anna your parcel is held pay <money> now"));
        t.observe(&words("hi bob your parcel is held pay <money> now"));
        t.observe(&words("hi cy your parcel is waiting pay <money> today"));
        assert_eq!(t.render(), "hi * your parcel is held pay <money> now");
        t.observe(&words("hello dan your parcel is waiting pay <money> today"));
        assert_eq!(t.render(), "hi * your parcel is * pay <money> *");
    }
}
