"""The board's fill over 187 societies (``board_fill``).

Data: 187 societies created by tenants.services.create_society (real names from
deploy/data/societies.csv, the rest "测试学会 NNN"), a few with 120,000 source rows and most
with 2,000–20,000 (log-uniform), bulk-loaded with COPY into the real source tables (members,
status history, terms, invoices, payments, meetings, registrations, submissions, audit log)
over ten years.  BENCH_SCALE scales the number of societies and the rows of each.  The data is
kept in the bench database and reused by later runs (and by ``board_read``).

Figures: the full fill of every society (``board.fill.fill_societies``, as the beat runs it: chunks
of societies on two database connections; best of two); the incremental fill after 1% of the rows
change (new rows and updated ones, written now; best of three rounds, each after a new 1%), and
whether its figures equal a full recompute's afterwards; what the
capture triggers cost the writes of that 1% (the same writes with triggers off, rolled back); the
full fill against one GROUP BY over a single table holding the same rows (the floor for any
aggregation of that much data; PostgreSQL may run it with parallel workers).
Goals: incremental under 10% of full (and equal to it); full within 1.5x of the single-table
aggregate.
"""

import csv
import math
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

SOCIETIES = 187
LARGE = 3
LARGE_ROWS = 120_000
SMALL_ROWS = (2_000, 20_000)
GROUPS = ["理科", "工科", "农科", "医科", "交叉"]
START = datetime(2016, 1, 1, tzinfo=UTC)
END = datetime(2026, 11, 1, tzinfo=UTC)
SPAN_SECONDS = int((END - START).total_seconds())
# Bumped when the generated data changes, so that stored data of an older version is rebuilt.
DATA_VERSION = 2
PREFIX = "bb-"
# Share of a society's rows per source table.
SHARES = {
    "member": 0.20,  # + 1.2 status changes and 1.3 terms per member
    "invoice": 0.08,
    "payment": 0.07,
    "registration": 0.08,
    "submission": 0.03,
    "audit": 0.04,
}
STATE_TABLE = "bench_board_state"
# A database of its own: 187 schemas of data are kept between runs.
DATABASE = "xuehui_bench_board"
INCREMENTAL_ROUNDS = 3
FLAT_TABLE = "bench_board_flat"


def plan(scale: float) -> list[dict]:
    """Which societies exist and how many rows each gets (deterministic)."""
    rng = random.Random(187)
    count = max(5, round(SOCIETIES * scale))
    real = list(csv.DictReader((Path(__file__).resolve().parent.parent / "deploy/data/societies.csv").open()))
    societies = []
    for i in range(count):
        if i < len(real):
            slug, name, group = PREFIX + real[i]["slug"], real[i]["name_zh"], real[i]["discipline_group"]
        else:
            slug, name, group = f"{PREFIX}t{i:03d}", f"测试学会 {i:03d}", GROUPS[i % len(GROUPS)]
        if i < LARGE:
            rows = LARGE_ROWS
        else:
            low, high = SMALL_ROWS
            rows = int(math.exp(rng.uniform(math.log(low), math.log(high))))
        societies.append({"slug": slug, "name": name, "group": group, "rows": max(50, int(rows * scale))})
    return societies


def _when(rng) -> datetime:
    return START + timedelta(seconds=rng.randrange(SPAN_SECONDS))


def _copy(cursor, table: str, columns: list[str], rows) -> int:
    """COPY rows into ``table`` of the current schema; NOT NULL columns not given get their type's zero."""
    cursor.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = %s AND is_nullable = 'NO' AND column_default IS NULL AND is_identity = 'NO'",
        [table],
    )
    zero = {"boolean": False, "jsonb": "{}", "integer": 0, "bigint": 0, "smallint": 0, "numeric": 0}
    extra = [(name, zero.get(kind, "")) for name, kind in cursor.fetchall() if name not in columns]
    names = columns + [name for name, _value in extra]
    padding = tuple(value for _name, value in extra)
    written = 0
    with cursor.cursor.copy(f'COPY "{table}" ({", ".join(names)}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(tuple(row) + padding)
            written += 1
    return written


def _reset_ids(cursor, tables: list[str]) -> None:
    for table in tables:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT max(id) FROM {table}), 0) + 1, "
            "false)"
        )


def load_society(society, rows: int, *, seed: int, user_id: int) -> int:
    """Bulk-load ``rows`` source rows into the society's schema (one transaction)."""
    from django.db import connection, transaction
    from django_tenants.utils import schema_context

    rng = random.Random(seed)
    n = {key: max(1, int(rows * share)) for key, share in SHARES.items()}
    written = 0
    with schema_context(society.schema_name), transaction.atomic(), connection.cursor() as cursor:
        written += _copy(cursor, "members_membershipcategory", ["id", "code", "name_zh", "fee", "currency", "term",
                                                                "term_years", "term_basis", "kind"],
                         [(1, "regular", "普通会员", 200, "CNY", "annual", 1, "rolling", "individual"),
                          (2, "student", "学生会员", 50, "CNY", "annual", 1, "rolling", "individual"),
                          (3, "senior", "高级会员", 500, "CNY", "annual", 1, "rolling", "individual")])
        members, changes, terms = [], [], []
        for member_id in range(1, n["member"] + 1):
            joined = _when(rng)
            category = rng.choice((1, 1, 1, 2, 3))
            room = (END - joined).days  # history never runs past the end of the data
            lapsed = rng.random() < 0.2 and room > 400
            status = "lapsed" if lapsed else "active"
            members.append((member_id, f"会员{member_id}", category, status, joined.date(), f"t{seed}-{member_id}",
                            joined, joined))
            changes.append((member_id, "", "active", joined))
            terms.append((member_id, category, "join", joined.date(), joined))
            if lapsed:
                changes.append((member_id, "active", "lapsed", joined + timedelta(days=rng.randrange(370, room))))
            elif rng.random() < 0.3 and room > 365:
                renewed = joined + timedelta(days=365)
                terms.append((member_id, category, "renewal", renewed.date(), renewed))
        written += _copy(cursor, "members_member", ["id", "name_zh", "category_id", "status", "joined_on",
                                                    "verify_token", "created_at", "updated_at"], members)
        written += _copy(cursor, "members_statuschange", ["member_id", "from_status", "to_status", "at"], changes)
        written += _copy(cursor, "members_memberterm", ["member_id", "category_id", "kind", "starts_on", "created_at"],
                         terms)
        purposes = ("membership.renewal", "membership.join", "meeting.registration")
        invoices, payments = [], []
        for invoice_id in range(1, n["invoice"] + 1):
            issued = _when(rng)
            total = rng.choice((50, 200, 500, 800, 1200))
            invoices.append((invoice_id, "invoice", f"{society.slug}-{invoice_id}", invoice_id, "CNY", total, total,
                             rng.choice(purposes), issued, issued))
        for _i in range(n["payment"]):
            invoice = invoices[rng.randrange(len(invoices))]
            confirmed = min(END, invoice[8] + timedelta(days=rng.randrange(0, 30)))
            method = rng.choice(("alipay", "wechat_pay", "card", ""))
            payments.append((invoice[0], "bank_transfer" if not method else "stripe", method, "confirmed", invoice[5],
                             "CNY", confirmed, invoice[8]))
        written += _copy(cursor, "dues_invoice", ["id", "kind", "number", "sequence", "currency", "total", "total_net",
                                                  "purpose", "issued_at", "created_at"], invoices)
        written += _copy(cursor, "dues_payment", ["invoice_id", "provider", "method_detail", "state", "amount",
                                                  "currency", "confirmed_at", "created_at"], payments)
        meeting_count = max(1, n["registration"] // 400)
        meetings = []
        for meeting_id in range(1, meeting_count + 1):
            starts = _when(rng)
            meetings.append((meeting_id, f"m{meeting_id}", f"年会{meeting_id}", starts.date(), starts.date(),
                             rng.choice(("finished", "open", "closed")), starts, starts, 30))
        written += _copy(cursor, "meetings_meeting", ["id", "slug", "title_zh", "starts_on", "ends_on", "status",
                                                      "created_at", "updated_at", "hold_minutes"], meetings)
        written += _copy(cursor, "meetings_registrationtype", ["id", "meeting_id", "name_zh", "kind", "currency",
                                                               "price", "position", "active"],
                         [(m[0], m[0], "普通", "non_member", "CNY", 800, 0, True) for m in meetings])
        registrations = []
        for reg_id in range(1, n["registration"] + 1):
            meeting = meetings[rng.randrange(len(meetings))]
            created = datetime.combine(meeting[3], datetime.min.time(), tzinfo=UTC) - timedelta(days=rng.randrange(60))
            status = rng.choice(("confirmed", "confirmed", "confirmed", "cancelled", "waitlisted"))
            checked = min(END, created + timedelta(days=60)) if status == "confirmed" and rng.random() < 0.7 else None
            registrations.append((meeting[0], meeting[0], f"参会人{reg_id}", f"r{reg_id}@x.cn", status,
                                  f"{seed:04d}{reg_id:08d}"[-16:], created, checked))
        written += _copy(cursor, "meetings_registration", ["meeting_id", "registration_type_id", "name", "email",
                                                           "status", "ticket_code", "created_at", "checked_in_at"],
                         registrations)
        deadline = datetime(2026, 1, 1, tzinfo=UTC)
        from reviews.models import Call

        call = Call.objects.create(meeting_id=1, submission_deadline=deadline, review_deadline=deadline,
                                   decision_date=deadline, camera_ready_deadline=deadline)
        submissions = []
        for number in range(1, n["submission"] + 1):
            created = _when(rng)
            submissions.append((call.pk, number, f"论文{number}", user_id,
                                rng.choice(("submitted", "submitted", "withdrawn")), created, created))
        written += _copy(cursor, "reviews_submission", ["call_id", "number", "title_zh", "submitter_id", "status",
                                                        "created_at", "updated_at"], submissions)
        written += _copy(cursor, "common_auditentry", ["created_at", "action", "actor_label"],
                         [(_when(rng), rng.choice(("members.approve", "dues.issue", "meetings.check_in")), "bench")
                          for _i in range(n["audit"])])
        _reset_ids(cursor, ["members_member", "dues_invoice", "meetings_meeting", "meetings_registrationtype",
                            "members_membershipcategory"])
    return written


def change_one_percent(society, rows: int, *, seed: int) -> int:
    """Write 1% of the society's rows now: members joining and lapsing, payments, registrations,
    check-ins, audit entries (inserts and updates, as a day of activity would)."""
    from django.db import connection, transaction
    from django_tenants.utils import schema_context

    budget = max(5, rows // 100)
    now = datetime.now(UTC)
    written = 0
    with schema_context(society.schema_name), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT max(id) FROM members_member")
        next_id = cursor.fetchone()[0] + 1
        joins = budget // 5
        members = [(next_id + i, f"新会员{i}", 1, "active", now.date(), f"n{seed}-{now.timestamp()}-{i}", now, now)
                   for i in range(joins)]
        written += _copy(cursor, "members_member", ["id", "name_zh", "category_id", "status", "joined_on",
                                                    "verify_token", "created_at", "updated_at"], members)
        written += _copy(cursor, "members_statuschange", ["member_id", "from_status", "to_status", "at"],
                         [(m[0], "", "active", now) for m in members])
        cursor.execute(
            "WITH picked AS (SELECT id FROM members_member WHERE status = 'active' ORDER BY id LIMIT %s) "
            "UPDATE members_member m SET status = 'lapsed', updated_at = now() FROM picked WHERE m.id = picked.id "
            "RETURNING m.id",
            [budget // 10],
        )
        lapsed = [row[0] for row in cursor.fetchall()]
        written += _copy(cursor, "members_statuschange", ["member_id", "from_status", "to_status", "at"],
                         [(member_id, "active", "lapsed", now) for member_id in lapsed])
        cursor.execute("SELECT id, total FROM dues_invoice ORDER BY id DESC LIMIT %s", [budget // 5])
        invoices = cursor.fetchall()
        written += _copy(cursor, "dues_payment", ["invoice_id", "provider", "method_detail", "state", "amount",
                                                  "currency", "confirmed_at", "created_at"],
                         [(i, "stripe", "alipay", "confirmed", total, "CNY", now, now) for i, total in invoices])
        cursor.execute("SELECT max(id) FROM meetings_meeting")
        meeting = cursor.fetchone()[0]
        written += _copy(cursor, "meetings_registration", ["meeting_id", "registration_type_id", "name", "email",
                                                           "status", "ticket_code", "created_at"],
                         [(meeting, meeting, f"新参会人{i}", f"n{i}@x.cn", "confirmed",
                           f"N{seed % 1000:03d}{int(now.timestamp()) % 10**6:06d}{i:05d}"[-16:], now)
                          for i in range(budget // 5)])
        cursor.execute(  # check-in at today's meeting
            "UPDATE meetings_registration SET checked_in_at = now() WHERE id IN (SELECT id FROM meetings_registration "
            "WHERE meeting_id = %s AND checked_in_at IS NULL ORDER BY id LIMIT %s)",
            [meeting, budget // 10],
        )
        written += cursor.rowcount + len(lapsed)
        audit = [(now, "members.approve", "bench")] * max(1, budget - written)
        written += _copy(cursor, "common_auditentry", ["created_at", "action", "actor_label"], audit)
    return written


def ensure_data(scale: float) -> list:
    """The bench societies with their rows; created on the first run at this scale, then reused."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from tenants.models import Society
    from tenants.schemas import quote
    from tenants.services import create_society

    wanted = plan(scale)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {STATE_TABLE} (scale float PRIMARY KEY, societies int, rows int)")
        cursor.execute(f"SELECT societies FROM {STATE_TABLE} WHERE scale = %s", [scale + DATA_VERSION / 1000])
        ready = cursor.fetchone()
    if ready and ready[0] == len(wanted) and Society.objects.filter(slug__startswith=PREFIX).count() == len(wanted):
        return _societies(wanted)
    # Another scale was loaded before: start again from nothing.
    for society in Society.objects.filter(slug__startswith=PREFIX):
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {quote(society.schema_name)} CASCADE")
        society.delete()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {STATE_TABLE}")
    user, _created = get_user_model().objects.get_or_create(email="author@bench.example.cn", defaults={"name": "作者"})
    total = 0
    started = time.perf_counter()
    for i, spec in enumerate(wanted):
        result = create_society(slug=spec["slug"], name_zh=spec["name"], discipline_group=spec["group"],
                                admin_email=f"admin@{spec['slug']}.bench.example.cn", admin_password="x")
        total += load_society(result.society, spec["rows"], seed=i, user_id=user.pk)
        if i % 20 == 0:
            print(f"  loaded {i + 1}/{len(wanted)} societies, {total:,} rows, {time.perf_counter() - started:.0f}s",
                  flush=True)
    with connection.cursor() as cursor:
        key = scale + DATA_VERSION / 1000
        cursor.execute(f"INSERT INTO {STATE_TABLE} VALUES (%s, %s, %s)", [key, len(wanted), total])
    return _societies(wanted)


def _societies(wanted: list[dict]) -> list:
    from tenants.models import Society

    by_slug = {s.slug: s for s in Society.objects.filter(slug__startswith=PREFIX)}
    return [(by_slug[spec["slug"]], spec["rows"]) for spec in wanted]


def _vacuum() -> None:
    """Every run starts from vacuumed tables.  Otherwise autovacuum does it during the timed fills
    (after the first load, or once earlier runs' 1% changes add up), on one of the two cores: on a
    new data folder it vacuumed and analysed 1,478 tables while the first run was measuring, and
    the full fill took 3.1 s instead of 1.7 s."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")


def build_flat_table(societies) -> int:
    """One public table with one row per source row the metrics read (same total rows)."""
    from django.db import connection

    from tenants.schemas import quote

    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {FLAT_TABLE}")
        cursor.execute(f"CREATE UNLOGGED TABLE {FLAT_TABLE} (society_id int, metric text, at timestamptz, "
                       "dimension text, value numeric)")
        for society, _rows in societies:
            s = quote(society.schema_name)
            cursor.execute(
                f"""INSERT INTO {FLAT_TABLE}
                SELECT {society.pk}, 'members', at, to_status, 1 FROM {s}.members_statuschange
                UNION ALL SELECT {society.pk}, 'joins', joined_on, category_id::text, 1 FROM {s}.members_member
                UNION ALL SELECT {society.pk}, 'terms', created_at, kind, 1 FROM {s}.members_memberterm
                UNION ALL SELECT {society.pk}, 'billed', issued_at, purpose, total FROM {s}.dues_invoice
                UNION ALL SELECT {society.pk}, 'revenue', confirmed_at, method_detail, amount FROM {s}.dues_payment
                UNION ALL SELECT {society.pk}, 'registrations', created_at, status, 1 FROM {s}.meetings_registration
                UNION ALL SELECT {society.pk}, 'submissions', created_at, status, 1 FROM {s}.reviews_submission
                UNION ALL SELECT {society.pk}, 'activity', created_at, action, 1 FROM {s}.common_auditentry"""
            )
        cursor.execute(f"ANALYZE {FLAT_TABLE}")
        cursor.execute(f"SELECT count(*) FROM {FLAT_TABLE}")
        return cursor.fetchone()[0]


def time_flat_aggregate() -> float:
    from django.db import connection

    with connection.cursor() as cursor:
        start = time.perf_counter()
        cursor.execute(
            f"CREATE TEMP TABLE bench_flat_out AS SELECT society_id, metric, "
            f"date_trunc('month', at AT TIME ZONE 'Asia/Shanghai')::date AS period, dimension, sum(value) AS value "
            f"FROM {FLAT_TABLE} GROUP BY 1, 2, 3, 4"
        )
        elapsed = time.perf_counter() - start
        cursor.execute("DROP TABLE bench_flat_out")
    return elapsed


def time_changes_without_capture(societies) -> float:
    """Seconds to write the same 1% with the capture triggers off (rolled back): what the
    capture costs the writers."""
    from django.db import connection, transaction

    elapsed = 0.0
    for i, (society, rows) in enumerate(societies):
        with transaction.atomic():  # one society at a time: all of them would overflow the lock table
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = replica")  # triggers off
            started = time.perf_counter()
            change_one_percent(society, rows, seed=i)
            elapsed += time.perf_counter() - started
            transaction.set_rollback(True)
    return elapsed


def figures_checksum() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT md5(string_agg(concat_ws('|', society_id, metric, period, dimension, value), ',' "
            "ORDER BY society_id, metric, period, dimension)) FROM public.board_metricvalue"
        )
        return cursor.fetchone()[0]


def fill_all(societies, *, full: bool) -> float:
    """Seconds to fill every society, as the beat's ``board.fill_all`` does (one batched fill)."""
    from board.fill import fill_societies

    start = time.perf_counter()
    fill_societies([society for society, _rows in societies], full=full)
    return time.perf_counter() - start


def run(scale: float) -> dict:
    from bench.django_setup import setup

    setup(DATABASE)
    societies = ensure_data(scale)
    _vacuum()
    source_rows = sum(rows for _s, rows in societies)
    flat_rows = build_flat_table(societies)
    fill_all(societies, full=True)  # warm-up: caches, plans
    full_seconds = min(fill_all(societies, full=True) for _ in range(2))
    flat_seconds = min(time_flat_aggregate() for _ in range(3))
    write_without_capture = time_changes_without_capture(societies)
    # Best of INCREMENTAL_ROUNDS, each after a new 1% of changes, as the full fill is a best of two:
    # one incremental fill of ~0.15 s varies by a third from one run to the next on this machine.
    incremental = []
    for round_ in range(INCREMENTAL_ROUNDS):
        started = time.perf_counter()
        changed = sum(
            change_one_percent(society, rows, seed=round_ * len(societies) + i)
            for i, (society, rows) in enumerate(societies)
        )
        if not incremental:  # the first 1%: the one the writes without capture were timed on
            write_with_capture = time.perf_counter() - started
        incremental.append(fill_all(societies, full=False))
    incremental_seconds = min(incremental)
    after_incremental = figures_checksum()
    fill_all(societies, full=True)
    incremental_equals_full = figures_checksum() == after_incremental
    ratio_incremental = incremental_seconds / full_seconds
    ratio_flat = full_seconds / flat_seconds
    return {
        "figures": {
            "societies": len(societies),
            "source_rows": source_rows,
            "flat_table_rows": flat_rows,
            "rows_changed": changed,
            "full_fill_seconds": round(full_seconds, 2),
            "incremental_fill_seconds": round(incremental_seconds, 3),
            "incremental_fill_rounds_seconds": [round(seconds, 3) for seconds in incremental],
            "incremental_share_of_full": round(ratio_incremental, 3),
            "incremental_equals_full_recompute": incremental_equals_full,
            "writing_the_changes_seconds": round(write_with_capture, 2),
            "writing_the_changes_without_capture_seconds": round(write_without_capture, 2),
            "single_table_aggregate_seconds": round(flat_seconds, 2),
            "full_fill_to_single_table_ratio": round(ratio_flat, 2),
        },
        "goal": "incremental fill after 1% of rows change under 10% of the full fill; "
        "full fill within 1.5x of one aggregate query over a single table with the same rows",
        "met": ratio_incremental < 0.10 and ratio_flat <= 1.5 and incremental_equals_full,
    }

