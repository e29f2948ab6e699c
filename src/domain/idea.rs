//! Ideas in a challenge.

super::named! {
    /// Held for moderation, then approved (public, open to votes), shortlisted by the panel
    /// (public, scored, may become a project) or rejected with a reason.
    pub enum IdeaStatus {
        Pending = "pending",
        Approved = "approved",
        Shortlisted = "shortlisted",
        Rejected = "rejected",
    }
}

impl IdeaStatus {
    /// What the public sees and may vote on.
    pub const PUBLIC: &'static [IdeaStatus] = &[IdeaStatus::Approved, IdeaStatus::Shortlisted];

    pub fn is_public(self) -> bool {
        IdeaStatus::PUBLIC.contains(&self)
    }
}
