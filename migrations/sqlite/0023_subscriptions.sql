-- E-mail subscriptions (docs/email.md): readers follow lists (the hub, an organisation, a
-- category, a topic, consultations, the programme) immediately, daily or weekly, after
-- confirming their address; what is published becomes a notice, sent through the outbox.

-- An address that follows something. Nothing but the confirmation is sent until
-- `confirmed_at`; unconfirmed addresses are deleted after seven days. A relay that refuses the
-- address permanently adds to `refusals`; after three in a row it is paused.
CREATE TABLE subscribers (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    email              TEXT NOT NULL UNIQUE,
    confirm_token_hash TEXT UNIQUE,
    confirm_sent_at    INTEGER,
    confirmed_at       INTEGER,
    refusals           INTEGER NOT NULL DEFAULT 0,
    last_refusal       TEXT,
    paused_at          INTEGER,
    created_at         INTEGER NOT NULL
);

-- One list an address follows. A new one waits for the address's confirmation link
-- (`confirmed_at` NULL) even when the address has confirmed others. `since_notice`: notices
-- up to this id were published before it began (or changed frequency), so never sent for it.
CREATE TABLE subscriptions (
    subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
    list          TEXT NOT NULL,
    frequency     TEXT NOT NULL CHECK (frequency IN ('immediately', 'daily', 'weekly')),
    since_notice  INTEGER NOT NULL DEFAULT 0,
    confirmed_at  INTEGER,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (subscriber_id, list)
);
CREATE INDEX subscriptions_list ON subscriptions(list, frequency, subscriber_id);

-- Something published that subscribers hear of: a post, a consultation opening, closing or
-- publishing results, a project update. Found once (kind, source_id) by the scan.
-- `sent_through`: subscribers (by id) whose immediate message is queued; `done_at` once all are.
CREATE TABLE notices (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL,
    source_id     INTEGER NOT NULL,
    title         TEXT NOT NULL,
    summary       TEXT NOT NULL,
    path          TEXT NOT NULL,
    happened_at   INTEGER NOT NULL,
    sent_through  INTEGER NOT NULL DEFAULT 0,
    done_at       INTEGER,
    claimed_until INTEGER,
    UNIQUE (kind, source_id)
);
CREATE INDEX notices_to_send ON notices(id) WHERE done_at IS NULL;
CREATE TABLE notice_lists (
    notice_id INTEGER NOT NULL REFERENCES notices(id) ON DELETE CASCADE,
    list      TEXT NOT NULL,
    PRIMARY KEY (notice_id, list)
);
CREATE INDEX notice_lists_list ON notice_lists(list, notice_id);

-- A daily or weekly digest due at `due_at`: notices after the previous round's
-- `through_notice` up to this one's, for every subscriber (by id) up to `sent_through`.
CREATE TABLE digest_rounds (
    frequency      TEXT NOT NULL CHECK (frequency IN ('daily', 'weekly')),
    due_at         INTEGER NOT NULL,
    after_notice   INTEGER NOT NULL,
    through_notice INTEGER NOT NULL,
    sent_through   INTEGER NOT NULL DEFAULT 0,
    done_at        INTEGER,
    claimed_until  INTEGER,
    PRIMARY KEY (frequency, due_at)
);

-- How far the scan for new notices has read (one row).
CREATE TABLE notice_scan (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    scanned_to  INTEGER NOT NULL,
    claimed_until INTEGER
);
-- Nothing published before subscriptions existed is announced.
INSERT INTO notice_scan (id, scanned_to) VALUES (1, CAST(strftime('%s', 'now') AS INTEGER));

-- Messages to subscribers carry an HTML part and a one-click unsubscribe address (RFC 8058),
-- and are deleted with the subscriber.
ALTER TABLE outbox ADD COLUMN html TEXT;
ALTER TABLE outbox ADD COLUMN unsubscribe_url TEXT;
ALTER TABLE outbox ADD COLUMN subscriber_id INTEGER REFERENCES subscribers(id) ON DELETE CASCADE;
CREATE INDEX outbox_subscriber ON outbox(subscriber_id) WHERE subscriber_id IS NOT NULL;
