"""SqlRepository: store/interface.py's Repository on SQL, for one connection inside one
transaction (store/database.py hands them out).

It is the groups of queries by concern (store/*_queries.py), each of which uses only the
connection and its own members (store/queries.py). They are combined by inheritance rather than
held and forwarded to: forwarding would cost every repository call on the request path one more
coroutine (about 0.25 µs, some ten calls a request), and binding each group's methods to the
repository would cost every transaction about 15 µs.
"""

from __future__ import annotations

from commprefs.store.admin_queries import AdminQueries
from commprefs.store.confirmation_queries import ConfirmationQueries
from commprefs.store.dashboard_queries import DashboardQueries
from commprefs.store.idempotency_queries import IdempotencyQueries
from commprefs.store.ledger_queries import LedgerQueries
from commprefs.store.oauth_queries import OAuthQueries
from commprefs.store.operator_queries import OperatorQueries
from commprefs.store.status_queries import StatusQueries
from commprefs.store.subject_queries import SubjectQueries
from commprefs.store.tenant_queries import SigningKeyQueries, TenantQueries, TokenQueries
from commprefs.store.transfer_queries import TransferQueries
from commprefs.store.webhook_queries import WebhookQueries


class SqlRepository(
    TenantQueries,
    TokenQueries,
    SigningKeyQueries,
    StatusQueries,
    WebhookQueries,  # on LedgerQueries (events are ledger rows), on SubjectQueries (their keys)
    LedgerQueries,
    SubjectQueries,  # issue 16: erasure's keys and suppressions, access requests
    TransferQueries,
    IdempotencyQueries,
    OAuthQueries,
    AdminQueries,
    ConfirmationQueries,  # issue 16: double opt-in
    OperatorQueries,  # the console (issue 17)
    DashboardQueries,
):
    """Every query of the store on one connection (``conn``, with a transaction open on it)."""
