//! LLB capability IDs (`solver/pb/caps.go`) and source attribute keys
//! (`solver/pb/attr.go`) that the emitter writes.

pub const SOURCE_IMAGE: &str = "source.image";
pub const SOURCE_IMAGE_RESOLVE_MODE: &str = "source.image.resolvemode";
pub const SOURCE_LOCAL: &str = "source.local";
pub const SOURCE_LOCAL_UNIQUE: &str = "source.local.unique";
pub const SOURCE_LOCAL_SESSION_ID: &str = "source.local.sessionid";
pub const SOURCE_LOCAL_FOLLOW_PATHS: &str = "source.local.followpaths";
pub const SOURCE_LOCAL_EXCLUDE_PATTERNS: &str = "source.local.excludepatterns";
pub const SOURCE_LOCAL_SHARED_KEY_HINT: &str = "source.local.sharedkeyhint";
pub const SOURCE_HTTP: &str = "source.http";
pub const SOURCE_HTTP_CHECKSUM: &str = "source.http.checksum";
pub const SOURCE_OCI_LAYOUT: &str = "source.ocilayout";
pub const SOURCE_GIT: &str = "source.git";
pub const SOURCE_GIT_KEEP_DIR: &str = "source.git.keepgitdir";
pub const SOURCE_GIT_FULL_URL: &str = "source.git.fullurl";
pub const SOURCE_GIT_KNOWN_SSH_HOSTS: &str = "source.git.knownsshhosts";
pub const SOURCE_GIT_MOUNT_SSH_SOCK: &str = "source.git.mountsshsock";
pub const SOURCE_GIT_CHECKSUM: &str = "source.git.checksum";
pub const SOURCE_GIT_SKIP_SUBMODULES: &str = "source.git.skipsubmodules";
pub const SOURCE_GIT_FETCH_BY_COMMIT: &str = "source.git.fetchbycommit";
pub const SOURCE_GIT_MTIME: &str = "source.git.mtime";

pub const EXEC_META_BASE: &str = "exec.meta.base";
pub const EXEC_META_NETWORK: &str = "exec.meta.network";
pub const EXEC_META_PROXY: &str = "exec.meta.proxyenv";
pub const EXEC_META_SECURITY: &str = "exec.meta.security";
pub const EXEC_META_SETS_DEFAULT_PATH: &str = "exec.meta.setsdefaultpath";
pub const EXEC_META_ULIMIT: &str = "exec.meta.ulimit";
pub const EXEC_MOUNT_BIND: &str = "exec.mount.bind";
pub const EXEC_MOUNT_CACHE: &str = "exec.mount.cache";
pub const EXEC_MOUNT_CACHE_SHARING: &str = "exec.mount.cache.sharing";
pub const EXEC_MOUNT_SELECTOR: &str = "exec.mount.selector";
pub const EXEC_MOUNT_TMPFS: &str = "exec.mount.tmpfs";
pub const EXEC_MOUNT_TMPFS_SIZE: &str = "exec.mount.tmpfs.size";
pub const EXEC_MOUNT_SECRET: &str = "exec.mount.secret";
pub const EXEC_MOUNT_SSH: &str = "exec.mount.ssh";
pub const EXEC_SECRET_ENV: &str = "exec.secretenv";

pub const FILE_BASE: &str = "file.base";
pub const MERGE_OP: &str = "mergeop";

pub const CONSTRAINTS: &str = "constraints";
pub const PLATFORM: &str = "platform";
pub const META_IGNORE_CACHE: &str = "meta.ignorecache";
pub const META_DESCRIPTION: &str = "meta.description";

pub const ATTR_LOCAL_SESSION: &str = "local.session";
pub const ATTR_LOCAL_UNIQUE: &str = "local.unique";
pub const ATTR_FOLLOW_PATHS: &str = "local.followpaths";
pub const ATTR_EXCLUDE_PATTERNS: &str = "local.excludepatterns";
pub const ATTR_SHARED_KEY_HINT: &str = "local.sharedkeyhint";
pub const ATTR_HTTP_CHECKSUM: &str = "http.checksum";
pub const ATTR_HTTP_FILENAME: &str = "http.filename";
pub const ATTR_IMAGE_RESOLVE_MODE: &str = "image.resolvemode";
pub const ATTR_OCI_SESSION: &str = "oci.session";
pub const ATTR_OCI_STORE: &str = "oci.store";
pub const ATTR_GIT_KEEP_DIR: &str = "git.keepgitdir";
pub const ATTR_GIT_FULL_URL: &str = "git.fullurl";
pub const ATTR_GIT_AUTH_TOKEN_SECRET: &str = "git.authtokensecret";
pub const ATTR_GIT_AUTH_HEADER_SECRET: &str = "git.authheadersecret";
pub const ATTR_GIT_MOUNT_SSH_SOCK: &str = "git.mountsshsock";
pub const ATTR_GIT_CHECKSUM: &str = "git.checksum";
pub const ATTR_GIT_SKIP_SUBMODULES: &str = "git.skipsubmodules";
pub const ATTR_GIT_FETCH_BY_COMMIT: &str = "git.fetchbycommit";
pub const ATTR_GIT_MTIME: &str = "git.mtime";

/// Description keys of `OpMetadata`.
pub const CUSTOM_NAME: &str = "llb.customname";
pub const DOCKERFILE_COMMAND: &str = "com.docker.dockerfile.v1.command";
