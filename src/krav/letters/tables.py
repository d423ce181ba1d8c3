"""The letters context's own table: one row per letter and channel (delivery tracking).

``letter_deliveries`` answers "when was this letter made, sent, delivered, bounced or returned,
and by which channel". Its ``idempotency_key`` (``letter-<id>-<channel>``) is written *before*
anything is handed to a channel and checked on every later attempt, so a crash between "sent"
and "recorded" never sends the same letter twice by the same channel.

Statuses: ``sending`` (recorded, outcome not yet known), ``sent`` (accepted by the channel;
for print: the print file was handed to the printer/post), ``printed`` (in a print file, not yet
handed), ``queued`` (waiting for the day's print batch), ``delivered``
(delivery report), ``bounced`` (e-mail DSN), ``returned`` (post returned), ``failed`` (the
channel refused; safe to retry), ``uncertain`` (a crash left the outcome unknown and the channel
cannot tell: parked for a person, never re-sent automatically).
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String, Table, Text

from krav.db.tables import Id, metadata

letter_deliveries = Table(
    "letter_deliveries",
    metadata,
    Column("id", Id, primary_key=True),
    Column("letter_id", ForeignKey("letters.id"), nullable=False),
    Column("channel", String(20), nullable=False),  # print | email | sms | digital_mailbox
    Column("idempotency_key", String(80), nullable=False, unique=True),
    Column("recipient", String(300), nullable=False, default=""),
    Column("status", String(12), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("provider_id", String(120), nullable=True),  # message id, print file, …
    Column("error", Text, nullable=True),
    Column("made_at", DateTime, nullable=False),
    Column("sent_at", DateTime, nullable=True),
    Column("delivered_at", DateTime, nullable=True),
    Column("bounced_at", DateTime, nullable=True),
    Column("returned_at", DateTime, nullable=True),
    Column("updated_at", DateTime, nullable=False),
)
Index("ix_letter_deliveries_letter", letter_deliveries.c.letter_id)
Index("ix_letter_deliveries_provider", letter_deliveries.c.provider_id)
