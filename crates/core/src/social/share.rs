//! Sharing a moment: the text, hashtags, link and photo someone composes, and each
//! platform's share address (a page of the network that opens pre-filled; nothing is
//! posted by the app). Share addresses cannot attach a photo: the photo URL is part of
//! the copied text only.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

pub const MAX_TEXT: usize = 2000;
pub const MAX_HASHTAGS: usize = 20;
pub const MAX_TAG: usize = 100;
pub const MAX_URL: usize = 2000;

/// What the user composes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, ts_rs::TS)]
#[serde(default)]
#[ts(optional_fields = nullable)]
pub struct MomentInput {
    pub text: String,
    /// With or without `#`.
    pub hashtags: Vec<String>,
    pub link: Option<String>,
    pub photo_url: Option<String>,
}

/// A validated moment: trimmed text, hashtags without `#` (deduplicated, case kept),
/// `http(s)` link and photo URL.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Moment {
    pub text: String,
    pub hashtags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo_url: Option<String>,
}

/// Where a moment is shared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Platform {
    X,
    Linkedin,
    Facebook,
    /// The user's own instance, a host name such as `mastodon.social`.
    Mastodon {
        instance: String,
    },
    /// Copy the composed text to the clipboard ([`compose_text`]).
    Copy,
}

impl Platform {
    pub fn name(&self) -> &'static str {
        match self {
            Platform::X => "x",
            Platform::Linkedin => "linkedin",
            Platform::Facebook => "facebook",
            Platform::Mastodon { .. } => "mastodon",
            Platform::Copy => "copy",
        }
    }
}

fn check_url(field: &str, s: Option<String>) -> Result<Option<String>> {
    let Some(s) = s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .ok_or_else(|| Error::invalid(field, format!("'{s}' must start with https://")))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || s.chars().any(char::is_whitespace) || s.len() > MAX_URL {
        return Err(Error::invalid(field, format!("'{s}' is not a web address")));
    }
    Ok(Some(s))
}

/// A hashtag without `#`: letters, digits and `_`, at most 100 characters.
pub fn normalise_tag(field: &str, tag: &str) -> Result<String> {
    let t = tag.trim().trim_start_matches('#');
    if t.is_empty() {
        return Err(Error::invalid(field, "empty hashtag"));
    }
    if t.chars().count() > MAX_TAG {
        return Err(Error::invalid(
            field,
            format!("at most {MAX_TAG} characters"),
        ));
    }
    if !t.chars().all(|c| c.is_alphanumeric() || c == '_') {
        return Err(Error::invalid(
            field,
            format!("'{tag}': a hashtag has only letters, digits and _"),
        ));
    }
    Ok(t.to_owned())
}

impl Moment {
    /// Validate and tidy a moment. It needs a text or a link.
    pub fn new(input: MomentInput) -> Result<Moment> {
        let text = input.text.trim().to_owned();
        if text.chars().count() > MAX_TEXT {
            return Err(Error::invalid(
                "text",
                format!("at most {MAX_TEXT} characters"),
            ));
        }
        if input.hashtags.len() > MAX_HASHTAGS {
            return Err(Error::invalid(
                "hashtags",
                format!("at most {MAX_HASHTAGS} hashtags"),
            ));
        }
        let mut hashtags: Vec<String> = vec![];
        for (i, h) in input.hashtags.iter().enumerate() {
            let t = normalise_tag(&format!("hashtags[{i}]"), h)?;
            if !hashtags
                .iter()
                .any(|x| crate::text::fold(x) == crate::text::fold(&t))
            {
                hashtags.push(t);
            }
        }
        let link = check_url("link", input.link)?;
        let photo_url = check_url("photo_url", input.photo_url)?;
        if text.is_empty() && link.is_none() {
            return Err(Error::invalid("text", "write something or add a link"));
        }
        Ok(Moment {
            text,
            hashtags,
            link,
            photo_url,
        })
    }
}

/// Normalise a Mastodon instance to a bare host name (`Mastodon.Social/` →
/// `mastodon.social`; an `https://` prefix is accepted). Refuses anything else: ports,
/// paths, user info, IP-less single labels.
pub fn normalise_instance(instance: &str) -> Result<String> {
    let s = instance.trim().to_ascii_lowercase();
    let s = s.strip_prefix("https://").unwrap_or(&s);
    let s = s.strip_suffix('/').unwrap_or(s);
    let bad = || {
        Error::invalid(
            "instance",
            format!("'{instance}' is not a host name (like mastodon.social)"),
        )
    };
    if s.is_empty() || s.len() > 253 || !s.contains('.') {
        return Err(bad());
    }
    for label in s.split('.') {
        let ok = !label.is_empty()
            && label.len() <= 63
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !label.starts_with('-')
            && !label.ends_with('-');
        if !ok {
            return Err(bad());
        }
    }
    if s.rsplit('.')
        .next()
        .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit()))
    {
        return Err(bad());
    }
    Ok(s.to_owned())
}

/// Percent-encode for a query value (like `encodeURIComponent`, but `'()*!` too):
/// only `A–Z a–z 0–9 - _ . ~` stay as they are; everything else is `%XX` of its UTF-8 bytes
/// (so a space is `%20`, never `+`).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The text with its hashtags (`#tag` separated by spaces, on a new line).
fn text_with_tags(m: &Moment) -> String {
    let tags: Vec<String> = m.hashtags.iter().map(|t| format!("#{t}")).collect();
    match (m.text.is_empty(), tags.is_empty()) {
        (_, true) => m.text.clone(),
        (true, false) => tags.join(" "),
        (false, false) => format!("{}\n\n{}", m.text, tags.join(" ")),
    }
}

/// The text to copy: text, hashtags, link and photo URL, one per paragraph.
pub fn compose_text(m: &Moment) -> String {
    let mut parts = vec![text_with_tags(m)];
    parts.extend(m.link.clone());
    parts.extend(m.photo_url.clone());
    parts.retain(|p| !p.is_empty());
    parts.join("\n\n")
}

/// The share address of `platform` for a moment:
/// - X: `https://x.com/intent/post?text=…&url=…` (text with hashtags; link as `url`);
/// - LinkedIn: `https://www.linkedin.com/sharing/share-offsite/?url=…` (needs a link);
/// - Facebook: `https://www.facebook.com/sharer/sharer.php?u=…` (needs a link);
/// - Mastodon: `https://{instance}/share?text=…` (text, hashtags and link).
///
/// [`Platform::Copy`] has no address: use [`compose_text`].
pub fn share_url(platform: &Platform, m: &Moment) -> Result<String> {
    let need_link = || {
        m.link.as_deref().ok_or_else(|| {
            Error::invalid(
                "link",
                format!("sharing on {} needs a link", platform.name()),
            )
        })
    };
    Ok(match platform {
        Platform::X => {
            let mut u = format!(
                "https://x.com/intent/post?text={}",
                encode(&text_with_tags(m))
            );
            if let Some(l) = &m.link {
                u.push_str("&url=");
                u.push_str(&encode(l));
            }
            u
        }
        Platform::Linkedin => format!(
            "https://www.linkedin.com/sharing/share-offsite/?url={}",
            encode(need_link()?)
        ),
        Platform::Facebook => format!(
            "https://www.facebook.com/sharer/sharer.php?u={}",
            encode(need_link()?)
        ),
        Platform::Mastodon { instance } => {
            let host = normalise_instance(instance)?;
            let mut text = text_with_tags(m);
            if let Some(l) = &m.link {
                if !text.is_empty() {
                    text.push_str("\n\n");
                }
                text.push_str(l);
            }
            format!("https://{host}/share?text={}", encode(&text))
        }
        Platform::Copy => {
            return Err(Error::invalid(
                "platform",
                "copy has no share address: copy the composed text",
            ))
        }
    })
}
