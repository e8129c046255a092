"""Missing values filled as TwoSampleMR ``format_data`` fills them, before any rule drops a row (issue 20).

The real case: insomnia (UK Biobank, OpenGWAS ukb-a-13) -> coronary heart disease (CARDIoGRAMplusC4D), the 13
instruments of Liao et al. 2020 (Sleep Med 67:232, Table 2; ``../shared/realdata/``). The printed table has no
p-value for the outcome row of rs17879819; TwoSampleMR computes it from beta and SE, mrkit dropped the row and
the IVW estimate moved from 1.486 (13 SNPs) to 1.035 (12). The right number is the IVW of all 13 rows, by hand:
sum(bx by / se_y^2) / sum(bx^2 / se_y^2).
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import SHARED
from scipy.stats import norm

from mrkit.cli import main
from mrkit.gwas.harmonise import harmonisation_flow, harmonise
from mrkit.gwas.io import read_sumstats
from mrkit.gwas.rules import N_FILLED, P_FILLED

LIAO = SHARED / "realdata" / "sleep_ukb_a_to_CHD_C4D_liao2019.csv"


@pytest.fixture(scope="module")
def liao() -> pd.DataFrame:
    if not LIAO.is_file():
        pytest.skip(f"real data not found at {LIAO} (set MRKIT_SHARED to the shared/ folder)")
    table = pd.read_csv(LIAO, comment="#")
    return table[table["exposure_opengwas_id"] == "ukb-a-13"].reset_index(drop=True)


def _tables(liao: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    exposure = pd.DataFrame({"SNP": liao["SNP"], "effect_allele.exposure": liao["effect_allele"],
                             "other_allele.exposure": liao["other_allele"], "eaf.exposure": liao["eaf_exposure"],
                             "beta.exposure": liao["beta_exposure"], "se.exposure": liao["se_exposure"],
                             "pval.exposure": liao["pval_exposure"], "exposure": "insomnia"})
    outcome = pd.DataFrame({"SNP": liao["SNP"], "effect_allele.outcome": liao["effect_allele"],
                            "other_allele.outcome": liao["other_allele"], "beta.outcome": liao["beta_outcome"],
                            "se.outcome": liao["se_outcome"], "pval.outcome": liao["pval_outcome_paper"],
                            "outcome": "CHD"})
    return exposure, outcome


def _ivw_by_hand(liao: pd.DataFrame) -> float:
    bx, by, se = liao["beta_exposure"], liao["beta_outcome"], liao["se_outcome"]
    return float((bx * by / se**2).sum() / (bx**2 / se**2).sum())


def test_the_liao_outcome_row_without_p_is_used_and_ivw_is_1_486(liao, tmp_path, capsys):
    assert len(liao) == 13 and liao["pval_outcome_paper"].isna().sum() == 1  # rs17879819
    expected = _ivw_by_hand(liao)
    assert round(expected, 3) == 1.486  # the number of issue 20 (1.035 when the row is dropped)
    exposure, outcome = _tables(liao)
    exposure.to_csv(tmp_path / "insomnia.csv", index=False)
    outcome.to_csv(tmp_path / "chd.csv", index=False)
    harmonised = tmp_path / "h.csv"
    assert main(["harmonise", str(tmp_path / "insomnia.csv"), str(tmp_path / "chd.csv"), "-o", str(harmonised)]) == 0
    printed = capsys.readouterr().out
    assert f"flagged 1: {P_FILLED}" in printed and "13 rows read, 13 kept" in printed.split("outcome:")[1]
    assert main(["estimate", str(harmonised), "--methods", "ivw", "--format", "json", "--presso-n", "50"]) == 0
    ivw = json.loads(capsys.readouterr().out)["methods"][0]
    assert ivw["method"] == "ivw" and ivw["nsnp"] == 13
    assert ivw["estimate"] == pytest.approx(expected, rel=1e-9)
    # the filled p is R's 2 * pnorm(-|-0.101 / 0.025|) (here from scipy, not mrkit)
    row = pd.read_csv(harmonised).set_index("SNP").loc["rs17879819"]
    assert row["pval.outcome"] == pytest.approx(2 * norm.sf(0.101 / 0.025), rel=1e-12)


def test_harmonise_fills_the_p_of_an_in_memory_table_and_logs_it(liao):
    exposure, outcome = _tables(liao)
    out = harmonise(exposure, outcome)
    log = out.attrs["log"]
    assert log["kept"] == 13 and log[f"outcome_filled: {P_FILLED}"] == 1
    assert out["pval.outcome"].notna().all()
    flow = harmonisation_flow(log)
    assert flow.loc[flow["stage"] == f"Outcome values filled: {P_FILLED}", "n"].item() == 1
    # a read outcome carries the reader's fill into the log (none is filled twice)
    assert "kind" in flow and set(flow.loc[flow["stage"].str.contains("filled"), "kind"]) == {"filled"}


def test_the_reader_fills_the_sample_size_from_cases_and_controls(tmp_path):
    path = tmp_path / "g.tsv"
    path.write_text("SNP\tCHR\tBP\tA1\tA2\tBETA\tSE\tP\tN\tNCASE\tNCONTROL\n"
                    "rs1\t1\t100\tA\tG\t0.1\t0.01\t1e-9\tNA\t4000\t6000\n"   # N filled: 10000
                    "rs2\t1\t200\tA\tG\t0.1\t0.01\t1e-9\t9000\t4000\t6000\n"  # N given: kept as written
                    "rs3\t1\t300\tA\tG\t0.1\t0.01\t1e-9\tNA\tNA\t6000\n")     # cannot be filled
    frame = read_sumstats(path, fmt="generic")
    assert frame["n"].tolist()[:2] == [10000.0, 9000.0] and np.isnan(frame["n"].iloc[2])
    assert frame.attrs["flagged"] == {N_FILLED: 1}
    # the reader's own sample size (--n) fills what is still missing, after the data's
    assert read_sumstats(path, fmt="generic", n=5000.0)["n"].tolist() == [10000.0, 9000.0, 5000.0]


def test_a_p_that_cannot_be_filled_is_still_dropped(tmp_path):
    path = tmp_path / "g.tsv"
    path.write_text("SNP\tCHR\tBP\tA1\tA2\tBETA\tSE\tP\n"
                    "rs1\t1\t100\tA\tG\t0.1\t0.01\tNA\n"   # z = 10: p = 2 * pnorm(-10)
                    "rs2\t1\t200\tA\tG\t0.1\tNA\tNA\n")    # no se: neither p nor the row
    frame = read_sumstats(path, fmt="generic")
    assert frame["snp"].tolist() == ["rs1"] and frame["p"].item() == pytest.approx(1.523970e-23, rel=1e-6)
    assert frame.attrs["dropped"] == {"missing se": 1} and frame.attrs["flagged"] == {P_FILLED: 1}
