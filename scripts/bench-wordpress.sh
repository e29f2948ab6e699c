#!/usr/bin/env bash
# WordPress import benchmark: a generated export laid out as WordPress 6 writes one (POSTS
# posts in 8 categories and 20 tags, each with three paragraphs of classic-editor HTML, a
# heading, a link and 5 comments in mixed states, plus 50 pages), imported into a fresh
# SQLite database with the release build; then imported again, which must add nothing.
# Prints the wall time and peak memory of each run and the database size. Files
# (attachments) are left out: re-encoding images is measured in "Media library".
#
#   scripts/bench-wordpress.sh [posts, default 2000]
#   TOWNHALL_BIN=/path/to/townhall scripts/bench-wordpress.sh   # another build
set -euo pipefail
cd "$(dirname "$0")/.."
posts=${1:-2000}
bin=${TOWNHALL_BIN:-}
[ -n "$bin" ] || { cargo build --release -q; bin=target/release/townhall; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
db="sqlite://$work/bench.db"

python3 - "$posts" > "$work/export.xml" <<'PY'
import sys
n = int(sys.argv[1])
states = ["1", "1", "1", "0", "spam"]
out = ['<?xml version="1.0" encoding="UTF-8" ?>',
       '<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" '
       'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
       'xmlns:wfw="http://wellformedweb.org/CommentAPI/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
       'xmlns:wp="http://wordpress.org/export/1.2/">', '<channel>',
       '<title>Bench blog</title><link>https://bench.blog.example</link>',
       '<wp:wxr_version>1.2</wp:wxr_version>',
       '<wp:base_blog_url>https://bench.blog.example</wp:base_blog_url>']
for a in range(5):
    out.append(f'<wp:author><wp:author_login><![CDATA[author{a}]]></wp:author_login>'
               f'<wp:author_display_name><![CDATA[Author Number {a}]]></wp:author_display_name></wp:author>')
def item(i, kind):
    day = 1 + i % 28
    month = 1 + (i // 28) % 12
    year = 2015 + i // 336
    date = f"{year}-{month:02d}-{day:02d} 10:00:00"
    body = (f"We have been working on service number {i} this month.\n\n"
            f"<h2>What we learned</h2>\nPeople told us the forms were too long, so we "
            f"<a href=\"https://www.example.gov.uk/service/{i}\">shortened them</a>.\n"
            f"Completion went up by {i % 17} percent.\n\n"
            f"<strong>Next</strong> we will test the new design with 20 more people.")
    lines = [f'<item><title><![CDATA[Update {i} on the service &amp; its forms]]></title>',
             f'<link>https://bench.blog.example/{year}/{month:02d}/{day:02d}/update-{i}/</link>',
             f'<dc:creator><![CDATA[author{i % 5}]]></dc:creator>',
             f'<content:encoded><![CDATA[{body}]]></content:encoded>',
             f'<excerpt:encoded><![CDATA[]]></excerpt:encoded>',
             f'<wp:post_id>{i}</wp:post_id><wp:post_date><![CDATA[{date}]]></wp:post_date>',
             f'<wp:post_date_gmt><![CDATA[{date}]]></wp:post_date_gmt>',
             f'<wp:comment_status><![CDATA[open]]></wp:comment_status>',
             f'<wp:post_name><![CDATA[update-{i}]]></wp:post_name>',
             f'<wp:status><![CDATA[publish]]></wp:status>',
             f'<wp:post_type><![CDATA[{kind}]]></wp:post_type>']
    if kind == "post":
        lines.append(f'<category domain="category" nicename="c{i % 8}"><![CDATA[Category {i % 8}]]></category>')
        lines.append(f'<category domain="post_tag" nicename="t{i % 20}"><![CDATA[Tag {i % 20}]]></category>')
        for c in range(5):
            cid = i * 10 + c
            lines.append(f'<wp:comment><wp:comment_id>{cid}</wp:comment_id>'
                         f'<wp:comment_author><![CDATA[Reader {cid}]]></wp:comment_author>'
                         f'<wp:comment_author_email><![CDATA[r{cid}@example.com]]></wp:comment_author_email>'
                         f'<wp:comment_date_gmt><![CDATA[{date}]]></wp:comment_date_gmt>'
                         f'<wp:comment_content><![CDATA[Thanks &#8211; comment {c} on update {i}.]]></wp:comment_content>'
                         f'<wp:comment_approved><![CDATA[{states[c]}]]></wp:comment_approved>'
                         f'<wp:comment_type><![CDATA[comment]]></wp:comment_type></wp:comment>')
    lines.append('</item>')
    return "\n".join(lines)
for i in range(1, n + 1):
    out.append(item(i, "post"))
for i in range(n + 1, n + 51):
    out.append(item(i, "page"))
out.append('</channel></rss>')
print("\n".join(out))
PY

$bin organisation add --database "$db" --name "Bench department" --slug bench >/dev/null
echo "export: $posts posts with $((posts * 5)) comments, 50 pages; $(du -k "$work/export.xml" | cut -f1) KiB"
for run in first second; do
    /usr/bin/time -f "%e %M" -o "$work/time" $bin import wordpress "$work/export.xml" \
        --database "$db" > "$work/summary"
    read -r secs kib < "$work/time"
    echo "$run run: ${secs} s, peak RSS $((kib / 1024)) MiB"
    sed 's/^/    /' "$work/summary" | head -6
done
echo "database: $(du -k "$work/bench.db" | cut -f1) KiB"
