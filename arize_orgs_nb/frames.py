"""Declared column schemas, and the conversions between wire models and DataFrames.

Layer: pure (models only; no I/O but the file readers). One schema per frame kind is the single
source of truth for ``to_frame``, for reading frames back from CSV or Parquet, and (later) for
validating edited frames. Columns, order and dtypes never depend on the data: an empty result and
an all-empty ``description`` column give the same frame shape as a full one.

Nor do they depend on the pandas version: text is always ``pd.StringDtype("python")`` (pandas 3
would otherwise give its default ``str`` dtype or Arrow-backed strings, pandas 2 ``object``), times
are always nanoseconds (pandas 3 parses text to microseconds), so a frame, and a file written from
it, is the same under pandas 2.2 and 3 (docs/DESIGN.md, R36).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any, TypeGuard

import numpy as np
import pandas as pd

from arize_orgs_nb.models import CustomRoleAssignment, Organization, User
from arize_orgs_nb.rules import is_missing

__all__ = [
    "CSV_TIME_FORMAT",
    "ORG_SCHEMA",
    "USER_SCHEMA",
    "Column",
    "FrameSchema",
    "RowBlock",
    "org_row",
    "read_csv_cells",
    "read_orgs_frame",
    "read_users_frame",
    "shown_time_matches",
    "user_row",
]

STRING = "string"
UTC_TIME = "datetime64[ns, UTC]"
BOOLEAN = "boolean"
INTEGER = "Int64"
FLOAT = "float64"

TEXT = pd.StringDtype("python")
"""The dtype of every text column, whatever the pandas version: missing is ``pd.NA``."""

CSV_TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f+00:00"
"""How files written by this package show times (all UTC), every one with its microseconds.

``to_csv``'s own form differs between pandas versions: pandas 2 writes each value to its own
precision (``10:03:00+00:00`` beside ``10:03:00.123456+00:00``), pandas 3 a whole column to the
finest one. Pass it as ``to_csv(..., date_format=CSV_TIME_FORMAT)`` for the same bytes under both.
"""


@dataclass(frozen=True)
class Column:
    """One column of a frame kind.

    Attributes:
        name: column name.
        dtype: pandas dtype: ``"string"`` (held as :data:`TEXT`), ``"boolean"``,
            ``"datetime64[ns, UTC]"``, ``"Int64"`` (missing allowed) or ``"float64"``.
        nullable: whether a missing value is meaningful. Non-nullable text columns keep ``""``
            as ``""`` (never NaN), in memory and through CSV.
        doc: what the column holds.
    """

    name: str
    dtype: str
    nullable: bool = False
    doc: str = ""


@dataclass(frozen=True)
class RowBlock:
    """Some rows of one frame kind, held column by column and already converted.

    A drain builds one per page on its worker thread (:meth:`FrameSchema.block`), so that the
    final frame is only a join (:meth:`FrameSchema.from_blocks`).

    Attributes:
        length: rows in the block.
        columns: column name -> values. A column whose values are all of the wire's types is
            held converted, as a numpy array: text as an object array of ``str``, times (all
            timezone-aware) as int64 microseconds since the epoch (UTC). Otherwise a list of the
            values as given, cleaned when the frame is built.
    """

    length: int
    columns: Mapping[str, list[Any] | np.ndarray]


@dataclass(frozen=True)
class FrameSchema:
    """The columns of one frame kind, in order."""

    kind: str
    columns: tuple[Column, ...]

    @property
    def names(self) -> list[str]:
        """Column names in order."""
        return [c.name for c in self.columns]

    @property
    def dtypes(self) -> dict[str, str]:
        """Column name -> dtype."""
        return {c.name: c.dtype for c in self.columns}

    def empty(self) -> pd.DataFrame:
        """A zero-row frame with every column and dtype."""
        return self.from_rows([])

    def from_rows(self, rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
        """The frame of row dicts (keys: the column names).

        It has exactly the schema's columns, order and dtypes, and a fresh RangeIndex.
        """
        return self.from_blocks([self.block(rows)])

    def block(self, rows: Sequence[Mapping[str, Any]]) -> RowBlock:
        """Hold row dicts column by column, with the costly conversions done now (for :meth:`from_blocks`)."""
        columns: dict[str, list[Any] | np.ndarray] = {}
        for column in self.columns:
            values = [row.get(column.name) for row in rows]
            converted = _converted(values, column)
            columns[column.name] = values if converted is None else converted
        return RowBlock(len(rows), columns)

    def from_blocks(self, blocks: Sequence[RowBlock]) -> pd.DataFrame:
        """Join blocks of this schema, in order, into one frame like :meth:`from_rows` (none: empty)."""
        out: dict[str, pd.Series] = {}
        for column in self.columns:
            parts = [block.columns[column.name] for block in blocks]
            if parts and all(isinstance(p, np.ndarray) for p in parts):
                out[column.name] = _from_converted(np.concatenate(parts), column)
            else:
                values = list(chain.from_iterable(_as_values(p, column) for p in parts))
                out[column.name] = _series(values, column)
        return pd.DataFrame(out)

    def conform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Restore the schema on a frame read from a file: column order, dtypes, ``""`` kept.

        Extra columns (a ``delete`` marker, notes) are kept after the schema's columns.

        Args:
            frame: a frame with at least the schema's columns.

        Returns:
            A new frame.

        Raises:
            ValueError: a schema column is missing.
        """
        missing = [name for name in self.names if name not in frame.columns]
        if missing:
            columns = "a column" if len(missing) == 1 else "columns"
            raise ValueError(f"{self.kind} frame is missing {columns}: {', '.join(missing)}")
        out = pd.DataFrame(
            {
                c.name: _series(frame[c.name].tolist(), c, text_na_is_empty=not c.nullable)
                for c in self.columns
            }
        )
        for extra in frame.columns:
            if extra not in out.columns:
                out[extra] = _extra(frame[extra])
        return out


def _series(values: list[Any], column: Column, *, text_na_is_empty: bool = False) -> pd.Series:
    if column.dtype == UTC_TIME:
        return _utc_times(values, column.name)
    if column.dtype == BOOLEAN:
        cleaned = [None if is_missing(v) else _to_bool(v) for v in values]
        return pd.Series(cleaned, dtype=BOOLEAN)
    if column.dtype == INTEGER:
        return pd.Series([None if is_missing(v) else int(v) for v in values], dtype=INTEGER)
    if column.dtype == FLOAT:
        return pd.Series([np.nan if is_missing(v) else float(v) for v in values], dtype=FLOAT)
    if all(type(v) is str for v in values):  # rows from wire models: nothing to clean
        return pd.Series(values, dtype=TEXT)
    if text_na_is_empty:
        values = ["" if is_missing(v) else v for v in values]
    return pd.Series([None if is_missing(v) else str(v) for v in values], dtype=TEXT)


def _extra(values: pd.Series) -> pd.Series | np.ndarray:
    """A column a file holds beyond the schema, text as :data:`TEXT` (not ``object`` or ``str``).

    Other columns (a ``delete`` marker read as booleans, numbers) keep what the file gave them.
    """
    if not (values.dtype == object or isinstance(values.dtype, pd.StringDtype)):
        return values.to_numpy()
    cells = values.tolist()
    if all(isinstance(v, str) or is_missing(v) for v in cells):
        return pd.Series([None if is_missing(v) else v for v in cells], dtype=TEXT)
    return values.to_numpy()


def _utc_times(values: list[Any], name: str) -> pd.Series:
    """Times as given by the wire or a file, as :data:`UTC_TIME` (the resolution ``to_frame()`` gives).

    Text may be any ISO 8601 form, mixed in one column: whole seconds or fractions, ``Z`` or
    ``+00:00``, ``T`` or a space (``2026-11-28T10:03:00Z``, ``2026-11-28 10:03:00.123456+00:00``);
    text without an offset is UTC. Blank and missing are ``NaT``.

    Raises:
        ValueError: a text value is not ISO 8601 (a spreadsheet's ``11/28/2026 10:03``, say).
        TypeError: a value is neither a time nor text (a number, say).
    """
    cleaned: list[object] = []
    for value in values:
        if is_missing(value) or (isinstance(value, str) and not value.strip()):
            cleaned.append(None)
        elif isinstance(value, str | dt.date):
            cleaned.append(value)
        else:
            raise TypeError(f"{name}: not a time: {value!r}")
    parsed = pd.to_datetime(pd.Series(cleaned, dtype=object), utc=True, format="ISO8601")
    return pd.Series(parsed, dtype=UTC_TIME)


def _converted(values: list[Any], column: Column) -> np.ndarray | None:
    """The values as the array :func:`_from_converted` takes, or ``None``.

    ``None`` when any value is not of the wire's type: such values are cleaned as the frame is built.
    """
    if column.dtype == UTC_TIME and _all_aware(values):
        return _micros(values)
    if column.dtype == STRING and all(type(v) is str for v in values):
        return np.array(values, dtype=object)
    return None


def _from_converted(array: np.ndarray, column: Column) -> pd.Series:
    if column.dtype == UTC_TIME:
        return _utc_from_micros(array)
    return pd.Series(array, dtype=TEXT)


def _as_values(part: list[Any] | np.ndarray, column: Column) -> list[Any]:
    """A block's column as a list of values (converted arrays turned back into values)."""
    if not isinstance(part, np.ndarray):
        return part
    if column.dtype == UTC_TIME:
        return list(_utc_from_micros(part))
    return list(part)


def _all_aware(values: list[Any]) -> TypeGuard[list[dt.datetime]]:
    return all(type(v) is dt.datetime and v.tzinfo is not None for v in values)


def _micros(values: list[dt.datetime]) -> np.ndarray:
    """Timezone-aware datetimes as int64 microseconds since the epoch, exactly.

    About 3x faster than ``pd.to_datetime`` on the objects, which asks every value's tzinfo for
    its offset. ``timestamp()`` is exact to well under half a microsecond for any date the API
    can hold, so rounding to whole microseconds loses nothing.
    """
    return np.fromiter((round(v.timestamp() * 1e6) for v in values), dtype=np.int64, count=len(values))


def _utc_from_micros(micros: np.ndarray) -> pd.Series:
    index = pd.DatetimeIndex(micros.astype("datetime64[us]").astype("datetime64[ns]")).tz_localize("UTC")
    return pd.Series(index, dtype=UTC_TIME)


def _to_bool(value: object) -> bool:
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "1", "yes"):
            return True
        if lowered in ("false", "0", "no"):
            return False
        raise ValueError(f"not a boolean: {value!r}")
    return bool(value)


ORG_SCHEMA = FrameSchema(
    "organizations",
    (
        Column("id", STRING, doc="base64 organization id"),
        Column("name", STRING, doc="unique in the account"),
        Column("description", STRING, doc='"" when none'),
        Column("created_at", UTC_TIME, doc="creation time (UTC)"),
    ),
)

USER_SCHEMA = FrameSchema(
    "users",
    (
        Column("id", STRING, doc="base64 user id"),
        Column("name", STRING),
        Column("email", STRING),
        Column("status", STRING, doc="ACTIVE, INVITED or EXPIRED"),
        Column("role_type", STRING, doc="PREDEFINED or CUSTOM"),
        Column("role_name", STRING, nullable=True, doc="ADMIN, MEMBER, ANNOTATOR, ... or a custom name"),
        Column("role_id", STRING, nullable=True, doc="custom role id, else missing"),
        Column("is_developer", BOOLEAN),
        Column("created_at", UTC_TIME),
    ),
)


def org_row(org: Organization) -> dict[str, Any]:
    """One organization as a row of :data:`ORG_SCHEMA`."""
    return {
        "id": org.id,
        "name": org.name,
        "description": org.description,
        "created_at": org.created_at,
    }


def user_row(user: User) -> dict[str, Any]:
    """One user as a row of :data:`USER_SCHEMA`: enums as strings, the role union flattened."""
    role = user.role
    if isinstance(role, CustomRoleAssignment):
        role_name, role_id = role.name, role.id
    else:
        role_name, role_id = role.name.value, None
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "status": user.status.value,
        "role_type": role.type,
        "role_name": role_name,
        "role_id": role_id,
        "is_developer": user.is_developer,
        "created_at": user.created_at,
    }


def _read(path: str | Path, schema: FrameSchema) -> pd.DataFrame:
    source = Path(path)
    if source.suffix.lower() in (".parquet", ".pq"):
        return schema.conform(pd.read_parquet(source))
    text_columns = {c.name: str for c in schema.columns if c.dtype == STRING}
    frame = read_csv_cells(source, dtype=text_columns)
    return schema.conform(_nullable_blanks(frame, schema))


def read_csv_cells(path: str | Path, *, dtype: Any) -> pd.DataFrame:  # noqa: ANN401 - read_csv's dtype
    """Read a CSV file's cells as written: blanks as ``""``, no value taken as missing, no index.

    Args:
        path: the file (UTF-8, with or without a byte order mark).
        dtype: as for :func:`pandas.read_csv`.

    Returns:
        The frame, one column per header cell.

    Raises:
        UnicodeDecodeError: the file is not UTF-8.
        ValueError: the file cannot be parsed, or rows have more cells than the header, each
            named by its line (pandas would turn extra leading cells into an index, shifting every
            value, or, in pandas 2, drop a trailing empty cell without a word).
    """
    text = Path(path).read_bytes().decode("utf-8")
    longer = _lines_longer_than_header(text)
    if longer:
        more = f" and {len(longer) - 10} more" if len(longer) > 10 else ""
        lines = ", ".join(str(n) for n in longer[:10]) + more
        where = "line" if len(longer) == 1 else "lines"
        raise ValueError(
            f"a row has more cells than the header (a trailing comma?), on {where} {lines}: fix the row, or "
            "name the extra column"
        )
    return pd.read_csv(io.StringIO(text), dtype=dtype, keep_default_na=False, na_values=[], index_col=False)


def _lines_longer_than_header(text: str) -> list[int]:
    """The line numbers of the rows with more cells than the header (the first non-blank row)."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    header = next((row for row in reader if row), None)
    if header is None:
        return []
    return [reader.line_num for row in reader if len(row) > len(header)]


def _nullable_blanks(frame: pd.DataFrame, schema: FrameSchema) -> pd.DataFrame:
    """In CSV a missing value and ``""`` look alike: blank means missing only in nullable columns."""
    out = frame.copy()
    for column in schema.columns:
        if column.nullable and column.name in out.columns:
            out[column.name] = out[column.name].map(lambda v: None if v == "" else v)
    return out


_ISO_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})(?:[ T]+(.*))?")
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*([AaPp][Mm])?")
_Shown = tuple[pd.Timestamp, pd.Timedelta | None]  # a time, and the step it is shown to (None: a date)


def shown_time_matches(shown: object, value: pd.Timestamp) -> bool:
    """Whether a time as a file shows it is ``value``, at the precision it shows.

    Spreadsheets re-save times in their own form and precision: ``11/28/2026 10:03``,
    ``28/11/2026 10:03``, ``2026-11-28 10:03``, ``2026-11-28``. Such a cell is ``value`` when
    ``value`` cut (or rounded) to the minutes, seconds or fraction digits it shows, or to its date,
    is the time it shows. A day/month order that cannot be told apart matches either way; a time
    without an offset is UTC. A time value (not text) shows its finest non-zero unit. A blank
    cell shows nothing, so it matches.

    Args:
        shown: the cell (text, a timestamp, or anything else a file holds).
        value: the time it should be (timezone-aware).

    Returns:
        ``True`` when the cell is ``value`` as far as it shows; ``False`` for any other time,
        and for anything that is not a time.
    """
    if is_missing(shown) or shown is pd.NaT or (isinstance(shown, str) and not shown.strip()):
        return True
    return any(_same_as_shown(value, stamp, step) for stamp, step in _shown_times(shown))


def _same_as_shown(value: pd.Timestamp, stamp: pd.Timestamp, step: pd.Timedelta | None) -> bool:
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp
    local = value.tz_convert(stamp.tz)
    if step is None:
        return bool(local.normalize() == stamp)
    return bool(local.floor(step) == stamp or local.round(step) == stamp)


def _shown_times(shown: object) -> list[_Shown]:
    """The times a cell can mean, each with the step it is shown to."""
    if isinstance(shown, dt.datetime):
        stamp = pd.Timestamp(shown)
        return [(stamp, _finest_step(stamp))]
    if not isinstance(shown, str):
        return []
    text = shown.strip()
    try:
        if _ISO_DATE.match(text):
            return [(pd.Timestamp(text), _step(text))]
        return _day_month_times(text)
    except (ValueError, OverflowError):
        return []


def _day_month_times(text: str) -> list[_Shown]:
    """``11/28/2026 10:03`` or ``28.11.26``: month first and day first, whichever make a date."""
    found = _DAY_MONTH_YEAR.fullmatch(text)
    if found is None:
        return []
    first, second, year, clock = found.groups()
    full_year = int(year) + (2000 if len(year) == 2 else 0)
    hour = minute = seconds = nanos = 0
    if clock:
        parts = _CLOCK.fullmatch(clock.strip())
        if parts is None:
            return []
        hour, minute, seconds = int(parts[1]), int(parts[2]), int(parts[3] or 0)
        nanos = int((parts[4] or "0").ljust(9, "0"))
        if parts[5]:
            hour = hour % 12 + (12 if parts[5].lower() == "pm" else 0)
    times = []
    for month, day in dict.fromkeys([(int(first), int(second)), (int(second), int(first))]):
        try:
            stamp = pd.Timestamp(full_year, month, day, hour, minute, seconds) + pd.Timedelta(nanos, "ns")
        except ValueError:
            continue
        times.append((stamp, _step(text)))
    return times


def _step(text: str) -> pd.Timedelta | None:
    """The precision a time is written to: a fraction's last digit, seconds, minutes, or a date (None)."""
    clock = _CLOCK.search(text)
    if clock is None:
        return None
    if clock[4]:
        return pd.Timedelta(10 ** (9 - len(clock[4])), "ns")
    return pd.Timedelta(1, "s" if clock[3] else "min")


def _finest_step(stamp: pd.Timestamp) -> pd.Timedelta | None:
    """The step a time value shows: its finest unit that is not zero (None: a date at midnight)."""
    if stamp.nanosecond:
        return pd.Timedelta(1, "ns")
    if stamp.microsecond:
        return pd.Timedelta(1, "us")
    if stamp.second:
        return pd.Timedelta(1, "s")
    if stamp.minute or stamp.hour:
        return pd.Timedelta(1, "min")
    return None


def read_orgs_frame(path: str | Path) -> pd.DataFrame:
    """Read an organizations frame from CSV or Parquet, restoring the schema.

    Args:
        path: a ``.csv`` or ``.parquet`` file written with ``to_csv(index=False)`` / ``to_parquet``.

    Returns:
        The frame with :data:`ORG_SCHEMA` columns and dtypes (``""`` descriptions kept), plus any
        extra columns of the file.
    """
    return _read(path, ORG_SCHEMA)


def read_users_frame(path: str | Path) -> pd.DataFrame:
    """Read a users frame from CSV or Parquet, restoring :data:`USER_SCHEMA`."""
    return _read(path, USER_SCHEMA)
