//! E-mail subscriptions as the pages and the sending jobs share them: signed links for an
//! address (manage, one-click unsubscribe), the lists' names, and the messages themselves.
//! See docs/email.md; the sending is `jobs::notices`, the pages `web::subscriptions`.

use crate::auth::{constant_time_eq, random_token, token_hash};
use crate::domain::subscription::{Frequency, List, NoticeKind};
use crate::store::alerts::Staff;
use crate::store::notices::Notice;
use crate::store::outbox::NewMail;
use crate::store::subscriptions::Subscriber;
use crate::store::{Db, StoreResult};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use minijinja::{Environment, context};
use sha2::Sha256;
use std::collections::HashMap;

/// Signs and checks an address's links with the site's key: whoever holds a message to an
/// address can manage that address's subscriptions, and no one else can.
#[derive(Clone)]
pub struct Links {
    key: Vec<u8>,
    base: String,
}

/// Whom a link or message is for: a subscriber's id and address.
#[derive(Debug, Clone, Copy)]
pub struct Addressee<'a> {
    pub id: i64,
    pub email: &'a str,
}

impl<'a> From<&'a Subscriber> for Addressee<'a> {
    fn from(s: &'a Subscriber) -> Addressee<'a> {
        Addressee {
            id: s.id,
            email: &s.email,
        }
    }
}

/// What a one-click unsubscribe leaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leave {
    /// One list (a message sent as it happened).
    List(List),
    /// Every list sent at this frequency (a digest).
    Every(Frequency),
}

impl Links {
    /// The links of the site at `base` (`--public-url`).
    pub async fn load(db: &Db, base: &str) -> StoreResult<Links> {
        let key = db.link_signing_key(&random_token()).await?;
        Ok(Links {
            key: key.into_bytes(),
            base: base.trim_end_matches('/').to_string(),
        })
    }

    fn signature(&self, id: i64, email: &str) -> String {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes a key of any length");
        // The address is signed too, so a deleted subscriber's id given to another address
        // does not make the old links work for it.
        mac.update(format!("subscriber:{id}:{email}").as_bytes());
        URL_SAFE_NO_PAD.encode(&mac.finalize().into_bytes()[..24])
    }

    /// The token in an address's links: its id and the signature.
    pub fn token(&self, to: Addressee) -> String {
        format!("{}.{}", to.id, self.signature(to.id, to.email))
    }

    /// The subscriber a token was made for, if the signature holds.
    pub async fn check(&self, db: &Db, token: &str) -> StoreResult<Option<Subscriber>> {
        let Some((id, signature)) = token.split_once('.') else {
            return Ok(None);
        };
        let Ok(id) = id.parse::<i64>() else {
            return Ok(None);
        };
        let Some(subscriber) = db.subscriber(id).await? else {
            return Ok(None);
        };
        Ok(
            constant_time_eq(signature, &self.signature(subscriber.id, &subscriber.email))
                .then_some(subscriber),
        )
    }

    /// The address's page of subscriptions, from this site.
    pub fn manage_path(&self, to: Addressee) -> String {
        format!("/subscriptions/manage?s={}", self.token(to))
    }

    pub fn manage_url(&self, to: Addressee) -> String {
        self.page_url(&self.manage_path(to))
    }

    /// Where "Unsubscribe" goes (and a mail client posts, RFC 8058), from this site.
    pub fn unsubscribe_path(&self, to: Addressee, leave: Leave) -> String {
        let what = match leave {
            Leave::List(list) => format!("list={list}"),
            Leave::Every(f) => format!("frequency={}", f.as_str()),
        };
        format!("/subscriptions/unsubscribe?s={}&{what}", self.token(to))
    }

    pub fn unsubscribe_url(&self, to: Addressee, leave: Leave) -> String {
        self.page_url(&self.unsubscribe_path(to, leave))
    }

    pub fn confirm_url(&self, token: &str) -> String {
        format!("{}/subscriptions/confirm?token={token}", self.base)
    }

    pub fn page_url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// Names of lists, as readers see them.
pub struct ListNames(HashMap<List, String>);

impl ListNames {
    pub async fn load(db: &Db) -> StoreResult<ListNames> {
        Ok(ListNames(db.named_lists().await?.into_iter().collect()))
    }

    pub fn name(&self, list: List) -> String {
        match list {
            List::Hub => "Everything published on Townhall".into(),
            List::Consultations => "Consultations, surveys and reviews".into(),
            List::Programme => "Programme updates".into(),
            List::Organisation(_) | List::Category(_) | List::Topic(_) | List::Results(_) => {
                let what = match list {
                    List::Organisation(_) => "News from",
                    List::Category(_) => "Blog posts in",
                    List::Results(_) => "The results of",
                    _ => "Everything about",
                };
                match self.0.get(&list) {
                    Some(name) => format!("{what} {name}"),
                    None => "A list that no longer exists".into(),
                }
            }
        }
    }

    /// Every list a reader may choose on the sign-up form, the site-wide ones first (an
    /// exercise's results are asked for from its confirmation page).
    pub fn all(&self) -> Vec<(List, String)> {
        let mut lists: Vec<List> = (self.0.keys().copied())
            .filter(|l| !matches!(l, List::Results(_)))
            .collect();
        lists.sort();
        [List::Hub, List::Consultations, List::Programme]
            .into_iter()
            .chain(lists)
            .map(|l| (l, self.name(l)))
            .collect()
    }

    pub fn exists(&self, list: List) -> bool {
        matches!(list, List::Hub | List::Consultations | List::Programme)
            || self.0.contains_key(&list)
    }
}

/// A message made for one address, owned until it is queued.
pub struct Mail {
    pub recipient: String,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    pub unsubscribe_url: Option<String>,
    pub subscriber_id: Option<i64>,
}

impl Mail {
    pub fn as_new(&self) -> NewMail<'_> {
        NewMail {
            recipient: &self.recipient,
            subject: &self.subject,
            body: &self.text,
            html: self.html.as_deref(),
            unsubscribe_url: self.unsubscribe_url.as_deref(),
            subscriber_id: self.subscriber_id,
        }
    }
}

#[derive(serde::Serialize)]
struct NoticeView<'a> {
    heading: &'static str,
    title: &'a str,
    summary: &'a str,
    url: String,
    happened_at: i64,
    kind: NoticeKind,
}

/// Renders the text and HTML parts of `template` (`mail/NAME.txt` and `.html`).
fn render(
    templates: &Environment<'static>,
    template: &str,
    ctx: minijinja::Value,
) -> Result<(String, String), minijinja::Error> {
    let text = templates
        .get_template(&format!("mail/{template}.txt"))?
        .render(&ctx)?;
    let html = templates
        .get_template(&format!("mail/{template}.html"))?
        .render(&ctx)?;
    Ok((text, html))
}

/// The message for `notices` to `subscriber`: one notice as it happened (`why` is the list
/// it came by), or a digest.
pub fn notices_mail(
    templates: &Environment<'static>,
    links: &Links,
    to: Addressee,
    notices: &[Notice],
    leave: Leave,
    why: &str,
) -> Result<Mail, minijinja::Error> {
    let views: Vec<NoticeView> = notices
        .iter()
        .map(|n| NoticeView {
            heading: n.kind.heading(),
            title: &n.title,
            summary: &n.summary,
            url: links.page_url(&n.path),
            happened_at: n.happened_at.secs(),
            kind: n.kind,
        })
        .collect();
    let subject = match (leave, notices) {
        (Leave::List(_), [one]) => format!("{}: {}", one.kind.heading(), one.title),
        (_, many) => {
            let period = match leave {
                Leave::Every(Frequency::Weekly) => "weekly",
                _ => "daily",
            };
            let items = if many.len() == 1 {
                "1 new item".to_string()
            } else {
                format!("{} new items", many.len())
            };
            format!("Your {period} update from Townhall: {items}")
        }
    };
    let unsubscribe_url = links.unsubscribe_url(to, leave);
    let (text, html) = render(
        templates,
        "notices",
        context! {
            subject => &subject,
            notices => minijinja::value::Serde(&views),
            digest => matches!(leave, Leave::Every(_)),
            why,
            manage_url => links.manage_url(to),
            unsubscribe_url => &unsubscribe_url,
        },
    )?;
    Ok(Mail {
        recipient: to.email.to_string(),
        subject,
        text,
        html: Some(html),
        unsubscribe_url: Some(unsubscribe_url),
        subscriber_id: Some(to.id),
    })
}

/// Asks `email` to confirm following `lists`: queues the one message sent before
/// confirmation, with a new link (an older one stops working).
pub async fn ask_to_confirm(
    db: &Db,
    templates: &Environment<'static>,
    links: &Links,
    email: &str,
    choices: &[(List, Frequency)],
    names: &ListNames,
) -> anyhow::Result<()> {
    let token = random_token();
    let lists: Vec<String> = choices.iter().map(|(l, _)| names.name(*l)).collect();
    let frequency = choices.first().map(|(_, f)| f.as_str()).unwrap_or("daily");
    let subject = "Confirm you want emails from Townhall";
    let (text, html) = render(
        templates,
        "confirm",
        context! {
            subject,
            lists,
            frequency,
            confirm_url => links.confirm_url(&token),
            valid_days => crate::domain::subscription::CONFIRM_WITHIN_SECS / 86_400,
        },
    )?;
    let mail = NewMail {
        recipient: email,
        subject,
        body: &text,
        html: Some(&html),
        ..NewMail::default()
    };
    db.subscribe(email, choices, &token_hash(&token), &mail)
        .await?;
    Ok(())
}

/// A plain-text message to a member of staff about their work, with where to turn such
/// messages off.
pub fn staff_mail(links: &Links, to: &Staff, subject: String, lines: &[String], why: &str) -> Mail {
    let text = format!(
        "Hello {},\n\n{}\n\nYou get this email because {why}. To stop these emails, change \
         your settings: {}\n",
        to.name,
        lines.join("\n\n"),
        links.page_url("/account#alerts"),
    );
    Mail {
        recipient: to.email.clone(),
        subject,
        text,
        html: None,
        unsubscribe_url: None,
        subscriber_id: None,
    }
}
