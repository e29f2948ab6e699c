//! Conversations: short statements voted on agree, disagree or pass (docs/deliberation.md).

super::named! {
    /// A participant's statement waits for a moderator; the hosts' statements, and those a
    /// moderator approved, are shown and voted on; a rejected one is hidden and leaves the maths.
    pub enum StatementStatus {
        Pending = "pending",
        Approved = "approved",
        Rejected = "rejected",
    }
}

impl StatementStatus {
    /// As Pol.is's `moderated` column has it: shown, unmoderated, hidden.
    pub fn moderation(self) -> opinion::Moderation {
        match self {
            StatementStatus::Approved => opinion::Moderation::Shown,
            StatementStatus::Pending => opinion::Moderation::Unmoderated,
            StatementStatus::Rejected => opinion::Moderation::Hidden,
        }
    }

    pub fn from_moderation(moderation: opinion::Moderation) -> StatementStatus {
        match moderation {
            opinion::Moderation::Shown => StatementStatus::Approved,
            opinion::Moderation::Unmoderated => StatementStatus::Pending,
            opinion::Moderation::Hidden => StatementStatus::Rejected,
        }
    }
}
