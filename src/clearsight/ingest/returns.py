"""Find the returns in a submissions folder: submitters, their profiles, return folders and files."""

from __future__ import annotations

import fnmatch
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from clearsight.ingest.profile import (
    PROFILE_FILE,
    RETURN_FILE,
    FileMapping,
    Profile,
    ProfileError,
    ReturnInfo,
    read_profile,
    read_return,
)


@dataclass
class ReturnFile:
    """One file of a return, and the profile entries (one per sheet for a workbook) that read it."""

    path: Path
    name: str  # relative to the submissions folder
    sha256: str
    mappings: list[FileMapping]


@dataclass
class Return:
    """One return folder: a submitter's data for one period, as received."""

    profile: Profile
    label: str
    folder: Path
    info: ReturnInfo
    files: list[ReturnFile] = field(default_factory=list)
    unmapped: list[ReturnFile] = field(default_factory=list)

    @property
    def submission_id(self) -> str:
        """Stable id: the submitter, the period and the bytes of every file, so a resend is recognised."""
        digest = hashlib.sha256()
        digest.update(self.profile.submitter_code.encode())
        digest.update(f"{self.info.period_start}:{self.info.period_end}".encode())
        for item in sorted(self.files + self.unmapped, key=lambda f: f.name):
            digest.update(f"{item.name}:{item.sha256}".encode())
        return f"{self.profile.submitter_code}-{self.label}-{digest.hexdigest()[:12]}"


    def copies(self) -> dict[str, str]:
        """Each file with the same bytes as one before it in file order ("X (copy).csv" after "X.csv"),
        mapped to the name of that first file: its rows load, the copy's are KEY-DUPLICATE."""
        first: dict[str, str] = {}
        found = {}
        for item in sorted(self.files + self.unmapped, key=lambda f: file_order(f.name)):
            original = first.setdefault(item.sha256, item.name)
            if original != item.name:
                found[item.name] = original
        return found


def sha256_of(path: Path) -> str:
    """Checksum of a file's bytes, read in blocks so that large files need no memory."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# How people and tools name a second copy of a file: "X (copy).csv", "X - Copy.csv", "X - Copy (2).csv",
# "Copy of X.csv", "X copy.csv", "X copy 2.csv", "X (1).csv". Only the order of files uses this.
_COPY_MARKS = re.compile(
    r"(?:\s*\((?:copy(?:\s*\d+)?|\d+)\)|\s+-\s+copy(?:\s*\(\d+\))?|\s+copy(?:\s+\d+)?)+$", re.IGNORECASE
)
_COPY_PREFIX = re.compile(r"^(?:copy\s+(?:\(\d+\)\s+)?of\s+)+", re.IGNORECASE)


def _natural(text: str) -> tuple:
    """Sort key in natural order: "crimes_2" before "crimes_10"."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", text.casefold()))


def file_order(relative: str) -> tuple:
    """Where a file comes in its return: natural order of its name, a copy straight after its original.

    Within a return the first occurrence of a record loads and any later one is quarantined as
    KEY-DUPLICATE, so "X (copy).json" must come after "X.json" (plain string order puts it first,
    because a space sorts before a dot).
    """
    folder, _, name = relative.rpartition("/")
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    plain = _COPY_PREFIX.sub("", _COPY_MARKS.sub("", stem))
    is_copy = plain != stem and plain != ""
    return (_natural(folder), _natural(plain if is_copy else stem), _natural(ext), is_copy, _natural(name), name)


def discover(submissions: Path) -> tuple[list[Return], list[str]]:
    """Every return under ``submissions``, in a stable order, and the problems that stop a folder loading."""
    returns: list[Return] = []
    problems: list[str] = []
    if not submissions.is_dir():
        raise ProfileError(f"{submissions}: not a folder of submissions")
    for submitter in sorted(p for p in submissions.iterdir() if p.is_dir()):
        profile_path = submitter / PROFILE_FILE
        if not profile_path.is_file():
            problems.append(f"{submitter.name}: no {PROFILE_FILE}, so its files cannot be mapped")
            continue
        try:
            profile = read_profile(profile_path)
        except ProfileError as error:
            problems.append(str(error))
            continue
        for folder in sorted(p for p in submitter.iterdir() if p.is_dir()):
            try:
                info = read_return(folder / RETURN_FILE)
            except (ProfileError, FileNotFoundError) as error:
                problems.append(f"{submitter.name}/{folder.name}: {error}")
                continue
            returns.append(_collect(profile, folder, info, submissions))
    returns.sort(key=lambda r: (r.info.received_at, r.profile.submitter_code, r.label))
    return returns, problems


def _collect(profile: Profile, folder: Path, info: ReturnInfo, root: Path) -> Return:
    found = Return(profile=profile, label=folder.name, folder=folder, info=info)
    paths = [p for p in folder.rglob("*") if p.is_file() and p.name != RETURN_FILE]
    for path in sorted(paths, key=lambda p: file_order(p.relative_to(folder).as_posix())):
        relative = path.relative_to(folder).as_posix()
        mappings = [m for m in profile.files if fnmatch.fnmatch(relative, m.pattern)]
        if mappings and mappings[0].format != "xlsx":
            mappings = mappings[:1]  # a flat file is one table: the first matching entry wins
        else:
            mappings = [m for m in mappings if m.format == "xlsx"]  # a workbook: one entry per sheet
        entry = ReturnFile(path, path.relative_to(root).as_posix(), sha256_of(path), mappings)
        (found.files if mappings else found.unmapped).append(entry)
    return found
