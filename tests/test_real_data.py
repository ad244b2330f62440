"""data/real: the committed real data match SHA256SUMS and the sources' documented shapes and codes.

The numbers here are stated by hand from the sources' documentation (stevedata's help pages,
pscl's s109 and readKH pages) and data/real/README.md, not computed from the files. No network.
"""

import hashlib
from pathlib import Path

import pandas as pd
import pytest

REAL = Path(__file__).resolve().parent.parent / "data" / "real"

SPENDING_ITEMS = ["natspac", "natenvir", "natheal", "natcity", "natcrime", "natdrug", "nateduc",
                  "natrace", "natarms", "nataid", "natfare", "natroad", "natsoc", "natmass",
                  "natpark", "natchld", "natsci", "natenrgy"]
ABORTION_ITEMS = ["abany", "abdefect", "abnomore", "abhlth", "abpoor", "abrape", "absingle"]


def _read(name):
    # keep_default_na=False: only an empty cell is missing (the roll calls' bill "n/a" is text)
    return pd.read_csv(REAL / name, keep_default_na=False, na_values=[""])


def _sums():
    lines = (REAL / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    return {name: digest for digest, name in (line.split("  ") for line in lines)}


def test_sha256sums_lists_exactly_the_csv_files():
    assert sorted(_sums()) == sorted(p.name for p in REAL.glob("*.csv")) == [
        "gss_abortion.csv", "gss_spending_2018.csv", "senate109_rollcalls.csv",
        "senate109_senators.csv", "senate109_votes.csv"]


@pytest.mark.parametrize("name", sorted(_sums()))
def test_file_matches_its_checksum_and_uses_lf(name):
    data = (REAL / name).read_bytes()
    assert hashlib.sha256(data).hexdigest() == _sums()[name], f"{name} differs from SHA256SUMS"
    assert b"\r" not in data and data.endswith(b"\n")


def test_gss_spending_2018():
    frame = _read("gss_spending_2018.csv")
    assert frame.shape == (2348, 33)
    assert list(frame.columns) == (["year", "id", "age", "sex", "educ", "degree", "race", "rincom16",
                                    "partyid", "polviews", "xnorcsiz", "news", "wrkstat"]
                                   + SPENDING_ITEMS + ["sumnat", "sumnatsoc"])
    assert (frame["year"] == 2018).all() and list(frame["id"]) == list(range(1, 2349))
    for item in SPENDING_ITEMS:
        assert set(frame[item].dropna()) == {-1, 0, 1}, item
    assert set(frame["partyid"].dropna()) == set(range(8))
    assert frame["age"].min() == 18 and frame["age"].max() == 89
    assert set(frame["sex"]) == {0, 1}


def test_gss_abortion():
    frame = _read("gss_abortion.csv")
    assert frame.shape == (64814, 18)
    assert list(frame.columns) == (["id", "year", "age", "race", "sex", "hispaniccat", "educ", "partyid",
                                    "relactiv"] + ABORTION_ITEMS + ["pid", "hispanic"])
    years = sorted(frame["year"].unique())
    assert len(years) == 32 and years[0] == 1972 and years[-1] == 2018
    assert not {1979, 1981, 1992, 1995, 2017} & set(years)  # no GSS in those years
    assert not frame.duplicated(["year", "id"]).any()
    for item in ABORTION_ITEMS:
        assert set(frame[item].dropna()) == {0, 1}, item
    assert set(frame["pid"].dropna()) == set(range(7))
    assert set(frame["partyid"].dropna()) == {"Strong Democrat", "Not Str Democrat", "Ind,Near Dem",
                                              "Independent", "Ind,Near Rep", "Not Str Republican",
                                              "Strong Republican", "Other Party"}
    # the 2018 wave is gss_spending's respondents
    assert (frame["year"] == 2018).sum() == 2348


def test_senate109():
    senators = _read("senate109_senators.csv")
    rollcalls = _read("senate109_rollcalls.csv")
    votes = _read("senate109_votes.csv")
    assert list(senators.columns) == ["senator", "legislator", "state", "icpsrState", "cd", "icpsrLegis",
                                      "party", "partyCode"]
    assert list(rollcalls.columns) == ["vote", "date", "session", "number", "bill", "question", "result",
                                       "description", "yeatotal", "naytotal"]
    assert list(votes.columns) == ["senator", "vote", "code"]
    # 102 rows: the President (state USA) and 101 senators (Menendez replaced Corzine in 2006)
    assert len(senators) == 102 and list(senators["senator"]) == list(range(1, 103))
    assert list(senators.loc[senators["state"] == "USA", "legislator"]) == ["BUSH (R USA)"]
    assert senators["party"].value_counts().to_dict() == {"R": 56, "D": 45, "Indep": 1}
    assert len(rollcalls) == 645 and list(rollcalls["vote"]) == list(range(1, 646))
    assert rollcalls["date"].iloc[0] == "2005-01-06" and rollcalls["date"].iloc[-1] == "2006-12-09"
    # one row per senator and roll call, senator-major; Poole-Rosenthal codes 0..9
    assert len(votes) == 102 * 645
    assert list(votes["senator"].iloc[[0, 644, 645, -1]]) == [1, 1, 2, 102]
    assert list(votes["vote"].iloc[[0, 644, 645, -1]]) == [1, 645, 1, 645]
    assert set(votes["code"]) <= set(range(10))
    # yeatotal / naytotal count the senators' yeas (1-3) and nays (4-6), not the President's
    senate = votes[votes["senator"] != 1]
    yea = senate["code"].between(1, 3).groupby(senate["vote"]).sum()
    nay = senate["code"].between(4, 6).groupby(senate["vote"]).sum()
    assert (yea.to_numpy() == rollcalls["yeatotal"].to_numpy()).all()
    assert (nay.to_numpy() == rollcalls["naytotal"].to_numpy()).all()
