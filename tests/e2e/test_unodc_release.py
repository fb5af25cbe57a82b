"""The UNODC GLOTIP workbook, a second publisher's release, goes through the same release path into the same facts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from orchestration.parsers.errors import SourceFileError
from orchestration.parsers.report_release import parse_release_file
from tests.conftest import BuiltWarehouse

PROJECT_ROOT = Path(__file__).resolve().parents[2]
WORKBOOK = PROJECT_ROOT / "sources/report_releases/unodc/unodc-glotip-2023.xlsx"
RELEASE = "unodc-glotip-2023"


@pytest.fixture(scope="module")
def workbook_rows() -> pd.DataFrame:
    """The workbook read independently of the pipeline (pandas), as the oracle for what UNODC published."""
    return pd.read_excel(WORKBOOK, header=2, dtype=str)


def _us_totals(wh: BuiltWarehouse, table: str, value: str, where: str) -> dict[int, int]:
    rows = wh.query(
        f"""
        select year(p.period_start), f.{value}
        from marts.{table} f join marts.dim_period p using (period_id)
        where f.source_id = '{RELEASE}' and f.jurisdiction_id = 'US' and f.breakdown_dimension = 'total' and {where}
        order by 1
        """
    )
    return dict(rows)


def test_us_detected_victims_as_published_by_unodc(built_warehouse: BuiltWarehouse) -> None:
    victims = _us_totals(built_warehouse, "fct_victims", "victim_count", "base_population = 'victims_detected'")
    assert {year: victims[year] for year in range(2017, 2022)} == {
        2017: 8003,
        2018: 8913,
        2019: 8375,
        2020: 9854,
        2021: 10070,
    }


def test_us_persons_prosecuted_and_convicted_are_case_outcomes(built_warehouse: BuiltWarehouse) -> None:
    convicted = _us_totals(built_warehouse, "fct_case_outcomes", "outcome_count", "outcome = 'persons_convicted'")
    prosecuted = _us_totals(built_warehouse, "fct_case_outcomes", "outcome_count", "outcome = 'persons_prosecuted'")
    assert {y: convicted[y] for y in (2019, 2020, 2021)} == {2019: 475, 2020: 309, 2021: 203}
    assert {y: prosecuted[y] for y in (2019, 2020)} == {2019: 343, 2020: 337}


def test_every_row_of_the_workbook_is_kept_and_suppressed_values_stay_suppressed(
    built_warehouse: BuiltWarehouse, workbook_rows: pd.DataFrame
) -> None:
    figures = built_warehouse.query(
        f"""
        select count(*),
               count(*) filter (where value_text like '<%'),
               count(*) filter (where value_text like '<%' and value is null and qualifier = 'less_than'
                                and suppressed_below = 5),
               count(*) filter (
                   where value_text like '%,%' and value = try_cast(replace(value_text, ',', '') as double)
               )
        from marts.fct_report_figures where source_id = '{RELEASE}'
        """
    )
    values = workbook_rows["txtVALUE"]
    suppressed = int(values.str.startswith("<").sum())
    separated = int(values.str.contains(",").sum())
    assert (len(workbook_rows), suppressed, separated) == (46_556, 23_076, 462)
    assert figures == [(len(workbook_rows), suppressed, suppressed, separated)]


def test_countries_form_an_international_jurisdiction_dimension(built_warehouse: BuiltWarehouse) -> None:
    assert built_warehouse.query(
        "select jurisdiction_level, jurisdiction_name, iso_code, parent_jurisdiction_id from marts.dim_jurisdiction "
        "where jurisdiction_id in ('DEU', 'WORLD') order by jurisdiction_id"
    ) == [("nation", "Germany", "DEU", "WORLD"), ("world", "World", None, None)]
    countries = built_warehouse.query(
        f"select count(distinct jurisdiction_id) from marts.fct_report_figures where source_id = '{RELEASE}'"
    )
    assert countries == [(208,)]


def test_forms_of_exploitation_feed_victims_by_year_and_type(
    built_warehouse: BuiltWarehouse, workbook_rows: pd.DataFrame
) -> None:
    published = workbook_rows[
        (workbook_rows["Iso3_code"] == "USA")
        & (workbook_rows["Year"] == "2021")
        & (workbook_rows["Indicator"] == "Detected trafficking victims")
        & (workbook_rows["Dimension"] == "by form of exploitation")
        & (workbook_rows["Sex"] == "Total")
        & (workbook_rows["Age"] == "Total")
    ]
    expected = {
        {"Sexual exploitation": "sex", "Forced labour": "labor"}[form]: int(value.replace(",", ""))
        for form, value in zip(published["Category"], published["txtVALUE"], strict=True)
        if form in ("Sexual exploitation", "Forced labour")
    }
    assert expected, "the workbook has no 2021 US forms of exploitation"
    rows = built_warehouse.query(
        "select trafficking_type_id, victim_count, total_victims from marts.victims_by_year_and_type "
        "where source_id = ? and jurisdiction_id = 'US' and period_id = '2021-01-01/2021-12-31'",
        [RELEASE],
    )
    assert {t: count for t, count, _ in rows if t in expected} == expected
    assert {total for _, _, total in rows} == {10070}


def test_a_malformed_value_names_the_sheet_row_and_field(tmp_path: Path) -> None:
    import openpyxl

    workbook = openpyxl.load_workbook(WORKBOOK, read_only=True)
    rows = list(workbook.worksheets[0].iter_rows(max_row=5, values_only=True))
    workbook.close()
    broken = openpyxl.Workbook()
    sheet = broken.active
    for row in rows:
        sheet.append(list(row))
    sheet.cell(row=5, column=12, value="many")  # txtVALUE of the second data row
    target = tmp_path / f"{RELEASE}.xlsx"
    broken.save(target)
    shutil.copyfile(WORKBOOK.with_name(f"{RELEASE}.provenance.yaml"), tmp_path / f"{RELEASE}.provenance.yaml")
    with pytest.raises(SourceFileError) as error:
        parse_release_file(target)
    assert "row 5.txtVALUE: found 'many' (1 such rows)" in str(error.value)
    assert 'expected a count such as 1,521 or a suppressed value such as "<5"' in str(error.value)


def test_another_workbook_is_refused_naming_the_header_row_it_lacks(tmp_path: Path) -> None:
    import openpyxl

    other = openpyxl.Workbook()
    other.active.append(["a", "b"])  # one short table at the top: its row 3, the header's, is empty
    target = tmp_path / f"{RELEASE}.xlsx"
    other.save(target)
    shutil.copyfile(WORKBOOK.with_name(f"{RELEASE}.provenance.yaml"), tmp_path / f"{RELEASE}.provenance.yaml")
    with pytest.raises(SourceFileError) as error:
        parse_release_file(target)
    assert error.value.location == "row 3 (header)"
    assert error.value.problem == "found an empty row"


def test_figure_provenance_given_as_a_list_is_refused_naming_the_record_and_field(tmp_path: Path) -> None:
    target = tmp_path / f"{RELEASE}.xlsx"
    shutil.copyfile(WORKBOOK, target)
    record = tmp_path / f"{RELEASE}.provenance.yaml"
    text = WORKBOOK.with_name(record.name).read_text(encoding="utf-8")
    assert "\n  reliability: primary\n" in text
    record.write_text(text.replace("\n  reliability: primary\n", "\n  reliability: [primary, secondary]\n"))
    with pytest.raises(SourceFileError) as raised:
        parse_release_file(target)
    assert (raised.value.path, raised.value.location) == (record, "figures.reliability")
    assert raised.value.problem == "found a YAML list"


def test_a_workbook_without_its_provenance_record_is_refused(tmp_path: Path) -> None:
    target = tmp_path / f"{RELEASE}.xlsx"
    shutil.copyfile(WORKBOOK, target)
    with pytest.raises(SourceFileError, match=f"no provenance record {RELEASE}.provenance.yaml beside it"):
        parse_release_file(target)


def test_a_tabular_release_keeps_suppressed_values_and_names_a_bad_line(tmp_path: Path) -> None:
    """The `figures_csv` layout (large releases): "<5" stays suppressed, "1,521" is parsed, errors name the line."""
    provenance = (
        "format_version: 1\nlayout: figures_csv\nrelease:\n  release_id: tabular-2024\n  publisher: P\n"
        "  publisher_code: P\n  title: T\n  document_type: statistics_table\n  jurisdiction: WORLD\n"
        "  release_date: '2024-06-01'\n  period_start: '2023-01-01'\n  period_end: '2023-12-31'\n"
        "  document_url: https://example.org/t\nfigures:\n  source_url: https://example.org/t\n  reliability: primary\n"
    )
    (tmp_path / "tabular-2024.provenance.yaml").write_text(provenance)
    header = "jurisdiction,metric,base_population,value,unit,period_start,period_end\n"
    data = tmp_path / "tabular-2024.csv"
    data.write_text(
        header + 'DEU,victims,victims_detected,"1,521",count,2023-01-01,2023-12-31\n'
        "FRA,victims,victims_detected,<5,count,2023-01-01,2023-12-31\n"
    )
    figures = parse_release_file(data).figures
    rows = [
        (
            f.jurisdiction_id,
            None if pd.isna(f.value) else f.value,
            f.value_text,
            None if pd.isna(f.suppressed_below) else int(f.suppressed_below),
            f.qualifier,
        )
        for f in figures.itertuples()
    ]
    assert rows == [("DEU", 1521.0, "1,521", None, "exact"), ("FRA", None, "<5", 5, "less_than")]
    data.write_text(header + "DEU,victims,victims_detected,many,count,2023-01-01,2023-12-31\n")
    with pytest.raises(SourceFileError, match=r"line 2\.value: found 'many' \(1 such rows\)"):
        parse_release_file(data)
    # A line of spaces makes DuckDB's CSV sniffer read the rows as one column: the line is named, not every column.
    row = "DEU,victims,victims_detected,5,count,2023-01-01,2023-12-31\n"
    data.write_text(header + row + "   \n" + row.replace("DEU", "FRA"))
    with pytest.raises(SourceFileError) as raised:
        parse_release_file(data)
    assert (raised.value.location, raised.value.problem) == (
        "line 3",
        "a line of spaces only: the rows cannot be split into columns",
    )
