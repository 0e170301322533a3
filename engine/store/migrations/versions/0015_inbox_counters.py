"""inbox counters: the numbers of the inbox kept by triggers on open_tasks and cases

Revision ID: 0015_inbox_counters
Revises: 0013_meetings
Create Date: 2026-11-28 19:20:00

Written by hand; runs on SQLite and PostgreSQL.  The inbox's numbers (all, overdue, mine,
unassigned, per step) were one grouped aggregate per way a caseworker may act, over the
organisation's ~45,000 open tasks at 100k cases (46/60 ms p50/p95 on PostgreSQL).  ``inbox_counters``
holds them already counted: one row per (viewer organisation, lane, lane's organisation, role, step,
name, claimer, due time, stripe) with the number of open tasks of active cases that have that key.

* **viewer organisation** — the case's bydel and its institution (once if they are one): the
  organisations whose caseworkers the task may show for (``actionable_branches``: «ours»);
* **due time** — the task's ``due_at``; the year 1 when the timer flagged it overdue, the year 9999
  when it has none.  «Overdue» changes with the clock, so it is not counted ahead: it is the sum of
  the rows due before now, read with the rest.  Kept as the instant (not a day) so that sum is exact
  without looking at a single task; it costs few rows, since deadlines pass at midnight in Oslo
  (``engine.bpmn.deadlines.end_of_day_utc``): an organisation's open tasks share few due instants;
* **stripe** — ``case_id % 4`` for an undated or flagged task, else 0.  Two steps of different
  cases wait for each other's commit only if they bump the same row; dated rows are spread by their
  due instant already, but every undated task of a step (one every new case opens, say) would share
  one row per organisation: four rows share that load, for a read of a few more rows.

NULL is stored as ``''`` / ``0`` so the key can be a primary key (NULLs are distinct in one) and an
upsert target.  Triggers — not the application — keep the rows, in the same transaction as the
change: every write of ``open_tasks`` (the projection, claims, consent and survey tasks, migration,
repairs, terminate) and every change of a case's status or organisations counts, whichever code did
it.  The rows are filled from the existing open tasks here; ``flask inbox rebuild-counts`` counts
them afresh (``engine.cases.inbox_counters.rebuild``).
"""
from alembic import op
import sqlalchemy as sa

revision = '0015_inbox_counters'
down_revision = '0013_meetings'
branch_labels = None
depends_on = None

ACTIVE = "('running', 'error')"     # engine.store.status.ACTIVE
#: The primary key, in this order: an organisation's rows of one lane (and the lane's organisation) are one range.
KEY = ("org_id", "lane", "task_org_id", "role", "element_id", "name", "claimed_by_id", "due_at", "stripe")


#: ``due_at`` of a task the deadline timer flagged overdue (before any instant) and of an undated one
#: (after any): the key is NOT NULL.  As SQLAlchemy writes a DateTime on SQLite, as a literal on PostgreSQL.
FLAGGED = {"sqlite": "'0001-01-01 00:00:00.000000'", "postgresql": "TIMESTAMPTZ '0001-01-01 00:00:00+00'"}
UNDATED = {"sqlite": "'9999-12-31 00:00:00.000000'", "postgresql": "TIMESTAMPTZ '9999-12-31 00:00:00+00'"}


def _due(t: str, dialect: str) -> str:
    return (f"CASE WHEN {t}.overdue_at IS NOT NULL THEN {FLAGGED[dialect]} WHEN {t}.due_at IS NULL "
            f"THEN {UNDATED[dialect]} ELSE {t}.due_at END")


def _key(t: str, dialect: str) -> list[str]:
    """The key columns after ``org_id`` of task ``t`` (a row variable or an alias), as expressions."""
    return [f"COALESCE({t}.lane, '')", f"COALESCE({t}.organisation_id, 0)", f"COALESCE({t}.role, '')",
            f"{t}.element_id", f"COALESCE({t}.name, '')", f"COALESCE({t}.claimed_by_id, 0)",
            _due(t, dialect), _stripe(t)]


def _stripe(t: str) -> str:
    """Undated and flagged tasks of a step pile onto one due time: spread them over four rows."""
    return f"CASE WHEN {t}.due_at IS NULL OR {t}.overdue_at IS NOT NULL THEN {t}.case_id % 4 ELSE 0 END"


def _orgs(case_id: str) -> str:
    """The viewer organisations of a case (bydel, and institution if another one), if it is active."""
    return (f"SELECT bydel_id AS org FROM cases WHERE id = {case_id} AND status IN {ACTIVE} "
            f"UNION SELECT institution_id FROM cases WHERE id = {case_id} AND status IN {ACTIVE}")


def _upsert(select: str) -> str:
    cols = ", ".join(KEY)
    return (f"INSERT INTO inbox_counters ({cols}, n) {select} "
            f"ON CONFLICT ({cols}) DO UPDATE SET n = inbox_counters.n + excluded.n")


def _bump_task(t: str, sign: str, dialect: str) -> str:
    """Count task row ``t`` (+1 / -1) for its case's viewer organisations, if the case is active."""
    return _upsert(f"SELECT o.org, {', '.join(_key(t, dialect))}, {sign}1 FROM ({_orgs(t + '.case_id')}) o WHERE true")


def _zero_task(t: str, dialect: str) -> str:
    """Remove the rows task ``t`` left at zero (so days gone by do not pile up as zero rows)."""
    match = " AND ".join(f"{col} = {expr}" for col, expr in zip(KEY[1:], _key(t, dialect), strict=True))
    return (f"DELETE FROM inbox_counters WHERE n = 0 AND {match} AND org_id IN "
            f"(SELECT bydel_id FROM cases WHERE id = {t}.case_id UNION SELECT institution_id FROM cases WHERE id = {t}.case_id)")


def _case_orgs(c: str) -> str:
    return (f"SELECT {c}.bydel_id AS org WHERE {c}.status IN {ACTIVE} "
            f"UNION SELECT {c}.institution_id WHERE {c}.status IN {ACTIVE}")


def _bump_case(c: str, sign: str, dialect: str) -> str:
    """Count every open task of case row ``c`` (+ / -) for its viewer organisations, if it is active."""
    key = ", ".join(_key("t", dialect))
    return _upsert(f"SELECT o.org, {key}, {sign}count(*) FROM open_tasks t, ({_case_orgs(c)}) o "
                   f"WHERE t.case_id = {c}.id GROUP BY o.org, {key}")


def _zero_case(c: str) -> str:
    return f"DELETE FROM inbox_counters WHERE n = 0 AND org_id IN ({c}.bydel_id, {c}.institution_id)"


TRACKED = ("case_id", "element_id", "name", "lane", "role", "organisation_id", "claimed_by_id", "due_at", "overdue_at")
CASE_COLS = ("status", "bydel_id", "institution_id")


def _task_changed(distinct: str) -> str:
    return " OR ".join(f"OLD.{c} {distinct} NEW.{c}" for c in TRACKED)


def _case_changed(distinct: str) -> str:
    """Only a change of whether the case is active, or of its organisations, changes what is counted."""
    return (f"(OLD.status IN {ACTIVE}) {distinct} (NEW.status IN {ACTIVE}) "
            f"OR OLD.bydel_id {distinct} NEW.bydel_id OR OLD.institution_id {distinct} NEW.institution_id")


def _sqlite_triggers() -> list[str]:
    s = "sqlite"
    return [
        f"CREATE TRIGGER inbox_counters_task_insert AFTER INSERT ON open_tasks BEGIN {_bump_task('NEW', '+', s)}; END",
        f"CREATE TRIGGER inbox_counters_task_delete AFTER DELETE ON open_tasks BEGIN "
        f"{_bump_task('OLD', '-', s)}; {_zero_task('OLD', s)}; END",
        f"CREATE TRIGGER inbox_counters_task_update AFTER UPDATE OF {', '.join(TRACKED)} ON open_tasks "
        f"WHEN {_task_changed('IS NOT')} BEGIN "
        f"{_bump_task('OLD', '-', s)}; {_bump_task('NEW', '+', s)}; {_zero_task('OLD', s)}; END",
        f"CREATE TRIGGER inbox_counters_case_update AFTER UPDATE OF {', '.join(CASE_COLS)} ON cases "
        f"WHEN {_case_changed('IS NOT')} BEGIN "
        f"{_bump_case('OLD', '-', s)}; {_bump_case('NEW', '+', s)}; {_zero_case('OLD')}; END",
    ]


def _postgresql_triggers() -> list[str]:
    pg = "postgresql"
    return [
        # FOR SHARE: a concurrent change of the case's status waits for this transaction (and this
        # one for it), so the task is counted by exactly one of the two triggers.
        f"""CREATE FUNCTION inbox_counters_task() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    PERFORM 1 FROM cases WHERE id = OLD.case_id FOR SHARE;
    {_bump_task('OLD', '-', pg)};
  END IF;
  IF TG_OP <> 'DELETE' THEN
    PERFORM 1 FROM cases WHERE id = NEW.case_id FOR SHARE;
    {_bump_task('NEW', '+', pg)};
  END IF;
  IF TG_OP <> 'INSERT' THEN
    {_zero_task('OLD', pg)};
  END IF;
  RETURN NULL;
END $$""",
        f"""CREATE FUNCTION inbox_counters_case() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  {_bump_case('OLD', '-', pg)};
  {_bump_case('NEW', '+', pg)};
  {_zero_case('OLD')};
  RETURN NULL;
END $$""",
        "CREATE TRIGGER inbox_counters_task_insert AFTER INSERT ON open_tasks "
        "FOR EACH ROW EXECUTE FUNCTION inbox_counters_task()",
        "CREATE TRIGGER inbox_counters_task_delete AFTER DELETE ON open_tasks "
        "FOR EACH ROW EXECUTE FUNCTION inbox_counters_task()",
        f"CREATE TRIGGER inbox_counters_task_update AFTER UPDATE OF {', '.join(TRACKED)} ON open_tasks "
        f"FOR EACH ROW WHEN ({_task_changed('IS DISTINCT FROM')}) EXECUTE FUNCTION inbox_counters_task()",
        f"CREATE TRIGGER inbox_counters_case_update AFTER UPDATE OF {', '.join(CASE_COLS)} ON cases "
        f"FOR EACH ROW WHEN ({_case_changed('IS DISTINCT FROM')}) EXECUTE FUNCTION inbox_counters_case()",
    ]


def fill_sql(dialect: str) -> str:
    """Count every open task of every active case afresh (the table must be empty)."""
    key = ", ".join(_key("t", dialect))
    return (f"INSERT INTO inbox_counters ({', '.join(KEY)}, n) SELECT o.org, {key}, count(*) FROM open_tasks t "
            f"JOIN (SELECT id AS case_id, bydel_id AS org FROM cases WHERE status IN {ACTIVE} "
            f"UNION SELECT id, institution_id FROM cases WHERE status IN {ACTIVE}) o ON o.case_id = t.case_id "
            f"GROUP BY o.org, {key}")


def upgrade():
    op.create_table(
        'inbox_counters',
        sa.Column('org_id', sa.Integer(), nullable=False),
        sa.Column('lane', sa.String(length=50), nullable=False),
        sa.Column('task_org_id', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=50), nullable=False),
        sa.Column('element_id', sa.String(length=200), nullable=False),
        sa.Column('name', sa.String(length=300), nullable=False),
        sa.Column('claimed_by_id', sa.Integer(), nullable=False),
        sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('stripe', sa.SmallInteger(), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*KEY, name=op.f('pk_inbox_counters')),
    )
    dialect = op.get_bind().dialect.name
    for statement in (_postgresql_triggers() if dialect == "postgresql" else _sqlite_triggers()):
        op.execute(statement)
    op.execute(fill_sql(dialect))


def downgrade():
    dialect = op.get_bind().dialect.name
    for name, table in (("inbox_counters_task_insert", "open_tasks"), ("inbox_counters_task_delete", "open_tasks"),
                        ("inbox_counters_task_update", "open_tasks"), ("inbox_counters_case_update", "cases")):
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}" if dialect == "postgresql"
                   else f"DROP TRIGGER IF EXISTS {name}")
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS inbox_counters_task()")
        op.execute("DROP FUNCTION IF EXISTS inbox_counters_case()")
    op.drop_table('inbox_counters')
