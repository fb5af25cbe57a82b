"""Reading source files: content hashes, text decoding and provenance side-files."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import yaml

from orchestration.parsers.errors import SourceFileError


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_size(path: Path, limit: int) -> None:
    size = path.stat().st_size
    if size > limit:
        raise SourceFileError(
            path, None, f"the file is {size / 1e6:.1f} MB", f"at most {limit / 1e6:.0f} MB for this kind of file"
        )


# Excel's "CSV UTF-8" starts the file with this byte-order mark: it is dropped, the text is read as UTF-8.
UTF8_BOM = b"\xef\xbb\xbf"
# Excel's "Unicode Text" and Windows tools write UTF-16, which starts with one of these.
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def read_text(path: Path) -> str:
    """Read a UTF-8 text file (with or without a byte-order mark), refusing empty files and other encodings."""
    raw = path.read_bytes().removeprefix(UTF8_BOM)
    if not raw.strip():
        raise SourceFileError(path, None, "the file is empty", "a non-empty UTF-8 text file")
    if raw.startswith(UTF16_BOMS):
        raise SourceFileError(
            path,
            None,
            "the file is UTF-16 text (it starts with a UTF-16 byte-order mark)",
            'UTF-8 text (in Excel, save as "CSV UTF-8")',
        )
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        raise SourceFileError(path, f"line {line}", "the file holds NUL bytes: it is binary, not text", "UTF-8 text")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise SourceFileError(
            path, f"line {line}", f"byte 0x{raw[exc.start]:02x} is not valid UTF-8", "UTF-8 text"
        ) from exc


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key written twice in one mapping (YAML says keys are unique; PyYAML keeps
    the last silently, so a figure with `value: 357` and a forgotten `value: 375` under it loads as 375)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        first_line: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *anchor` merges another mapping in: keys it brings may be overridden
            key = self.construct_object(key_node, deep=deep)
            if key in first_line:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {key!r} is given twice (first on line {first_line[key]})", key_node.start_mark
                )
            first_line[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def load_yaml_mapping(path: Path) -> dict[str, Any]:
    text = read_text(path)
    try:
        document = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader: no arbitrary objects
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow, e.g. a control character
        line = text[: exc.position].count("\n") + 1
        char = exc.character
        shown = f"U+{char:04X}" if isinstance(char, int) else repr(char)
        problem = f"invalid YAML: the character {shown} is not allowed in YAML"
        raise SourceFileError(path, f"line {line}", problem, "valid YAML") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
        problem = " ".join(str(getattr(exc, "problem", None) or exc).split())  # one line
        raise SourceFileError(path, where, f"invalid YAML: {problem}", "valid YAML") from exc
    if not isinstance(document, dict):
        raise SourceFileError(path, None, f"the document is a {type(document).__name__}", "a YAML mapping")
    return document


def one_value(path: Path, where: str, value: object) -> object:
    """`value`, unless YAML gave a list or mapping where one text, number or date goes."""
    if isinstance(value, list | dict):
        raise SourceFileError(path, where, f"found a YAML {type(value).__name__}", "one text (a string)")
    return value


# A publisher's data file comes with `<name>.provenance.yaml` beside it: a side-file, never a file of its own.
PROVENANCE_SUFFIX = ".provenance.yaml"


def provenance_path(data_file: Path) -> Path:
    """`state_calls_cases_2012_2016.csv` -> `state_calls_cases_2012_2016.provenance.yaml`."""
    return data_file.with_name(data_file.name.split(".")[0] + PROVENANCE_SUFFIX)
