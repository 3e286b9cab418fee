//! The metadata BuildKit's Dockerfile frontend returns with its result:
//! `containerimage.config`, `containerimage.base.config`,
//! `source.date.epoch` (suffixed with `/<platform>` for multi-platform
//! results) and `refs.platforms`.

use std::collections::BTreeMap;

use crate::ir::gojson::{self, Object};
use crate::ir::image::ImageConfig;
use crate::ir::platform::Platform;

/// One platform's part of a result.
pub struct PlatformOutput<'a> {
    /// The requested platform (`None` for the implicit default).
    pub platform: &'a Platform,
    pub image: &'a ImageConfig,
    pub base_image: Option<&'a ImageConfig>,
    pub epoch: Option<i64>,
}

/// The platform ID used as a result key (`linux/arm/v7`).
pub fn platform_id(p: &Platform) -> String {
    p.normalize().format_all()
}

/// The result metadata for the given platforms, in request order.
pub fn result_metadata(
    outputs: &[PlatformOutput],
    multi_platform: bool,
) -> BTreeMap<String, Vec<u8>> {
    let mut md = BTreeMap::new();
    let mut platforms = Vec::new();
    for o in outputs {
        let id = platform_id(o.platform);
        let suffix = if multi_platform {
            format!("/{id}")
        } else {
            String::new()
        };
        md.insert(
            format!("containerimage.config{suffix}"),
            o.image.to_json().into_bytes(),
        );
        if let Some(b) = o.base_image {
            md.insert(
                format!("containerimage.base.config{suffix}"),
                b.to_json().into_bytes(),
            );
        }
        if let Some(e) = o.epoch {
            md.insert(
                format!("source.date.epoch{suffix}"),
                e.to_string().into_bytes(),
            );
        }
        let p = o.platform.normalize();
        let mut po = Object::new();
        po.string("architecture", &p.architecture);
        po.string("os", &p.os);
        if !p.os_version.is_empty() {
            po.string("os.version", &p.os_version);
        }
        if !p.os_features.is_empty() {
            po.raw("os.features", &gojson::string_array(&p.os_features));
        }
        if !p.variant.is_empty() {
            po.string("variant", &p.variant);
        }
        let mut entry = Object::new();
        entry.string("ID", &id);
        entry.raw("Platform", &po.finish());
        platforms.push(entry.finish());
    }
    md.insert(
        "refs.platforms".to_owned(),
        format!("{{\"Platforms\":[{}]}}", platforms.join(",")).into_bytes(),
    );
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_platform_keys() {
        let p = Platform::parse("linux/amd64").unwrap();
        let img = ImageConfig::empty(&p);
        let md = result_metadata(
            &[PlatformOutput {
                platform: &p,
                image: &img,
                base_image: None,
                epoch: Some(5),
            }],
            false,
        );
        assert_eq!(
            String::from_utf8(md["refs.platforms"].clone()).unwrap(),
            r#"{"Platforms":[{"ID":"linux/amd64","Platform":{"architecture":"amd64","os":"linux"}}]}"#
        );
        assert!(md.contains_key("containerimage.config"));
        assert_eq!(md["source.date.epoch"], b"5");
    }

    #[test]
    fn multi_platform_keys() {
        let a = Platform::parse("linux/amd64").unwrap();
        let b = Platform::parse("linux/arm/v7").unwrap().normalize();
        let img = ImageConfig::empty(&a);
        let md = result_metadata(
            &[
                PlatformOutput {
                    platform: &a,
                    image: &img,
                    base_image: Some(&img),
                    epoch: None,
                },
                PlatformOutput {
                    platform: &b,
                    image: &img,
                    base_image: None,
                    epoch: None,
                },
            ],
            true,
        );
        assert!(md.contains_key("containerimage.config/linux/amd64"));
        assert!(md.contains_key("containerimage.base.config/linux/amd64"));
        assert!(md.contains_key("containerimage.config/linux/arm/v7"));
    }
}
