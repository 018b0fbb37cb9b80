"""SQLite event log storage that writes a partition range's materializations in one go.

A single-run backfill over N days makes Dagster log one ASSET_MATERIALIZATION per asset and
day. Dagster's SQLite storage writes each one on its own: a fresh engine and connection to
the run's shard, then another to the cross-run index, one transaction each (about 12 ms an
event here; 8,600 events, ~100 s, in a three-year run). Dagster already hands such events to
the storage as a batch when `DAGSTER_EVENT_BATCH_SIZE` is set, but only its Postgres storage
uses that; the base class just loops. This subclass writes the batch with one connection per
shard and one transaction each. Rows, ids, tags and the asset's latest-event record are what
the per-event path writes (the asset record, like Postgres's batch path, from the last event
of the batch, which is the one the per-event path leaves behind too).

Anything else (other event types, a batch spanning runs) goes through the inherited path.

The single-event path is also made cheaper: the base class builds a new SQLAlchemy engine
(and so an empty compiled-statement cache) for every connection and every `has_table`
probe; here the engines of the last few shards are kept, each with SQLAlchemy's default
pool, so an event is one transaction on an open connection rather than a file opened,
read and closed twice (a night logs some 230 events: about a third of a second). An idle
SQLite connection holds no lock, so other processes (the UI, another run) write as before;
an engine dropped from the kept few closes its connections. A table once found is not
probed again.
Configured in the instance's dagster.yaml (written by `assets.common.settings`) with the
same `base_dir` as Dagster's own SQLite event log, pointed where the default storage keeps
its files (`<DAGSTER_HOME>/history/runs/`).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from dagster import DagsterEventType
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.event_log import SqliteEventLogStorage
from dagster._core.storage.event_log.schema import SqlEventLogStorageTable
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._serdes import ConfigurableClassData
from sqlalchemy.engine import Connection, Engine

KEPT_ENGINES = 8  # the index shard plus the shards of the latest runs
BATCHED_TYPES = frozenset({DagsterEventType.ASSET_MATERIALIZATION,
                           DagsterEventType.ASSET_OBSERVATION})


class BatchedSqliteEventLogStorage(SqliteEventLogStorage):
    """Dagster's SQLite event log with a real `store_event_batch` (same schema and files)."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._tables_found: set[str] = set()
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData | None,
                          config_value) -> BatchedSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        engine = self._engines.pop(shard, None)
        if engine is None:
            engine = create_engine(self.conn_string_for_shard(shard),
                                   connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS})
        self._engines[shard] = engine  # most recently used last
        while len(self._engines) > KEPT_ENGINES:
            self._engines.popitem(last=False)[1].dispose()
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        # The base class's contract, minus the engine built and disposed on every call.
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def has_table(self, table_name: str) -> bool:
        if table_name in self._tables_found:
            return True
        found = super().has_table(table_name)
        if found:
            self._tables_found.add(table_name)
        return found

    def wipe(self) -> None:
        super().wipe()
        self._tables_found.clear()

    def dispose(self) -> None:
        super().dispose()
        with self._db_lock:  # the webserver's watcher thread may still be connecting
            while self._engines:
                self._engines.popitem()[1].dispose()

    def store_event_batch(self, events: Sequence[EventLogEntry]) -> None:
        if not _batchable(events):
            super().store_event_batch(events)
            return
        rows = [self._event_to_row(event) for event in events]
        table = SqlEventLogStorageTable
        run_id = events[0].run_id
        with self.run_connection(run_id) as conn:
            run_ids = [conn.execute(table.insert(), row).inserted_primary_key[0] for row in rows]
        try:
            with self.index_transaction() as conn:
                ids = [conn.execute(table.insert(), row).inserted_primary_key[0] for row in rows]
                self._store_asset_event_tags(conn, events, ids)
                self._store_asset_event(conn, events[-1], ids[-1])
        except Exception:
            # Dagster answers a failed batch by storing each event on its own: take the run
            # shard's copies back first, or the run's log would list every event twice.
            with self.run_connection(run_id) as conn:
                conn.execute(table.delete().where(table.c.id.in_(run_ids)))
            raise


def _batchable(events: Sequence[EventLogEntry]) -> bool:
    """One run, one asset, materializations or observations only."""
    if len(events) < 2:
        return False
    if len({event.run_id for event in events}) != 1:
        return False
    keys, types = set(), set()
    for event in events:
        if not event.is_dagster_event:
            return False
        dagster_event = event.get_dagster_event()
        keys.add(dagster_event.asset_key)
        types.add(dagster_event.event_type)
    return None not in keys and len(keys) == 1 and len(types) == 1 and types <= BATCHED_TYPES
