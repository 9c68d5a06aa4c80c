//! "Did you mean" suggestions for misspelt names and keys.

/// The candidate closest to `name`, if one is close enough to be a plausible typo.
pub fn did_you_mean<'a, I, S>(name: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str> + 'a,
{
    let mut best: Option<(f64, String)> = None;
    for candidate in candidates {
        let candidate = candidate.as_ref();
        if candidate == name {
            continue;
        }
        let score = strsim::jaro_winkler(name, candidate);
        // Substring matches ("qdrant" for "qdrant-adapter") are good hints even when the
        // edit distance is large.
        let score = if candidate.contains(name) || name.contains(candidate) {
            score.max(0.85)
        } else {
            score
        };
        if score >= 0.8
            && best
                .as_ref()
                .is_none_or(|(b, c)| score > *b || (score == *b && candidate < c.as_str()))
        {
            best = Some((score, candidate.to_string()));
        }
    }
    best.map(|(_, c)| c)
}

/// `did you mean `x`?` as a help line, or `None`.
pub fn did_you_mean_hint<'a, I, S>(name: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str> + 'a,
{
    did_you_mean(name, candidates).map(|c| format!("did you mean `{c}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let names = ["qdrant-adapter", "milvus-adapter", "requires"];
        assert_eq!(
            did_you_mean("qdrant-adaptor", names).as_deref(),
            Some("qdrant-adapter")
        );
        assert_eq!(did_you_mean("requirs", names).as_deref(), Some("requires"));
        assert_eq!(did_you_mean("zzz", names), None);
    }
}
