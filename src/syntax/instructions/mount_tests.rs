//! Unit tests for `--mount` parsing: values and defaults, BuildKit's error
//! wording, the CSV reader and the size suffixes.

use super::*;

fn mount(value: &str) -> Mount {
    match parse_mount(value) {
        Ok(m) => m,
        Err(e) => panic!("{value}: {e}"),
    }
}

fn error(value: &str) -> String {
    match parse_mount(value) {
        Ok(m) => panic!("{value}: expected an error, got {m:?}"),
        Err(e) => e,
    }
}

#[test]
fn bind_is_the_default_and_read_only() {
    let m = mount("target=/src");
    assert_eq!(m.kind, MountType::Bind);
    assert_eq!(m.target.as_deref(), Some("/src"));
    assert!(m.read_only);
    let m = mount("type=bind,src=app,from=build,dst=/app,rw");
    assert_eq!(
        (
            m.source.as_deref(),
            m.from.as_deref(),
            m.target.as_deref(),
            m.read_only
        ),
        (Some("app"), Some("build"), Some("/app"), false)
    );
    assert!(!mount("target=/x,readwrite=true").read_only);
    assert!(mount("target=/x,rw=false").read_only);
}

#[test]
fn cache_and_tmpfs_are_writable_unless_ro() {
    let m =
        mount("type=cache,target=/root/.cache,id=pip,sharing=locked,mode=0755,uid=1000,gid=1000");
    assert_eq!(m.kind, MountType::Cache);
    assert!(!m.read_only);
    assert_eq!(m.id.as_deref(), Some("pip"));
    assert_eq!(m.sharing, Some(Sharing::Locked));
    assert_eq!(
        (m.mode, m.uid, m.gid),
        (Some(0o755), Some(1000), Some(1000))
    );
    assert!(mount("type=cache,target=/c,ro").read_only);
    let m = mount("TYPE=TMPFS,Target=/t,size=64m");
    assert_eq!(m.kind, MountType::Tmpfs);
    assert_eq!(m.size_limit, 64 * 1024 * 1024);
    assert!(!m.read_only);
}

#[test]
fn secret_and_ssh() {
    let m = mount("type=secret,id=aws,target=/root/.aws/credentials,required,env=AWS");
    assert_eq!(m.kind, MountType::Secret);
    assert!(m.required && m.read_only);
    assert_eq!(m.env.as_deref(), Some("AWS"));
    let m = mount("type=ssh,required=false,mode=0600");
    assert_eq!(m.kind, MountType::Ssh);
    assert!(!m.required);
    assert_eq!(m.mode, Some(0o600));
}

#[test]
fn buildkit_error_wording() {
    let cases = [
        ("type=foo", r#"unsupported mount type "foo""#),
        (
            "type=bnd",
            r#"unsupported mount type "bnd" (did you mean bind?)"#,
        ),
        ("target=/x,foo=bar", "unexpected key 'foo' in 'foo=bar'"),
        (
            "target=/x,targte=/y",
            "unexpected key 'targte' in 'targte=/y' (did you mean target?)",
        ),
        (
            "target=/x,nonsense",
            "invalid field 'nonsense' must be a key=value pair",
        ),
        (
            "target=/x,required",
            "unexpected key 'required' for mount type 'bind'",
        ),
        (
            "target=/x,size=1m",
            "unexpected key 'size' for mount type 'bind'",
        ),
        ("type=tmpfs,target=/x,size=1q", "invalid value for size: 1q"),
        ("target=/x,ro=maybe", "invalid value for ro: maybe"),
        (
            "type=cache,target=/x,sharing=all",
            r#"unsupported sharing value "all""#,
        ),
        ("type=cache,target=/x,mode=9", "invalid value 9 for mode"),
        ("type=cache,target=/x,uid=-1", "invalid value -1 for uid"),
        (
            "target=/x,mode=0644",
            r#"mode not allowed for "bind" type mounts"#,
        ),
        (
            "type=tmpfs,target=/x,gid=1",
            r#"gid not allowed for "tmpfs" type mounts"#,
        ),
        (
            "type=secret,from=x,id=a",
            "secret mount should not have a from",
        ),
        (
            "type=secret,id=a,sharing=shared",
            "secret mount should not define sharing",
        ),
        (
            "type=secret",
            "invalid secret mount. one of source, target required",
        ),
        (
            "type=secret,source=a,id=b",
            "both source and id can't be set",
        ),
        (
            "target=/x,sharing=private",
            "invalid cache sharing set for bind mount",
        ),
        ("", "failed to parse csv mounts: EOF"),
        (
            r#"target=/x"y"#,
            r#"failed to parse csv mounts: parse error on line 1, column 10: bare " in non-quoted-field"#,
        ),
    ];
    for (value, want) in cases {
        assert_eq!(error(value), want, "{value}");
    }
}

#[test]
fn unexpanded_check_only_looks_at_csv_and_from() {
    assert_eq!(
        check_unexpanded("type=nonsense,from=build"),
        Ok(Some("build".to_owned()))
    );
    assert_eq!(check_unexpanded("target=$DIR"), Ok(None));
    assert_eq!(
        check_unexpanded("from=stage$"),
        Ok(Some("stage$".to_owned()))
    );
    assert_eq!(
        check_unexpanded("FROM=$STAGE"),
        Err("'from' doesn't support variable expansion, define alias stage instead".to_owned())
    );
    assert_eq!(
        check_unexpanded(r#""a"b"#),
        Err(r#"failed to parse csv mounts: parse error on line 1, column 3: extraneous or missing " in quoted-field"#.to_owned())
    );
}

#[test]
fn csv_quoting() {
    let fields = |s: &str| csv_fields(s).unwrap_or_else(|e| panic!("{s}: {e}"));
    assert_eq!(fields("a,b"), ["a", "b"]);
    assert_eq!(fields(r#""a,b",c"#), ["a,b", "c"]);
    assert_eq!(fields(r#""say ""hi""",x"#), [r#"say "hi""#, "x"]);
    assert_eq!(fields("a,"), ["a", ""]);
    assert_eq!(fields("a\n"), ["a"]);
    assert_eq!(
        csv_fields(r#""open"#),
        Err(
            r#"parse error on line 1, column 2: extraneous or missing " in quoted-field"#
                .to_owned()
        )
    );
}

#[test]
fn ram_sizes() {
    assert_eq!(ram_in_bytes("100"), Some(100));
    assert_eq!(ram_in_bytes("1k"), Some(1024));
    assert_eq!(ram_in_bytes("1KiB"), Some(1024));
    assert_eq!(ram_in_bytes("1.5mb"), Some(1_572_864));
    assert_eq!(ram_in_bytes("2 g"), Some(2 * 1024 * 1024 * 1024));
    assert_eq!(ram_in_bytes("10b"), Some(10));
    assert_eq!(ram_in_bytes("10bb"), None);
    assert_eq!(ram_in_bytes("1kb2"), None);
    assert_eq!(ram_in_bytes("k"), None);
    assert_eq!(ram_in_bytes("-1"), None);
}

#[test]
fn go_bools() {
    for t in ["1", "t", "T", "true", "TRUE", "True"] {
        assert_eq!(go_bool(t), Some(true));
    }
    assert_eq!(go_bool("tRUE"), None);
    assert_eq!(go_bool("no"), None);
}
