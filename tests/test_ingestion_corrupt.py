"""Corrupt landing files raise `LandingFileError` naming the file, the row and the rule."""

from __future__ import annotations

import zipfile

import pytest

from assets.common.config import LabConfig
from assets.ingestion.adapters import read_day
from assets.ingestion.errors import LandingFileError
from tests.support import ingestion_fixtures as fx

CFG = LabConfig()


def _read(directory, kind="chains"):
    with pytest.raises(LandingFileError) as err:
        read_day(kind, fx.DAY, directory, CFG)
    return err.value


def _csv_text(frame):
    return frame.to_csv(index=False)


@pytest.fixture
def chains_dir(tmp_path):
    d = tmp_path / "chains"
    d.mkdir()
    return d


def test_empty_file(chains_dir):
    path = chains_dir / "2024-01-05.csv"
    path.write_bytes(b"")
    e = _read(chains_dir)
    assert e.rule == "empty" and e.file == str(path) and str(path) in str(e)


def test_header_only_file(chains_dir):
    (chains_dir / "2024-01-05.csv").write_text(",".join(fx.chain_frame().columns) + "\n")
    assert _read(chains_dir).rule == "no_rows"


def test_truncated_file_names_last_row(chains_dir):
    text = _csv_text(fx.chain_frame())
    cut = text[: text.rfind("\n", 0, len(text) - 1) + 12]  # last line cut after 11 chars
    (chains_dir / "2024-01-05.csv").write_text(cut)
    e = _read(chains_dir)
    n_rows = len(fx.chain_frame())
    assert e.rule == "truncated" and e.row == n_rows
    assert f"row {n_rows}" in str(e) and "2024-01-05.csv" in str(e)


def test_extra_field_mid_file(chains_dir):
    lines = _csv_text(fx.chain_frame()).splitlines()
    lines[4] += ",surplus"  # data row 4
    (chains_dir / "2024-01-05.csv").write_text("\n".join(lines) + "\n")
    e = _read(chains_dir)
    assert (e.rule, e.row) == ("field_count", 4)


def test_binary_file(chains_dir):
    (chains_dir / "2024-01-05.csv").write_bytes(b"PK\x03\x04\x00\x00garbage\x00\xff" * 20)
    e = _read(chains_dir)
    assert e.rule == "binary" and "2024-01-05.csv" in str(e)


def test_latin1_file_names_row(chains_dir):
    (chains_dir / "2024-01-05.csv").write_bytes(fx.corrupt_bytes_latin1(fx.chain_frame()))
    e = _read(chains_dir)
    assert (e.rule, e.row) == ("encoding", 3)
    assert "UTF-8" in e.detail


def test_missing_required_column(chains_dir):
    fx.write_csv(fx.chain_frame().drop(columns=["open_interest"]), chains_dir / "2024-01-05.csv")
    e = _read(chains_dir)
    assert e.rule == "missing_columns" and "open_interest" in str(e)


def test_unparseable_number_names_row_and_column(chains_dir):
    frame = fx.chain_frame().astype({"strike": object})
    frame.loc[6, "strike"] = "47x0"  # data row 7
    fx.write_csv(frame, chains_dir / "2024-01-05.csv")
    e = _read(chains_dir)
    assert (e.rule, e.row) == ("type", 7) and "'strike'" in str(e) and "47x0" in str(e)


def test_bad_date_names_row(chains_dir):
    frame = fx.chain_frame()
    frame.loc[1, "expiration"] = "2024-13-05"
    fx.write_csv(frame, chains_dir / "2024-01-05.csv")
    e = _read(chains_dir)
    assert (e.rule, e.row) == ("type", 2) and "expiration" in str(e)


def test_bar_timestamp_without_offset(tmp_path):
    frame = fx.bar_frame()
    frame.loc[9, "ts"] = "2024-01-05T09:39:00"  # data row 10, no offset
    fx.write_csv(frame, tmp_path / "bars" / "2024-01-05.csv")
    e = _read(tmp_path / "bars", "bars")
    assert (e.rule, e.row) == ("ts_offset", 10)


def test_truncated_parquet(chains_dir):
    data = fx.parquet_bytes(fx.chain_frame())
    (chains_dir / "2024-01-05.parquet").write_bytes(data[: len(data) // 2])
    assert _read(chains_dir).rule == "parquet"


def test_corrupt_and_wrong_cboe_zip(chains_dir):
    path = chains_dir / "UnderlyingOptionsEODCalcs_2024-01-05.zip"
    fx.write_cboe_zip(fx.cboe_frame(), path)
    path.write_bytes(path.read_bytes()[:-40])  # cut the central directory
    assert _read(chains_dir).rule == "zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "no csv inside")
    assert _read(chains_dir).rule == "zip_members"


def test_cboe_missing_column_inside_zip(chains_dir):
    path = chains_dir / "UnderlyingOptionsEODCalcs_2024-01-05.zip"
    fx.write_cboe_zip(fx.cboe_frame().drop(columns=["open_interest"]), path)
    e = _read(chains_dir)
    assert e.rule == "missing_columns" and "UnderlyingOptionsEODCalcs_2024-01-05" in e.file


def test_dbn_garbage_empty_and_truncated(chains_dir):
    path = chains_dir / "2024-01-05.dbn"
    path.write_bytes(b"this is not DBN at all" * 10)
    assert _read(chains_dir).rule == "dbn"
    path.write_bytes(b"")
    assert _read(chains_dir).rule == "empty"
    defs, stats, _ = fx.dbn_chain_records()
    fx.write_dbn(path, fx.dbn_metadata(None), [*defs, *stats])
    path.write_bytes(path.read_bytes()[:-7])
    e = _read(chains_dir)
    assert e.rule == "truncated" and "2024-01-05.dbn" in str(e)


def test_dbn_truncated_single_schema_file(tmp_path):
    import databento_dbn as dbn

    recs, _ = fx.dbn_bar_records()
    path = fx.write_dbn(tmp_path / "bars" / "2024-01-05.ohlcv-1m.dbn",
                        fx.dbn_metadata(dbn.Schema.OHLCV_1M, "GLBX.MDP3", symbols=["ESH4"]), recs)
    path.write_bytes(path.read_bytes()[:-5])
    assert _read(tmp_path / "bars", "bars").rule == "truncated"


def test_message_is_not_a_pandas_traceback(chains_dir):
    (chains_dir / "2024-01-05.csv").write_bytes(b"\x00\x01\x02")
    e = _read(chains_dir)
    assert str(e).startswith(str(chains_dir / "2024-01-05.csv"))
    assert "Traceback" not in str(e) and e.__cause__ is None


def test_trailing_blank_lines_are_tolerated_but_a_blank_middle_row_is_kept(chains_dir):
    text = _csv_text(fx.chain_frame())
    path = chains_dir / "2024-01-05.csv"
    path.write_text(text + "\n\n")
    assert len(read_day("chains", fx.DAY, chains_dir, CFG).frame) == len(fx.chain_frame())
    lines = text.splitlines()
    lines.insert(3, "")  # becomes data row 3: an empty row the checks will report
    path.write_text("\n".join(lines) + "\n")
    frame = read_day("chains", fx.DAY, chains_dir, CFG).frame
    assert len(frame) == len(fx.chain_frame()) + 1
    assert frame.loc[frame["source_row"] == 3, "strike"].isna().all()
    assert frame["source_row"].tolist() == list(range(1, len(frame) + 1))
