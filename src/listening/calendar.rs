//! What a reader following consultations wants to hear of: one is announced, opens, closes,
//! or has its results published. The Atom feeds of consultations list these, newest first.

use crate::domain::WindowState;
use crate::domain::time::Timestamp;
use crate::store::exercises::Exercise;
use serde::Serialize;

crate::domain::named! {
    /// A point in an exercise's life that readers are told of.
    pub enum Milestone {
        /// Published before it opens: readers learn when it will.
        Announced = "announced",
        Opened = "opened",
        Closed = "closed",
        ResultsPublished = "results",
    }
}

/// A milestone of one exercise, and when it happened.
#[derive(Debug, Serialize)]
pub struct Event<'a> {
    pub milestone: Milestone,
    pub at: Timestamp,
    pub exercise: &'a Exercise,
}

/// The milestones reached by `now`, newest first, at most `limit`. An exercise not yet open
/// is announced as of its last change; once it opens, "opened" replaces that.
pub fn events(exercises: &[Exercise], now: Timestamp, limit: usize) -> Vec<Event<'_>> {
    let mut events = Vec::new();
    for e in exercises {
        let mut reached = |milestone, at| {
            events.push(Event {
                milestone,
                at,
                exercise: e,
            })
        };
        match e.state(now) {
            WindowState::Upcoming => reached(Milestone::Announced, e.updated_at.min(now)),
            WindowState::Open => reached(Milestone::Opened, e.opens_at),
            WindowState::Closed => {
                reached(Milestone::Opened, e.opens_at);
                reached(Milestone::Closed, e.closes_at);
            }
        }
        if let Some(at) = e.results_published_at {
            reached(Milestone::ResultsPublished, at);
        }
    }
    events.sort_by(|a, b| b.at.cmp(&a.at).then(a.exercise.id.cmp(&b.exercise.id)));
    events.truncate(limit);
    events
}
