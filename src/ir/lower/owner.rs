//! Owners written as text (`--chown`, USER for WORKDIR directories) to
//! user and group identities, as BuildKit's `llb.WithUser` reads them:
//! `root` and numbers are IDs, anything else a name looked up in the
//! image's /etc/passwd and /etc/group.

use crate::ir::build::{Ident, Owner};

/// `--chown` / USER text to an owner (BuildKit's `llb.WithUser`): `root`
/// and numbers are IDs, anything else a name looked up in the image.
pub(super) fn owner_of(s: &str) -> Owner {
    let mut parts = s.splitn(2, ':');
    let user = parts.next().map(ident);
    let group = parts.next().map(ident);
    Owner { user, group }
}

fn ident(v: &str) -> Ident {
    if v == "root" {
        return Ident::Id(0);
    }
    let digits = v.strip_prefix(['+', '-']).unwrap_or(v);
    if !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && let Ok(n) = v.parse::<i32>()
    {
        return Ident::Id(n as u32);
    }
    if v.is_empty() {
        // An empty name is written as ID 0 by the LLB client.
        return Ident::Id(0);
    }
    Ident::Name(v.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners() {
        assert_eq!(
            owner_of("root"),
            Owner {
                user: Some(Ident::Id(0)),
                group: None
            }
        );
        assert_eq!(
            owner_of("app:1000"),
            Owner {
                user: Some(Ident::Name("app".into())),
                group: Some(Ident::Id(1000))
            }
        );
        assert_eq!(owner_of(":5").user, Some(Ident::Id(0)));
    }
}
