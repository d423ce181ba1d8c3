"""One typed settings object, read from the environment at entry points; fails loudly.

The agency identity appears on every letter the agency sends (INKL § 10, inkassobevilling).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, fields
from pathlib import Path

from krav.kernel.errors import InvalidInput
from krav.kernel.ids import validate_orgnr


@dataclass(frozen=True)
class Agency:
    name: str = "Krav Inkasso AS"
    orgnr: str = "914778271"
    address: str = "Storgata 1"
    postcode: str = "0155"
    city: str = "Oslo"
    account_number: str = "15032080119"  # the client-funds account (klientkonto)
    # the BIC of the bank that holds the client-funds account (pain.001's DbtrAgt)
    bic: str = "DNBANOKKXXX"
    licence: str = "Inkassobevilling gitt av Finanstilsynet"
    email: str = "post@krav.example"
    phone: str = "22 00 00 00"


# ISO 9362 (the pattern of pain.001's BICIdentifier)
BIC = re.compile(r"[A-Z]{6}[A-Z2-9][A-NP-Z0-9]([A-Z0-9]{3})?")
SMTP_SECURITY = ("auto", "tls", "starttls", "none")
LOG_LEVELS = ("debug", "info", "warning", "error")


@dataclass(frozen=True)
class Settings:
    agency: Agency = field(default_factory=Agency)
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_from: str = "post@krav.example"
    smtp_username: str = ""  # log in when set (AUTH after TLS, if any)
    smtp_password: str = ""
    # auto: implicit TLS on port 465, STARTTLS on 587, none otherwise; or tls | starttls | none
    smtp_security: str = "auto"
    sms_url: str = ""
    sms_token: str = ""
    # the public site; no letter links to it until a page exists (krav.letters.messages);
    # one-time links to the login pages use it, else krav serve's own address (``site_url``)
    public_url: str = ""
    # the server (``krav serve``); see README "Settings"
    database_url: str = ""  # KRAV_DATABASE_URL; empty: sqlite:///krav.db (krav.db.engine)
    session_hours: int = 12  # a login lasts this long (absolute)
    session_idle_minutes: int = 120  # and ends after this long without a request
    invite_hours: int = 72  # a set-password link from ``krav user add`` is valid this long
    reset_minutes: int = 60  # a password-reset link is valid this long
    # addresses of reverse proxies whose X-Forwarded-For/-Proto are believed (comma separated)
    trusted_proxies: str = ""
    log_level: str = "info"
    outbox_warn_minutes: int = 60  # healthz marks the outbox stale past this age
    # encrypts webhook secrets at rest (krav must sign with them, so they cannot be hashed)
    secret_key: str = ""
    webhook_max_attempts: int = 8  # a webhook delivery is parked after this many failures
    webhook_allow_local: int = 0  # 1: webhook URLs on 127.0.0.1/localhost allowed (tests, dev)
    # the debtor portal's BankID login through an OpenID Connect broker (krav.portal.bankid)
    bankid_issuer: str = ""
    bankid_client_id: str = ""
    bankid_client_secret: str = ""
    bankid_nin_claim: str = "nin"  # the ID token's claim with the national id
    bankid_acr: str = ""  # acr_values to ask for (assurance "substantial" or higher)
    # Vipps MobilePay ePayment on the pay page (krav.payments.vipps); no button when unset
    vipps_url: str = ""  # https://api.vipps.no (test: https://apitest.vipps.no)
    vipps_client_id: str = ""
    vipps_client_secret: str = ""
    vipps_subscription_key: str = ""
    vipps_msn: str = ""  # Merchant-Serial-Number
    vipps_webhook_secret: str = ""  # the secret of the webhook registered for /vipps/webhook


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Settings from ``KRAV_*`` variables; a bad value names the variable."""
    env = dict(os.environ if env is None else env)
    agency_values = {}
    for f in fields(Agency):
        key = f"KRAV_AGENCY_{f.name.upper()}"
        if key in env:
            agency_values[f.name] = env[key]
    agency = Agency(**agency_values)
    validate_orgnr(agency.orgnr, where="KRAV_AGENCY_ORGNR")
    if not BIC.fullmatch(agency.bic):
        raise InvalidInput(f"ugyldig BIC {agency.bic[:20]!r}", where="KRAV_AGENCY_BIC",
                           allowed="8 eller 11 tegn, f.eks. DNBANOKKXXX")
    values: dict[str, object] = {}
    for f in fields(Settings):
        key = f"KRAV_{f.name.upper()}"
        if f.name == "agency" or key not in env:
            continue
        if f.type in ("int", int):
            try:
                values[f.name] = int(env[key])
            except ValueError:
                raise InvalidInput(f"ikke et heltall: {env[key]!r}", where=key) from None
        else:
            values[f.name] = env[key]
    if values.get("smtp_security", "auto") not in SMTP_SECURITY:
        raise InvalidInput(f"ukjent verdi {values['smtp_security']!r}",
                           where="KRAV_SMTP_SECURITY", allowed=", ".join(SMTP_SECURITY))
    if values.get("log_level", "info") not in LOG_LEVELS:
        raise InvalidInput(f"ukjent verdi {values['log_level']!r}", where="KRAV_LOG_LEVEL",
                           allowed=", ".join(LOG_LEVELS))
    for name in ("session_hours", "session_idle_minutes", "invite_hours", "reset_minutes",
                 "outbox_warn_minutes", "webhook_max_attempts"):
        if name in values and int(values[name]) < 1:  # type: ignore[call-overload]
            raise InvalidInput("må være minst 1", where=f"KRAV_{name.upper()}")
    public_url = str(values.get("public_url", Settings.public_url)).strip()
    if public_url and not public_url.startswith(("http://", "https://")):
        raise InvalidInput(f"ikke en http(s)-adresse: {public_url!r}", where="KRAV_PUBLIC_URL",
                           allowed="f.eks. https://krav.example.no")
    values["public_url"] = public_url.rstrip("/")
    return Settings(agency=agency, **values)  # type: ignore[arg-type]


LOCAL_SITE = "http://127.0.0.1:8000"  # where ``krav serve`` listens by default


def site_url(settings: Settings) -> str:
    """The address links to krav's own pages are built on: ``KRAV_PUBLIC_URL``, else the
    address ``krav serve`` listens on by default."""
    return settings.public_url or LOCAL_SITE


def trusted_proxies(settings: Settings) -> frozenset[str]:
    """The proxy addresses of ``KRAV_TRUSTED_PROXIES``."""
    return frozenset(p.strip() for p in settings.trusted_proxies.split(",") if p.strip())


def law_dir(env: dict[str, str] | None = None) -> Path | None:
    """``KRAV_LAW_DIR``: the agency's local law values (``krav law set``), or ``None`` if unset.

    Read by the law loader on each ``law_book()`` call rather than kept in :class:`Settings`:
    the law book is reached from pure code that is handed no settings.
    """
    value = (os.environ if env is None else env).get("KRAV_LAW_DIR", "").strip()
    return Path(value).expanduser() if value else None
