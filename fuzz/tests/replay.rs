//! Replays the committed seeds (`fuzz/seeds/<target>/`), the regressions
//! (`fuzz/regressions/<target>/`) and, when it exists, the working corpus
//! (`fuzz/corpus/<target>/`) through every target, on stable Rust:
//! `cargo test --release --manifest-path fuzz/Cargo.toml`.
//! Every input must pass, regressions included (see `fuzz/regressions/README.md`).

use std::path::Path;

fn replay(dir: &Path, target: &str) -> (usize, Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir.join(target)) else {
        return (0, vec![]);
    };
    let mut n = 0;
    let mut failed = Vec::new();
    let mut paths: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
    paths.sort();
    for path in paths {
        if path.extension().is_some_and(|e| e == "md") {
            continue;
        }
        let data = std::fs::read(&path).unwrap();
        if std::panic::catch_unwind(|| docksock_fuzz::run_target(target, &data)).is_err() {
            failed.push(path.display().to_string());
        }
        n += 1;
    }
    (n, failed)
}

#[test]
fn seeds_regressions_and_corpus_pass() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut failed = Vec::new();
    for t in docksock_fuzz::TARGETS {
        let mut total = 0;
        for dir in ["seeds", "regressions", "corpus"] {
            let (n, f) = replay(&root.join(dir), t);
            total += n;
            failed.extend(f);
        }
        eprintln!("{t}: {total} inputs");
    }
    assert!(failed.is_empty(), "failing inputs: {failed:#?}");
}
