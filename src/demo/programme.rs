//! The demo's programme register.

use crate::sanitise::render_markdown;
use crate::store::Db;

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
    };
    use crate::domain::time::iso_date;
    let bad = |what: &str, e: crate::domain::FieldErrors| {
        anyhow::anyhow!("demo {what} is invalid: {e:?}")
    };
    let day = crate::domain::time::DAY;
    let today = crate::store::now().day();
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
        .save_strategy(
            None,
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
        db.save_theme(None, strategy_id, &theme).await?;
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
        db.save_commitment(None, theme_id, &commitment).await?;
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
            start_date: iso_date(today - p.started * day),
            end_date: if p.ends > 0 {
                iso_date(today + p.ends * day)
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
            dated: iso_date(today - p.started * day + 30 * day),
            body: format!("Work started. The team is {} and will post an update here at least every three months.", p.team),
            ..Default::default()
        }
        .parse()
        .map_err(|e| bad("update", e))?;
        db.add_update(id, &first, Some(admin)).await?;
        let latest = UpdateInput {
            dated: iso_date(today - (p.started % 40 + 3) * day),
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
            published: iso_date(today - (i as i64 * 20 + 5) * day),
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
