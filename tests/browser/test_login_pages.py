"""The login pages in the real browser (Debian's Chromium through Playwright) against the real
``krav serve``, on SQLite and PostgreSQL: bokmål with the English switch, the wrong-password
message next to the field, throttling, login to the home page and logout, a form without its
CSRF token refused, password reset by the link that ``krav dispatch`` mails, and on every page
axe's WCAG 2.1 AA rules, visible keyboard focus and no sideways scrolling at 360 px."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from typing import Any

import pytest
from tests.browser_support import (
    DESKTOP,
    PASSWORD,
    PHONE,
    assert_accessible,
    assert_fits,
)

NEW_PASSWORD = "et nytt og langt passord"


def submit(page: Any, form: str) -> Any:
    """Click the form's submit button; the response of the page it leads to."""
    with page.expect_navigation() as navigation:
        page.locator(f"form[action='{form}'] button[type=submit]").click()
    return navigation.value


def fill_login(page: Any, email: str, password: str) -> Any:
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    return submit(page, "/login")


def session_cookie(page: Any) -> list[dict[str, Any]]:
    return [c for c in page.context.cookies() if c["name"] == "krav_session"]


def test_the_login_page_is_norwegian_with_an_english_switch(site, phone) -> None:  # type: ignore[no-untyped-def]
    phone.goto(site.url("/login"))
    assert phone.locator("html").get_attribute("lang") == "nb"
    assert phone.title() == "Logg inn · krav"
    assert phone.get_by_role("heading", level=1).inner_text() == "Logg inn"
    assert phone.get_by_label("E-post").is_visible() and phone.get_by_label("Passord").is_visible()
    switch = phone.get_by_role("link", name="English")
    assert switch.get_attribute("lang") == "en"
    with phone.expect_navigation():
        switch.click()
    assert phone.locator("html").get_attribute("lang") == "en"
    assert phone.get_by_role("heading", level=1).inner_text() == "Log in"
    assert phone.get_by_label("E-mail").is_visible()
    assert phone.get_by_label("Password").is_visible()
    # the choice is remembered on the next page
    with phone.expect_navigation():
        phone.get_by_role("link", name="Forgot your password?").click()
    assert phone.get_by_role("heading", level=1).inner_text() == "Forgotten password"
    assert phone.locator("html").get_attribute("lang") == "en"
    with phone.expect_navigation():
        phone.get_by_role("link", name="Norsk").click()
    assert phone.get_by_role("heading", level=1).inner_text() == "Glemt passord"
    assert phone.locator("html").get_attribute("lang") == "nb"


def test_a_wrong_password_is_told_next_to_the_field(site, phone) -> None:  # type: ignore[no-untyped-def]
    site.user("ops@krav.example", "admin")
    phone.goto(site.url("/login"))
    answer = fill_login(phone, "ops@krav.example", "feil passord")
    assert answer.status == 401 and not session_cookie(phone)
    error = phone.locator("#login-error")
    assert error.inner_text() == "Feil e-post eller passord."
    assert error.get_attribute("role") == "alert"
    # the e-mail is kept, the password is not; both fields point at the message
    assert phone.locator("#email").input_value() == "ops@krav.example"
    assert phone.locator("#password").input_value() == ""
    for field in ("#email", "#password"):
        assert "login-error" in phone.locator(field).get_attribute("aria-describedby").split()
        assert phone.locator(field).get_attribute("aria-invalid") == "true"
    # next to the password field: right under it, before the button
    box, field = error.bounding_box(), phone.locator("#password").bounding_box()
    button = phone.locator("form[action='/login'] button").bounding_box()
    assert field["y"] + field["height"] <= box["y"] < field["y"] + field["height"] + 40
    assert box["y"] + box["height"] <= button["y"]
    assert_accessible(phone)
    assert_fits(phone)


def test_repeated_failures_lock_the_login(site, phone) -> None:  # type: ignore[no-untyped-def]
    site.user("ops@krav.example", "admin")
    phone.goto(site.url("/login"))
    for _ in range(4):
        assert fill_login(phone, "ops@krav.example", "feil passord").status == 401
    locked = fill_login(phone, "ops@krav.example", "feil passord")
    assert locked.status == 429 and locked.headers["retry-after"]
    message = phone.locator("#login-error").inner_text()
    assert re.fullmatch(r"For mange mislykkede forsøk\. Prøv igjen om 1 minutt\(er\)\.", message)
    # even the right password is refused while the lock lasts, with the same message
    right = fill_login(phone, "ops@krav.example", PASSWORD)
    assert right.status == 429 and not session_cookie(phone)
    assert phone.locator("#login-error").inner_text() == message
    assert_accessible(phone)


def test_a_correct_login_lands_on_the_home_page_and_logout_ends_it(site, desktop) -> None:  # type: ignore[no-untyped-def]
    orgnr = site.creditor()
    site.user("kunde@nordlys.no", "creditor_admin", creditor=orgnr)
    desktop.goto(site.url("/"))
    assert desktop.url == site.url("/login")  # not logged in: sent to the login page
    answer = fill_login(desktop, "Kunde@Nordlys.no", PASSWORD)
    assert answer.status == 200 and desktop.url == site.url("/")
    assert desktop.get_by_role("heading", level=1).inner_text() == "Du er innlogget"
    text = desktop.locator("main").inner_text()
    assert "kunde@nordlys.no" in text and "Oppdragsgivers administrator" in text
    assert f"Nordlys Energi AS ({orgnr})" in text
    cookie = session_cookie(desktop)
    assert len(cookie) == 1 and cookie[0]["httpOnly"] and cookie[0]["sameSite"] == "Lax"
    assert_accessible(desktop)

    out = submit(desktop, "/logout")
    assert out.status == 200 and desktop.url == site.url("/login?melding=ut")
    assert desktop.get_by_role("status").inner_text() == "Du er logget ut."
    assert not session_cookie(desktop)
    desktop.goto(site.url("/"))
    assert desktop.url == site.url("/login")


def test_a_form_posted_without_its_csrf_token_is_refused(site, phone) -> None:  # type: ignore[no-untyped-def]
    site.user("ops@krav.example", "admin")
    phone.goto(site.url("/login"))
    phone.locator("input[name=csrf]").evaluate("input => input.remove()")
    refused = fill_login(phone, "ops@krav.example", PASSWORD)
    assert refused.status == 403 and not session_cookie(phone)
    assert phone.locator("html").get_attribute("lang") == "nb"
    assert "Skjemaet er utløpt eller kom ikke fra denne siden" in phone.locator("main").inner_text()
    assert_accessible(phone)
    assert_fits(phone)
    # a token that is not this visitor's is refused the same way
    phone.goto(site.url("/login"))
    phone.locator("input[name=csrf]").evaluate("input => input.value = 'f'.repeat(64)")
    assert fill_login(phone, "ops@krav.example", PASSWORD).status == 403
    # logged in, a logout without the session's token does not end the session
    phone.goto(site.url("/login"))
    assert fill_login(phone, "ops@krav.example", PASSWORD).status == 200
    phone.locator("input[name=csrf]").evaluate("input => input.remove()")
    assert submit(phone, "/logout").status == 403
    phone.goto(site.url("/"))
    assert phone.url == site.url("/") and session_cookie(phone)


def dispatch_mail(db_url: str) -> list[Any]:
    """``krav dispatch --once`` against a local SMTP server; the messages it got."""
    from tests.letters_support import SmtpSink

    with SmtpSink() as sink:
        env = {**os.environ, "KRAV_SMTP_HOST": "127.0.0.1", "KRAV_SMTP_PORT": str(sink.port)}
        done = subprocess.run([sys.executable, "-m", "krav", "dispatch", "--once", "--json",
                               "--db", db_url], env=env, capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == {"account_mail_sent": len(sink.messages)}
        return list(sink.messages)


def test_a_forgotten_password_is_reset_by_the_mailed_link(site, phone) -> None:  # type: ignore[no-untyped-def]
    site.user("ops@krav.example", "admin")
    phone.goto(site.url("/login"))
    with phone.expect_navigation():
        phone.get_by_role("link", name="Glemt passordet?").click()
    phone.get_by_label("E-post").fill("ops@krav.example")
    assert submit(phone, "/passord/glemt").status == 200
    assert phone.get_by_role("status").inner_text().startswith(
        "Hvis adressen hører til en bruker, er en lenke sendt til den.")
    assert_accessible(phone)

    [mail] = dispatch_mail(site.server.db_url)
    assert mail["To"] == "ops@krav.example" and mail["Subject"] == "Nytt passord i krav"
    link = re.search(r"(http://\S+/passord/[A-Za-z0-9_-]+)", mail.get_content()).group(1)
    assert link.startswith(site.base)

    phone.goto(link)
    assert phone.get_by_role("heading", level=1).inner_text() == "Velg passord"
    assert "ops@krav.example" in phone.locator("main").inner_text()
    phone.get_by_label("Nytt passord").fill(NEW_PASSWORD)
    phone.get_by_label("Gjenta passordet").fill(NEW_PASSWORD + "x")
    mismatch = submit(phone, "/passord/" + link.rsplit("/", 1)[1])
    assert mismatch.status == 422
    error = phone.locator("#password-error")
    assert error.is_visible() and phone.locator("#repeated").get_attribute("aria-invalid") == "true"
    assert "password-error" in phone.locator("#repeated").get_attribute("aria-describedby")
    assert_accessible(phone)
    assert_fits(phone)

    phone.get_by_label("Nytt passord").fill(NEW_PASSWORD)
    phone.get_by_label("Gjenta passordet").fill(NEW_PASSWORD)
    saved = submit(phone, "/passord/" + link.rsplit("/", 1)[1])
    assert saved.status == 200 and phone.url == site.url("/login?melding=satt")
    assert phone.get_by_role("status").inner_text() == (
        "Passordet er lagret. Logg inn med det nye passordet.")
    assert fill_login(phone, "ops@krav.example", PASSWORD).status == 401  # the old one is gone
    assert fill_login(phone, "ops@krav.example", NEW_PASSWORD).status == 200
    assert phone.url == site.url("/")
    # the link worked once
    used = phone.goto(link)
    assert used.status == 404
    assert "ugyldig, brukt eller utløpt" in phone.locator("main").inner_text()


def visit_every_login_page(site, page) -> list[str]:  # type: ignore[no-untyped-def]
    """Walk the login pages in each state; after each one, run the checks. Returns the URLs."""
    seen: list[str] = []

    def check() -> None:
        assert_accessible(page)
        assert_fits(page)
        seen.append(page.url)

    site.user("ops@krav.example", "admin")
    link = site.url(site.user("ny@krav.example", "handler", password=None))
    for lang in ("nb", "en"):
        page.goto(site.url(f"/login?lang={lang}"))
        check()
        fill_login(page, "ops@krav.example", "feil passord")
        check()
        page.goto(site.url("/passord/glemt"))
        check()
        page.locator("#email").fill("ingen@krav.example")
        submit(page, "/passord/glemt")
        check()
        page.goto(link)
        check()
        page.locator("#password").fill("kort")
        page.locator("#repeated").fill("kort")
        page.locator("#password").evaluate("input => input.removeAttribute('minlength')")
        submit(page, urlpath(link))
        check()
        page.goto(site.url("/finnes/ikke"))
        check()
        assert page.goto(site.url("/login")).status == 200
        fill_login(page, "ops@krav.example", PASSWORD)
        check()
        submit(page, "/logout")
        check()
    return seen


def urlpath(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).path


# the pages are the same HTML on both databases (the flows above run on both): SQLite only
@pytest.mark.parametrize("server", ["sqlite"], indirect=True)
@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_every_login_page_passes_axe_and_fits_the_screen(site, page_at, size) -> None:  # type: ignore[no-untyped-def]
    seen = visit_every_login_page(site, page_at(size))
    assert len(seen) == 18


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """WCAG 2.1's contrast ratio of two sRGB colours."""
    def luminance(rgb: tuple[int, int, int]) -> float:
        c = [v / 255 for v in rgb]
        c = [v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in c]
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_keyboard_focus_is_visible(site, phone) -> None:  # type: ignore[no-untyped-def]
    """Tab through the login page: every stop shows an outline (WCAG 2.4.7) that stands out
    from the white page at 3:1 (1.4.11, non-text contrast)."""
    phone.goto(site.url("/login"))
    stops = []
    for _ in range(6):
        phone.keyboard.press("Tab")
        stops.append(phone.evaluate("""() => {
            const e = document.activeElement, s = getComputedStyle(e);
            return {what: e.id || e.textContent.trim(), style: s.outlineStyle,
                    width: parseFloat(s.outlineWidth), color: s.outlineColor,
                    page: getComputedStyle(document.body).backgroundColor};
        }"""))
    names = [s["what"] for s in stops]
    assert names[:6] == ["krav", "English", "email", "password", "Logg inn", "Glemt passordet?"]
    for stop in stops:
        assert stop["style"] != "none" and stop["width"] >= 2, stop
        outline, page = (tuple(int(v) for v in re.findall(r"\d+", stop[k])[:3])
                         for k in ("color", "page"))
        assert contrast(outline, page) >= 3, stop
