-- What each node's page cache depends on: a version per topic (posts, the register, one
-- exercise's results…), raised by every write that changes what its pages show. A node
-- raises it before answering the writer and keeps a cached page only while the versions it
-- was made from are current; the others read this table a few times a second.
CREATE TABLE content_versions (
    topic   TEXT PRIMARY KEY,
    version BIGINT NOT NULL
);
