//! Build-check warnings for the client: the hook a linter reports through.
//!
//! BuildKit shows a frontend's warnings (`docker buildx build` prints "N
//! warnings found") when the frontend calls `Warn` against the vertex that
//! loaded the Dockerfile, with the rule's short message, its description and
//! URL, the Dockerfile itself and the line ranges. [`report`] does exactly
//! that for each [`Warning`]; slipway has no build checks yet, so nothing
//! calls it during a build today.

use crate::proto::gateway::WarnRequest;
use crate::proto::pb;
use crate::text::{LineIndex, TextRange};

use super::bridge::Bridge;
use super::dockerfile::Dockerfile;

/// One build-check finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// The check's name, e.g. `JSONArgsRecommended`.
    pub rule: String,
    /// The finding, e.g. `JSON arguments recommended for CMD`.
    pub message: String,
    /// What the check is about (shown with `--debug`).
    pub description: String,
    /// Documentation link.
    pub url: String,
    /// Where in the Dockerfile.
    pub range: TextRange,
}

/// The `Warn` request for one finding, worded like BuildKit's linter
/// (`<rule>: <message> (line N)`).
pub fn request(df: &Dockerfile, w: &Warning) -> WarnRequest {
    let lossy = String::from_utf8_lossy(&df.data);
    let text = crate::syntax::decode(&df.data).unwrap_or(&lossy);
    let (first, last) = LineIndex::new(text).lines(w.range);
    let line = |l: u32| {
        Some(pb::Position {
            line: i32::try_from(l).unwrap_or(i32::MAX),
            character: 0,
        })
    };
    WarnRequest {
        digest: df.vertex.clone(),
        level: 1,
        short: format!("{}: {} (line {first})", w.rule, w.message).into_bytes(),
        detail: vec![w.description.clone().into_bytes()],
        url: w.url.clone(),
        info: Some(pb::SourceInfo {
            filename: df.filename.clone(),
            data: df.data.clone(),
            definition: Some(df.definition.clone()),
            language: "Dockerfile".to_owned(),
        }),
        ranges: vec![pb::Range {
            start: line(first),
            end: line(last),
        }],
    }
}

/// Sends every finding; a daemon without `gateway.warnings` gets nothing.
pub async fn report(
    bridge: &Bridge,
    df: &Dockerfile,
    warnings: &[Warning],
) -> Result<(), tonic::Status> {
    for w in warnings {
        bridge.warn(request(df, w)).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_name_the_rule_and_lines() {
        let df = Dockerfile {
            filename: "Dockerfile".into(),
            data: b"FROM a\nCMD echo hi\n".to_vec(),
            vertex: "sha256:abc".into(),
            ..Dockerfile::default()
        };
        let w = Warning {
            rule: "JSONArgsRecommended".into(),
            message: "JSON arguments recommended for CMD".into(),
            description: "JSON arguments recommended for ENTRYPOINT/CMD".into(),
            url: "https://docs.docker.com/go/dockerfile/rule/json-args-recommended/".into(),
            range: TextRange::new(7, 18),
        };
        let req = request(&df, &w);
        assert_eq!(
            String::from_utf8(req.short).unwrap(),
            "JSONArgsRecommended: JSON arguments recommended for CMD (line 2)"
        );
        assert_eq!(req.digest, "sha256:abc");
        assert_eq!(req.ranges[0].start.as_ref().map(|p| p.line), Some(2));
        assert_eq!(req.info.unwrap().language, "Dockerfile");
    }
}
