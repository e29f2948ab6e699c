//! The demo's blog posts and pages, with comments in every moderation state.

use crate::domain::post::{CommentInput, PostInput};
use crate::sanitise::render_markdown;
use crate::store::Db;
use crate::store::comments::Decision;

/// Sample posts written for the demo, with comments in every moderation state.
pub async fn seed_posts(db: &Db, admin: i64) -> anyhow::Result<()> {
    let day = 86_400;
    let now = crate::store::now();
    let media = super::media::seed_media(db, admin).await?;
    for (i, p) in POSTS.iter().enumerate() {
        // The first post (on the strategy) shows the consultation's weekly chart; the second
        // opens with the library's banner.
        let body = match i {
            1 => format!("![](/media/{})\n\n{}", media.banner, p.body),
            0 => {
                let weeks = super::media::WEEKLY_RESPONSES.map(|n| n.to_string());
                format!(
                    "{}\n\n## Responses so far\n\nResponses each week to the digital strategy \
                     consultation: {}.\n\n![](/media/{})\n",
                    p.body,
                    weeks.join(", "),
                    media.chart
                )
            }
            _ => p.body.to_string(),
        };
        let organisation = db.organisation_by_slug(p.organisation).await?;
        let input = PostInput {
            title: p.title.to_string(),
            summary: p.summary.to_string(),
            body,
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
        body: format!(
            "{STRATEGY}\n## Download\n\n[Digital strategy 2025 to 2028 (printable version)](/media/{})\n",
            media.strategy_pdf
        ),
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
