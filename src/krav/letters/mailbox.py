"""Digital mailbox (Digipost, e-Boks): the interface and the adapter used until one is contracted.

A concrete adapter implements :class:`krav.letters.channels.DigitalMailbox`: ``has_mailbox``
looks the person up by national id number, ``send`` posts the signed message (subject starting
with ``[INKASSO] `` for collection letters) with our idempotency key as the message id, which
the provider refuses to accept twice, so ``confirm`` can answer after a crash. Until then
:class:`NoDigitalMailbox` reports that nobody has one and every letter goes another way.
"""

from __future__ import annotations

from dataclasses import dataclass

from krav.letters.channels import Outgoing, PermanentFailure

COLLECTION_KINDS = ("payment_demand", "rest_notice", "dispute_ack", "deferral_confirmation",
                    "payment_plan_confirmation", "plan_breach_notice")


def mailbox_subject(kind: str, agency_sender: bool, subject: str) -> str:
    """Digipost's rule: a letter from a collection agency about a claim starts ``[INKASSO] ``."""
    if agency_sender and kind in COLLECTION_KINDS + ("collection_notice",):
        return f"[INKASSO] {subject}"
    return subject


@dataclass
class NoDigitalMailbox:
    name: str = "digital_mailbox"

    def has_mailbox(self, national_id: str) -> bool:
        return False

    def send(self, message: Outgoing) -> str:
        raise PermanentFailure("ingen digital postkasse er satt opp")

    def confirm(self, key: str) -> bool | None:
        return False
