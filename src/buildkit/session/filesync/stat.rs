//! File metadata as `fsutil` sends it: Go's `os.FileMode` bits, owner,
//! size, modification time in nanoseconds, symlink target, device
//! numbers, extended attributes, and hard links folded onto the first path
//! seen with the same inode.

use std::collections::HashMap;
use std::fs::Metadata;
use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

use crate::proto::fsutil::types::Stat;

/// Go's `os.FileMode` type and special bits.
pub(crate) mod go_mode {
    /// `os.ModeDir`.
    pub const DIR: u32 = 1 << 31;
    /// `os.ModeSymlink`.
    pub const SYMLINK: u32 = 1 << 27;
    /// `os.ModeDevice`.
    pub const DEVICE: u32 = 1 << 26;
    /// `os.ModeNamedPipe`.
    pub const NAMED_PIPE: u32 = 1 << 25;
    /// `os.ModeSocket`.
    pub const SOCKET: u32 = 1 << 24;
    /// `os.ModeSetuid`.
    pub const SETUID: u32 = 1 << 23;
    /// `os.ModeSetgid`.
    pub const SETGID: u32 = 1 << 22;
    /// `os.ModeCharDevice`.
    pub const CHAR_DEVICE: u32 = 1 << 21;
    /// `os.ModeSticky`.
    pub const STICKY: u32 = 1 << 20;
    /// `os.ModeIrregular`.
    pub const IRREGULAR: u32 = 1 << 19;
    /// `os.ModeType`: the bits that make an entry something other than a
    /// regular file.
    pub const TYPE: u32 = DIR | SYMLINK | NAMED_PIPE | SOCKET | DEVICE | CHAR_DEVICE | IRREGULAR;
    /// `os.ModePerm`.
    pub const PERM: u32 = 0o777;
}

/// Go's `os.FileMode` for `lstat` metadata.
pub(crate) fn go_file_mode(meta: &Metadata) -> u32 {
    let raw = meta.mode();
    let ft = meta.file_type();
    let mut mode = raw & go_mode::PERM;
    if ft.is_block_device() {
        mode |= go_mode::DEVICE;
    } else if ft.is_char_device() {
        mode |= go_mode::DEVICE | go_mode::CHAR_DEVICE;
    } else if ft.is_dir() {
        mode |= go_mode::DIR;
    } else if ft.is_fifo() {
        mode |= go_mode::NAMED_PIPE;
    } else if ft.is_symlink() {
        mode |= go_mode::SYMLINK;
    } else if ft.is_socket() {
        mode |= go_mode::SOCKET;
    }
    if raw & 0o2000 != 0 {
        mode |= go_mode::SETGID;
    }
    if raw & 0o4000 != 0 {
        mode |= go_mode::SETUID;
    }
    if raw & 0o1000 != 0 {
        mode |= go_mode::STICKY;
    }
    mode
}

/// Unix permission and special bits for a Go mode.
pub(crate) fn unix_permissions(mode: u32) -> u32 {
    let mut out = mode & go_mode::PERM;
    if mode & go_mode::SETUID != 0 {
        out |= 0o4000;
    }
    if mode & go_mode::SETGID != 0 {
        out |= 0o2000;
    }
    if mode & go_mode::STICKY != 0 {
        out |= 0o1000;
    }
    out
}

/// Whether the receiver may ask for the contents of an entry: only regular
/// files (fsutil's rule, shared by both sides).
pub(crate) fn can_request_data(mode: u32) -> bool {
    mode & go_mode::TYPE == 0
}

/// The stat of `full`, recorded under the relative `rel`. `inodes` maps
/// the inodes of multiply linked files to the first path seen.
pub(crate) fn make_stat(
    full: &Path,
    rel: &str,
    meta: &Metadata,
    inodes: &mut HashMap<u64, String>,
) -> io::Result<Stat> {
    let mut stat = Stat {
        path: rel.to_owned(),
        mode: go_file_mode(meta),
        uid: meta.uid(),
        gid: meta.gid(),
        mod_time: meta
            .mtime()
            .saturating_mul(1_000_000_000)
            .saturating_add(meta.mtime_nsec()),
        ..Stat::default()
    };
    if !meta.is_dir() {
        // fsutil's own split of the device number (not glibc's).
        let rdev = meta.rdev();
        stat.devmajor = ((rdev >> 8) & 0xfff) as i64;
        stat.devminor = ((rdev & 0xff) | ((rdev >> 12) & 0xfff00)) as i64;
        stat.size = meta.size() as i64;
        if meta.nlink() > 1 {
            match inodes.get(&meta.ino()) {
                // fsutil zeroes the size here and then sets it again, so
                // a hard link carries the full size.
                Some(first) => stat.linkname = first.clone(),
                None => {
                    inodes.insert(meta.ino(), rel.to_owned());
                }
            }
        }
        if meta.file_type().is_symlink() {
            let target = std::fs::read_link(full)?;
            stat.linkname = target
                .into_os_string()
                .into_string()
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "non-UTF-8 link target"))?;
        }
    }
    stat.xattrs = xattrs::read(full)?;
    // fsutil clears the socket bit, so sockets travel as regular files.
    stat.mode &= !go_mode::SOCKET;
    Ok(stat)
}

#[cfg(target_os = "linux")]
mod xattrs {
    //! `llistxattr`/`lgetxattr` from the C library std already links.

    use std::collections::BTreeMap;
    use std::ffi::{CString, c_char, c_void};
    use std::io;
    use std::os::unix::ffi::OsStrExt;
    use std::path::Path;

    unsafe extern "C" {
        fn llistxattr(path: *const c_char, list: *mut c_char, size: usize) -> isize;
        fn lgetxattr(
            path: *const c_char,
            name: *const c_char,
            value: *mut c_void,
            size: usize,
        ) -> isize;
    }

    const ENOTSUP: i32 = 95;
    const ERANGE: i32 = 34;

    /// Calls `f` with a growing buffer until the value fits.
    fn sized(mut f: impl FnMut(&mut [u8]) -> isize) -> io::Result<Vec<u8>> {
        loop {
            let need = f(&mut []);
            if need < 0 {
                return Err(io::Error::last_os_error());
            }
            if need == 0 {
                return Ok(Vec::new());
            }
            let mut buf = vec![0u8; need as usize];
            let got = f(&mut buf);
            if got >= 0 {
                buf.truncate(got as usize);
                return Ok(buf);
            }
            let err = io::Error::last_os_error();
            if err.raw_os_error() != Some(ERANGE) {
                return Err(err);
            }
        }
    }

    /// The extended attributes of `path` (not following a final symlink),
    /// without `com.apple.*` ones; an unsupported filesystem has none.
    pub(super) fn read(path: &Path) -> io::Result<BTreeMap<String, Vec<u8>>> {
        let mut out = BTreeMap::new();
        let cpath = CString::new(path.as_os_str().as_bytes())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let names = match sized(|buf| {
            // SAFETY: `cpath` is NUL-terminated and `buf` is valid for
            // `buf.len()` bytes (a null pointer with size 0 asks for the size).
            unsafe { llistxattr(cpath.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) }
        }) {
            Ok(names) => names,
            Err(e) if e.raw_os_error() == Some(ENOTSUP) => return Ok(out),
            Err(e) => return Err(e),
        };
        for name in names.split(|b| *b == 0).filter(|n| !n.is_empty()) {
            let Ok(key) = std::str::from_utf8(name) else {
                continue;
            };
            if key.starts_with("com.apple.") {
                continue;
            }
            let Ok(cname) = CString::new(name) else {
                continue;
            };
            // SAFETY: both strings are NUL-terminated and `buf` is valid
            // for `buf.len()` bytes.
            let value = sized(|buf| unsafe {
                lgetxattr(
                    cpath.as_ptr(),
                    cname.as_ptr(),
                    buf.as_mut_ptr().cast(),
                    buf.len(),
                )
            });
            // Like fsutil: an attribute that cannot be read is left out.
            if let Ok(value) = value {
                out.insert(key.to_owned(), value);
            }
        }
        Ok(out)
    }
}

#[cfg(not(target_os = "linux"))]
mod xattrs {
    //! Extended attributes are only read on Linux.

    use std::collections::BTreeMap;
    use std::io;
    use std::path::Path;

    pub(super) fn read(_: &Path) -> io::Result<BTreeMap<String, Vec<u8>>> {
        Ok(BTreeMap::new())
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::ffi::{CString, c_char, c_void};
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::PermissionsExt;

    unsafe extern "C" {
        fn lsetxattr(
            path: *const c_char,
            name: *const c_char,
            value: *const c_void,
            size: usize,
            flags: i32,
        ) -> i32;
    }

    fn set_xattr(path: &Path, name: &str, value: &[u8]) -> io::Result<()> {
        let p = CString::new(path.as_os_str().as_bytes()).expect("no NUL");
        let n = CString::new(name).expect("no NUL");
        // SAFETY: NUL-terminated strings and a buffer of `value.len()` bytes.
        let rc = unsafe {
            lsetxattr(
                p.as_ptr(),
                n.as_ptr(),
                value.as_ptr().cast(),
                value.len(),
                0,
            )
        };
        if rc == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }

    #[test]
    fn stat_fields_follow_fsutil() {
        let dir = std::env::temp_dir().join(format!("slipway-stat-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("d")).expect("mkdir");
        let file = dir.join("f");
        std::fs::write(&file, b"12345").expect("write");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o4751)).expect("chmod");
        std::fs::hard_link(&file, dir.join("g")).expect("link");
        std::os::unix::fs::symlink("d", dir.join("l")).expect("symlink");
        let mut inodes = HashMap::new();
        let stat = |name: &str, inodes: &mut HashMap<u64, String>| {
            let p = dir.join(name);
            let meta = std::fs::symlink_metadata(&p).expect("lstat");
            make_stat(&p, name, &meta, inodes).expect("stat")
        };
        let f = stat("f", &mut inodes);
        assert_eq!(f.mode, go_mode::SETUID | 0o751);
        assert_eq!((f.size, f.linkname.as_str()), (5, ""));
        let g = stat("g", &mut inodes);
        assert_eq!((g.size, g.linkname.as_str()), (5, "f"));
        let d = stat("d", &mut inodes);
        assert_eq!((d.mode & !go_mode::PERM, d.size), (go_mode::DIR, 0));
        let l = stat("l", &mut inodes);
        assert_eq!(
            (l.mode & !go_mode::PERM, l.size, l.linkname.as_str()),
            (go_mode::SYMLINK, 1, "d")
        );
        assert!(!can_request_data(l.mode) && !can_request_data(d.mode) && can_request_data(f.mode));
        assert_eq!(unix_permissions(f.mode), 0o4751);
        // Extended attributes, where the filesystem has them.
        match set_xattr(&file, "user.slipway", b"value") {
            Ok(()) => {
                let f = stat("f", &mut HashMap::new());
                assert_eq!(
                    f.xattrs.get("user.slipway").map(Vec::as_slice),
                    Some(&b"value"[..])
                );
            }
            Err(e) => assert_eq!(e.raw_os_error(), Some(95), "{e}"),
        }
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }
}
