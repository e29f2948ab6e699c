//! The accessibility statement, privacy notice and cookies page: linked from every footer,
//! filled with defaults from the settings, edited by an admin.

use crate::publishing::person;
use crate::support;
use townhall::domain::role::Role;

#[tokio::test]
async fn every_footer_link_resolves_on_every_kind_of_page() {
    let t = support::spawn().await;
    let admin = support::TestApp::handle(&t);
    admin.sign_in_admin().await;
    let pages = [
        "/",
        "/blog",
        "/topics",
        "/consultations",
        "/programme",
        "/search?q=library",
        "/sign-in",
        "/data",
        "/accessibility",
        "/privacy",
        "/cookies",
        "/no-such-page",
    ];
    let footer = scraper::Selector::parse("footer a").unwrap();
    let mut checked = 0;
    for path in pages {
        for who in [&t, &admin] {
            let (_, html) = who.get_text(path).await;
            let links: Vec<String> = scraper::Html::parse_document(&html)
                .select(&footer)
                .filter_map(|a| a.attr("href").map(str::to_string))
                .filter(|href| href.starts_with('/'))
                .collect();
            assert!(
                links.iter().any(|l| l == "/accessibility")
                    && links.iter().any(|l| l == "/privacy")
                    && links.iter().any(|l| l == "/cookies"),
                "{path}: {links:?}"
            );
            for link in links {
                assert_eq!(
                    who.get(&link).await.status(),
                    200,
                    "{link} in the footer of {path}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= pages.len() * 2 * 6);
}

#[tokio::test]
async fn the_defaults_name_the_department_and_an_admin_makes_them_their_own() {
    let t = support::spawn().await;
    let (_, accessibility) = t.get_text("/accessibility").await;
    assert!(accessibility.contains("This website is run by Department of Community Services"));
    assert!(accessibility.contains("WCAG") || accessibility.contains("Web Content Accessibility"));
    let (_, cookies) = t.get_text("/cookies").await;
    assert!(cookies.contains("townhall_session") && cookies.contains("townhall_visitor"));

    let admin = support::TestApp::handle(&t);
    admin.sign_in_admin().await;
    let token = admin.csrf_token("/admin/statements").await;
    let r = admin
        .post_form(
            "/admin/statements",
            &[("csrf_token", &token), ("contact_email", "not an address")],
        )
        .await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("There is a problem"));
    let r = admin
        .post_form(
            "/admin/statements",
            &[
                ("csrf_token", &token),
                ("contact_email", "Access@Example.gov.uk"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, privacy) = t.get_text("/privacy").await;
    assert!(
        privacy.contains(r#"href="mailto:access@example.gov.uk""#),
        "the kept page was made again with the address"
    );

    let form = "/admin/statements/accessibility";
    let (_, page) = admin.get_text(form).await;
    assert!(page.contains("This is the default text"));
    let text = "## Our statement\n\nWritten by us. <script>alert(1)</script>";
    let token = admin.csrf_token(form).await;
    let r = admin
        .post_form(form, &[("csrf_token", &token), ("body", text)])
        .await;
    assert_eq!(r.status(), 303);
    let (_, shown) = t.get_text("/accessibility").await;
    assert!(shown.contains("Written by us."));
    assert!(!shown.contains("<script>alert"), "sanitised like any body");
    assert!(!shown.contains("This website is run by"));

    // Empty brings the default back.
    let r = admin
        .post_form(form, &[("csrf_token", &token), ("body", "  ")])
        .await;
    assert_eq!(r.status(), 303);
    let (_, shown) = t.get_text("/accessibility").await;
    assert!(shown.contains("This website is run by"));

    // Editors cannot change them.
    let editor = person(&t, "ed@example.org", Role::Editor, "community-services").await;
    assert_eq!(editor.get(form).await.status(), 403);
    assert_eq!(editor.get("/admin/statements/nonsense").await.status(), 403);
}
