//! Where registry files are read from: a directory on disk or the copy embedded in the binary.
//!
//! Lookups go straight to `<category>/<name>.yaml` (then `.yml`): one `stat`/`read` per
//! component the solve touches, never a directory listing, so the cost of a solve follows
//! the size of the stack and not of the registry. Listings are only made for
//! did-you-mean suggestions and for `registry lint`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use include_dir::{Dir, include_dir};

use crate::error::{Error, ErrorKind};
#[cfg(unix)]
use crate::source::{ReadAt, read_text_at};
use crate::source::{SourceFile, read_text};

static BUILTIN: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/registry");

/// How messages name the built-in registry, and the start of its files' names.
pub const BUILTIN_NAME: &str = "<built-in>";
pub const BUILTIN_PREFIX: &str = "<built-in>/";

/// The four folders of a registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    Libraries,
    Services,
    LibraryGroups,
    ServiceGroups,
}

impl Category {
    pub const ALL: [Category; 4] = [
        Category::Libraries,
        Category::Services,
        Category::LibraryGroups,
        Category::ServiceGroups,
    ];

    /// The kind of component the folder holds, or whose groups it holds.
    pub fn kind(self) -> crate::vocab::Kind {
        match self {
            Category::Libraries | Category::LibraryGroups => crate::vocab::Kind::Library,
            Category::Services | Category::ServiceGroups => crate::vocab::Kind::Service,
        }
    }

    /// Whether the folder holds choice groups.
    pub fn holds_groups(self) -> bool {
        matches!(self, Category::LibraryGroups | Category::ServiceGroups)
    }

    pub fn dir(self) -> &'static str {
        match self {
            Category::Libraries => "libraries",
            Category::Services => "services",
            Category::LibraryGroups => "library_groups",
            Category::ServiceGroups => "service_groups",
        }
    }
}

/// A registry's files.
#[derive(Debug, Clone)]
pub enum Store {
    Dir {
        root: PathBuf,
        /// How `root` is shown in messages (relative to the working directory when possible).
        display: String,
        folders: Arc<Folders>,
    },
    /// A checkout of a git registry in hsm's cache: read-only.
    Git {
        checkout: Arc<super::git::Checkout>,
        /// [`super::git::digest`] of its files.
        digest: String,
        folders: Arc<Folders>,
    },
    /// Several registries searched in order (hsm.yaml's `registries:`, the built-in one
    /// last): the first that has an entry gives it.
    Layered(Vec<Store>),
    Builtin,
    /// Files held in memory, keyed by relative path (`libraries/x.yaml`): for tests,
    /// benchmarks and tools that generate registries.
    Memory(Arc<std::collections::BTreeMap<String, String>>),
}

impl Store {
    /// An in-memory registry from `(relative path, text)` pairs.
    pub fn memory(files: impl IntoIterator<Item = (String, String)>) -> Self {
        Store::Memory(Arc::new(files.into_iter().collect()))
    }

    pub fn dir(root: PathBuf, display: String) -> Self {
        Store::Dir {
            root,
            display,
            folders: Arc::default(),
        }
    }

    /// A git registry's checkout.
    pub fn git(checkout: super::git::Checkout) -> Self {
        let digest = super::git::digest(&checkout.dir);
        Store::Git {
            checkout: Arc::new(checkout),
            digest,
            folders: Arc::default(),
        }
    }

    /// How the registry is named in messages.
    pub fn display(&self) -> String {
        match self {
            Store::Dir { display, .. } => display.clone(),
            Store::Git { checkout, .. } => checkout.spec.text.clone(),
            Store::Layered(layers) => layers
                .iter()
                .map(Store::display)
                .collect::<Vec<_>>()
                .join(" + "),
            Store::Builtin => BUILTIN_NAME.to_string(),
            Store::Memory(_) => "<memory>".to_string(),
        }
    }

    /// [`Store::display`], with directories named relative to `base` (the project root in
    /// hsm.lock, which must not depend on where hsm runs).
    pub fn display_from(&self, base: &Path) -> String {
        match self {
            Store::Dir { root, .. } => super::location::relative_display(root, base),
            Store::Layered(layers) => layers
                .iter()
                .map(|l| l.display_from(base))
                .collect::<Vec<_>>()
                .join(" + "),
            _ => self.display(),
        }
    }

    /// The directory that editing commands write to: a directory registry, or the first
    /// layer when that is one. `None` for registries hsm does not edit (built-in, git).
    pub fn root(&self) -> Option<&Path> {
        match self {
            Store::Dir { root, .. } => Some(root),
            Store::Layered(layers) => layers.first().and_then(Store::root),
            Store::Git { .. } | Store::Builtin | Store::Memory(_) => None,
        }
    }

    /// The git registries among the layers: `(spec, commit, digest)`, for hsm.lock.
    pub fn git_pins(&self) -> Vec<(String, String, String)> {
        match self {
            Store::Git {
                checkout, digest, ..
            } => vec![(
                checkout.spec.text.clone(),
                checkout.commit.clone(),
                digest.clone(),
            )],
            Store::Layered(layers) => layers.iter().flat_map(Store::git_pins).collect(),
            _ => Vec::new(),
        }
    }

    /// Read `<category>/<name>.yaml` (or `.yml`); `Ok(None)` if there is no such file.
    /// `name` must already be a valid name (no separators), see [`crate::manifest::is_valid_name`].
    pub fn read(&self, category: Category, name: &str) -> Result<Option<Arc<SourceFile>>, Error> {
        for ext in ["yaml", "yml"] {
            if let Some(file) = self.read_ext(category, name, ext)? {
                return Ok(Some(file));
            }
        }
        Ok(None)
    }

    /// Read `<category>/<name>.<ext>` exactly; `Ok(None)` if there is no such file.
    pub fn read_ext(
        &self,
        category: Category,
        name: &str,
        ext: &str,
    ) -> Result<Option<Arc<SourceFile>>, Error> {
        // Built by hand, not with `format!`: this runs once per file a listing reads.
        let dir = category.dir();
        let mut rel = String::with_capacity(dir.len() + name.len() + ext.len() + 2);
        for part in [dir, "/", name, ".", ext] {
            rel.push_str(part);
        }
        match self {
            Store::Layered(layers) => {
                for layer in layers {
                    if let Some(file) = layer.read_ext(category, name, ext)? {
                        return Ok(Some(file));
                    }
                }
            }
            Store::Git {
                checkout, folders, ..
            } => {
                let display = join_display(&checkout.spec.text, &rel);
                if let Some(file) = folders.read(&checkout.dir, category, &rel, display)? {
                    return Ok(Some(file));
                }
            }
            Store::Builtin => {
                if let Some(file) = BUILTIN.get_file(&rel) {
                    let text = file.contents_utf8().ok_or_else(|| {
                        Error::new(
                            ErrorKind::Io,
                            format!("built-in registry file {rel} is not UTF-8"),
                        )
                    })?;
                    return Ok(Some(SourceFile::new(
                        format!("{BUILTIN_PREFIX}{rel}"),
                        None,
                        text,
                    )));
                }
            }
            Store::Memory(files) => {
                if let Some(text) = files.get(&rel) {
                    return Ok(Some(SourceFile::new(
                        format!("<memory>/{rel}"),
                        None,
                        text.as_str(),
                    )));
                }
            }
            Store::Dir {
                root,
                display,
                folders,
            } => {
                let display = join_display(display, &rel);
                if let Some(file) = folders.read(root, category, &rel, display)? {
                    return Ok(Some(file));
                }
            }
        }
        Ok(None)
    }

    /// Names of every entry in a category, sorted. Used for suggestions and lint only.
    pub fn list(&self, category: Category) -> Vec<String> {
        let mut names: Vec<String> = self
            .entries(category)
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        names.dedup();
        names
    }

    /// Every registry file of a category as `(name, extension)`, sorted; a name appears
    /// twice when both `<name>.yaml` and `<name>.yml` exist (`.yaml` is the one read).
    pub fn entries(&self, category: Category) -> Vec<(String, String)> {
        let mut entries: Vec<(String, String)> = match self {
            Store::Layered(layers) => {
                // A name a layer has hides the same name further down.
                let mut seen = std::collections::HashSet::new();
                let mut all = Vec::new();
                for layer in layers {
                    let mine = layer.entries(category);
                    let names: Vec<String> = mine.iter().map(|(n, _)| n.clone()).collect();
                    all.extend(mine.into_iter().filter(|(n, _)| !seen.contains(n)));
                    seen.extend(names);
                }
                all
            }
            Store::Git {
                checkout, folders, ..
            } => dir_entries(&checkout.dir, category, folders),
            Store::Builtin => BUILTIN
                .get_dir(category.dir())
                .map(|d| d.files().filter_map(|f| yaml_entry(f.path())).collect())
                .unwrap_or_default(),
            Store::Memory(files) => {
                let prefix = format!("{}/", category.dir());
                files
                    .keys()
                    .filter_map(|k| k.strip_prefix(&prefix))
                    .filter_map(|rest| yaml_entry(Path::new(rest)))
                    .collect()
            }
            Store::Dir { root, folders, .. } => dir_entries(root, category, folders),
        };
        // `yaml` sorts before `yml`: the file that is read comes first. (No two entries
        // are equal, so an unstable sort gives the same order, without a buffer.)
        entries.sort_unstable();
        entries
    }

    /// How the file `<category>/<name>.<ext>` is named in messages.
    pub fn display_of(&self, category: Category, name: &str, ext: &str) -> String {
        match self {
            Store::Layered(layers) => {
                let owner = layers
                    .iter()
                    .find(|l| {
                        l.entries(category)
                            .iter()
                            .any(|(n, e)| n == name && e == ext)
                    })
                    .or(layers.first());
                match owner {
                    Some(layer) => layer.display_of(category, name, ext),
                    None => String::new(),
                }
            }
            _ => join_display(&self.display(), &format!("{}/{name}.{ext}", category.dir())),
        }
    }
}

/// A directory registry's four folders, each opened once, when first read from, and
/// kept open for the store's life: a file is then opened by its name in the open folder
/// (see [`ReadAt::In`]). A folder that is missing is not remembered, so one made later (by
/// an editing command) is found.
#[derive(Debug, Default)]
pub struct Folders {
    #[cfg(unix)]
    open: [std::sync::OnceLock<std::os::fd::OwnedFd>; 4],
    /// The files a folder's listing said are regular files (see [`ReadAt::In`]).
    regular: [std::sync::OnceLock<rustc_hash::FxHashSet<Box<str>>>; 4],
}

impl Folders {
    /// Read `rel` (`<category>/<file name>`) under `root`, named `display` in messages.
    fn read(
        &self,
        root: &Path,
        category: Category,
        rel: &str,
        display: String,
    ) -> Result<Option<Arc<SourceFile>>, Error> {
        let path = root.join(rel);
        #[cfg(unix)]
        if let Some(dir) = self.folder(root, category) {
            let name = rel.rsplit('/').next().unwrap_or(rel);
            let listed_regular = self.regular[category as usize]
                .get()
                .is_some_and(|set| set.contains(name));
            let at = ReadAt::In {
                dir,
                name,
                path: &path,
                listed_regular,
            };
            let text = read_text_at(at, &display)?;
            return Ok(text.map(|text| SourceFile::new(display, Some(path), text)));
        }
        Ok(read_text(&path, &display)?.map(|text| SourceFile::new(display, Some(path), text)))
    }

    /// Remember which files of `category` its listing said are regular files.
    fn listed(&self, category: Category, regular: Vec<Box<str>>) {
        let _ = self.regular[category as usize].set(regular.into_iter().collect());
    }

    /// The open folder of `category`, opened now if it was not yet; `None` if it cannot
    /// be (missing, or not a directory): the caller then reads by path, which reports why.
    #[cfg(unix)]
    fn folder(&self, root: &Path, category: Category) -> Option<std::os::fd::BorrowedFd<'_>> {
        use rustix::fs::{Mode, OFlags, open};
        use std::os::fd::AsFd;
        let slot = &self.open[category as usize];
        if slot.get().is_none() {
            let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NONBLOCK | OFlags::CLOEXEC;
            let fd = open(root.join(category.dir()), flags, Mode::empty()).ok()?;
            // Another thread may have opened it first: either descriptor will do.
            let _ = slot.set(fd);
        }
        slot.get().map(|fd| fd.as_fd())
    }
}

fn dir_entries(root: &Path, category: Category, folders: &Folders) -> Vec<(String, String)> {
    let Ok(rd) = std::fs::read_dir(root.join(category.dir())) else {
        return Vec::new();
    };
    let mut regular = Vec::new();
    let entries = rd
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let file_name = e.file_name();
            let entry = yaml_entry(Path::new(&file_name))?;
            // The type the listing gives (no `stat` on most file systems).
            if e.file_type().is_ok_and(|t| t.is_file()) {
                regular.push(Box::from(file_name.to_str()?));
            }
            Some(entry)
        })
        .collect();
    folders.listed(category, regular);
    entries
}

fn yaml_entry(path: &Path) -> Option<(String, String)> {
    let ext = path.extension()?.to_str()?;
    if ext != "yaml" && ext != "yml" {
        return None;
    }
    Some((path.file_stem()?.to_str()?.to_string(), ext.to_string()))
}

fn join_display(root: &str, rel: &str) -> String {
    if root.is_empty() || root == "." {
        rel.to_string()
    } else {
        let root = root.trim_end_matches('/');
        let mut joined = String::with_capacity(root.len() + rel.len() + 1);
        for part in [root, "/", rel] {
            joined.push_str(part);
        }
        joined
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_registry_is_embedded() {
        let store = Store::Builtin;
        assert!(
            store
                .list(Category::LibraryGroups)
                .iter()
                .any(|n| n == "vector-db-adapter")
        );
        let file = store
            .read(Category::Libraries, "qdrant-adapter")
            .unwrap()
            .unwrap();
        assert_eq!(file.display(), "<built-in>/libraries/qdrant-adapter.yaml");
        assert!(
            store
                .read(Category::Libraries, "no-such-thing")
                .unwrap()
                .is_none()
        );
    }

    /// A file the folder's listing called regular, replaced since by a symlink to a FIFO
    /// or by a FIFO: it is refused, at once, as a FIFO; a file removed since is absent; a
    /// symlink to a regular file is read through.
    #[cfg(unix)]
    #[test]
    fn a_listed_file_replaced_since_is_looked_at_again() {
        use crate::source::mkfifo;
        let dir = tempfile::tempdir().unwrap();
        let libs = dir.path().join("libraries");
        std::fs::create_dir(&libs).unwrap();
        for name in ["a", "b", "c"] {
            std::fs::write(libs.join(format!("{name}.yaml")), format!("name: {name}\n")).unwrap();
        }
        // A symlink to a regular file is listed as a symlink, and read through it.
        std::fs::write(dir.path().join("real.yaml"), "name: d\n").unwrap();
        std::os::unix::fs::symlink("../real.yaml", libs.join("d.yaml")).unwrap();
        let store = Store::dir(dir.path().to_path_buf(), "reg".to_string());
        assert_eq!(store.list(Category::Libraries), ["a", "b", "c", "d"]);
        let d = store.read(Category::Libraries, "d").unwrap().unwrap();
        assert_eq!(&**d.text(), "name: d\n");
        let fifo = dir.path().join("fifo");
        mkfifo(&fifo);
        std::fs::remove_file(libs.join("a.yaml")).unwrap();
        std::os::unix::fs::symlink(&fifo, libs.join("a.yaml")).unwrap();
        std::fs::remove_file(libs.join("b.yaml")).unwrap();
        mkfifo(&libs.join("b.yaml"));
        std::fs::remove_file(libs.join("c.yaml")).unwrap();
        for name in ["a", "b"] {
            let err = store.read(Category::Libraries, name).unwrap_err();
            assert!(
                err.to_string().contains("is a FIFO (named pipe)"),
                "{name}: {err}"
            );
        }
        assert!(store.read(Category::Libraries, "c").unwrap().is_none());
    }
}
