//! Output for people: short, aligned, and quiet about what went right.

use quiver::catalog::{AssetDetail, ProblemRow};
use quiver::indexer::IndexReport;
use quiver::search::{Hit, Results};

pub fn index_report(r: &IndexReport) {
    println!(
        "indexed {}, unchanged {}, missing {}, problems {} ({:.1} s)",
        r.indexed,
        r.unchanged,
        r.missing,
        r.failed.len(),
        r.took_ms / 1000.0
    );
    for f in &r.failed {
        println!("  {:<11} {}  ({})", f.kind, f.path, f.reason);
    }
    for w in &r.warnings {
        println!("  {:<11} {}  ({})", w.kind, w.path, w.reason);
    }
    if !r.failed.is_empty() || !r.warnings.is_empty() {
        println!("see `quiver problems` for every file that could not be indexed");
    }
}

pub fn search_results(r: &Results, color: bool) {
    // Quoted as typed: a phrase brings its own quotes.
    let query = if r.query.contains('"') {
        r.query.clone()
    } else {
        format!("“{}”", r.query)
    };
    if let Some(meant) = &r.did_you_mean {
        println!("did you mean “{meant}”?");
    }
    if r.hits.is_empty() {
        println!("no results for {query}");
        return;
    }
    println!(
        "{} result{} for {query} ({:.1} ms)\n",
        r.total,
        if r.total == 1 { "" } else { "s" },
        r.took_ms
    );
    for (i, hit) in r.hits.iter().enumerate() {
        let mut head = format!("{}. {}", i + 1, hit.title);
        if let Some(loc) = &hit.location {
            head.push_str(&format!("  [{} {}]", loc.kind, loc.number));
        }
        if hit.expired {
            head.push_str("  EXPIRED");
        }
        println!(
            "{}",
            if color {
                format!("\x1b[1m{head}\x1b[0m")
            } else {
                head
            }
        );
        println!(
            "   {}  ({}, id {})",
            hit.path,
            hit.format,
            &hit.asset_id[..8.min(hit.asset_id.len())]
        );
        println!("   {}\n", marked(hit, color));
    }
}

/// The snippet with matched words in bold (terminal) or «guillemets» (pipes).
fn marked(hit: &Hit, color: bool) -> String {
    let (open, close) = if color {
        ("\x1b[1;33m", "\x1b[0m")
    } else {
        ("«", "»")
    };
    let mut out = String::new();
    let mut at = 0;
    for r in &hit.highlights {
        out.push_str(&hit.fragment[at..r.start]);
        out.push_str(open);
        out.push_str(&hit.fragment[r.clone()]);
        out.push_str(close);
        at = r.end;
    }
    out.push_str(&hit.fragment[at..]);
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub fn asset(a: &AssetDetail) {
    println!(
        "{}  ({})",
        a.title.as_deref().unwrap_or("(untitled)"),
        a.status
    );
    println!("  id          {}", a.asset_id);
    let fields = [
        ("format", a.format.clone()),
        ("author", a.author.clone()),
        ("created", a.created.clone()),
        ("modified", a.modified.clone()),
        ("pages", a.page_count.map(|n| n.to_string())),
        ("bytes", a.byte_size.map(|n| n.to_string())),
        ("product", a.product.clone()),
        ("persona", a.persona.clone()),
        ("stage", a.stage.clone()),
        ("industry", a.industry.clone()),
        ("owner", a.owner.clone()),
        ("expires_on", a.expires_on.clone()),
    ];
    for (name, value) in fields {
        if let Some(v) = value {
            println!("  {name:<11} {v}");
        }
    }
    let tags: Vec<&String> = a.tags.iter().chain(&a.folder_tags).collect();
    if !tags.is_empty() {
        println!(
            "  tags        {}",
            tags.iter()
                .map(|t| t.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if !a.addresses.is_empty() {
        println!("  addresses   {}", a.addresses.join(", "));
    }
    println!("  versions    {}", a.versions);
    println!("  files:");
    for l in &a.locations {
        let note = match (l.status.as_str(), l.current) {
            ("missing", _) => " (missing)",
            (_, false) => " (older version)",
            _ => "",
        };
        println!("    {}{}", l.path, note);
    }
    println!("  history:");
    for h in &a.history {
        println!(
            "    {}  {:<8} {}",
            &h.at[..19.min(h.at.len())],
            h.event,
            h.path
        );
    }
}

pub fn problems(rows: &[ProblemRow]) {
    if rows.is_empty() {
        println!("no problems: every file in the library was indexed");
        return;
    }
    for p in rows {
        println!("{:<11} {}\n            {}", p.kind, p.path, p.reason);
    }
    println!(
        "\n{} path{} could not be fully indexed",
        rows.len(),
        if rows.len() == 1 { "" } else { "s" }
    );
}

pub fn facets(groups: &[quiver::search::FacetGroup]) {
    for g in groups.iter().filter(|g| !g.values.is_empty()) {
        let values: Vec<String> = g
            .values
            .iter()
            .map(|v| format!("{} ({})", v.value, v.count))
            .collect();
        println!("{:>10}: {}", g.field, values.join(", "));
    }
}

pub fn status(s: &quiver::ops::Status) {
    println!("data dir      {}", s.data_dir.display());
    for r in &s.library {
        println!("library       {}", r.display());
    }
    println!(
        "assets        {} ({} files), {} missing",
        s.assets, s.files, s.missing_assets
    );
    println!("problems      {}", s.problems);
    println!(
        "index         {} documents, {} pending{}",
        s.index_documents,
        s.pending_index,
        if s.indexing { ", indexing now" } else { "" }
    );
    println!("recording as  {}", s.current_rep);
}

pub fn checkup(c: &quiver::ops::Checkup) {
    if c.catalog_problems.is_empty() {
        println!("catalog: sound (quick_check)");
    } else {
        println!("catalog: DAMAGED; restore it from a backup:");
        for p in &c.catalog_problems {
            println!("  {p}");
        }
    }
    println!(
        "index: {}, {} documents",
        if c.index_damaged {
            "DAMAGED"
        } else {
            "checksums match"
        },
        c.index_documents
    );
    println!(
        "agreement: {} assets indexed by the catalog's account, {} missing from the index, {} extra",
        c.catalog_indexed, c.missing_from_index, c.extra_in_index
    );
    if c.repaired {
        println!("the index was rebuilt from the catalog");
    }
    println!("{}", if c.healthy { "healthy" } else { "not healthy" });
}

pub fn activity(a: &quiver::catalog::Activity) {
    let list = |name: &str, items: &[quiver::catalog::Tally]| {
        if items.is_empty() {
            return;
        }
        println!("{name}:");
        for t in items {
            println!("  {:<40} {}", t.value, t.opens);
        }
    };
    let opens: i64 = a.weekly.iter().map(|w| w.opens).sum();
    println!("opens in the window: {opens}");
    list("opens by week", &a.weekly);
    list("by page or slide", &a.locations);
    list("by rep", &a.reps);
    if !a.deals.is_empty() {
        println!("deals opened for:");
        for d in &a.deals {
            println!(
                "  {:<24} {:<12} {}",
                d.deal_id,
                d.outcome.as_deref().unwrap_or("open"),
                d.opens
            );
        }
    }
    list("searches before the opens", &a.queries);
}
