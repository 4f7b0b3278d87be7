//! The directory walk: every file under a directory, in a fixed order.

use crate::error::io_message;
use std::path::{Path, PathBuf};

/// Options of [`walk`].
///
/// # Example
///
/// ```
/// let opts = scamscan::files::WalkOptions::default();
/// assert!(!opts.hidden);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WalkOptions {
    /// Walk hidden files and directories (names starting with `.`) too. The
    /// directory the walk starts from is walked whatever its name.
    pub hidden: bool,
}

/// One entry of a [`walk`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A file to read: a regular file, or a symbolic link to one.
    File(PathBuf),
    /// Something passed over on purpose: a symbolic link to a directory
    /// (not followed: a link to a parent would never end) or to a special
    /// file. Worth a notice, not an error.
    Skipped {
        /// What was passed over.
        path: PathBuf,
        /// Why, in a few words.
        why: &'static str,
    },
    /// A symbolic link that could not be resolved: the walk goes on.
    BrokenLink {
        /// The link.
        path: PathBuf,
        /// What went wrong, as [`io_message`] puts it.
        message: String,
    },
    /// A directory or entry that could not be read: the walk goes on with
    /// the rest.
    Error {
        /// Where it happened (the walk's root when the error has no path).
        path: PathBuf,
        /// What went wrong, as [`io_message`] puts it.
        message: String,
    },
}

/// Walks `root` recursively, yielding its files sorted by name within each
/// directory (depth first), so that the same tree always gives the same
/// files in the same order, and so the same output and the same model.
///
/// Links are not followed into directories; a link to a file is a file the
/// user pointed at and is read. `.gitignore` files are *not* honoured: what
/// the user points at is read. A file that is the process's own standard
/// output (`scamscan classify dir > dir/out.txt`) is passed over silently,
/// so that a run never reads what it is writing.
///
/// Built on `walkdir` (the walk under ripgrep's `ignore`), which handles
/// long paths, open-descriptor limits and sorting; the policy above is ours.
///
/// # Example
///
/// ```
/// use scamscan::files::{walk, Entry, WalkOptions};
/// let dir = tempfile::tempdir()?;
/// std::fs::create_dir(dir.path().join("sms"))?;
/// std::fs::write(dir.path().join("sms/b.txt"), "b")?;
/// std::fs::write(dir.path().join("a.txt"), "a")?;
/// std::fs::write(dir.path().join(".hidden"), "h")?;
/// let files: Vec<_> = walk(dir.path(), WalkOptions::default())
///     .filter_map(|e| match e { Entry::File(p) => Some(p.strip_prefix(dir.path()).unwrap().to_owned()), _ => None })
///     .collect();
/// assert_eq!(files, [std::path::Path::new("a.txt"), std::path::Path::new("sms/b.txt")]);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn walk(root: &Path, opts: WalkOptions) -> impl Iterator<Item = Entry> + use<> {
    let hidden = opts.hidden;
    let stdout = stdout_file();
    let root_shown = root.to_path_buf();
    walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(move |e| hidden || e.depth() == 0 || !is_hidden(e.file_name()))
        .filter_map(move |e| match e {
            Ok(e) => entry(e, stdout),
            Err(err) => {
                let path = err
                    .path()
                    .map_or_else(|| root_shown.clone(), Path::to_path_buf);
                let message = match err.io_error() {
                    Some(io) => io_message(io),
                    None => err.to_string(),
                };
                Some(Entry::Error { path, message })
            }
        })
}

fn entry(e: walkdir::DirEntry, stdout: Option<(u64, u64)>) -> Option<Entry> {
    if e.file_type().is_file() {
        if stdout.is_some() && file_id(e.path()) == stdout {
            return None;
        }
        return Some(Entry::File(e.into_path()));
    }
    if !e.path_is_symlink() {
        // Directories are walked into; sockets and pipes met in a walk hold
        // no message.
        return None;
    }
    Some(match std::fs::metadata(e.path()) {
        Ok(m) if m.is_file() => Entry::File(e.into_path()),
        Ok(m) if m.is_dir() => Entry::Skipped {
            path: e.into_path(),
            why: "symbolic link to a directory, not followed",
        },
        Ok(_) => Entry::Skipped {
            path: e.into_path(),
            why: "symbolic link to a special file, skipped",
        },
        Err(err) => Entry::BrokenLink {
            path: e.into_path(),
            message: io_message(&err),
        },
    })
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.as_encoded_bytes().first() == Some(&b'.')
}

/// The device and inode of standard output when it is a regular file.
#[cfg(unix)]
fn stdout_file() -> Option<(u64, u64)> {
    use std::os::fd::AsFd;
    use std::os::unix::fs::MetadataExt;
    let fd = std::io::stdout().as_fd().try_clone_to_owned().ok()?;
    let meta = std::fs::File::from(fd).metadata().ok()?;
    meta.is_file().then(|| (meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn stdout_file() -> Option<(u64, u64)> {
    None
}

#[cfg(unix)]
fn file_id(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn file_id(_: &Path) -> Option<(u64, u64)> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_entries_are_walked_only_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".git")).unwrap();
        std::fs::write(dir.path().join(".git/config"), "x").unwrap();
        std::fs::write(dir.path().join("a"), "a").unwrap();
        let files = |hidden| -> Vec<PathBuf> {
            walk(dir.path(), WalkOptions { hidden })
                .filter_map(|e| match e {
                    Entry::File(p) => Some(p.strip_prefix(dir.path()).unwrap().to_owned()),
                    _ => None,
                })
                .collect()
        };
        assert_eq!(files(false), [PathBuf::from("a")]);
        assert_eq!(
            files(true),
            [PathBuf::from(".git/config"), PathBuf::from("a")]
        );
        // The root is walked even when its own name is hidden.
        let root = dir.path().join(".git");
        assert_eq!(walk(&root, WalkOptions::default()).count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn links_to_files_are_read_and_links_to_directories_are_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir(d.join("sub")).unwrap();
        std::fs::write(d.join("sub/f"), "f").unwrap();
        std::os::unix::fs::symlink(d.join("sub/f"), d.join("link-to-file")).unwrap();
        std::os::unix::fs::symlink(d, d.join("sub/loop")).unwrap();
        std::os::unix::fs::symlink(d.join("nowhere"), d.join("broken")).unwrap();
        let entries: Vec<Entry> = walk(d, WalkOptions::default()).collect();
        assert_eq!(
            entries,
            [
                Entry::BrokenLink {
                    path: d.join("broken"),
                    message: "no such file or directory".into()
                },
                Entry::File(d.join("link-to-file")),
                Entry::File(d.join("sub/f")),
                Entry::Skipped {
                    path: d.join("sub/loop"),
                    why: "symbolic link to a directory, not followed"
                },
            ]
        );
    }

    #[test]
    fn a_missing_root_is_one_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("missing");
        let entries: Vec<Entry> = walk(&root, WalkOptions::default()).collect();
        assert_eq!(
            entries,
            [Entry::Error {
                path: root,
                message: "no such file or directory".into()
            }]
        );
    }
}
