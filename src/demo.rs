//! `townhall demo`: a fresh hub with realistic sample content, served at once.
//!
//! The demo's database lives in a temporary directory that is removed when it stops.
//! Its standard output is a contract for the browser tests: a line
//! `Townhall demo: http://HOST:PORT/` and a line
//! `Sign in at http://HOST:PORT/sign-in as EMAIL with password PASSWORD`.

mod listening;

use crate::auth::{generate_password, hash_password};
use crate::domain::organisation::NewOrganisation;
use crate::domain::post::{CommentInput, PostInput};
use crate::domain::role::Role;
use crate::domain::user::Email;
use crate::sanitise::render_markdown;
use crate::store::Db;
use crate::store::comments::Decision;
use crate::{App, Config};

pub const ADMIN_EMAIL: &str = "admin@townhall.example";

/// The department and its two arm's-length bodies.
const ORGANISATIONS: &[(&str, &str, &str, Option<&str>)] = &[
    (
        "Department of Community Services",
        "community-services",
        "The department responsible for local services, housing standards and public records.",
        None,
    ),
    (
        "National Records Agency",
        "national-records-agency",
        "Keeps and opens up the public record, and helps other bodies manage their information.",
        Some("community-services"),
    ),
    (
        "Care Standards Authority",
        "care-standards-authority",
        "Registers and inspects care services, and publishes what it finds.",
        Some("community-services"),
    ),
];

/// The department, its two arm's-length bodies and an admin; returns the admin's password.
/// The integration tests start from this, and add what each test needs.
pub async fn seed_organisations(db: &Db) -> anyhow::Result<String> {
    for (name, slug, summary, parent) in ORGANISATIONS {
        let parent_id = match parent {
            Some(p) => Some(db.organisation_by_slug(p).await?.id),
            None => None,
        };
        let org = NewOrganisation::parse(name, slug, summary, parent_id)
            .map_err(|e| anyhow::anyhow!("demo organisation {slug} is invalid: {e:?}"))?;
        db.create_organisation(&org).await?;
    }
    let department = db.organisation_by_slug("community-services").await?;
    let password = generate_password();
    let email = Email::parse(ADMIN_EMAIL).map_err(anyhow::Error::msg)?;
    let hash = hash_password(password.clone()).await?;
    let admin = db
        .create_user(&email, "Demo Admin", &hash, &[(department.id, Role::Admin)])
        .await?;
    db.set_hub_admin(admin, true).await?;
    Ok(password)
}

/// Everything the demo shows: [`seed_organisations`] and the sample content.
pub async fn seed(db: &Db) -> anyhow::Result<String> {
    let password = seed_organisations(db).await?;
    let admin = db
        .user_by_email(&Email::parse(ADMIN_EMAIL).map_err(anyhow::Error::msg)?)
        .await?;
    seed_posts(db, admin.id).await?;
    seed_syndication(db).await?;
    seed_programme(db, admin.id).await?;
    listening::seed(db, admin.id, DEMO_RESPONSES).await?;
    seed_analytics(db).await?;
    Ok(password)
}

/// Generated responses to the demo's consultation (the survey gets two thirds as many).
const DEMO_RESPONSES: usize = 3000;

/// Six weeks of page views for the analytics dashboard (counts only: visitor hashes are
/// never kept past their day, so the past has none).
pub async fn seed_analytics(db: &Db) -> anyhow::Result<()> {
    let today = crate::analytics::day_of(crate::store::now());
    let posts = db.public_posts_for_demo_analytics().await?;
    for ago in 0..42_i64 {
        let day = today - ago * 86_400;
        // A weekly rhythm, busier on weekdays, and a slow rise towards today.
        let weekday = (day / 86_400 + 4) % 7; // 0 = Sunday
        let base = if weekday == 0 || weekday == 6 { 40 } else { 90 } + (42 - ago) * 2;
        let mut views = vec![("/".to_string(), base), ("/blog".to_string(), base / 2)];
        for (i, slug) in posts.iter().enumerate() {
            views.push((format!("/blog/{slug}"), base / (i as i64 + 2)));
        }
        views.push(("/organisations/national-records-agency".into(), base / 5));
        views.push(("/organisations/care-standards-authority".into(), base / 6));
        let batch = crate::store::analytics::Batch {
            day,
            views,
            visitors: Vec::new(),
            referrers: vec![
                ("/".into(), "www.search.example".into(), base / 4),
                ("/blog".into(), "news.example.org".into(), base / 10 + 1),
            ],
        };
        db.record_analytics(&batch).await?;
    }
    // Visitors for the past: a share of the views (the real figure comes from hashes).
    db.demo_analytics_visitors().await?;
    Ok(())
}

/// The address the demo's syndicated feed claims to come from (a reserved example domain).
const DEMO_FEED_URL: &str = "https://partners.example.org/feed.atom";

/// A subscription whose items are read from a fixture in the binary, so the demo works with
/// no network. Its next fetch is put a year off so the scheduler does not try the address.
pub async fn seed_syndication(db: &Db) -> anyhow::Result<()> {
    let department = db.organisation_by_slug("community-services").await?;
    let id = db.create_subscription(department.id, DEMO_FEED_URL).await?;
    db.claim_subscription(id, crate::store::now() + 365 * 86_400)
        .await?;
    let feed = crate::feeds::parse(include_bytes!("demo_feed.xml"), DEMO_FEED_URL)?;
    let record = crate::store::syndication::FetchRecord {
        title: Some(feed.title),
        ..Default::default()
    };
    db.record_fetch(id, &feed.items, &record).await?;
    Ok(())
}

/// Sample posts written for the demo, with comments in every moderation state.
pub async fn seed_posts(db: &Db, admin: i64) -> anyhow::Result<()> {
    let day = 86_400;
    let now = crate::store::now();
    for (i, p) in POSTS.iter().enumerate() {
        let organisation = db.organisation_by_slug(p.organisation).await?;
        let input = PostInput {
            title: p.title.to_string(),
            summary: p.summary.to_string(),
            body: p.body.to_string(),
            status: "published".into(),
            authors: p.authors.to_string(),
            categories: p.categories.iter().map(|c| c.to_string()).collect(),
            topics: p.topics.iter().map(|t| t.to_string()).collect(),
            comments_closed: (!p.comments_open).then(String::new),
            ..Default::default()
        };
        let mut post = input
            .parse()
            .map_err(|e| anyhow::anyhow!("demo post {:?} is invalid: {e:?}", p.title))?;
        post.published_at = Some(now - (i as i64 + 1) * 9 * day);
        db.create_post(
            organisation.id,
            &post,
            &render_markdown(&post.body_markdown)?,
            Some(admin),
        )
        .await?;
    }
    let department = db.organisation_by_slug("community-services").await?;
    let strategy = PostInput {
        kind: "page".into(),
        title: "Digital strategy 2025 to 2028".into(),
        summary: "How the department and its arm's-length bodies will work in the open, build simpler services and show the evidence behind decisions.".into(),
        body: STRATEGY.into(),
        status: "published".into(),
        authors: "Priya Natarajan".into(),
        topics: vec!["Digital strategy".into()],
        ..Default::default()
    };
    let mut page = strategy
        .parse()
        .map_err(|e| anyhow::anyhow!("demo strategy is invalid: {e:?}"))?;
    page.published_at = Some(now - 60 * day);
    db.create_post(
        department.id,
        &page,
        &render_markdown(&page.body_markdown)?,
        Some(admin),
    )
    .await?;
    let first = db
        .post_by_slug("why-we-are-rewriting-our-digital-strategy-in-the-open")
        .await?;
    for c in COMMENTS {
        let input = CommentInput {
            name: c.name.to_string(),
            email: c.email.to_string(),
            body: c.body.to_string(),
        };
        let comment = input
            .parse()
            .map_err(|e| anyhow::anyhow!("demo comment is invalid: {e:?}"))?;
        let id = db.add_comment(first.id, &comment).await?;
        match c.decision {
            Some(Decision::Approve) => db.decide_comment(id, Decision::Approve, "", admin).await?,
            Some(Decision::Reject) => {
                db.decide_comment(
                    id,
                    Decision::Reject,
                    "Advertising, not a comment on the post",
                    admin,
                )
                .await?
            }
            None => {}
        }
    }
    Ok(())
}

struct DemoPost {
    organisation: &'static str,
    title: &'static str,
    summary: &'static str,
    body: &'static str,
    authors: &'static str,
    categories: &'static [&'static str],
    topics: &'static [&'static str],
    comments_open: bool,
}

const POSTS: &[DemoPost] = &[
    DemoPost {
        organisation: "community-services",
        title: "Why we are rewriting our digital strategy in the open",
        summary: "We are drafting the next digital strategy on this blog, a section at a time, and we want you to tell us what we have missed.",
        body: "Our last digital strategy was written by a small team over a summer and published as a PDF. \
People read the summary, and very few got to the commitments at the back.\n\n\
This time we are doing it differently.\n\n\
## What we are doing\n\n\
* publishing each theme here as a draft as soon as it is ready\n\
* running a consultation on the themes, open to staff, partners and the public\n\
* reporting back on what people told us and what we changed as a result\n\n\
## The five themes\n\n\
1. **Open by default**: publish what we do and the data behind it\n\
2. **Simple services**: fewer, clearer services, built around what people need\n\
3. **Evidence first**: decisions that show the evidence they rest on\n\
4. **Digital everywhere**: digital skills in every team, not just ours\n\
5. **Spending well**: fewer contracts, shared platforms, reused components\n\n\
Comment below, or wait for the consultation, which opens next month.",
        authors: "Priya Natarajan\nTom Okafor",
        categories: &["Strategy", "Working in the open"],
        topics: &["Digital strategy"],
        comments_open: true,
    },
    DemoPost {
        organisation: "national-records-agency",
        title: "Putting the catalogue online, one series at a time",
        summary: "Researchers told us the catalogue was the thing they needed most. Here is how we are opening it up.",
        body: "For years the quickest way to find a record was to ask one of our archivists. \
That does not scale, and it does not help someone researching at midnight.\n\n\
We started with the series people ask about most: property deeds, school registers and the minutes of local boards. \
Each series goes online when its descriptions have been checked by two people.\n\n\
> The first series took us three months. The fourth took three weeks.\n\n\
We publish the catalogue as open data too, so that other services can link to it.",
        authors: "Hannah Leigh",
        categories: &["Data", "Archives"],
        topics: &["Finding records"],
        comments_open: true,
    },
    DemoPost {
        organisation: "care-standards-authority",
        title: "What we learned from 40 interviews with care home managers",
        summary: "Managers told us our inspection reports arrive too late to help and use words nobody else uses.",
        body: "Between March and May we spoke to 40 managers of care homes, large and small.\n\n\
## What they told us\n\n\
* reports arrive weeks after the inspection, when the moment to act has passed\n\
* the ratings are clear, but the reasons behind them are not\n\
* managers want to see how others fixed the same problems\n\n\
## What we will do\n\n\
We will publish a short summary within five working days of every inspection, \
and a library of examples of good practice, with the permission of the homes concerned.",
        authors: "Marcus Bell",
        categories: &["Research", "Inspection"],
        topics: &["Care quality"],
        comments_open: true,
    },
    DemoPost {
        organisation: "community-services",
        title: "Our projects, as a list you can open",
        summary: "Readers asked for the number of live projects in the strategy to become a list they can open. From today it is.",
        body: "The strategy said we had 25 live projects. Several of you asked, reasonably, which ones.\n\n\
The programme register will list every project with its phase, the team that owns it, \
and the commitments it answers. Each project will have dated updates, so you can see where it stands.",
        authors: "Priya Natarajan",
        categories: &["Strategy"],
        topics: &["Digital strategy"],
        comments_open: false,
    },
    DemoPost {
        organisation: "national-records-agency",
        title: "Three things we changed after watching people search",
        summary: "Small changes to search, based on two weeks of watching people use it.",
        body: "We watched 12 people look for records they cared about.\n\n\
1. Most searched for a place, not a person, so search now suggests places first.\n\
2. Nobody understood 'series', so we now say 'collection'.\n\
3. People gave up after the first page, so the first page now shows the most complete records.",
        authors: "Hannah Leigh\nSam Osei",
        categories: &["Research"],
        topics: &["Finding records"],
        comments_open: true,
    },
];

struct DemoComment {
    name: &'static str,
    email: &'static str,
    body: &'static str,
    decision: Option<Decision>,
}

const COMMENTS: &[DemoComment] = &[
    DemoComment {
        name: "Alex Morgan",
        email: "alex.morgan@example.org",
        body: "Will the consultation be open to people outside government? Our charity would like to respond.",
        decision: Some(Decision::Approve),
    },
    DemoComment {
        name: "Jo Whitfield",
        email: "jo@example.org",
        body: "Good to see evidence as a theme of its own.\n\nPlease publish the evidence too, not just the summary.",
        decision: Some(Decision::Approve),
    },
    DemoComment {
        name: "Chris Dale",
        email: "chris.dale@example.org",
        body: "How will you measure whether the strategy has worked?",
        decision: None,
    },
    DemoComment {
        name: "Best Deals",
        email: "deals@example.com",
        body: "Cheap laptops for government buyers, see our site www.example.com",
        decision: Some(Decision::Reject),
    },
];

/// Seeds a fresh database in a temporary directory and serves it until stopped.
pub async fn run(addr: &str) -> anyhow::Result<()> {
    let dir = tempfile::Builder::new()
        .prefix("townhall-demo-")
        .tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("demo.db").display());
    let app = App::build(Config::new(&url)).await?;
    let password = seed(&app.db).await?;
    let listener = crate::cli::bind(addr).await?;
    let base = format!("http://{}/", listener.local_addr()?);
    println!("Townhall demo: {base}");
    println!("Sign in at {base}sign-in as {ADMIN_EMAIL} with password {password}");
    eprintln!("Press Ctrl-C to stop; the demo's data is thrown away when it stops.");
    app.serve(listener).await
}

/// The demo's long document: a strategy page with a contents list.
const STRATEGY: &str = "## Introduction

This strategy sets out how we will use digital, data and technology over the next four years. \
It was drafted in the open on our blog, and changed by what staff, partners and the public told us.

## Our themes

### Open by default

We will publish what we are doing, the data behind it and what we have learned, unless there is a good reason not to.

### Simple services

We will build fewer, clearer services around what people need, not around how we are organised.

### Evidence first

Every decision we publish will link to the evidence it rests on, including what people told us in consultations.

### Digital everywhere

Every team will have the digital skills it needs; we will measure them each year with a self-assessment.

### Spending well

We will share platforms and components across the department and its arm's-length bodies.

## How we will report progress

Each commitment in this strategy has an owner and a list of projects. \
We will post an update on each project at least every three months.
";

// ----- The programme register -----

/// Themes of the demo strategy: (slug, title, summary).
const THEMES: &[(&str, &str, &str)] = &[
    (
        "openness",
        "Openness",
        "Publish what we do, the data behind it and what we learn, unless there is a good reason not to.",
    ),
    (
        "simplicity",
        "Simplicity",
        "Fewer, clearer services built around what people need, not around how we are organised.",
    ),
    (
        "evidence",
        "Evidence",
        "Every decision links to the evidence it rests on, including what people told us.",
    ),
    (
        "mainstreaming-digital",
        "Mainstreaming digital",
        "Every team has the digital skills it needs, and digital is part of every programme board.",
    ),
    (
        "efficiency",
        "Efficiency",
        "Share platforms and components across the department and its bodies, and retire what costs more than it returns.",
    ),
];

/// Commitments: (theme, slug, title, action reference, action title).
const COMMITMENTS: &[(&str, &str, &str, &str, &str)] = &[
    (
        "openness",
        "publish-the-programme",
        "Publish our programme of projects as open data",
        "A1",
        "Publish departmental project portfolios",
    ),
    (
        "openness",
        "work-in-the-open",
        "Blog about our work in the open every month",
        "",
        "",
    ),
    (
        "openness",
        "open-the-records-catalogue",
        "Open up the national records catalogue",
        "A3",
        "Make public records findable online",
    ),
    (
        "simplicity",
        "replace-paper-forms",
        "Replace paper forms with simple online services",
        "B1",
        "End paper-only transactions",
    ),
    (
        "simplicity",
        "one-front-door-for-providers",
        "Give care providers one front door for registration",
        "",
        "",
    ),
    (
        "simplicity",
        "plain-english-guidance",
        "Rewrite our guidance in plain English",
        "",
        "",
    ),
    (
        "evidence",
        "publish-what-we-heard",
        "Publish what people told us and what we did about it",
        "C1",
        "Close the loop on consultations",
    ),
    (
        "evidence",
        "measure-every-service",
        "Measure every service against the needs of its users",
        "",
        "",
    ),
    (
        "mainstreaming-digital",
        "digital-skills-for-every-team",
        "Assess and build digital skills in every team",
        "D1",
        "Build digital capability across the civil service",
    ),
    (
        "mainstreaming-digital",
        "digital-leaders-on-boards",
        "Put a digital leader on every programme board",
        "",
        "",
    ),
    (
        "efficiency",
        "share-platforms",
        "Share platforms across the department and its bodies",
        "E1",
        "Reuse common components",
    ),
    (
        "efficiency",
        "retire-legacy-systems",
        "Retire legacy systems that cost more than they return",
        "E2",
        "Reduce legacy technology risk",
    ),
];

struct DemoProject {
    title: &'static str,
    summary: &'static str,
    team: &'static str,
    phase: &'static str,
    status: &'static str,
    organisations: &'static [&'static str],
    commitments: &'static [&'static str],
    topics: &'static str,
    /// Days ago it started, and days from now it is due to end (0: not given).
    started: i64,
    ends: i64,
    update: &'static str,
}

const CS: &str = "community-services";
const NRA: &str = "national-records-agency";
const CSA: &str = "care-standards-authority";

const PROJECTS: &[DemoProject] = &[
    DemoProject {
        title: "Programme register",
        summary: "A public, linked list of every project, with its phase, status and updates.",
        team: "Digital strategy team",
        phase: "live",
        status: "on_track",
        organisations: &[CS],
        commitments: &["publish-the-programme"],
        topics: "Open data",
        started: 400,
        ends: 0,
        update: "The register now publishes CSV and JSON downloads of every project, with documented columns.",
    },
    DemoProject {
        title: "Open data downloads",
        summary: "Every public list on the hub as CSV and JSON, under the Open Government Licence.",
        team: "Data team",
        phase: "live",
        status: "done",
        organisations: &[CS],
        commitments: &["publish-the-programme"],
        topics: "Open data",
        started: 380,
        ends: 0,
        update: "All published lists now have downloads; the team has handed the service over to run.",
    },
    DemoProject {
        title: "Weeknotes from every digital team",
        summary: "Short weekly notes from each team, published on the blog.",
        team: "Communications",
        phase: "live",
        status: "on_track",
        organisations: &[CS, NRA, CSA],
        commitments: &["work-in-the-open"],
        topics: "",
        started: 300,
        ends: 0,
        update: "Eleven of twelve teams now publish weeknotes; the last starts next month.",
    },
    DemoProject {
        title: "Catalogue search",
        summary: "Search the national records catalogue online, with the same results staff see.",
        team: "Catalogue team",
        phase: "beta",
        status: "at_risk",
        organisations: &[NRA],
        commitments: &["open-the-records-catalogue"],
        topics: "Finding records",
        started: 520,
        ends: 120,
        update: "Search quality is good for recent records; older handwritten entries need more work, which puts the date at risk.",
    },
    DemoProject {
        title: "Digitised records viewer",
        summary: "View digitised records in the browser, on any device, without a plug-in.",
        team: "Catalogue team",
        phase: "alpha",
        status: "on_track",
        organisations: &[NRA],
        commitments: &["open-the-records-catalogue"],
        topics: "Finding records",
        started: 200,
        ends: 300,
        update: "We tested two prototype viewers with 14 researchers; the simpler one won.",
    },
    DemoProject {
        title: "Catalogue open data",
        summary: "The catalogue's descriptions as open data for researchers and other archives.",
        team: "Data team",
        phase: "discovery",
        status: "on_track",
        organisations: &[NRA],
        commitments: &["open-the-records-catalogue", "publish-the-programme"],
        topics: "Finding records, Open data",
        started: 60,
        ends: 200,
        update: "We interviewed 9 data users about the formats and licences they need.",
    },
    DemoProject {
        title: "Apply for a records search",
        summary: "Ask the agency to search its records for you, online instead of by post.",
        team: "Public services team",
        phase: "live",
        status: "on_track",
        organisations: &[NRA],
        commitments: &["replace-paper-forms"],
        topics: "Finding records",
        started: 700,
        ends: 0,
        update: "92% of requests now arrive online; the paper form will be withdrawn in the spring.",
    },
    DemoProject {
        title: "Register a care service",
        summary: "Providers register a new care service online, in one place.",
        team: "Registration team",
        phase: "beta",
        status: "on_track",
        organisations: &[CSA],
        commitments: &["one-front-door-for-providers", "replace-paper-forms"],
        topics: "Care providers",
        started: 450,
        ends: 90,
        update: "The public beta has taken 310 registrations; average time to complete fell from 3 weeks to 4 days.",
    },
    DemoProject {
        title: "Provider account",
        summary: "One account for a provider to see its registrations, inspections and notifications.",
        team: "Registration team",
        phase: "alpha",
        status: "at_risk",
        organisations: &[CSA],
        commitments: &["one-front-door-for-providers"],
        topics: "Care providers",
        started: 240,
        ends: 260,
        update: "Identity checks for providers with many services are harder than expected; we are testing two options.",
    },
    DemoProject {
        title: "Notify us of a change",
        summary: "Tell the authority about a change of manager, address or service online.",
        team: "Registration team",
        phase: "live",
        status: "on_track",
        organisations: &[CSA],
        commitments: &["replace-paper-forms"],
        topics: "Care providers",
        started: 800,
        ends: 0,
        update: "Moved to the provider account pattern; no change for users yet.",
    },
    DemoProject {
        title: "Inspection reports in plain English",
        summary: "Rewrite inspection report summaries so the public can understand them.",
        team: "Content design",
        phase: "beta",
        status: "on_track",
        organisations: &[CSA],
        commitments: &["plain-english-guidance"],
        topics: "Care quality",
        started: 330,
        ends: 60,
        update: "Readers understood the new summaries in 9 out of 10 tests, up from 5.",
    },
    DemoProject {
        title: "Guidance rewrite",
        summary: "Rewrite the department's 400 guidance pages, starting with the most read.",
        team: "Content design",
        phase: "live",
        status: "at_risk",
        organisations: &[CS],
        commitments: &["plain-english-guidance"],
        topics: "",
        started: 600,
        ends: 180,
        update: "240 pages done; the team lost two designers this quarter, so the end date is at risk.",
    },
    DemoProject {
        title: "Consultation platform",
        summary: "Run consultations on the hub and publish what people told us and what we did.",
        team: "Digital strategy team",
        phase: "beta",
        status: "on_track",
        organisations: &[CS],
        commitments: &["publish-what-we-heard"],
        topics: "Consultations",
        started: 280,
        ends: 100,
        update: "The digital strategy consultation ran on the platform and drew over 3,000 responses.",
    },
    DemoProject {
        title: "Response analysis tools",
        summary: "Find themes and campaigns in free-text responses so analysts read less by hand.",
        team: "Analysis team",
        phase: "alpha",
        status: "on_track",
        organisations: &[CS],
        commitments: &["publish-what-we-heard"],
        topics: "Consultations",
        started: 180,
        ends: 240,
        update: "Analysts agreed with 85% of the themes the tool found on a past consultation.",
    },
    DemoProject {
        title: "Service performance dashboard",
        summary: "Each service's completion rate, satisfaction and cost per transaction, updated monthly.",
        team: "Performance team",
        phase: "beta",
        status: "off_track",
        organisations: &[CS, NRA, CSA],
        commitments: &["measure-every-service"],
        topics: "",
        started: 390,
        ends: 30,
        update: "Two services cannot yet report cost per transaction; the dashboard will launch without that measure.",
    },
    DemoProject {
        title: "User research library",
        summary: "One place to find past research across the department and its bodies.",
        team: "Research ops",
        phase: "discovery",
        status: "on_track",
        organisations: &[CS],
        commitments: &["measure-every-service"],
        topics: "",
        started: 45,
        ends: 120,
        update: "We found research in 14 different places; most teams would use one library if it were searchable.",
    },
    DemoProject {
        title: "Digital skills self-assessment",
        summary: "A yearly self-assessment of digital skills and maturity for every team.",
        team: "Digital capability",
        phase: "live",
        status: "on_track",
        organisations: &[CS, NRA, CSA],
        commitments: &["digital-skills-for-every-team"],
        topics: "Digital skills",
        started: 500,
        ends: 0,
        update: "1,240 people took part this year, up from 870.",
    },
    DemoProject {
        title: "Digital academy",
        summary: "Short courses in user research, service design and data for non-specialists.",
        team: "Digital capability",
        phase: "alpha",
        status: "on_track",
        organisations: &[CS],
        commitments: &["digital-skills-for-every-team"],
        topics: "Digital skills",
        started: 150,
        ends: 365,
        update: "The first cohort of 24 finished the service design course; 21 would recommend it.",
    },
    DemoProject {
        title: "Digital leaders network",
        summary: "A digital leader on every programme board, with a network to support them.",
        team: "Chief digital officer's office",
        phase: "discovery",
        status: "at_risk",
        organisations: &[CS, NRA, CSA],
        commitments: &["digital-leaders-on-boards"],
        topics: "",
        started: 90,
        ends: 180,
        update: "Only 6 of 15 boards have named a digital leader so far.",
    },
    DemoProject {
        title: "Shared design system",
        summary: "One set of components and patterns for every service in the department and its bodies.",
        team: "Design system team",
        phase: "live",
        status: "on_track",
        organisations: &[CS, NRA, CSA],
        commitments: &["share-platforms"],
        topics: "",
        started: 650,
        ends: 0,
        update: "Nine services now use the shared components; the care registration service moved over this month.",
    },
    DemoProject {
        title: "Shared notifications",
        summary: "One service to send emails, texts and letters, instead of one contract per body.",
        team: "Platforms team",
        phase: "beta",
        status: "on_track",
        organisations: &[CS, CSA],
        commitments: &["share-platforms"],
        topics: "",
        started: 360,
        ends: 75,
        update: "Three services send through the shared platform; the old text message contract ends in March.",
    },
    DemoProject {
        title: "Hosting consolidation",
        summary: "Move every body's hosting onto one managed cloud platform.",
        team: "Platforms team",
        phase: "alpha",
        status: "off_track",
        organisations: &[CS, NRA, CSA],
        commitments: &["share-platforms", "retire-legacy-systems"],
        topics: "",
        started: 270,
        ends: 150,
        update: "The records agency's storage costs more in the cloud than planned; the business case is being redone.",
    },
    DemoProject {
        title: "Legacy case management",
        summary: "Replace the 20-year-old case management system used for inspections.",
        team: "Inspection systems",
        phase: "discovery",
        status: "on_track",
        organisations: &[CSA],
        commitments: &["retire-legacy-systems"],
        topics: "Care quality",
        started: 30,
        ends: 270,
        update: "We mapped 41 integrations; 12 are no longer used and can be switched off now.",
    },
    DemoProject {
        title: "Microfilm reader booking",
        summary: "Book a microfilm reader in the reading room by phone.",
        team: "Reading room",
        phase: "retired",
        status: "done",
        organisations: &[NRA],
        commitments: &["retire-legacy-systems"],
        topics: "Finding records",
        started: 1400,
        ends: 0,
        update: "Replaced by the online reading room booking service; the phone line closed.",
    },
    DemoProject {
        title: "Paper registration forms",
        summary: "The printed forms providers used to post to register a service.",
        team: "Registration team",
        phase: "retired",
        status: "done",
        organisations: &[CSA],
        commitments: &["replace-paper-forms"],
        topics: "Care providers",
        started: 1500,
        ends: 0,
        update: "Withdrawn: every registration now goes through the online service.",
    },
];

/// Case studies: (title, summary, body, project titles, theme slugs).
type DemoCaseStudy = (
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
);

const CASE_STUDIES: &[DemoCaseStudy] = &[
    (
        "How providers cut registration from three weeks to four days",
        "Moving care service registration online, one step at a time.",
        "## The problem\n\nProviders posted a 30-page form, and one in three came back for corrections.\n\n## What we did\n\nWe tested each question with providers, removed eleven of them, and checked answers as people typed.\n\n## What changed\n\n* registration takes 4 days on average, down from 3 weeks\n* corrections fell from 1 in 3 to 1 in 20\n",
        &["Register a care service", "Paper registration forms"],
        &["simplicity"],
    ),
    (
        "Publishing our programme as open data",
        "Why a list of projects beats a number in a paragraph.",
        "Readers asked for our \"25 live projects\" to be a list they could open. \n\nWe now publish every project, its phase and its status, and the downloads are the same data the pages show.\n",
        &["Programme register", "Open data downloads"],
        &["openness"],
    ),
    (
        "Plain English inspection summaries",
        "Testing report summaries with the people who read them.",
        "We rewrote inspection summaries with families choosing a care home.\n\n> I finally understood what \"requires improvement\" meant for my mum.\n\nUnderstanding rose from 5 to 9 readers in 10.\n",
        &["Inspection reports in plain English"],
        &["simplicity", "evidence"],
    ),
    (
        "One design system for three organisations",
        "Sharing components saved each service weeks of work.",
        "The department and both bodies now build from one set of components.\n\nNine services use it; each saved an estimated six weeks of design and build.\n",
        &["Shared design system"],
        &["efficiency"],
    ),
    (
        "Measuring digital skills every year",
        "What 1,240 self-assessments told us about where to invest.",
        "## What we measured\n\nTen skills, from user research to data, on a five-point scale.\n\n## What we found\n\nConfidence with data was lowest everywhere, so the digital academy's next course is on data.\n",
        &["Digital skills self-assessment", "Digital academy"],
        &["mainstreaming-digital"],
    ),
];

/// The demo's programme register: a digital strategy with five themes, twelve commitments,
/// 25 projects across every phase and the three organisations, dated updates, case studies.
pub async fn seed_programme(db: &Db, admin: i64) -> anyhow::Result<()> {
    use crate::domain::programme::{
        CaseStudyInput, CommitmentInput, ProjectInput, StrategyInput, ThemeInput, UpdateInput,
        format_date,
    };
    let bad = |what: &str, e: crate::domain::FieldErrors| {
        anyhow::anyhow!("demo {what} is invalid: {e:?}")
    };
    let day = 86_400;
    let today = crate::store::now() / day * day;
    let department = db.organisation_by_slug(CS).await?;
    let strategy = StrategyInput {
        title: "Digital strategy 2025 to 2028".into(),
        period: "2025 to 2028".into(),
        summary: "How the department and its arm's-length bodies will work in the open, build simpler services, use evidence, make digital everyone's job and spend well.".into(),
        body: "This strategy sets five themes. Each theme has commitments, and each commitment has projects that do the work. \
We report on every project here at least every three months.".into(),
        ..Default::default()
    }
    .parse()
    .map_err(|e| bad("strategy", e))?;
    let strategy_id = db
        .create_strategy(
            department.id,
            &strategy,
            &render_markdown(&strategy.body_markdown)?.html,
        )
        .await?;
    for (i, (slug, title, summary)) in THEMES.iter().enumerate() {
        let theme = ThemeInput {
            title: title.to_string(),
            slug: slug.to_string(),
            summary: summary.to_string(),
            position: (i + 1).to_string(),
        }
        .parse()
        .map_err(|e| bad("theme", e))?;
        db.create_theme(strategy_id, &theme).await?;
    }
    let register = db.register().await?;
    for (i, (theme, slug, title, action_ref, action_title)) in COMMITMENTS.iter().enumerate() {
        let commitment = CommitmentInput {
            title: title.to_string(),
            slug: slug.to_string(),
            body: format!(
                "{title}. We will report progress on every project under this commitment."
            ),
            action_ref: action_ref.to_string(),
            action_title: action_title.to_string(),
            position: (i + 1).to_string(),
        }
        .parse()
        .map_err(|e| bad("commitment", e))?;
        let theme_id = register
            .themes
            .iter()
            .find(|t| t.slug == *theme)
            .map(|t| t.id)
            .ok_or_else(|| anyhow::anyhow!("demo theme {theme} is missing"))?;
        db.create_commitment(theme_id, &commitment).await?;
    }
    let register = db.register().await?;
    let organisations: Vec<(String, i64)> = db
        .organisations()
        .await?
        .into_iter()
        .map(|o| (o.slug, o.id))
        .collect();
    for p in PROJECTS {
        // Each project starts in an earlier phase and is moved on by its updates.
        let earlier = match p.phase {
            "live" => "beta",
            "beta" => "alpha",
            "alpha" | "discovery" => "discovery",
            _ => "live",
        };
        let project = ProjectInput {
            title: p.title.into(),
            summary: p.summary.into(),
            owner_team: p.team.into(),
            phase: earlier.into(),
            status: "on_track".into(),
            start_date: format_date(today - p.started * day),
            end_date: if p.ends > 0 {
                format_date(today + p.ends * day)
            } else {
                String::new()
            },
            topics: p.topics.into(),
            commitments: p.commitments.iter().map(|c| c.to_string()).collect(),
            organisations: p.organisations.iter().map(|o| o.to_string()).collect(),
            ..Default::default()
        }
        .parse(&register.commitment_keys(), &organisations)
        .map_err(|e| bad("project", e))?;
        let id = db.save_project(None, &project).await?;
        let first = UpdateInput {
            dated: format_date(today - p.started * day + 30 * day),
            body: format!("Work started. The team is {} and will post an update here at least every three months.", p.team),
            ..Default::default()
        }
        .parse()
        .map_err(|e| bad("update", e))?;
        db.add_update(id, &first, Some(admin)).await?;
        let latest = UpdateInput {
            dated: format_date(today - (p.started % 40 + 3) * day),
            body: p.update.into(),
            phase: p.phase.into(),
            status: p.status.into(),
        }
        .parse()
        .map_err(|e| bad("update", e))?;
        db.add_update(id, &latest, Some(admin)).await?;
    }
    let register = db.register().await?;
    let projects: Vec<(String, i64)> = register
        .projects
        .iter()
        .map(|p| (p.project.title.clone(), p.project.id))
        .collect();
    for (i, (title, summary, body, project_titles, themes)) in CASE_STUDIES.iter().enumerate() {
        let project_slugs = project_titles
            .iter()
            .filter_map(|t| projects.iter().find(|(pt, _)| pt == t))
            .map(|(t, _)| crate::domain::text::Slug::from_title(t).to_string())
            .collect();
        let case = CaseStudyInput {
            title: title.to_string(),
            summary: summary.to_string(),
            body: body.to_string(),
            published: format_date(today - (i as i64 * 20 + 5) * day),
            projects: project_slugs,
            themes: themes.iter().map(|t| t.to_string()).collect(),
            ..Default::default()
        }
        .parse(&register.project_keys(), &register.theme_keys())
        .map_err(|e| bad("case study", e))?;
        db.save_case_study(None, &case, &render_markdown(&case.body_markdown)?.html)
            .await?;
    }
    Ok(())
}
