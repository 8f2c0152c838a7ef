//! A local object store shaped like Amazon S3: what a distributed Map's `ItemReader` reads and
//! its `ResultWriter` writes.
//!
//! [`Objects`] keeps buckets of objects in memory, or in a directory (`<root>/<bucket>/<key>`)
//! for data kept in files. It is cheap to clone: clones share the same objects.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::UNIX_EPOCH;

use md5::Digest as _;
use serde_json::{Value, json};

use crate::clock::system_now;
use crate::failure::Failure;

/// An S3-like object store, in memory or backed by a directory.
#[derive(Debug, Clone, Default)]
pub struct Objects {
    inner: Arc<Mutex<Store>>,
}

#[derive(Debug, Default)]
struct Store {
    /// Buckets by name, objects by key (in memory).
    buckets: BTreeMap<String, BTreeMap<String, Stored>>,
    /// The directory holding the buckets, when the store is backed by one.
    root: Option<PathBuf>,
}

#[derive(Debug, Clone)]
struct Stored {
    body: Vec<u8>,
    last_modified: i64,
}

/// What a listing tells about an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    /// The object's key.
    pub key: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its entity tag: the MD5 digest of its content in hex, in double quotes, as S3 gives it
    /// for objects written in one piece.
    pub etag: String,
    /// When it was last written (milliseconds since the Unix epoch).
    pub last_modified: i64,
}

impl ObjectInfo {
    /// The object as a distributed Map's `ItemReader` lists it (`s3:listObjectsV2`):
    /// `{"Etag", "Key", "LastModified" (seconds since the epoch), "Size", "StorageClass"}`.
    pub fn to_item(&self) -> Value {
        json!({
            "Etag": self.etag,
            "Key": self.key,
            "LastModified": self.last_modified.div_euclid(1000),
            "Size": self.size,
            "StorageClass": "STANDARD",
        })
    }
}

/// Why an object could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ObjectError {
    /// The bucket does not exist.
    #[error("The specified bucket does not exist")]
    NoSuchBucket {
        /// The bucket.
        bucket: String,
    },
    /// The bucket has no object with this key.
    #[error("The specified key does not exist.")]
    NoSuchKey {
        /// The bucket.
        bucket: String,
        /// The key.
        key: String,
    },
    /// A bucket name or key that cannot name a file under the store's directory (empty, or
    /// with `..`, or absolute).
    #[error("the name `{0}` cannot be stored")]
    InvalidName(String),
    /// Reading or writing the store's directory failed.
    #[error("{0}")]
    Io(String),
}

impl ObjectError {
    /// The error as S3 reports it through Step Functions:
    /// `The specified key does not exist. (Service: S3, Status Code: 404, Request ID: …,
    /// Extended Request ID: …)`.
    pub fn s3_message(&self) -> String {
        let (status, seed) = match self {
            ObjectError::NoSuchBucket { bucket } => (404, bucket.clone()),
            ObjectError::NoSuchKey { bucket, key } => (404, format!("{bucket}/{key}")),
            ObjectError::InvalidName(name) => (400, name.clone()),
            ObjectError::Io(e) => (500, e.clone()),
        };
        let id = request_id(&seed);
        format!(
            "{self} (Service: S3, Status Code: {status}, Request ID: {id}, Extended Request ID: {id})"
        )
    }
}

impl Objects {
    /// An empty store in memory.
    pub fn new() -> Self {
        Objects::default()
    }

    /// A store backed by a directory: bucket `b`'s object `k` is the file `<root>/b/k`, and
    /// every subdirectory of `root` is a bucket.
    pub fn with_root(root: impl Into<PathBuf>) -> Self {
        Objects {
            inner: Arc::new(Mutex::new(Store {
                buckets: BTreeMap::new(),
                root: Some(root.into()),
            })),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Store> {
        // A panic while holding the lock leaves the store usable: its data is never half
        // written.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Creates a bucket (nothing happens if it exists).
    pub fn create_bucket(&self, bucket: &str) -> Result<(), ObjectError> {
        let mut store = self.lock();
        match &store.root {
            Some(root) => {
                let dir = root.join(checked(bucket)?);
                std::fs::create_dir_all(&dir).map_err(|e| io(&dir, &e))
            }
            None => {
                store.buckets.entry(bucket.to_owned()).or_default();
                Ok(())
            }
        }
    }

    /// Whether the bucket exists.
    pub fn has_bucket(&self, bucket: &str) -> bool {
        let store = self.lock();
        match &store.root {
            Some(root) => checked(bucket).is_ok_and(|b| root.join(b).is_dir()),
            None => store.buckets.contains_key(bucket),
        }
    }

    /// Stores an object, creating its bucket if needed; an object with the same key is
    /// replaced.
    pub fn put(
        &self,
        bucket: &str,
        key: &str,
        body: impl Into<Vec<u8>>,
    ) -> Result<(), ObjectError> {
        let body = body.into();
        let mut store = self.lock();
        match &store.root {
            Some(root) => {
                let path = root.join(checked(bucket)?).join(checked(key)?);
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).map_err(|e| io(dir, &e))?;
                }
                std::fs::write(&path, body).map_err(|e| io(&path, &e))
            }
            None => {
                let last_modified = system_now();
                store.buckets.entry(bucket.to_owned()).or_default().insert(
                    key.to_owned(),
                    Stored {
                        body,
                        last_modified,
                    },
                );
                Ok(())
            }
        }
    }

    /// An object's content.
    pub fn get(&self, bucket: &str, key: &str) -> Result<Vec<u8>, ObjectError> {
        let store = self.lock();
        let no_such_key = || ObjectError::NoSuchKey {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
        };
        match &store.root {
            Some(root) => {
                let dir = root.join(checked(bucket)?);
                if !dir.is_dir() {
                    return Err(ObjectError::NoSuchBucket {
                        bucket: bucket.to_owned(),
                    });
                }
                let path = dir.join(checked(key).map_err(|_| no_such_key())?);
                if !path.is_file() {
                    return Err(no_such_key());
                }
                std::fs::read(&path).map_err(|e| io(&path, &e))
            }
            None => store
                .buckets
                .get(bucket)
                .ok_or_else(|| ObjectError::NoSuchBucket {
                    bucket: bucket.to_owned(),
                })?
                .get(key)
                .map(|o| o.body.clone())
                .ok_or_else(no_such_key),
        }
    }

    /// The objects of a bucket whose keys start with `prefix`, in key order (as S3 lists
    /// them: by the UTF-8 bytes of their keys).
    pub fn list(&self, bucket: &str, prefix: &str) -> Result<Vec<ObjectInfo>, ObjectError> {
        let store = self.lock();
        let no_bucket = || ObjectError::NoSuchBucket {
            bucket: bucket.to_owned(),
        };
        match &store.root {
            Some(root) => {
                let dir = root.join(checked(bucket)?);
                if !dir.is_dir() {
                    return Err(no_bucket());
                }
                let mut files = Vec::new();
                walk(&dir, "", &mut files)?;
                let mut out = Vec::new();
                for (key, path) in files {
                    if !key.starts_with(prefix) {
                        continue;
                    }
                    let body = std::fs::read(&path).map_err(|e| io(&path, &e))?;
                    let last_modified = std::fs::metadata(&path)
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
                    out.push(info(key, &body, last_modified));
                }
                out.sort_by(|a, b| a.key.cmp(&b.key));
                Ok(out)
            }
            None => Ok(store
                .buckets
                .get(bucket)
                .ok_or_else(no_bucket)?
                .range(prefix.to_owned()..)
                .take_while(|(k, _)| k.starts_with(prefix))
                .map(|(k, o)| info(k.clone(), &o.body, o.last_modified))
                .collect()),
        }
    }
}

/// The error of a Map whose `ItemReader` failed.
const ITEM_READER_FAILED: &str = "States.ItemReaderFailed";
/// The error of a Map whose `ResultWriter` failed.
const RESULT_WRITER_FAILED: &str = "States.ResultWriterFailed";

/// Carries out an `ItemReader`'s request: `s3:getObject` gives the object's text,
/// `s3:listObjectsV2` the objects under `Prefix` as the reader lists them.
pub(crate) fn read_items(
    objects: &Objects,
    resource: &str,
    parameters: &Value,
) -> Result<Value, Failure> {
    let failed = |cause: String| Failure::new(ITEM_READER_FAILED, cause);
    let text = |name: &str| parameters.get(name).and_then(Value::as_str);
    let bucket = text("Bucket").ok_or_else(|| {
        failed(format!(
            "The ItemReader's parameters have no Bucket: {parameters}"
        ))
    })?;
    match resource.rsplit_once(":::").map(|(_, api)| api) {
        Some("s3:getObject") => {
            let key = text("Key").ok_or_else(|| {
                failed(format!(
                    "The ItemReader's parameters have no Key: {parameters}"
                ))
            })?;
            let body = objects
                .get(bucket, key)
                .map_err(|e| failed(e.s3_message()))?;
            Ok(Value::String(String::from_utf8_lossy(&body).into_owned()))
        }
        Some("s3:listObjectsV2") => {
            let listed = objects
                .list(bucket, text("Prefix").unwrap_or(""))
                .map_err(|e| failed(e.s3_message()))?;
            Ok(Value::Array(
                listed.iter().map(ObjectInfo::to_item).collect(),
            ))
        }
        _ => Err(failed(format!(
            "The ItemReader resource {resource} is not supported by this runtime."
        ))),
    }
}

/// Carries out a `ResultWriter`'s request: writes `files` (key and content) into an existing
/// bucket through `s3:putObject`.
pub(crate) fn write_results(
    objects: &Objects,
    resource: &str,
    bucket: &str,
    files: Vec<(String, String)>,
) -> Result<(), Failure> {
    let failed = |cause: String| Failure::new(RESULT_WRITER_FAILED, cause);
    if resource.rsplit_once(":::").map(|(_, api)| api) != Some("s3:putObject") {
        return Err(failed(format!(
            "The ResultWriter resource {resource} is not supported by this runtime."
        )));
    }
    if !objects.has_bucket(bucket) {
        let e = ObjectError::NoSuchBucket {
            bucket: bucket.to_owned(),
        };
        return Err(failed(e.s3_message()));
    }
    for (key, body) in files {
        objects
            .put(bucket, &key, body)
            .map_err(|e| failed(e.s3_message()))?;
    }
    Ok(())
}

fn info(key: String, body: &[u8], last_modified: i64) -> ObjectInfo {
    let digest = md5::Md5::digest(body);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    ObjectInfo {
        key,
        size: body.len() as u64,
        etag: format!("\"{hex}\""),
        last_modified,
    }
}

/// A bucket name or key as a relative path that stays under the directory it is joined to.
fn checked(name: &str) -> Result<&Path, ObjectError> {
    let path = Path::new(name);
    let fine = !name.is_empty()
        && path
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    if fine {
        Ok(path)
    } else {
        Err(ObjectError::InvalidName(name.to_owned()))
    }
}

/// Every file under `dir`, with its key (its path under the bucket, `/`-separated).
fn walk(dir: &Path, prefix: &str, out: &mut Vec<(String, PathBuf)>) -> Result<(), ObjectError> {
    let entries = std::fs::read_dir(dir).map_err(|e| io(dir, &e))?;
    for entry in entries {
        let entry = entry.map_err(|e| io(dir, &e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        let key = format!("{prefix}{name}");
        if path.is_dir() {
            walk(&path, &format!("{key}/"), out)?;
        } else {
            out.push((key, path));
        }
    }
    Ok(())
}

fn io(path: &Path, e: &std::io::Error) -> ObjectError {
    ObjectError::Io(format!("{}: {e}", path.display()))
}

/// A request ID in S3's style, derived from `seed` so that runs are reproducible.
fn request_id(seed: &str) -> String {
    let digest = md5::Md5::digest(seed.as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02X}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_store_puts_gets_and_lists_by_prefix() {
        let store = Objects::new();
        store.put("b", "dir/one.json", "[1]").unwrap();
        store.put("b", "dir/two.json", "[2, 3]").unwrap();
        store.put("b", "other", "x").unwrap();
        assert_eq!(store.get("b", "dir/one.json").unwrap(), b"[1]");
        let listed = store.list("b", "dir/").unwrap();
        let keys: Vec<_> = listed.iter().map(|o| o.key.as_str()).collect();
        assert_eq!(keys, ["dir/one.json", "dir/two.json"]);
        assert_eq!(listed[1].size, 6);
        // The MD5 digest of the content, in hex, in double quotes.
        let empty = info("e".into(), b"", 0);
        assert_eq!(empty.etag, "\"d41d8cd98f00b204e9800998ecf8427e\"");
        assert_eq!(listed[0].etag.len(), 34);
        let item = listed[0].to_item();
        assert_eq!(item["Key"], "dir/one.json");
        assert_eq!(item["StorageClass"], "STANDARD");
        assert_eq!(store.list("b", "").unwrap().len(), 3);
    }

    #[test]
    fn missing_buckets_and_keys_are_s3_errors() {
        let store = Objects::new();
        assert!(matches!(
            store.get("none", "k"),
            Err(ObjectError::NoSuchBucket { .. })
        ));
        store.create_bucket("b").unwrap();
        assert!(store.has_bucket("b"));
        let e = store.get("b", "k").unwrap_err();
        assert!(matches!(e, ObjectError::NoSuchKey { .. }));
        let message = e.s3_message();
        assert!(
            message.starts_with(
                "The specified key does not exist. (Service: S3, Status Code: 404, Request ID: "
            ),
            "{message}"
        );
        assert!(matches!(
            store.list("none", ""),
            Err(ObjectError::NoSuchBucket { .. })
        ));
    }

    #[test]
    fn directory_store_maps_buckets_and_keys_to_files() {
        let root = std::env::temp_dir().join(format!(
            "sfn-objects-test-{}-{}",
            std::process::id(),
            system_now()
        ));
        let store = Objects::with_root(&root);
        store.put("data", "in/items.json", "[1, 2]").unwrap();
        assert_eq!(
            std::fs::read(root.join("data/in/items.json")).unwrap(),
            b"[1, 2]"
        );
        assert_eq!(store.get("data", "in/items.json").unwrap(), b"[1, 2]");
        assert!(store.has_bucket("data"));
        assert!(!store.has_bucket("other"));
        let listed = store.list("data", "in").unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].key, "in/items.json");
        assert!(matches!(
            store.get("data", "../data/in/items.json"),
            Err(ObjectError::NoSuchKey { .. })
        ));
        assert!(matches!(
            store.put("data", "/etc/x", "no"),
            Err(ObjectError::InvalidName(_))
        ));
        std::fs::remove_dir_all(&root).unwrap();
    }
}
