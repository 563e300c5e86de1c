"""The one declaration of Motcua's serverless resources: functions, their triggers, queues, buckets.

Both the CDK stack (``infra/stack.py``) and the local runner (``infra/local``) read this module, so what
runs on a laptop and what is deployed cannot disagree. The table's schema lives in
``motcua.data.table`` (the data layer owns it); here it is only referred to.

Environment variables are declared as references (``Ref``) that each side resolves to its own names:
CloudFormation tokens in the stack, local names in the runner.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from motcua.domain.access import AGENCY_CLAIM, NATIONAL_ID_CLAIM, ROLE_CLAIM, TOKEN_LIFETIME_S
from motcua.domain.calendar import VN_TZ
from motcua.domain.sla import SlaConfig

SERVICE = "motcua"
TIMEZONE = VN_TZ.key  # schedules fire on the calendar's clock: one statement of the zone
# The SLA timers index's shards (motcua.domain.sla.SlaConfig): the sweep's parallel workers, one per shard.
SLA_SHARDS = SlaConfig().shards


@dataclass(frozen=True)
class Ref:
    """A reference to a declared resource, resolved to a name/URL by the stack or the local runner."""

    # "secret": the name prefix of a family of Secrets Manager secrets (``<service>/<name>/``; locally empty).
    # "push_app": an SNS platform application (``fcm``, ``apns``). CloudFormation has no resource for one (its
    # credentials are Google's and Apple's), so operators create it and the stack takes its ARN as configuration
    # (context ``motcua:pushApplications``); the local stack creates it in moto.
    kind: Literal["table", "queue_url", "bucket", "sender", "topic", "setting", "secret", "push_app"]
    name: str = "main"


# The longest SQS keeps a message: every queue's retention unless declared shorter, and always its DLQ's
# (time for a human to look and redrive).
SQS_MAX_RETENTION_DAYS = 14


@dataclass(frozen=True)
class Queue:
    name: str
    fifo: bool = False
    visibility_timeout_s: int = 60
    max_receive_count: int = 3  # deliveries before a message moves to its DLQ
    retention_days: int = SQS_MAX_RETENTION_DAYS
    # The oldest message waiting longer than this raises an alarm: consumers are failing or falling behind.
    max_message_age_s: int = 900

    def dead_letter(self) -> Queue:
        """This queue's DLQ, as the stack and the local runner both create it: FIFO when the queue is, messages
        kept as long as SQS allows, no redrive of its own."""
        return Queue(dlq_name(self.name), fifo=self.fifo, visibility_timeout_s=self.visibility_timeout_s,
                     max_receive_count=1, retention_days=SQS_MAX_RETENTION_DAYS)


@dataclass(frozen=True)
class Bucket:
    name: str
    purpose: str
    # S3 Object Lock in governance mode, retention from the stage (infra/constructs/stages.py): what an agency
    # signed cannot be overwritten or deleted, except by an administrator allowed to bypass governance.
    object_lock: bool = False
    # Objects tagged (key, value) expire after ``days``: uploads no dossier took (``motcua.data.uploads``).
    expire_tagged: tuple[str, str, int] | None = None


@dataclass(frozen=True)
class HttpTrigger:
    """An API Gateway route to a function; the Powertools resolver inside routes further.

    ``authorised`` routes carry the JWT authoriser (the user pool's tokens; locally, moto's pool checked by
    ``infra.local.cognito``): a request without a valid token never reaches the function. API Gateway picks
    the most specific route, so public routes are declared one by one next to the authorised catch-all.
    """

    path: str = "/{proxy+}"
    authorised: bool = True
    method: str = "ANY"
    # (requests per second, burst) for this route alone, below the stage's limit; None: the stage's limit.
    throttle: tuple[int, int] | None = None


@dataclass(frozen=True)
class QueueTrigger:
    queue: str
    batch_size: int = 10
    max_batching_window_s: int = 0
    # How many batches are processed at once: Lambda's event source mapping scales to the function's reserved
    # concurrency (its maximum concurrency, infra/constructs/functions.py; on a FIFO queue at most one batch
    # per message group); the local runner starts as many pollers. 1: one batch at a time locally.
    concurrency: int = 1


@dataclass(frozen=True)
class ScheduleTrigger:
    """An EventBridge Scheduler schedule; the local runner fires it itself (moto stores, never fires)."""

    expression: str  # "rate(5 minutes)" or "cron(5 0 1 * ? *)"
    timezone: str = TIMEZONE
    local_every_s: int | None = None  # how often the local runner fires it; None: only on demand


@dataclass(frozen=True)
class CognitoTrigger:
    """A Cognito user pool trigger; the local Cognito front (``infra.local.cognito``) invokes it too.

    ``pre_token_generation`` (event version 1): before the pool issues tokens, at every sign-in and refresh.
    Cognito waits 5 s for a trigger, then refuses the sign-in, so the function's timeout stays within that.
    """

    operation: Literal["pre_token_generation"]


COGNITO_TRIGGER_TIMEOUT_S = 5


@dataclass(frozen=True)
class Permission:
    """Least privilege, declared per function: (resource kind, resource name, access)."""

    # "push": an SNS platform application (name: ``fcm``/``apns``): "register" its device endpoints (API),
    # "send" to them (notifier).
    kind: Literal["table", "queue", "bucket", "email", "sms", "secret", "push"]
    name: str
    access: Literal["read", "write", "read_write", "send", "consume", "register"]


@dataclass(frozen=True)
class Function:
    name: str
    handler: str  # "module.attribute" inside the functions/ asset
    description: str
    triggers: tuple[HttpTrigger | QueueTrigger | ScheduleTrigger | CognitoTrigger, ...]
    permissions: tuple[Permission, ...]
    environment: dict[str, Ref | str] = field(default_factory=dict)
    memory_mb: int = 512
    timeout_s: int = 29
    # Lambda reserved concurrency in the stages that reserve (infra/constructs/stages.py): a ceiling that keeps
    # one function from starving the others (and the table) and a floor it always gets. None: unreserved.
    reserved_concurrency: int | None = None


COMMON_ENVIRONMENT: dict[str, Ref | str] = {
    "TABLE_NAME": Ref("table", "main"),
    "POWERTOOLS_SERVICE_NAME": SERVICE,
    "POWERTOOLS_METRICS_NAMESPACE": "Motcua",
}

# App push (SNS mobile push): one platform application per platform the app ships on.
PUSH_PLATFORMS: tuple[str, ...] = ("fcm", "apns")
PUSH_ENVIRONMENT: dict[str, Ref | str] = {
    f"PUSH_{platform.upper()}_APPLICATION_ARN": Ref("push_app", platform) for platform in PUSH_PLATFORMS}

QUEUES: tuple[Queue, ...] = (
    # Officials' and back-office systems' actions; FIFO keyed by dossier id keeps one dossier's actions
    # in order.
    # Visibility timeouts are at least 6x the consumer's timeout (plus its batching window), as AWS advises for
    # Lambda event sources: a retried batch must not become visible while a slow attempt still runs.
    Queue("actions", fifo=True, visibility_timeout_s=360),
    # Notifications (outbox relay -> notifier). Standard: one notice per event needs no order, and the
    # notifier is idempotent per event, recipient and channel, so SQS's at-least-once delivery is harmless.
    Queue("notifications", visibility_timeout_s=180, max_receive_count=3),
    # Status changes for the national portal (outbox relay -> national-sync). FIFO grouped by dossier: one
    # dossier's steps in order, a failing dossier holding back only itself; deduplicated per (dossier,
    # version). Retried with backoff (the consumer sets each retry's visibility) for about half a day, then the DLQ.
    Queue("national-sync", fifo=True, visibility_timeout_s=360, max_receive_count=12, max_message_age_s=3600),
    # Dossiers citizens filed on the national portal, handed over by the integration platform. Standard: the
    # submission is idempotent per portal code, so a duplicate delivery finds the dossier already made.
    Queue("national-intake", visibility_timeout_s=180, max_receive_count=5),
    # The SLA sweep's shards (sla -> sla-worker). FIFO grouped by shard: one worker per shard at a time, so
    # no two race on the same due entries; deduplicated per (shard, sweep instant, continuation). A message
    # older than two schedules means a shard is not keeping up with its timers.
    Queue("sla-shards", fifo=True, visibility_timeout_s=420, max_receive_count=5, max_message_age_s=600),
    # Postal orders (create, cancel) for the carrier (api -> postal; docs/integrations.md §3). FIFO grouped by
    # dossier: an order's cancel after its create; deduplicated per (dossier, kind, operation, attempt). Retried
    # with backoff (the consumer sets each retry's visibility, 1 min doubling to 1 h: about 4 h), then the DLQ.
    Queue("postal", fifo=True, visibility_timeout_s=360, max_receive_count=8, max_message_age_s=3600),
)

# Values the stack reads when cdk.json's context does not set them (else an SSM parameter, infra/stack.py).
SETTINGS: dict[str, str] = {
    # docs/integrations.md §1: the UNSURE parts of the national portal's contract; "{}" keeps the defaults.
    "national-portal-mapping": "{}",
    # docs/integrations.md §3: the UNSURE parts of the carriers' contract (status codes, answer codes, the
    # callback's checksum header); "{}" keeps the defaults.
    "postal-mapping": "{}",
}

BUCKETS: tuple[Bucket, ...] = (
    # A form POST tags an upload "unattached"; attaching it to a dossier re-tags it, the rest expire.
    Bucket("uploads", "citizens' attachments (presigned POST) and officials' result documents",
           expire_tagged=("motcua-upload", "unattached", 7)),
    Bucket("documents", "official documents agencies issue: Form 04 apology letters, signed electronic results (PDF)",
           object_lock=True),
    Bucket("reports", "the monthly index: HTML reports and open data (CSV, JSON), one prefix per month"),
)

FUNCTIONS: tuple[Function, ...] = (
    # --- the HTTP API: one function per group of routes, so that a cold start imports its own group only ---
    # API Gateway picks the most specific route: literal segments over a variable, a variable over a greedy
    # {proxy+}, a method over ANY. Each group's paths go to its function; every other path reaches the api's
    # authorised catch-all, whose resolver answers the standard 404. A group's authorised routes take ANY
    # method, so a wrong method too is answered by the resolver that has the path (its 404), as one function did.
    Function(
        name="api",
        handler="motcua.handlers.api.handler",
        description="HTTP API: dossiers, uploads, officials' actions, my dossiers and notification settings; "
                    "every other path (404)",
        triggers=(
            HttpTrigger(),  # everything no other function is routed; needs a token
            # A payment platform's notification: no token, its checksum verified (docs/integrations.md §2).
            HttpTrigger("/payments/{gateway}/callback", authorised=False, method="POST", throttle=(20, 40)),
            # A postal carrier's tracking step: no token, its checksum verified (docs/integrations.md §3).
            HttpTrigger("/postal/{carrier}/callback", authorised=False, method="POST", throttle=(20, 40)),
        ),
        permissions=(
            Permission("table", "main", "read_write"),
            Permission("bucket", "uploads", "read_write"),
            # Form 04 of an officer's apology; signed results written.
            Permission("bucket", "documents", "read_write"),
            Permission("secret", "signing", "read"),  # agencies' signing keys (docs/documents.md §5)
            # The payment gateways' connections (endpoint, merchant code, checksum key; docs/integrations.md §2).
            Permission("secret", "payment", "read"),
            # Postal: orders, cancels and retries queued for the carrier; the carriers' callback keys only (not
            # their connections: those are the postal function's).
            Permission("queue", "postal", "send"),
            Permission("secret", "postal-callback", "read"),
            # PUT/DELETE /me/devices: the device's platform endpoint is created, updated, deleted.
            *(Permission("push", platform, "register") for platform in PUSH_PLATFORMS),
        ),
        environment={"UPLOADS_BUCKET": Ref("bucket", "uploads"), "DOCUMENTS_BUCKET": Ref("bucket", "documents"),
                     "SIGNING_SECRET_PREFIX": Ref("secret", "signing"),
                     "PAYMENT_SECRET_PREFIX": Ref("secret", "payment"),
                     "POSTAL_QUEUE_URL": Ref("queue_url", "postal"),
                     "POSTAL_CALLBACK_SECRET_PREFIX": Ref("secret", "postal-callback"),
                     "POSTAL_MAPPING": Ref("setting", "postal-mapping"), **PUSH_ENVIRONMENT},
        reserved_concurrency=50,  # citizens' and officials' work: the largest share, never all of it
    ),
    Function(
        name="api-public",
        handler="motcua.handlers.public_api.handler",
        description="HTTP API, public reads: the procedure catalogue, appointment preview, tracking, health",
        triggers=(
            HttpTrigger("/procedures", authorised=False, method="GET"),
            HttpTrigger("/procedures/{code}", authorised=False, method="GET"),
            HttpTrigger("/agencies", authorised=False, method="GET"),
            # Receipt codes are sequential per agency and day (motcua.domain.receipt), so this public route is
            # throttled on its own, far below the stage, and the service limits lookups per client as well.
            HttpTrigger("/track/{receipt_code}", authorised=False, method="GET", throttle=(10, 20)),
            HttpTrigger("/calendar/preview", authorised=False, method="GET"),
            HttpTrigger("/health", authorised=False, method="GET"),
        ),
        # Reads the catalogue and a dossier's status; writes only the per-client tracking counters.
        permissions=(Permission("table", "main", "read_write"),),
        reserved_concurrency=30,  # anonymous traffic: a flood of it cannot take the citizens' own share
    ),
    Function(
        name="api-feedback",
        handler="motcua.handlers.feedback_api.handler",
        description="HTTP API: citizens' feedback, the citizen's document store and data export, "
                    "document verification",
        triggers=(
            HttpTrigger("/feedback"),
            HttpTrigger("/feedback/{proxy+}"),
            HttpTrigger("/me/documents"),
            HttpTrigger("/me/export"),
            # Published feedback answers and document verification, public (no personal data).
            HttpTrigger("/feedback/public", authorised=False, method="GET"),
            # Checking a signature costs about half a second of CPU, for anyone: throttled on its own.
            HttpTrigger("/documents/{document_id}/verify", authorised=False, method="GET", throttle=(10, 20)),
        ),
        permissions=(
            Permission("table", "main", "read_write"),
            # A feedback step's attachments are checked and marked attached; the store's download links.
            Permission("bucket", "uploads", "read_write"),
            Permission("bucket", "documents", "read"),  # signed results: download links, verification
            # The trust roots a signature is checked against (motcua.data.signing_keys) share the prefix.
            Permission("secret", "signing", "read"),
        ),
        environment={"UPLOADS_BUCKET": Ref("bucket", "uploads"), "DOCUMENTS_BUCKET": Ref("bucket", "documents"),
                     "SIGNING_SECRET_PREFIX": Ref("secret", "signing")},
        reserved_concurrency=10,
    ),
    Function(
        name="api-index",
        handler="motcua.handlers.index_api.handler",
        description="HTTP API: the monthly index and the citizen's evaluation of a returned dossier",
        triggers=(
            HttpTrigger("/indexes/{proxy+}"),
            # The monthly index is public like the national portal's (aggregates only); the dossiers behind a
            # figure (/indexes/{month}/{unit}/{indicator}/dossiers) stay behind the authorised route.
            HttpTrigger("/indexes/{month}", authorised=False, method="GET"),
            HttpTrigger("/indexes/{month}/{unit}", authorised=False, method="GET"),
            HttpTrigger("/dossiers/{dossier_id}/evaluation"),
        ),
        # Index results and rows read; an evaluation recorded on its dossier and counted in the month's index.
        permissions=(Permission("table", "main", "read_write"),),
        reserved_concurrency=10,
    ),
    Function(
        name="actions",
        handler="motcua.handlers.actions_consumer.handler",
        description="Back-office actions from the FIFO actions queue",
        triggers=(QueueTrigger("actions", batch_size=10),),
        permissions=(
            Permission("table", "main", "read_write"),
            Permission("queue", "actions", "consume"),
            Permission("queue", "actions-dlq", "send"),
            # A queued decision issues the signed electronic result too.
            Permission("bucket", "documents", "write"),
            # A queued supplement's uploads are checked (uploader, size, type) and marked attached.
            Permission("bucket", "uploads", "read_write"),
            Permission("secret", "signing", "read"),
        ),
        environment={"ACTIONS_DLQ_URL": Ref("queue_url", "actions-dlq"), "DOCUMENTS_BUCKET": Ref("bucket", "documents"),
                     "UPLOADS_BUCKET": Ref("bucket", "uploads"), "SIGNING_SECRET_PREFIX": Ref("secret", "signing")},
        timeout_s=60,
        reserved_concurrency=10,  # FIFO message groups (one per dossier) spread over at most this many
    ),
    # --- SLA timers (motcua.service.sla): reads only the due entries of the sparse timers index ---
    Function(
        name="sla",
        handler="motcua.handlers.sla_sweep.handler",
        description="SLA sweep: hands each shard of the timers index to the shard workers",
        triggers=(ScheduleTrigger("rate(5 minutes)", local_every_s=10),),
        permissions=(Permission("queue", "sla-shards", "send"),),  # one message per shard, nothing read
        environment={"SLA_SHARDS_QUEUE_URL": Ref("queue_url", "sla-shards")},
        memory_mb=256,
        timeout_s=30,
        reserved_concurrency=1,
    ),
    Function(
        name="sla-worker",
        handler="motcua.handlers.sla_worker.handler",
        description="SLA shard worker: fires one shard's due warnings, breaches (with their Form 04 drafts) and "
                    "step notices",
        triggers=(QueueTrigger("sla-shards", batch_size=1, concurrency=SLA_SHARDS),),
        permissions=(
            Permission("table", "main", "read_write"),  # timers index query; dossier, history, outbox writes
            Permission("queue", "sla-shards", "consume"),
            Permission("queue", "sla-shards", "send"),  # the rest of a shard its time did not cover
            Permission("queue", "sla-shards-dlq", "send"),
        ),
        environment={"SLA_SHARDS_QUEUE_URL": Ref("queue_url", "sla-shards")},
        memory_mb=1024,  # deciding and serialising a page of dossiers is CPU-bound; Lambda's CPU grows with memory
        timeout_s=60,  # a page at a time; stops 15 s early and hands the rest of its shard on
        reserved_concurrency=SLA_SHARDS,  # one worker per shard (the FIFO group), all shards at once
    ),
    # --- the monthly index (motcua.service.index): reads O(units) counter items, writes results and reports ---
    Function(
        name="index",
        handler="motcua.handlers.index_job.handler",
        description="The monthly index at 00:05 on the 1st (Vietnam time): scores, ranks, report, open data",
        # The local runner fires it only on demand (python -m infra.local fire index): `motcua demo-data`
        # computes the demo months itself.
        triggers=(ScheduleTrigger("cron(5 0 1 * ? *)"),),
        permissions=(
            Permission("table", "main", "read_write"),  # counters and rows in; results and summaries out
            Permission("bucket", "reports", "write"),
        ),
        environment={"REPORTS_BUCKET": Ref("bucket", "reports")},
        memory_mb=1024,
        timeout_s=300,
        reserved_concurrency=1,
    ),
    # --- notifications: outbox -> queue -> citizens and officials (motcua.notifications) ---
    Function(
        name="outbox-relay",
        handler="motcua.handlers.outbox_relay.handler",
        description="Moves pending outbox events to the notifications queue, status changes to the national sync queue",
        triggers=(ScheduleTrigger("rate(1 minute)", local_every_s=2),),
        permissions=(
            Permission("table", "main", "read_write"),  # query the pending index, claim, mark relayed
            Permission("queue", "notifications", "send"),
            Permission("queue", "national-sync", "send"),
        ),
        environment={"NOTIFICATIONS_QUEUE_URL": Ref("queue_url", "notifications"),
                     "NATIONAL_SYNC_QUEUE_URL": Ref("queue_url", "national-sync")},
        memory_mb=256,
        timeout_s=60,  # below the relay's claim lease (motcua.notifications.relay.LEASE_S)
        reserved_concurrency=1,  # claims are leased, so a second relay would only contend for the same rows
    ),
    Function(
        name="notifier",
        handler="motcua.handlers.notifier.handler",
        description="Sends notices to citizens and officials by e-mail (SES), SMS and app push (SNS); records "
                    "each delivery",
        triggers=(QueueTrigger("notifications", batch_size=10),),
        permissions=(
            # the dossier, contacts and devices, idempotency, delivery records (a dead device is removed)
            Permission("table", "main", "read_write"),
            Permission("queue", "notifications", "consume"),
            Permission("queue", "notifications-dlq", "send"),
            Permission("email", "main", "send"),
            Permission("sms", "main", "send"),
            *(Permission("push", platform, "send") for platform in PUSH_PLATFORMS),
            # The Form 04 PDF attached to the apology e-mail; rendered and stored first when the SLA sweep only
            # drafted it (motcua.service.letters.AnnouncedLetters). Every reception's Form 01, drawn after the
            # change that received the dossier (motcua.service.desk_forms.AnnouncedSlips).
            Permission("bucket", "documents", "read_write"),
        ),
        environment={
            "NOTIFY_SENDER": Ref("sender", "main"),
            "NOTIFICATIONS_DLQ_URL": Ref("queue_url", "notifications-dlq"),
            "DOCUMENTS_BUCKET": Ref("bucket", "documents"),
            **PUSH_ENVIRONMENT,
        },
        memory_mb=256,
        timeout_s=30,
        reserved_concurrency=20,  # keeps the sending rate within SES's and SNS's account quotas
    ),
    # --- the national portal (motcua.service.national_sync): status changes -> DongBoHoSoMC / CapNhatTienDoHoSoMC ---
    Function(
        name="national-sync",
        handler="motcua.handlers.national_sync.handler",
        description="Delivers dossiers' status changes to the national public service portal, once each, in order "
                    "per dossier; records the portal's acknowledgements (indicator 1.4)",
        triggers=(QueueTrigger("national-sync", batch_size=10),),
        permissions=(
            Permission("table", "main", "read_write"),  # the dossier, its history; acknowledgements, sync events
            Permission("queue", "national-sync", "consume"),  # includes the retries' visibility (backoff)
            Permission("queue", "national-sync-dlq", "send"),
            Permission("secret", "national-portal", "read"),  # endpoint, account, unit code
        ),
        environment={"NATIONAL_SYNC_QUEUE_URL": Ref("queue_url", "national-sync"),
                     "NATIONAL_SYNC_DLQ_URL": Ref("queue_url", "national-sync-dlq"),
                     "NATIONAL_PORTAL_SECRET_PREFIX": Ref("secret", "national-portal"),
                     "NATIONAL_PORTAL_MAPPING": Ref("setting", "national-portal-mapping"),
                     # Backoff of a failed delivery: base * 2^(receives - 1) s, capped (12 receives: about half a day).
                     "NATIONAL_SYNC_RETRY_BASE_S": "30", "NATIONAL_SYNC_RETRY_MAX_S": "14400"},
        memory_mb=256,
        timeout_s=60,  # a few portal calls of at most 10 s each; the queue's visibility is 6x this
        reserved_concurrency=5,  # the portal's capacity is not ours: a few dossiers at a time
    ),
    Function(
        name="national-intake",
        handler="motcua.handlers.national_intake.handler",
        description="Dossiers filed on the national portal, submitted through the one submission path",
        triggers=(QueueTrigger("national-intake", batch_size=10),),
        permissions=(
            Permission("table", "main", "read_write"),  # the dossier, its history, outbox, index; idempotency
            Permission("queue", "national-intake", "consume"),
            Permission("queue", "national-intake-dlq", "send"),
        ),
        environment={"NATIONAL_INTAKE_DLQ_URL": Ref("queue_url", "national-intake-dlq"),
                     "NATIONAL_PORTAL_MAPPING": Ref("setting", "national-portal-mapping")},
        memory_mb=256,
        timeout_s=30,
        reserved_concurrency=5,
    ),
    # --- postal collection and return (motcua.service.postal; docs/integrations.md §3) ---
    Function(
        name="postal",
        handler="motcua.handlers.postal_orders.handler",
        description="Creates and cancels postal carriers' orders from the postal queue, once each; polls the "
                    "tracking of the orders under way",
        triggers=(
            QueueTrigger("postal", batch_size=10),
            # Tracking for the callbacks that never came; Scheduler's retries and DLQ as every schedule's.
            ScheduleTrigger("rate(15 minutes)", local_every_s=30),
        ),
        permissions=(
            Permission("table", "main", "read_write"),  # the orders and their steps; the dossier's return (9 -> 10)
            Permission("queue", "postal", "consume"),  # includes the retries' visibility (backoff)
            Permission("queue", "postal", "send"),  # the poll sends again an order whose message was lost
            Permission("queue", "postal-dlq", "send"),
            Permission("secret", "postal", "read"),  # the carriers' connections: endpoint, account, customer code
        ),
        environment={"POSTAL_QUEUE_URL": Ref("queue_url", "postal"),
                     "POSTAL_DLQ_URL": Ref("queue_url", "postal-dlq"),
                     "POSTAL_SECRET_PREFIX": Ref("secret", "postal"),
                     "POSTAL_MAPPING": Ref("setting", "postal-mapping"),
                     "POSTAL_RETRY_BASE_S": "60", "POSTAL_RETRY_MAX_S": "3600",
                     "POSTAL_POLL_LIMIT": "200"},  # orders under way asked for their tracking per run
        memory_mb=256,
        timeout_s=60,  # a few carrier calls of at most 10 s each; the queue's visibility is 6x this
        reserved_concurrency=3,  # the carrier's capacity is not ours
    ),
    # --- sign-in (motcua.service.sign_in): the user pool's role attribute kept to the person roles ---
    Function(
        name="sign-in",
        handler="motcua.handlers.sign_in.handler",
        description="Cognito pre token generation: the role claim (person roles only), the subject registered",
        triggers=(CognitoTrigger("pre_token_generation"),),
        permissions=(Permission("table", "main", "write"),),  # one UpdateItem: the known subject
        memory_mb=256,
        timeout_s=COGNITO_TRIGGER_TIMEOUT_S,
        # A throttled trigger fails the sign-in: room for the morning's sign-ins, one short UpdateItem each.
        reserved_concurrency=20,
    ),
)


def function(name: str) -> Function:
    return next(f for f in FUNCTIONS if f.name == name)


def queue(name: str) -> Queue:
    """A declared queue, or the DLQ of one (``<queue>-dlq``: FIFO when its queue is)."""
    for declared in QUEUES:
        if declared.name == name:
            return declared
        if dlq_name(declared.name) == name:
            return declared.dead_letter()
    raise KeyError(f"no queue named {name!r} in the declaration")


def dlq_name(queue_name: str) -> str:
    return f"{queue_name}-dlq"


# --- the user pool: who may call the API (infra/constructs/auth.py deploys it, infra/local/cognito.py creates
# it in moto). A person's role and agency are custom attributes, named by the claims the handlers read.

@dataclass(frozen=True)
class CustomAttribute:
    claim: str  # "custom:<name>", as the ID token carries it
    # Constraints of a custom attribute can never change once the pool exists: leave room.
    min_len: int = 1
    max_len: int = 64
    mutable: bool = True

    @property
    def name(self) -> str:
        if not self.claim.startswith("custom:"):
            raise ValueError(f"claim {self.claim!r} is not a Cognito custom attribute")
        return self.claim.removeprefix("custom:")


@dataclass(frozen=True)
class PasswordPolicy:
    min_length: int = 12
    require_lowercase: bool = True
    require_uppercase: bool = True
    require_digits: bool = True
    require_symbols: bool = True
    temp_password_validity_days: int = 3


@dataclass(frozen=True)
class UserPool:
    """The pool and its one app client (the citizen app and the officials' web front end: public clients)."""

    custom_attributes: tuple[CustomAttribute, ...]
    password_policy: PasswordPolicy = PasswordPolicy()
    # Citizens register themselves with their e-mail address; officials are created by administrators
    # (`motcua users add`).
    self_sign_up: bool = True
    # ``user_srp``: the mobile SDKs' default. ``user_password``: the password sent over TLS, what a script, the
    # curl lines `make run` prints and the client journey test use. Refresh is always allowed.
    auth_flows: tuple[Literal["user_srp", "user_password"], ...] = ("user_srp", "user_password")
    readable_standard: tuple[str, ...] = ("email", "email_verified", "name", "phone_number")
    # No custom attribute is writable by the client: role and agency are set by administrators, so a citizen
    # who signs up (no role: a citizen) cannot promote themselves or join an agency.
    writable_standard: tuple[str, ...] = ("email", "name", "phone_number")
    token_lifetime_s: int = TOKEN_LIFETIME_S
    refresh_token_days: int = 30

    @property
    def readable(self) -> tuple[str, ...]:
        return self.readable_standard + tuple(a.claim for a in self.custom_attributes)


# The national ID is declared whether or not a provider is federated: a custom attribute can be added to a
# pool but never removed, and only a federated provider's mapping writes it.
USER_POOL = UserPool(custom_attributes=(CustomAttribute(ROLE_CLAIM), CustomAttribute(AGENCY_CLAIM),
                                        CustomAttribute(NATIONAL_ID_CLAIM)))


@dataclass(frozen=True)
class FederatedProvider:
    """An OpenID Connect identity provider federated into the user pool, off unless configured (its issuer,
    client id and secret are the deployment's: context ``motcua:vneid``, infra/constructs/auth.py).

    ``attribute_mapping``: pool attribute -> the provider's claim (defaults; the context may rename the claims).
    Cognito writes the mapped attributes at every federated sign-in; only this provider's own app client may
    write them, so an e-mail account can never carry a national ID (docs/mobile.md, "VNeID").
    """

    name: str
    attribute_mapping: tuple[tuple[str, str], ...]
    scopes: tuple[str, ...] = ("openid", "profile")


# VNeID, the national electronic identity (level 2 accounts: Decree 69/2024/NĐ-CP), through the national
# public service portal's single sign-on.
# The pool requires an e-mail address (immutable once created), so the provider must release one too.
VNEID = FederatedProvider(name="VNeID", attribute_mapping=((NATIONAL_ID_CLAIM, "national_id"), ("name", "name"),
                                                           ("email", "email")),
                          scopes=("openid", "profile", "email"))
