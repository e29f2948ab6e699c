#!/usr/bin/env python3
"""Fills a running Townhall (SQLite) with a consultation of many responses and published
results, for the serving benchmark: closed questions, a scale in a scored dimension, a
segment and a free-text question whose analysis is reviewed and published, as an analyst
would through the admin.

The responses are written straight into the database, as an import does (posting 100,000
through the API would take the benchmark's own time); everything else goes through the API
and the admin's forms.

    scripts/seed-large-consultation.py BASE_URL DATABASE_FILE API_TOKEN EMAIL PASSWORD N
Prints the consultation's slug.
"""
import http.cookiejar
import json
import random
import re
import sqlite3
import sys
import time
import urllib.parse
import urllib.request

base, db_file, token, email, password, n = sys.argv[1:7]
n = int(n)
slug = "library-services-review"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args):
        return None


browser = urllib.request.build_opener(
    urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect
)


def api(method, path, body=None):
    req = urllib.request.Request(
        base + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req) as r:
        return json.load(r)


def form(path, fields):
    """Posts an admin form as a browser would; returns the redirect's status."""
    req = urllib.request.Request(
        base + path,
        data=urllib.parse.urlencode(fields).encode(),
        headers={"Origin": base, "Content-Type": "application/x-www-form-urlencoded"},
    )
    try:
        with browser.open(req) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def csrf(path):
    with browser.open(base + path) as r:
        return re.search(r'name="csrf_token" value="([^"]+)"', r.read().decode()).group(1)


api("POST", "/api/v1/consultations", {
    "organisation": "community-services", "title": "Library services review", "slug": slug,
    "opens_at": "2020-01-01", "closes_at": "2099-01-01",
    "questions": [
        {"id": "change", "type": "text", "title": "What would you change?", "required": True},
        {"id": "branch", "type": "single", "title": "Which library do you use most?",
         "options": ["Central", "North", "South", "East", "West", "Mobile library"]},
        {"id": "when", "type": "multiple", "title": "When would you visit?",
         "options": ["Weekday mornings", "Weekday evenings", "Saturdays", "Sundays"]},
        {"id": "satisfied", "type": "scale", "title": "How satisfied are you?", "min": 1, "max": 5,
         "labels": ["Not at all", "Very"], "required": True},
        {"id": "welcome", "type": "scale", "title": "How welcome do you feel?", "min": 1, "max": 5,
         "labels": ["Not at all", "Very"]},
    ],
    "segments": [{"id": "who", "title": "Are you responding as",
                  "options": ["An individual", "An organisation", "A member of staff"]}],
    "dimensions": [{"id": "experience", "title": "Experience", "questions": ["satisfied", "welcome"],
                    "levels": [{"min": 0, "label": "Poor"}, {"min": 2.5, "label": "Fair"},
                               {"min": 4, "label": "Good"}]}],
})

rng = random.Random(7)
openings = ["Please open", "I would like the library open", "Open", "We need it open", "Stay open"]
whens = ["later in the evening", "on Sundays", "earlier in the morning", "all day Saturday"]
others = ["more computers", "a quieter study room", "longer loans", "more children's books",
          "fewer late fees", "a coffee machine", "better wifi", "more staff at the desk"]
rows = []
for i in range(n):
    text = (f"{rng.choice(openings)} {rng.choice(whens)}" if rng.random() < 0.5
            else f"We want {rng.choice(others)} and {rng.choice(others)}")
    answers = {
        "change": text,
        "branch": [rng.choice(["Central", "North", "South", "East", "West", "Mobile library"])],
        "when": rng.sample(["Weekday mornings", "Weekday evenings", "Saturdays", "Sundays"], rng.randint(1, 3)),
        "satisfied": rng.randint(1, 5),
        "welcome": rng.randint(1, 5),
    }
    segments = {"who": rng.choice(["An individual", "An individual", "An organisation", "A member of staff"])}
    rows.append((json.dumps(answers), json.dumps(segments), f"bench-{i}", int(time.time()) - 3600))
db = sqlite3.connect(db_file, timeout=30)
(exercise_id,) = db.execute("SELECT id FROM exercises WHERE slug = ?", (slug,)).fetchone()
db.executemany(
    "INSERT INTO responses (exercise_id, reference, submission_key, answers, segments, source,"
    " submitted_at) VALUES (?1, ?2, ?2, ?3, ?4, 'online', ?5)",
    [(exercise_id, ref, answers, segments, at) for answers, segments, ref, at in rows],
)
db.commit()
db.close()

analysis = api("POST", f"/api/v1/consultations/{slug}/analyses", {"question": "change"})["id"]
while (result := api("GET", f"/api/v1/analyses/{analysis}"))["status"] not in ("done", "failed"):
    time.sleep(0.5)
assert result["status"] == "done", result

assert form("/sign-in", {"email": email, "password": password}) == 303, "sign-in failed"
page = f"/admin/analyses/{analysis}"
token_field = csrf(page)
for theme in result["result"]["themes"]:
    # "Keep this name": the analyst checks each name the engine made.
    status = form(f"{page}/edit", {"csrf_token": token_field, "action": "rename",
                                   "theme": theme["id"], "label": theme["label"]})
    assert status == 303, f"keeping {theme['id']}: {status}"
assert form(f"{page}/publish", {"csrf_token": token_field}) == 303, "publishing the analysis"
assert form(f"/admin/consultations/{exercise_id}/results",
            {"csrf_token": token_field, "publish": "yes"}) == 303, "publishing the results"
print(slug)
