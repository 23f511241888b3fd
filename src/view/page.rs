//! The HTML of the viewer: the template (`viewer.html`, `viewer.css`, `viewer.js`, compiled into
//! the binary) filled with a run's data, embedded (one self-contained file) or fetched from the
//! local server (`--serve`).

use super::data::{Meta, RunView};
use super::encode::{Blobs, base64};
use crate::error::{Error, Result};
use serde::Serialize;

const HTML: &str = include_str!("viewer.html");
const CSS: &str = include_str!("viewer.css");
const JS: &str = include_str!("viewer.js");
const OVERVIEW_HTML: &str = include_str!("overview.html");
const OVERVIEW_JS: &str = include_str!("overview.js");

/// The sizes of one blob, as the page reports them.
#[derive(Debug, Clone, Serialize)]
struct BlobSize {
    bytes: usize,
    raw: usize,
}

/// The metadata document with the blob sizes.
#[derive(Serialize)]
struct Document<'a> {
    #[serde(flatten)]
    meta: &'a Meta,
    blobs: Vec<BlobSize>,
}

/// The metadata document as JSON (`data.json` of the server; embedded in the page), with `<`
/// escaped so it can sit inside a `<script>` element.
pub fn meta_json(meta: &Meta, blobs: &Blobs) -> Result<String> {
    let doc = Document {
        meta,
        blobs: blobs
            .data
            .iter()
            .zip(&blobs.raw_sizes)
            .map(|(d, &raw)| BlobSize { bytes: d.len(), raw })
            .collect(),
    };
    script_json(&doc)
}

/// Any value as JSON safe inside `<script>` (every `<` written as `\u003c`).
pub fn script_json<T: Serialize>(value: &T) -> Result<String> {
    let text = serde_json::to_string(value).map_err(|e| Error::invalid("viewer data", e.to_string()))?;
    Ok(text.replace('<', "\\u003c"))
}

/// Escape text for HTML element content and attribute values.
pub fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Fill `template`'s markers in one pass over the template (inserted text is never scanned, so
/// data that happens to contain a marker cannot be re-substituted).
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + values.iter().map(|v| v.1.len()).sum::<usize>());
    let mut rest = template;
    loop {
        let next = values
            .iter()
            .filter_map(|(m, v)| rest.find(m).map(|i| (i, *m, *v)))
            .min_by_key(|&(i, _, _)| i);
        match next {
            Some((i, marker, value)) => {
                out.push_str(&rest[..i]);
                out.push_str(value);
                rest = &rest[i + marker.len()..];
            }
            None => {
                out.push_str(rest);
                return out;
            }
        }
    }
}

/// The page with `data` (the `<script>` elements holding or pointing to the data).
fn viewer_page(title: &str, data: &str) -> String {
    let title = escape_html(title);
    fill(
        HTML,
        &[
            ("<!--@TITLE@-->", &title),
            ("/*@CSS@*/", CSS),
            ("/*@JS@*/", JS),
            ("<!--@DATA@-->", data),
        ],
    )
}

/// The self-contained page of one run: the metadata and every blob embedded (base64).
pub fn embedded_page(view: &RunView) -> Result<String> {
    let mut data = String::with_capacity(view.blobs.compressed_size() * 4 / 3 + 65_536);
    data.push_str("<script type=\"application/json\" id=\"wv-meta\">");
    data.push_str(&meta_json(&view.meta, &view.blobs)?);
    data.push_str("</script>\n");
    for (i, b) in view.blobs.data.iter().enumerate() {
        data.push_str(&format!(
            "<script type=\"application/octet-stream\" id=\"wv-blob-{i}\" data-encoding=\"zlib+base64\">"
        ));
        data.push_str(&base64(b));
        data.push_str("</script>\n");
    }
    Ok(viewer_page(&view.meta.title, &data))
}

/// The page the server sends: it fetches `data.json` and `blob/N` beside its own address.
pub fn served_page(title: &str) -> String {
    viewer_page(title, "")
}

/// The sweep overview page with its document embedded.
pub fn overview_page<T: Serialize>(title: &str, doc: &T) -> Result<String> {
    let title = escape_html(title);
    let data = format!(
        "<script type=\"application/json\" id=\"wv-overview\">{}</script>",
        script_json(doc)?
    );
    Ok(fill(
        OVERVIEW_HTML,
        &[
            ("<!--@TITLE@-->", &title),
            ("/*@CSS@*/", CSS),
            ("/*@JS@*/", OVERVIEW_JS),
            ("<!--@DATA@-->", &data),
        ],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_does_not_rescan_inserted_text() {
        let t = "a<!--@X@-->b/*@Y@*/c";
        assert_eq!(
            fill(t, &[("<!--@X@-->", "/*@Y@*/"), ("/*@Y@*/", "!")]),
            "a/*@Y@*/b!c"
        );
    }

    #[test]
    fn templates_hold_their_markers_and_no_closing_script_in_code() {
        for m in ["<!--@TITLE@-->", "/*@CSS@*/", "/*@JS@*/", "<!--@DATA@-->"] {
            assert!(HTML.contains(m) && OVERVIEW_HTML.contains(m), "{m}");
        }
        assert!(!JS.contains("</script") && !OVERVIEW_JS.contains("</script"));
        assert!(!CSS.contains("</style"));
    }
}
