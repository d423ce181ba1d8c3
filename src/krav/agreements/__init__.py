"""Agreements with a debtor: deferrals (utsettelse), payment plans (nedbetalingsavtale) and
limited agreements (begrenset avtale), granted within the creditor's authority (fullmakt) or
decided by a case handler."""
