//! Per-stage benchmarks of the classification pipeline, on the project's
//! own labeled messages (every message of `datasets/`, in 23 languages):
//! `cargo bench --bench stages`.
//!
//! Each benchmark processes the whole set once per iteration and reports
//! throughput in bytes of message text, so the stages can be compared with
//! each other and with the end-to-end figure of `scripts/bench.sh`.

use criterion::{Criterion, Throughput, black_box, criterion_group, criterion_main};
use scamscan::featurize::Workspace;
use scamscan::normalize::{Normalized, Normalizer};
use scamscan::tokenize::Tokens;
use scamscan::{Classifier, ClassifyOptions};

fn messages() -> Vec<String> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets");
    let mut files = Vec::new();
    for dir in ["legit", "scam"] {
        for f in std::fs::read_dir(format!("{root}/{dir}")).expect("datasets/ is readable") {
            files.push(f.expect("a directory entry").path());
        }
    }
    files.sort();
    let mut texts = Vec::new();
    for f in files {
        for line in std::fs::read_to_string(&f).expect("readable").lines() {
            let v: serde_json::Value = serde_json::from_str(line).expect("JSONL");
            texts.push(v["text"].as_str().expect("a text field").to_string());
        }
    }
    texts
}

fn stages(c: &mut Criterion) {
    let texts = messages();
    let bytes: usize = texts.iter().map(String::len).sum();
    let classifier = Classifier::default();
    let m = classifier.model();
    let normalizer = Normalizer::new(m.normalizer.clone());
    let normalized: Vec<Normalized> = texts.iter().map(|t| normalizer.normalize(t)).collect();
    let tokens: Vec<Tokens> = normalized
        .iter()
        .map(|n| m.tokenizer.tokenize(n.text()).expect("tokenizes"))
        .collect();
    let vectors: Vec<_> = normalized
        .iter()
        .zip(&tokens)
        .map(|(n, t)| m.featurizer.vectorize(&m.featurizer.count(n, t, None)))
        .collect();

    let mut g = c.benchmark_group("stage");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.sample_size(20);

    g.bench_function("normalize", |b| {
        let mut out = Normalized::default();
        b.iter(|| {
            for t in &texts {
                normalizer.normalize_into(t, &mut out);
                black_box(out.text().len());
            }
        })
    });
    // Stage 0 and the crate it computes the answers of, side by side: the
    // classifier calls it only for messages with unknown words, but here
    // it reads every message.
    g.bench_function("language/identify", |b| {
        b.iter(|| {
            for t in &texts {
                black_box(scamscan::language::identify(t));
            }
        })
    });
    g.bench_function("language/whatlang::detect (the same answers)", |b| {
        b.iter(|| {
            for t in &texts {
                let t = &t[..t.floor_char_boundary(scamscan::language::PREFIX_BYTES)];
                black_box(whatlang::detect(t));
            }
        })
    });
    g.bench_function("tokenize/words and entities", |b| {
        let mut out = Tokens::default();
        b.iter(|| {
            for n in &normalized {
                m.tokenizer
                    .tokenize_into(n.text(), &mut out)
                    .expect("tokenizes");
                black_box(out.words.len());
            }
        })
    });
    g.bench_function("tokenize/words, tokenizers pipeline", |b| {
        let mut words = Vec::new();
        b.iter(|| {
            for n in &normalized {
                m.tokenizer
                    .pipeline_words_into(n.text(), &mut words)
                    .expect("tokenizes");
                black_box(words.len());
            }
        })
    });
    g.bench_function("tokenize/entities", |b| {
        let recognizer = scamscan::tokenize::EntityRecognizer::new();
        let mut out = Vec::new();
        b.iter(|| {
            for n in &normalized {
                recognizer.recognize_into(n.text(), &mut out);
                black_box(out.len());
            }
        })
    });
    g.bench_function("featurize/hash, count, TF-IDF (vectorize_into)", |b| {
        let mut ws = Workspace::default();
        b.iter(|| {
            for (n, t) in normalized.iter().zip(&tokens) {
                m.featurizer.vectorize_into(n, t, &mut ws, false);
                black_box(ws.vector().nnz());
            }
        })
    });
    g.bench_function("featurize/with the explanation trace", |b| {
        let mut ws = Workspace::default();
        b.iter(|| {
            for (n, t) in normalized.iter().zip(&tokens) {
                m.featurizer.vectorize_into(n, t, &mut ws, true);
                black_box(ws.vector().nnz());
            }
        })
    });
    g.bench_function(
        "featurize/count then vectorize (the public two-step form)",
        |b| {
            b.iter(|| {
                for (n, t) in normalized.iter().zip(&tokens) {
                    black_box(m.featurizer.vectorize(&m.featurizer.count(n, t, None)));
                }
            })
        },
    );
    g.bench_function("score", |b| {
        b.iter(|| {
            for x in &vectors {
                let mut z = [0.0f32; 3];
                m.head.logits(x, &mut z);
                black_box(m.calibration.probabilities(z));
            }
        })
    });
    g.bench_function("explain/top 3", |b| {
        let traced: Vec<Workspace> = normalized
            .iter()
            .zip(&tokens)
            .map(|(n, t)| {
                let mut ws = Workspace::default();
                m.featurizer.vectorize_into(n, t, &mut ws, true);
                ws
            })
            .collect();
        b.iter(|| {
            for (i, t) in texts.iter().enumerate() {
                black_box(scamscan::explain::explain_workspace(
                    t,
                    &normalized[i],
                    &traced[i],
                    &m.head,
                    &m.calibration,
                    3,
                ));
            }
        })
    });
    for reasons in [0, 3] {
        let c = classifier.clone().with_options(ClassifyOptions {
            reasons,
            ..ClassifyOptions::default()
        });
        g.bench_function(format!("classify/one thread, {reasons} reasons"), |b| {
            b.iter(|| {
                for t in &texts {
                    black_box(c.classify(t));
                }
            })
        });
    }
    g.finish();

    // Per message, by script: text in Thai, Chinese, Arabic ... once cost
    // several times what English did (Unicode word boundaries sent the
    // entity patterns to the backtracker), which a mix mostly in English
    // hides.
    let mut s = c.benchmark_group("script");
    s.sample_size(20);
    let latin = |t: &str| {
        !t.chars().any(|c| {
            c.is_alphabetic()
                && !c.is_ascii()
                && !matches!(c as u32, 0x00C0..=0x024F | 0x1E00..=0x1EFF)
        })
    };
    let (in_latin, in_others): (Vec<&String>, Vec<&String>) = texts.iter().partition(|t| latin(t));
    for (name, set) in [("Latin script", in_latin), ("other scripts", in_others)] {
        s.throughput(Throughput::Elements(set.len() as u64));
        s.bench_function(format!("classify/{name}, per message"), |b| {
            b.iter(|| {
                for t in &set {
                    black_box(classifier.classify(t));
                }
            })
        });
    }
    s.finish();

    // Worst cases: one 64 KiB message that repeats a word (one reason with
    // thousands of spans) or a money amount (an entity per word). Their cost
    // should be that of any 64 KiB of text, not grow with the repeats.
    let mut w = c.benchmark_group("hostile");
    w.sample_size(20);
    let classify = classifier.clone().with_options(ClassifyOptions {
        reasons: 3,
        ..ClassifyOptions::default()
    });
    for (name, unit) in [("a repeated word", "ab "), ("a repeated amount", "$5 ")] {
        let text = unit.repeat(64 * 1024 / unit.len());
        w.throughput(Throughput::Bytes(text.len() as u64));
        w.bench_function(format!("classify 64 KiB of {name}"), |b| {
            b.iter(|| black_box(classify.classify(&text)))
        });
    }
    w.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
