//! The demo's listening content: a closed consultation with thousands of generated
//! responses, analysed, reviewed and published; a scored digital skills survey with its
//! results published; and an open consultation to answer.
//!
//! The consultation's answers are written like residents' (see [`super::answers`]), on the
//! themes of the plan and with three planted campaigns, so the analysis finds real themes and
//! campaigns and the pages that quote answers read naturally.

use crate::domain::chain::{NewAction, ThemeRef};
use crate::domain::exercise::Definition;
use crate::domain::idea::IdeaStatus;
use crate::domain::review::{Edit, Review};
use crate::domain::time::Timestamp;
use crate::store::Db;
use serde_json::json;
use textkit::rng::Rng;

const DAY: i64 = 86_400;

async fn create(
    db: &Db,
    admin: i64,
    def: serde_json::Value,
    published: bool,
) -> anyhow::Result<i64> {
    let def: Definition = serde_json::from_value(def)?;
    let valid = def
        .validate()
        .map_err(|e| anyhow::anyhow!("demo definition is invalid: {e:?}"))?;
    let org = db
        .organisation_by_slug(&valid.definition.organisation)
        .await?;
    let html = crate::sanitise::render_markdown(&valid.definition.body)?.html;
    Ok(db
        .save_exercise(None, org.id, &valid, &html, published, Some(admin))
        .await?)
}

/// Seeds the listening content; returns the slugs of (closed consultation, survey, open one).
pub async fn seed(db: &Db, admin: i64, responses: usize) -> anyhow::Result<()> {
    let now = crate::store::now();
    seed_consultation(db, admin, now, responses).await?;
    seed_survey(db, admin, now, responses * 2 / 3).await?;
    seed_open(db, admin, now).await?;
    seed_challenge(db, admin).await?;
    Ok(())
}

async fn seed_consultation(
    db: &Db,
    admin: i64,
    now: Timestamp,
    count: usize,
) -> anyhow::Result<()> {
    let id = create(db, admin, json!({
        "organisation": "community-services",
        "slug": "local-services-plan",
        "title": "Local services plan: what matters most to you",
        "summary": "We asked residents, staff and partners which local services most need to change over the next three years.",
        "body": "Our next three-year plan sets out how we spend money on buses, health, libraries, roads, recycling, care and housing.\n\nWe asked what matters most, and what should change first.",
        "opens_at": crate::domain::time::rfc3339(now - 70 * DAY),
        "closes_at": crate::domain::time::rfc3339(now - 10 * DAY),
        "topics": ["Local services", "Transport"],
        "questions": [
            {"id": "change", "type": "text", "title": "What one thing should we change first, and why?", "required": true},
            {"id": "priority", "type": "single", "title": "Which service matters most to you?",
             "options": ["Buses", "GP and health", "Libraries", "Roads and cycling", "Recycling", "Care", "Housing"], "required": true},
            {"id": "trust", "type": "scale", "title": "How far do you trust us to act on what you tell us?", "min": 1, "max": 5,
             "labels": ["Not at all", "Completely"]}
        ],
        "segments": [{"id": "respondent", "title": "Are you responding as", "options": ["An individual", "An organisation"]}]
    }), true).await?;

    let written = super::answers::generate(count, 2026);
    // The option each theme's writers choose, by theme index; council tax has no option of
    // its own.
    let priorities = [
        "Buses",
        "GP and health",
        "Libraries",
        "Roads and cycling",
        "Recycling",
        "Recycling",
        "Care",
        "Housing",
    ];
    let mut rng = Rng::new(7);
    let rows: Vec<(String, String, String, Timestamp)> = written
        .iter()
        .map(|a| {
            let answers = json!({
                "change": a.text,
                "priority": [priorities[a.theme]],
                "trust": 1 + rng.below(5) as i64,
            });
            let segment = if a.organisation {
                "An organisation"
            } else {
                "An individual"
            };
            let at = now - 70 * DAY + rng.below(60 * DAY as usize) as i64;
            (
                answers.to_string(),
                json!({"respondent": segment}).to_string(),
                "online".to_string(),
                at,
            )
        })
        .collect();
    db.import_responses(id, &rows).await?;
    use crate::domain::evidence::Source;
    let evidence: Vec<crate::domain::evidence::NewEvidence> = [
        (Source::Interview, "Residents' association chair", "Older residents told us the evening bus cuts mean they cannot get to the surgery or the library after 5pm."),
        (Source::Workshop, "Staff", "Library staff want longer opening hours but need the rota funded; self-service evenings were suggested."),
        (Source::Workshop, "Partner organisations", "Care providers say home care visits are too short and travel time between visits is not paid."),
    ]
    .iter()
    .map(|(source, segment, text)| crate::domain::evidence::NewEvidence {
        question_id: "change".into(),
        source: *source,
        collected_on: crate::domain::time::rfc3339(now - 40 * DAY)[..10].to_string(),
        segment: segment.to_string(),
        body: text.to_string(),
    })
    .collect();
    db.add_evidence(id, &evidence, Some(admin)).await?;

    // Analyse, review and publish, as an analyst would.
    let (analysis, mut review) = analyse(db, id, "change", admin).await?;
    let mut actions = Vec::new();
    for t in review.themes.clone().iter().take(4) {
        let label = nice_label(&t.keywords).unwrap_or_else(|| t.label.clone());
        let rename = Edit::Rename {
            theme: t.id.clone(),
            label: label.clone(),
        };
        // A label another theme already has is left as the engine made it.
        if let Ok(note) = review.apply(&rename) {
            let json = serde_json::to_string(&review)?;
            db.save_review(analysis, &json, Some(admin), "rename", &note)
                .await?;
        }
        actions.push((t.id.clone(), label));
    }
    if let Some(c) = review.campaigns.first().map(|c| c.id.clone()) {
        let confirm = Edit::Campaign {
            campaign: c,
            status: "confirmed".into(),
        };
        edit_review(db, &mut review, analysis, admin, confirm, "campaign").await?;
    }
    publish(db, &mut review, analysis, admin).await?;
    for (theme, label) in actions {
        let (you_said, we_did) = response_to(&label);
        let action = NewAction {
            theme: Some(ThemeRef {
                analysis_id: analysis,
                theme_id: theme,
            }),
            conversation: None,
            you_said,
            we_did: we_did.into(),
            commitment_ids: vec![],
            project_ids: vec![],
        };
        db.save_result_action(id, None, &action).await?;
    }
    db.set_results_published(id, true).await?;
    Ok(())
}

/// A readable theme name from the engine's key words for the demo's subjects.
pub(super) fn nice_label(keywords: &[String]) -> Option<String> {
    let k = keywords.join(" ");
    let has = |w: &str| k.contains(w);
    Some(
        if has("bus") {
            "Bus services"
        } else if has("gp") || has("surgeri") || has("appoint") {
            "Getting a GP appointment"
        } else if has("librar") {
            "Library opening hours"
        } else if has("recycl") || has("bin") || has("tipping") {
            // Before cycling: "recycling" contains "cycl".
            "Recycling and bin collections"
        } else if has("pothol") || has("cycl") || has("road") {
            "Roads, potholes and cycle lanes"
        } else if has("council tax") || has("budget") || has("tax") {
            "Council tax and the budget"
        } else if has("care") {
            "Care for older people"
        } else if has("hous") {
            "Affordable housing"
        } else {
            return None;
        }
        .to_string(),
    )
}

fn response_to(label: &str) -> (String, &'static str) {
    let we_did = match label {
        "Bus services" => {
            "We have restored the evening service on the two busiest routes from April, and will publish punctuality figures every month."
        }
        "Getting a GP appointment" => {
            "We are funding an online booking pilot with three surgeries and will report on waiting times after six months."
        }
        "Library opening hours" => {
            "Four libraries will open until 8pm on weekdays, with self-service evenings, from the autumn."
        }
        "Roads, potholes and cycle lanes" => {
            "We have doubled the pothole repair budget and will consult on a protected cycle route this year."
        }
        "Recycling and bin collections" => {
            "Food waste collections start across the area next year; missed collections can now be reported online."
        }
        "Care for older people" => {
            "Home care visits will be at least 30 minutes, and carers' travel time will be paid."
        }
        "Affordable housing" => {
            "Our housing plan sets a target for new affordable homes, reported on every year."
        }
        _ => {
            "We have added this to the plan's priorities and will report on progress every quarter."
        }
    };
    (
        format!("Many of you told us about {}.", label.to_lowercase()),
        we_did,
    )
}

async fn seed_survey(db: &Db, admin: i64, now: Timestamp, count: usize) -> anyhow::Result<()> {
    let skills = [
        "I can find and use the data I need for my work",
        "I am confident using online collaboration tools",
        "I can explain how a digital service meets user needs",
    ];
    let maturity = [
        "My team tests ideas with users before building",
        "We publish our work in the open",
        "We measure whether our services work for people",
    ];
    let mut questions = Vec::new();
    for (i, title) in skills.iter().enumerate() {
        questions.push(json!({"id": format!("s{}", i + 1), "type": "scale", "title": title, "min": 1, "max": 5,
                              "labels": ["Strongly disagree", "Disagree", "Neither", "Agree", "Strongly agree"], "required": true, "page": "Your digital skills"}));
    }
    for (i, title) in maturity.iter().enumerate() {
        questions.push(json!({"id": format!("m{}", i + 1), "type": "scale", "title": title, "min": 1, "max": 5,
                              "labels": ["Strongly disagree", "Disagree", "Neither", "Agree", "Strongly agree"], "required": true, "page": "Your team"}));
    }
    questions.push(json!({"id": "help", "type": "text", "title": "What would help you most to build your digital skills?", "page": "Your team"}));
    let levels = json!([{"min": 1, "label": "Beginning"}, {"min": 2.5, "label": "Developing"}, {"min": 3.5, "label": "Established"}, {"min": 4.5, "label": "Leading"}]);
    let teams = [
        "Policy",
        "Operations",
        "Digital and data",
        "Finance",
        "Communications",
    ];
    let id = create(db, admin, json!({
        "organisation": "community-services",
        "slug": "digital-skills-and-maturity",
        "kind": "survey",
        "title": "Digital skills and maturity self-assessment",
        "summary": "A staff survey of digital skills and of how digital each team works.",
        "body": "Each answer is a statement to agree or disagree with. You see your own result at the end.",
        "opens_at": crate::domain::time::rfc3339(now - 60 * DAY),
        "closes_at": crate::domain::time::rfc3339(now - 20 * DAY),
        "topics": ["Digital skills"],
        "questions": questions,
        "segments": [{"id": "team", "title": "Which team are you in?", "options": teams, "required": true}],
        "dimensions": [
            {"id": "skills", "title": "Digital skills", "questions": ["s1", "s2", "s3"], "levels": levels},
            {"id": "maturity", "title": "Digital maturity", "questions": ["m1", "m2", "m3"], "levels": levels}
        ]
    }), true).await?;
    let mut rng = Rng::new(11);
    let rows: Vec<(String, String, String, Timestamp)> = (0..count)
        .map(|_| {
            let t = rng.below(teams.len());
            // Teams differ: digital teams score higher, so the breakdown shows something.
            let base = [2.6, 2.9, 3.9, 2.4, 3.2][t];
            let mut answers = serde_json::Map::new();
            for q in ["s1", "s2", "s3", "m1", "m2", "m3"] {
                let v = (base + rng.next_f64() * 2.2 - 1.1).round().clamp(1.0, 5.0) as i64;
                answers.insert(q.into(), json!(v));
            }
            if rng.next_f64() < 0.7 {
                answers.insert("help".into(), json!(skills_answer(&mut rng)));
            }
            let at = now - 60 * DAY + rng.below(40 * DAY as usize) as i64;
            (
                serde_json::Value::Object(answers).to_string(),
                json!({"team": teams[t]}).to_string(),
                "online".to_string(),
                at,
            )
        })
        .collect();
    db.import_responses(id, &rows).await?;

    // The free-text question is analysed, reviewed and published, and each "we did" links
    // into the programme register: the demo's evidence chain.
    let (analysis, mut review) = analyse(db, id, "help", admin).await?;
    let register = db.register().await?;
    let mut done = std::collections::HashSet::new();
    for t in review.themes.clone() {
        let Some((label, you_said, we_did, commitment, project)) = skills_response(&t.keywords)
        else {
            continue;
        };
        if !done.insert(label) {
            continue;
        }
        let rename = Edit::Rename {
            theme: t.id.clone(),
            label: label.into(),
        };
        edit_review(db, &mut review, analysis, admin, rename, "rename").await?;
        let ids = |keys: Vec<(String, i64)>, slug: &str| -> Vec<i64> {
            keys.into_iter()
                .filter(|(s, _)| s == slug)
                .map(|(_, i)| i)
                .collect()
        };
        let action = NewAction {
            theme: Some(ThemeRef {
                analysis_id: analysis,
                theme_id: t.id.clone(),
            }),
            conversation: None,
            you_said: you_said.into(),
            we_did: we_did.into(),
            commitment_ids: ids(register.commitment_keys(), commitment),
            project_ids: ids(register.project_keys(), project),
        };
        db.save_result_action(id, None, &action).await?;
    }
    publish(db, &mut review, analysis, admin).await?;
    db.set_results_published(id, true).await?;
    Ok(())
}

/// A generated answer to "What would help you most to build your digital skills?".
fn skills_answer(rng: &mut Rng) -> String {
    const NEEDS: &[&[&str]] = &[
        &[
            "protected time for learning every week",
            "time away from my workload to learn",
            "an afternoon a month set aside for learning",
            "time to practise new tools without deadlines",
        ],
        &[
            "short practical courses on data and spreadsheets",
            "training on analysing data",
            "a course on writing for the web",
            "hands-on training in the tools we use",
        ],
        &[
            "a mentor from the digital team",
            "pairing with someone who does this every day",
            "coaching from a digital colleague",
            "someone in the digital team to ask for help",
        ],
        &[
            "managers who understand digital and back it",
            "senior leaders who set an example",
            "leadership that values digital skills",
            "my manager supporting me to learn",
        ],
    ];
    const OPENERS: &[&str] = &[
        "Honestly, ",
        "",
        "What would help most is ",
        "I think ",
        "For me it is ",
        "",
    ];
    const CLOSERS: &[&str] = &[
        ".",
        ", because I never get round to it.",
        " so I can keep up.",
        ". Everything else follows from that.",
        "!",
        " please.",
    ];
    let need = NEEDS[rng.below(NEEDS.len())];
    format!(
        "{}{}{}",
        rng.pick(OPENERS),
        rng.pick(need),
        rng.pick(CLOSERS)
    )
}

/// The demo's "you said, we did" for a theme of the skills question, with the commitment and
/// project it links to: (theme label, you said, we did, commitment slug, project slug).
fn skills_response(
    keywords: &[String],
) -> Option<(
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
)> {
    let k = keywords.join(" ");
    let has = |w: &str| k.contains(w);
    Some(if has("time") || has("workload") || has("afternoon") {
        (
            "Time to learn",
            "You said you need protected time to learn.",
            "Every team now has a learning afternoon each month, and the self-assessment is repeated each year to see if it helps.",
            "digital-skills-for-every-team",
            "digital-skills-self-assessment",
        )
    } else if has("cours") || has("train") {
        (
            "Practical training",
            "You said you want short, practical training.",
            "The digital academy runs short courses on data, writing for the web and our tools.",
            "digital-skills-for-every-team",
            "digital-academy",
        )
    } else if has("mentor") || has("pair") || has("coach") || has("ask") {
        (
            "Mentoring and pairing",
            "You said you want someone in the digital team to learn from.",
            "The digital academy pairs anyone who asks with a mentor from a digital team.",
            "digital-skills-for-every-team",
            "digital-academy",
        )
    } else if has("manag") || has("leader") || has("senior") {
        (
            "Support from leaders",
            "You said managers and leaders need to back digital skills.",
            "A digital leader now sits on every programme board, and leaders take the self-assessment too.",
            "digital-leaders-on-boards",
            "digital-leaders-network",
        )
    } else {
        return None;
    })
}

async fn seed_open(db: &Db, admin: i64, now: Timestamp) -> anyhow::Result<()> {
    create(db, admin, json!({
        "organisation": "national-records-agency",
        "slug": "reading-room-opening-hours",
        "title": "Reading room opening hours",
        "summary": "Tell us when you would use the reading rooms, and what would make a visit easier.",
        "body": "We are reviewing the opening hours of our reading rooms. This takes about five minutes.",
        "opens_at": crate::domain::time::rfc3339(now - 5 * DAY),
        "closes_at": crate::domain::time::rfc3339(now + 40 * DAY),
        "topics": ["Archives"],
        "questions": [
            {"id": "visits", "type": "single", "title": "How often do you visit a reading room?", "options": ["Every week", "Every month", "A few times a year", "Never"], "required": true, "page": "Your visits"},
            {"id": "when", "type": "multiple", "title": "When would you visit?", "hint": "Select all that apply.", "options": ["Weekday mornings", "Weekday evenings", "Saturdays", "Sundays"], "page": "Your visits"},
            {"id": "easier", "type": "text", "title": "What would make a visit easier?", "required": true, "page": "Your ideas"},
            {"id": "satisfaction", "type": "scale", "title": "How satisfied are you with the reading rooms today?", "min": 1, "max": 5, "labels": ["Very dissatisfied", "Very satisfied"], "page": "Your ideas"}
        ],
        "segments": [{"id": "respondent", "title": "Are you responding as", "options": ["A researcher", "A member of the public", "Someone working in government"]}]
    }), true).await?;
    Ok(())
}

/// An open idea challenge with ideas in each state, votes and a panel's scores.
pub async fn seed_challenge(db: &Db, admin: i64) -> anyhow::Result<()> {
    let now = crate::store::now();
    let org = db.organisation_by_slug("community-services").await?;
    let criteria = vec![
        "Benefit to the public".to_string(),
        "Can be delivered within a year".to_string(),
        "Value for money".to_string(),
    ];
    let id = db
        .create_challenge(org.id, "open-policy-ideas-2026", "Open policy ideas 2026",
            "Policy teams and the public: how could we make a service simpler, fairer or more open? The best ideas become projects.",
            &criteria, now - 14 * DAY, now + 30 * DAY)
        .await?;
    let ideas = [
        (
            "Text reminders for appointments",
            "Send a text the day before every appointment, with a link to move it. Fewer missed appointments, less waiting.",
            "Priya, policy team",
            IdeaStatus::Shortlisted,
            41,
        ),
        (
            "One form for changes of address",
            "Tell us once when you move, and every service that needs to know is told.",
            "Jordan",
            IdeaStatus::Approved,
            33,
        ),
        (
            "Publish repair times for every pothole",
            "Show each reported pothole on a map with the date it was reported and fixed.",
            "A resident",
            IdeaStatus::Approved,
            12,
        ),
        (
            "Plain English review of letters",
            "Test every standard letter with people who receive it, and rewrite the worst ten.",
            "Sam, operations",
            IdeaStatus::Pending,
            0,
        ),
    ];
    for (title, body, author, status, votes) in ideas {
        let idea = db.submit_idea(id, title, body, author).await?;
        if status != IdeaStatus::Pending {
            db.decide_idea(idea, status, None).await?;
        }
        for v in 0..votes {
            let (voter, address) = (format!("demo-voter-{v}"), format!("demo-address-{v}"));
            db.vote(idea, &voter, &address, 1).await?;
        }
        if status == IdeaStatus::Shortlisted {
            db.score_idea(
                idea,
                admin,
                &[
                    (criteria[0].clone(), 5),
                    (criteria[1].clone(), 4),
                    (criteria[2].clone(), 4),
                ],
            )
            .await?;
            // The shortlisted idea became a project in the register.
            let project = crate::domain::programme::NewProject {
                slug: crate::domain::text::Slug::from_title(title),
                title: title.to_string(),
                summary: body.to_string(),
                owner_team: "Service design team".into(),
                phase: crate::domain::programme::Phase::Discovery,
                status: crate::domain::programme::Status::OnTrack,
                start_date: Some(now.day() - 3 * DAY),
                end_date: None,
                topics: vec![],
                commitment_ids: vec![],
                organisation_ids: vec![org.id],
            };
            db.create_project_from_idea(idea, &project).await?;
        }
    }
    Ok(())
}

/// Applies an analyst's edit to a review and stores it with its note, as the review page does.
async fn edit_review(
    db: &Db,
    review: &mut Review,
    analysis: i64,
    admin: i64,
    edit: Edit,
    action: &str,
) -> anyhow::Result<()> {
    let note = review.apply(&edit).map_err(anyhow::Error::msg)?;
    let json = serde_json::to_string(review)?;
    db.save_review(analysis, &json, Some(admin), action, &note)
        .await?;
    Ok(())
}

/// Keeps the engine's name of every theme the demo did not rename (an analyst checks each
/// name before publishing), then publishes the analysis.
async fn publish(db: &Db, review: &mut Review, analysis: i64, admin: i64) -> anyhow::Result<()> {
    let unchecked: Vec<(String, String)> = (review.unreviewed_names().iter())
        .map(|t| (t.id.clone(), t.label.clone()))
        .collect();
    for (theme, label) in unchecked {
        let keep = Edit::Rename { theme, label };
        edit_review(db, review, analysis, admin, keep, "rename").await?;
    }
    db.publish_analysis(analysis, Some(admin)).await?;
    Ok(())
}

/// Analyses one question of an exercise at once, as the worker would; returns the analysis and
/// its review, for the demo to edit as an analyst.
async fn analyse(
    db: &Db,
    exercise_id: i64,
    question: &str,
    admin: i64,
) -> anyhow::Result<(i64, Review)> {
    let analysis = db
        .request_analysis(exercise_id, question, Some(admin))
        .await?;
    // The demo's generated answers are written for the lexical engine's themes, which the
    // demo then edits as an analyst would.
    crate::jobs::analysis::run_pending(db, &crate::analyse::model::Engine::lexical()).await?;
    let review = db.analysis(analysis).await?.review;
    let review = review.ok_or_else(|| anyhow::anyhow!("the demo's analysis has no review"))?;
    Ok((analysis, review.0))
}
