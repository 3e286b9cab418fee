//! Build secrets: the `--secret` flag and the session's `Secrets` service.
//!
//! A spec is a comma-separated list of `key=value` fields, quoted like CSV,
//! with the keys `docker buildx build` accepts:
//!
//! - `id=NAME`: what `RUN --mount=type=secret,id=NAME` asks for (required);
//! - `src=PATH` or `source=PATH`: read the secret from a file;
//! - `env=VAR`: take the secret from an environment variable;
//! - `type=file|env`: with `type=env`, a `src` names the variable.
//!
//! With neither a file nor a variable, `id=NAME` means the variable `NAME`
//! when it is set and the file `NAME` otherwise, as buildx decides. When
//! both are given the variable wins, as in BuildKit's store. A later spec
//! with the same id replaces an earlier one.
//!
//! [`SecretStore`] serves `GetSecret`. Files are read when the daemon asks,
//! so a secret never sits in memory longer than one request; variables are
//! read once, when the store is built (an unset variable is an empty secret,
//! as with buildx). An unknown id is answered with gRPC `NOT_FOUND`, which
//! BuildKit turns into its "secret not found" error for `required=true`
//! mounts and into an empty mount otherwise.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::PathBuf;
use std::str::FromStr;

use crate::proto::secrets::secrets_server::{Secrets, SecretsServer};
use crate::proto::secrets::{GetSecretRequest, GetSecretResponse};

/// The largest secret BuildKit's client accepts (500 KiB); larger files are
/// refused when the store is built.
pub const MAX_SECRET_SIZE: u64 = 500 * 1024;

/// One parsed `--secret` flag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretSpec {
    /// The id `RUN --mount=type=secret` refers to.
    pub id: String,
    /// Where the value comes from; `None` decides by the environment when
    /// the store is built (a variable named like the id, else a file).
    pub source: Option<SecretSource>,
}

/// Where a secret's value comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretSource {
    /// The contents of a file.
    File(PathBuf),
    /// The value of an environment variable.
    Env(String),
}

/// A `--secret` spec that does not parse, or a secret that cannot be served.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum SecretError {
    /// The spec is not valid CSV (an unterminated quote).
    #[error("invalid secret spec `{spec}`: {reason}")]
    #[diagnostic(code(slipway::buildkit::secret_spec))]
    Csv {
        /// The whole flag value.
        spec: String,
        /// What is wrong.
        reason: String,
    },
    /// A field without `=`.
    #[error("invalid secret spec `{spec}`: field `{field}` must be a key=value pair")]
    #[diagnostic(
        code(slipway::buildkit::secret_spec),
        help("write the secret as id=NAME,src=FILE or id=NAME,env=VARIABLE")
    )]
    NotKeyValue {
        /// The whole flag value.
        spec: String,
        /// The offending field.
        field: String,
    },
    /// A key buildx does not know.
    #[error("invalid secret spec `{spec}`: unexpected key `{key}`")]
    #[diagnostic(
        code(slipway::buildkit::secret_spec),
        help("the keys are id, src (or source), env and type")
    )]
    UnknownKey {
        /// The whole flag value.
        spec: String,
        /// The unknown key.
        key: String,
    },
    /// `type=` other than `file` or `env`.
    #[error("invalid secret spec `{spec}`: unsupported secret type `{kind}`")]
    #[diagnostic(
        code(slipway::buildkit::secret_spec),
        help("the types are file and env")
    )]
    UnknownType {
        /// The whole flag value.
        spec: String,
        /// The type given.
        kind: String,
    },
    /// No `id=`.
    #[error("invalid secret spec `{spec}`: the secret has no id")]
    #[diagnostic(
        code(slipway::buildkit::secret_spec),
        help("name the secret with id=NAME, the id RUN --mount=type=secret,id=NAME uses")
    )]
    MissingId {
        /// The whole flag value.
        spec: String,
    },
    /// The secret file cannot be read.
    #[error("secret `{id}`: cannot read {path}: {reason}")]
    #[diagnostic(code(slipway::buildkit::secret_file))]
    File {
        /// The secret's id.
        id: String,
        /// The file.
        path: String,
        /// The I/O error.
        reason: String,
    },
    /// The secret file is over [`MAX_SECRET_SIZE`].
    #[error("secret `{id}` is too big: {size} bytes, the limit is 500 KiB")]
    #[diagnostic(code(slipway::buildkit::secret_file))]
    TooBig {
        /// The secret's id.
        id: String,
        /// Its size in bytes.
        size: u64,
    },
}

impl FromStr for SecretSpec {
    type Err = SecretError;

    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        parse_secret(spec)
    }
}

/// Parses one `--secret` value the way buildx does.
pub fn parse_secret(spec: &str) -> Result<SecretSpec, SecretError> {
    let fields = csv_fields(spec).map_err(|reason| SecretError::Csv {
        spec: spec.to_owned(),
        reason,
    })?;
    let mut id = None;
    let mut file = None;
    let mut env = None;
    let mut kind = None;
    for field in fields {
        let Some((key, value)) = field.split_once('=') else {
            return Err(SecretError::NotKeyValue {
                spec: spec.to_owned(),
                field,
            });
        };
        match key.to_ascii_lowercase().as_str() {
            "type" => match value {
                "file" | "env" => kind = Some(value.to_owned()),
                _ => {
                    return Err(SecretError::UnknownType {
                        spec: spec.to_owned(),
                        kind: value.to_owned(),
                    });
                }
            },
            "id" => id = Some(value.to_owned()),
            "src" | "source" => file = Some(value.to_owned()),
            "env" => env = Some(value.to_owned()),
            _ => {
                return Err(SecretError::UnknownKey {
                    spec: spec.to_owned(),
                    key: key.to_owned(),
                });
            }
        }
    }
    // `type=env,src=VAR` names a variable.
    if kind.as_deref() == Some("env") && env.as_deref().unwrap_or("").is_empty() {
        env = file.take();
    }
    let id = match id {
        Some(id) if !id.is_empty() => id,
        _ => {
            return Err(SecretError::MissingId {
                spec: spec.to_owned(),
            });
        }
    };
    let source = match (
        env.filter(|e| !e.is_empty()),
        file.filter(|f| !f.is_empty()),
    ) {
        (Some(var), _) => Some(SecretSource::Env(var)),
        (None, Some(path)) => Some(SecretSource::File(PathBuf::from(path))),
        (None, None) => None,
    };
    Ok(SecretSpec { id, source })
}

/// Splits one CSV record: commas separate fields, double quotes protect
/// commas, and `""` inside quotes is a quote.
fn csv_fields(record: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = record.chars().peekable();
    let mut quoted = false;
    let mut at_start = true;
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    quoted = false;
                }
            } else {
                field.push(c);
            }
            continue;
        }
        match c {
            ',' => {
                fields.push(std::mem::take(&mut field));
                at_start = true;
                continue;
            }
            '"' if at_start => quoted = true,
            '"' => return Err(format!("bare \" in non-quoted field `{field}\"`")),
            _ => field.push(c),
        }
        at_start = false;
    }
    if quoted {
        return Err("a quoted field is not closed".to_owned());
    }
    fields.push(field);
    Ok(fields)
}

/// Where a stored secret's bytes are.
#[derive(Clone, Debug)]
enum Stored {
    File(PathBuf),
    Value(Vec<u8>),
}

/// The session's `Secrets` service over a set of `--secret` specs.
#[derive(Clone, Debug, Default)]
pub struct SecretStore {
    secrets: BTreeMap<String, Stored>,
}

impl SecretStore {
    /// Builds the store against the process environment; see
    /// [`SecretStore::with_env`].
    pub fn new(specs: &[SecretSpec]) -> Result<Self, SecretError> {
        Self::with_env(specs, |name| std::env::var_os(name))
    }

    /// Builds the store, looking variables up with `env`: resolves specs
    /// without a source, reads variables, and checks that every file exists
    /// and is at most [`MAX_SECRET_SIZE`] bytes.
    pub fn with_env(
        specs: &[SecretSpec],
        env: impl Fn(&str) -> Option<OsString>,
    ) -> Result<Self, SecretError> {
        let mut secrets = BTreeMap::new();
        for spec in specs {
            let source = match &spec.source {
                Some(source) => source.clone(),
                None if env(&spec.id).is_some() => SecretSource::Env(spec.id.clone()),
                None => SecretSource::File(PathBuf::from(&spec.id)),
            };
            let stored = match source {
                SecretSource::Env(var) => Stored::Value(
                    env(&var)
                        .map(|v| v.into_encoded_bytes())
                        .unwrap_or_default(),
                ),
                SecretSource::File(path) => {
                    let meta = std::fs::metadata(&path).map_err(|e| SecretError::File {
                        id: spec.id.clone(),
                        path: path.display().to_string(),
                        reason: e.to_string(),
                    })?;
                    if meta.len() > MAX_SECRET_SIZE {
                        return Err(SecretError::TooBig {
                            id: spec.id.clone(),
                            size: meta.len(),
                        });
                    }
                    Stored::File(path)
                }
            };
            secrets.insert(spec.id.clone(), stored);
        }
        Ok(SecretStore { secrets })
    }

    /// The ids the store serves, sorted.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.secrets.keys().map(String::as_str)
    }

    /// The value of secret `id`: `Ok(None)` when the store has no such id.
    pub fn get(&self, id: &str) -> Result<Option<Vec<u8>>, SecretError> {
        let Some(stored) = self.secrets.get(id) else {
            return Ok(None);
        };
        let data = match stored {
            Stored::Value(v) => v.clone(),
            Stored::File(path) => std::fs::read(path).map_err(|e| SecretError::File {
                id: id.to_owned(),
                path: path.display().to_string(),
                reason: e.to_string(),
            })?,
        };
        if data.len() as u64 > MAX_SECRET_SIZE {
            return Err(SecretError::TooBig {
                id: id.to_owned(),
                size: data.len() as u64,
            });
        }
        Ok(Some(data))
    }

    /// The store as a tonic service, ready for the session server.
    pub fn into_server(self) -> SecretsServer<SecretStore> {
        SecretsServer::new(self)
    }
}

#[tonic::async_trait]
impl Secrets for SecretStore {
    async fn get_secret(
        &self,
        request: tonic::Request<GetSecretRequest>,
    ) -> Result<tonic::Response<GetSecretResponse>, tonic::Status> {
        let id = request.into_inner().id;
        match self.get(&id) {
            Ok(Some(data)) => Ok(tonic::Response::new(GetSecretResponse { data })),
            // BuildKit maps NOT_FOUND (and UNIMPLEMENTED) to its
            // `secrets.ErrNotFound`.
            Ok(None) => Err(tonic::Status::not_found(format!("secret {id} not found"))),
            Err(e) => Err(tonic::Status::internal(e.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(id: &str, path: &str) -> SecretSpec {
        SecretSpec {
            id: id.to_owned(),
            source: Some(SecretSource::File(PathBuf::from(path))),
        }
    }

    fn env(id: &str, var: &str) -> SecretSpec {
        SecretSpec {
            id: id.to_owned(),
            source: Some(SecretSource::Env(var.to_owned())),
        }
    }

    #[test]
    fn parses_the_buildx_forms() {
        let ok = |s: &str| parse_secret(s).unwrap();
        assert_eq!(ok("id=a,src=/run/a"), file("a", "/run/a"));
        assert_eq!(ok("id=a,source=/run/a"), file("a", "/run/a"));
        assert_eq!(ok("ID=a,SRC=f"), file("a", "f"));
        assert_eq!(ok("id=a,env=TOKEN"), env("a", "TOKEN"));
        assert_eq!(ok("id=a,type=env,src=TOKEN"), env("a", "TOKEN"));
        assert_eq!(ok("type=file,id=a,src=f"), file("a", "f"));
        // The variable wins over the file, as in BuildKit's store.
        assert_eq!(ok("id=a,src=f,env=V"), env("a", "V"));
        assert_eq!(
            ok("id=a"),
            SecretSpec {
                id: "a".to_owned(),
                source: None
            }
        );
        // CSV quoting keeps commas and equals signs in values.
        assert_eq!(
            ok(r#"id=a,"src=dir,with,commas/f""#),
            file("a", "dir,with,commas/f")
        );
        assert_eq!(ok(r#""id=a""b",src=f"#), file("a\"b", "f"));
    }

    #[test]
    fn spec_errors_name_the_problem() {
        let err = |s: &str| parse_secret(s).unwrap_err().to_string();
        assert_eq!(
            err("id=a,src"),
            "invalid secret spec `id=a,src`: field `src` must be a key=value pair"
        );
        assert_eq!(
            err("id=a,path=f"),
            "invalid secret spec `id=a,path=f`: unexpected key `path`"
        );
        assert_eq!(
            err("id=a,type=ssh"),
            "invalid secret spec `id=a,type=ssh`: unsupported secret type `ssh`"
        );
        assert_eq!(
            err("src=f"),
            "invalid secret spec `src=f`: the secret has no id"
        );
        assert_eq!(
            err(r#"id=a,"src=f"#),
            "invalid secret spec `id=a,\"src=f`: a quoted field is not closed"
        );
    }

    #[test]
    fn store_resolves_defaults_and_reads_files() {
        let dir = std::env::temp_dir().join(format!("slipway-secrets-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("token");
        std::fs::write(&path, b"s3cr3t\n").unwrap();
        let by_name = dir.join("byname");
        std::fs::write(&by_name, b"from file").unwrap();
        let vars = |name: &str| match name {
            "API_KEY" => Some(OsString::from("k-123")),
            "fromenv" => Some(OsString::from("env value")),
            _ => None,
        };
        let specs = [
            file("file", path.to_str().unwrap()),
            env("env", "API_KEY"),
            env("unset", "NOT_SET_ANYWHERE"),
            SecretSpec {
                id: "fromenv".to_owned(),
                source: None,
            },
            SecretSpec {
                id: by_name.to_str().unwrap().to_owned(),
                source: None,
            },
        ];
        let store = SecretStore::with_env(&specs, vars).unwrap();
        assert_eq!(store.get("file").unwrap().unwrap(), b"s3cr3t\n");
        assert_eq!(store.get("env").unwrap().unwrap(), b"k-123");
        assert_eq!(store.get("unset").unwrap().unwrap(), b"");
        assert_eq!(store.get("fromenv").unwrap().unwrap(), b"env value");
        assert_eq!(
            store.get(by_name.to_str().unwrap()).unwrap().unwrap(),
            b"from file"
        );
        assert_eq!(store.get("other").unwrap(), None);

        // Files are read at request time.
        std::fs::write(&path, b"rotated").unwrap();
        assert_eq!(store.get("file").unwrap().unwrap(), b"rotated");

        let missing = SecretStore::with_env(&[file("m", "/nonexistent/secret")], vars);
        assert_eq!(
            missing.unwrap_err().to_string(),
            "secret `m`: cannot read /nonexistent/secret: No such file or directory (os error 2)"
        );
        let big = dir.join("big");
        std::fs::write(&big, vec![b'x'; MAX_SECRET_SIZE as usize + 1]).unwrap();
        let too_big = SecretStore::with_env(&[file("big", big.to_str().unwrap())], vars);
        assert_eq!(
            too_big.unwrap_err().to_string(),
            "secret `big` is too big: 512001 bytes, the limit is 500 KiB"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
