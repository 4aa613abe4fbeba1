"""PostgreSQL only: ``monitoring_reading`` becomes a table range-partitioned by month on ``time``.

Same columns and primary key (device_id, metric, time) as 0001, so the Django model is unchanged.  Partitions are
named ``monitoring_reading_pYYYYMM`` and cover UTC calendar months; a DEFAULT partition catches anything outside
them (very late readings, a month nobody created), and ``reading_time_idx`` becomes a BRIN index (readings arrive
roughly in time order, so BRIN stays tiny and fast for range scans).  The SQL function
``citysafe_ensure_reading_partitions(months_back, months_ahead)`` creates missing months (moving their rows out of
DEFAULT); ingest calls it once per process per month, and it can be put in cron.

On SQLite nothing happens: readings live in their own database file (alias ``readings``).
"""

from django.db import migrations

FUNCTION_SQL = r"""
CREATE OR REPLACE FUNCTION citysafe_ensure_reading_partitions(months_back integer DEFAULT 1,
                                                              months_ahead integer DEFAULT 2)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    base date := date_trunc('month', now() AT TIME ZONE 'UTC')::date;
    lo timestamptz;
    hi timestamptz;
    part text;
    created integer := 0;
BEGIN
    -- Concurrent ingest workers serialise here; the second one finds the partitions already there.
    PERFORM pg_advisory_xact_lock(hashtext('citysafe_ensure_reading_partitions'));
    FOR i IN -months_back..months_ahead LOOP
        lo := (base + make_interval(months => i))::timestamp AT TIME ZONE 'UTC';
        hi := (base + make_interval(months => i + 1))::timestamp AT TIME ZONE 'UTC';
        part := 'monitoring_reading_p' || to_char(lo AT TIME ZONE 'UTC', 'YYYYMM');
        IF to_regclass(part) IS NULL THEN
            EXECUTE format('CREATE TABLE %I (LIKE monitoring_reading INCLUDING DEFAULTS)', part);
            -- Rows of that month that landed in DEFAULT must move before the range can be attached.
            EXECUTE format('WITH moved AS (DELETE FROM monitoring_reading_default WHERE time >= %L AND time < %L '
                           'RETURNING *) INSERT INTO %I SELECT * FROM moved', lo, hi, part);
            EXECUTE format('ALTER TABLE monitoring_reading ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                           part, lo, hi);
            created := created + 1;
        END IF;
    END LOOP;
    RETURN created;
END
$$;
"""

FORWARD_SQL = [
    "ALTER TABLE monitoring_reading RENAME TO monitoring_reading_unpartitioned",
    "ALTER INDEX reading_time_idx RENAME TO reading_time_idx_unpartitioned",
    """CREATE TABLE monitoring_reading (
        device_id bigint NOT NULL,
        metric varchar(40) NOT NULL,
        time timestamp with time zone NOT NULL,
        value double precision NOT NULL,
        quality smallint NOT NULL,
        received_at timestamp with time zone NOT NULL,
        CONSTRAINT monitoring_reading_pk PRIMARY KEY (device_id, metric, time)
    ) PARTITION BY RANGE (time)""",
    "CREATE TABLE monitoring_reading_default PARTITION OF monitoring_reading DEFAULT",
    "CREATE INDEX reading_time_idx ON monitoring_reading USING brin (time)",
    "INSERT INTO monitoring_reading SELECT device_id, metric, time, value, quality, received_at "
    "FROM monitoring_reading_unpartitioned",
    "DROP TABLE monitoring_reading_unpartitioned",
    FUNCTION_SQL,
    "SELECT citysafe_ensure_reading_partitions(1, 2)",
]

BACKWARD_SQL = [
    "ALTER TABLE monitoring_reading RENAME TO monitoring_reading_partitioned",
    "ALTER INDEX reading_time_idx RENAME TO reading_time_idx_partitioned",
    """CREATE TABLE monitoring_reading (
        device_id bigint NOT NULL,
        metric varchar(40) NOT NULL,
        time timestamp with time zone NOT NULL,
        value double precision NOT NULL,
        quality smallint NOT NULL,
        received_at timestamp with time zone NOT NULL,
        CONSTRAINT monitoring_reading_pk PRIMARY KEY (device_id, metric, time)
    )""",
    "CREATE INDEX reading_time_idx ON monitoring_reading (time)",
    "INSERT INTO monitoring_reading SELECT device_id, metric, time, value, quality, received_at "
    "FROM monitoring_reading_partitioned",
    "DROP TABLE monitoring_reading_partitioned CASCADE",
    "DROP FUNCTION IF EXISTS citysafe_ensure_reading_partitions(integer, integer)",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ("monitoring", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(_run(FORWARD_SQL), _run(BACKWARD_SQL), hints={"model_name": "reading"},
                             elidable=False),
    ]
