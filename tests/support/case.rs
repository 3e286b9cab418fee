//! A differential case: a directory holding a `Dockerfile` (the build
//! context), an optional `args` file (how to build) and an `expect` file
//! (facts the build must show). The formats are documented in
//! `tests/differential/README.md`; [`super::expect`] checks the facts.

use std::path::{Path, PathBuf};

use super::build::{BuildRequest, Frontend};
use super::expect::{Fact, parse_expect};

/// How a case is built, from its `args` file.
#[derive(Debug, Clone, Default)]
pub struct CaseArgs {
    pub dockerfile: Option<String>,
    pub build_args: Vec<(String, String)>,
    pub target: Option<String>,
    /// Each platform is a separate build (the docker driver loads only one).
    pub platforms: Vec<String>,
    pub contexts: Vec<(String, String)>,
    pub secrets: Vec<String>,
    pub ssh: Vec<String>,
    pub env: Vec<(String, String)>,
}

/// One case directory.
#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    pub dir: PathBuf,
    pub args: CaseArgs,
    pub facts: Vec<Fact>,
}

/// One build of a case: the case and one of its platforms.
#[derive(Debug, Clone)]
pub struct Job {
    pub case: Case,
    pub platform: Option<String>,
}

impl Job {
    /// `name` or `name@linux/arm64`.
    pub fn label(&self) -> String {
        match &self.platform {
            Some(p) if self.case.args.platforms.len() > 1 => format!("{}@{p}", self.case.name),
            _ => self.case.name.clone(),
        }
    }

    pub fn request(&self, frontend: Frontend) -> BuildRequest {
        let a = &self.case.args;
        let mut r = BuildRequest::new(&self.case.dir, frontend);
        r.dockerfile = a.dockerfile.clone();
        r.build_args = a.build_args.clone();
        r.target = a.target.clone();
        r.platform = self.platform.clone();
        r.contexts = a.contexts.clone();
        r.secrets = a.secrets.clone();
        r.ssh = a.ssh.clone();
        r.env = a.env.clone();
        r
    }

    /// The facts that apply to this job's platform.
    pub fn facts(&self) -> impl Iterator<Item = &Fact> {
        self.case
            .facts
            .iter()
            .filter(|f| match (&f.platform, &self.platform) {
                (None, _) => true,
                (Some(want), Some(have)) => want == have,
                (Some(_), None) => false,
            })
    }
}

impl Case {
    /// Loads one case directory.
    pub fn load(dir: &Path) -> Result<Case, String> {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let read = |f: &str| std::fs::read_to_string(dir.join(f));
        let args = match read("args") {
            Ok(text) => parse_args(&text).map_err(|e| format!("{name}/args: {e}"))?,
            Err(_) => CaseArgs::default(),
        };
        let dockerfile = args.dockerfile.as_deref().unwrap_or("Dockerfile");
        if !dir.join(dockerfile).is_file() {
            return Err(format!("{name}: no {dockerfile}"));
        }
        let text = read("expect")
            .map_err(|_| format!("{name}: no expect file (every case states facts)"))?;
        let facts = parse_expect(&text).map_err(|e| format!("{name}/expect: {e}"))?;
        if facts.is_empty() {
            return Err(format!("{name}/expect: states no facts"));
        }
        Ok(Case {
            name,
            dir: dir.to_path_buf(),
            args,
            facts,
        })
    }

    /// The builds this case needs: one per platform (or one, unplatformed).
    pub fn jobs(&self) -> Vec<Job> {
        if self.args.platforms.is_empty() {
            return vec![Job {
                case: self.clone(),
                platform: None,
            }];
        }
        let job = |p: &String| Job {
            case: self.clone(),
            platform: Some(p.clone()),
        };
        self.args.platforms.iter().map(job).collect()
    }
}

/// Every case under `root` (subdirectories, sorted by name).
pub fn load_cases(root: &Path) -> Result<Vec<Case>, Vec<String>> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .map_err(|e| vec![format!("{}: {e}", root.display())])?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    let (mut cases, mut errors) = (Vec::new(), Vec::new());
    for d in dirs {
        match Case::load(&d) {
            Ok(c) => cases.push(c),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(cases)
    } else {
        Err(errors)
    }
}

fn pair(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("expected NAME=VALUE: {s}"))
}

/// Parses an `args` file: one `keyword value` per line, `#` comments.
pub fn parse_args(text: &str) -> Result<CaseArgs, String> {
    let mut a = CaseArgs::default();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let value = value.trim().to_string();
        let err = |e: String| format!("line {}: {e}", n + 1);
        if value.is_empty() {
            return Err(err(format!("`{key}` needs a value")));
        }
        match key {
            "file" => a.dockerfile = Some(value),
            "build-arg" => a.build_args.push(pair(&value).map_err(err)?),
            "target" => a.target = Some(value),
            "platform" => a.platforms.push(value),
            "context" => a.contexts.push(pair(&value).map_err(err)?),
            "secret" => a.secrets.push(value),
            "ssh" => a.ssh.push(value),
            "env" => a.env.push(pair(&value).map_err(err)?),
            other => return Err(err(format!("unknown keyword `{other}`"))),
        }
    }
    Ok(a)
}
