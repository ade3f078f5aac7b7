"""Find the returns in a submissions folder: submitters, their profiles, return folders and files."""

from __future__ import annotations

import fnmatch
import hashlib
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


def sha256_of(path: Path) -> str:
    """Checksum of a file's bytes, read in blocks so that large files need no memory."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != RETURN_FILE):
        relative = path.relative_to(folder).as_posix()
        mappings = [m for m in profile.files if fnmatch.fnmatch(relative, m.pattern)]
        if mappings and mappings[0].format != "xlsx":
            mappings = mappings[:1]  # a flat file is one table: the first matching entry wins
        else:
            mappings = [m for m in mappings if m.format == "xlsx"]  # a workbook: one entry per sheet
        entry = ReturnFile(path, path.relative_to(root).as_posix(), sha256_of(path), mappings)
        (found.files if mappings else found.unmapped).append(entry)
    return found
